import ConnectorCore
import ConnectorStaging
import Expensify
import Foundation
import Logging

/// What `extract` did.
public struct ExtractSummary: Sendable, Codable {
    public var batchID: String
    public var approvedAfter: String
    public var reports: Int
    public var policies: Int
    public var companies: Int
    public var exportFile: String
}

extension PipelineContext {
    /// Pulls approved reports (after the watermark, without our label), the policies they belong to and
    /// the target's master data into `staging/<batch>/extract/`. With `batchID`, re-extracts that batch
    /// with the window it was created with.
    public func extract(batchID requested: String? = nil) async throws -> ExtractSummary {
        let batchID: String
        let approvedAfter: String
        if let requested {
            guard let b = try ledger.batch(requested) else {
                throw ConnectorError("batch.unknown", "Batch \(requested) is not in the ledger.", context: ["batch": requested])
            }
            batchID = b.id
            approvedAfter = try b.approvedAfter ?? initialWatermark()
        } else {
            approvedAfter = try ledger.watermark() ?? initialWatermark()
            batchID = try newBatchID()
            let target = config.target.type
            try ledger.createBatch(id: batchID, target: target, approvedAfter: approvedAfter, exportLabel: config.expensify.exportLabel,
                                   audit: audit(batchID, "extract"))
        }
        let layout = self.layout(batchID)
        return try await recordStage("extract", batchID: batchID) {
            try layout.ensure("extract")
            let expensify = try expensifyClient(batchID: batchID, stage: "extract")
            let target = try self.target(batchID: batchID, stage: "extract")
            var files: [String: String] = [:]

            // 1. Export (no onFinish: the label is written only after the ERP confirmed) and download.
            let filter = ExportFilter(reportStates: config.reportStates, approvedAfter: approvedAfter,
                                      markedAsExported: config.expensify.exportLabel, policyIDs: config.expensify.policyIDs ?? [],
                                      reportIDs: [], limit: config.expensify.limit)
            let template = try ExpensifyClient.bundledTemplate()
            let fileName = try await expensify.exportReports(filter, template: template, fileBasename: "mlconnector-\(batchID)-")
            // Streamed to the staged file (flat memory, renamed into place once complete); its SHA-256 is read back.
            try await expensify.download(fileName: fileName, to: layout.exportFile)
            files["export.json"] = try StagedFile.sha256(of: layout.exportFile)

            // 2. Register every report seen (streamed; malformed elements are transform's business).
            var reader = try JSONArrayReader(url: layout.exportFile)
            defer { reader.close() }
            var policyIDs = Set(config.expensify.policyIDs ?? [])
            var count = 0
            while let element = try reader.next() {
                count += 1
                guard let v = try? JSONValue.parse(element), let id = v["reportID"]?.stringValue, !id.isEmpty else { continue }
                let policy = v["policyID"]?.stringValue
                if let policy, !policy.isEmpty { policyIDs.insert(policy) }
                try ledger.recordExtracted(reportID: id, policyID: policy, submitter: v["accountEmail"]?.stringValue,
                                           approved: v["approved"]?.stringValue, batchID: batchID, audit: audit(batchID, "extract"))
            }

            // 3. Policies (categories with GL codes, tags) for the reports' policies.
            var policyInfo = JSONValue.object([:])
            if !policyIDs.isEmpty {
                do {
                    policyInfo = try await expensify.getPolicies(policyIDs.sorted())
                } catch let e as ConnectorError where ["expensify.404", "expensify.410"].contains(e.code) {
                    // One policy the account cannot read must not stop the run: read them one by one. A report of
                    // an unreadable policy is still checked against the GL codes and tags in the export itself.
                    var merged: [String: JSONValue] = [:]
                    for id in policyIDs.sorted() {
                        do {
                            for (k, v) in try await expensify.getPolicies([id]).objectValue ?? [:] { merged[k] = v }
                        } catch let one as ConnectorError where ["expensify.404", "expensify.410"].contains(one.code) {
                            logger.warning("policy cannot be read", metadata: ["expensify.policy": "\(id)", "error": "\(one.message)"])
                            try ledger.audit(audit(batchID, "extract"), entityType: "policy", entityID: id, event: "policy.unreadable", detail: one.message)
                        }
                    }
                    policyInfo = .object(merged)
                }
            }
            files["policies.json"] = try StagedFile.write(policyInfo.serialized(pretty: true), to: layout.policiesFile)

            // 4. Target master data, once per run and company.
            let companies = Set(config.companies.values.map { $0.lowercased() }).sorted()
            let reference = try await target.fetchReferenceData(companies: companies, vendorGroup: nil)
            try checkDimensionFormat(reference)
            let enc = JSONEncoder()
            enc.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
            files["reference.json"] = try StagedFile.write(try enc.encode(reference), to: layout.referenceFile)

            let summary = ExtractSummary(batchID: batchID, approvedAfter: approvedAfter, reports: count, policies: policyIDs.count,
                                         companies: companies.count, exportFile: fileName)
            files["manifest.json"] = try StagedFile.write(try enc.encode(summary), to: layout.extractManifest)
            return (summary, ["reports": count, "policies": policyIDs.count, "companies": companies.count,
                              "vendors": reference.companies.reduce(0) { $0 + $1.vendors.count }], files)
        }
    }

    /// The day before the configured start date (`approvedAfter` keeps reports approved strictly after it).
    func initialWatermark() throws -> String {
        guard let d = Day.adding(-1, to: config.expensify.startDate) else {
            throw ConnectorError("config.invalid", "expensify.startDate is not a date")
        }
        return d
    }

    func newBatchID() throws -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyyMMdd-HHmmss"
        let base = f.string(from: Date())
        var id = base
        var n = 2
        while try ledger.batch(id) != nil {
            id = "\(base)-\(n)"
            n += 1
        }
        return id
    }

    /// The configured dimension order and delimiter must match the ERP's active integration format, or
    /// every display value would land in the wrong segment.
    func checkDimensionFormat(_ reference: ReferenceData) throws {
        if let f = reference.dimensionFormat, f.count == 1, config.dimensions.format.count > 1 {
            // One segment where several are configured: the ERP's format text was not understood; say so, go on.
            logger.warning("the target's dimension format could not be read; using the configured one",
                           metadata: ["erp.dimension_format": "\(f.joined(separator: ","))"])
        } else if let f = reference.dimensionFormat, !f.isEmpty, f != config.dimensions.format {
            throw ConnectorError("config.dimension_format", "dimensions.format \(config.dimensions.format) differs from the target's active default dimension format \(f); update the configuration.")
        }
        if let d = reference.dimensionDelimiter, !d.isEmpty, d != config.dimensions.delimiter {
            throw ConnectorError("config.dimension_format", "dimensions.delimiter '\(config.dimensions.delimiter)' differs from the target's segment delimiter '\(d)'.")
        }
    }
}
