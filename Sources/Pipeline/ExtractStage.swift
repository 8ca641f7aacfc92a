import ConnectorCore
import ConnectorStaging
import Expensify
import Foundation
import Logging

extension Day {
    /// Whole days from `a` to `b` (negative when `b` is earlier).
    static func between(_ a: String, _ b: String) -> Int? {
        guard let x = parse(a), let y = parse(b) else { return nil }
        return calendar.dateComponents([.day], from: x, to: y).day
    }
}

/// One export job of a batch: a date window, or a chunk of report IDs re-fetched by `reportIDList`.
public struct ExportJobSummary: Sendable, Codable, Equatable {
    /// `window` or `reportIDs`.
    public var kind: String
    /// The window's start (exclusive); nil for a job by report IDs.
    public var approvedAfter: String?
    /// The window's end (inclusive), when the range was split.
    public var endDate: String?
    /// Report IDs asked for (`reportIDs` jobs).
    public var requested: Int
    /// Expensify's file name and the staged copy (`extract/jobs/…`).
    public var fileName: String
    /// The job's file under `extract/`.
    public var stagedFile: String
    /// Reports in the file, and how many of them an earlier job of the batch already had.
    public var reports: Int
    /// Reports of this job already in the batch from an earlier job, left out.
    public var duplicates: Int
}

/// What `extract` did.
public struct ExtractSummary: Sendable, Codable {
    /// The batch extracted.
    public var batchID: String
    /// The watermark the export started from (reports approved strictly after it).
    public var approvedAfter: String
    /// "Today" of the export: the range's end (the last window's `endDate` when the range was split).
    public var exportUntil: String?
    /// Date windows (more than one when the range from `approvedAfter` exceeds `expensify.maxRangeDays`).
    public var windows: Int?
    /// Reports in `export.json` (each once).
    public var reports: Int
    /// Held or failed reports of earlier batches asked for by ID, how many came back, and which did not.
    public var refetchRequested: Int?
    /// How many of the reports asked for by ID came back.
    public var refetchReturned: Int?
    /// Reports asked for by ID that did not come back (asked again next run).
    public var notReturned: [String]?
    /// Copies of a report already in the batch (same report in a window and in the re-fetch), left out.
    public var duplicates: Int?
    /// Reports an operator dropped that came back in an export, left out.
    public var droppedSkipped: Int?
    /// Policies read with the policy getter.
    public var policies: Int
    /// ERP companies whose master data was read.
    public var companies: Int
    /// Expensify's file name of the first job (kept for compatibility); every job is in `jobs`.
    public var exportFile: String
    /// Every export job of the batch, in order.
    public var jobs: [ExportJobSummary]?
    /// The batch whose held or failed reports this one re-runs (`replay`): no date window, only those reports by ID.
    public var replayOf: String?

    /// One line for the operator, and one more when held reports were asked for again by ID.
    public var text: String {
        if let replayOf {
            return "Batch \(batchID) (replay of batch \(replayOf)): \(reports) of \(refetchRequested ?? 0) report(s) returned by ID, \(policies) policy(ies), \(companies) company(ies)\n"
        }
        var s = "Batch \(batchID): \(reports) report(s) approved after \(approvedAfter)"
        if let windows, windows > 1 { s += " in \(windows) windows up to \(exportUntil ?? "-")" }
        s += ", \(policies) policy(ies), \(companies) company(ies)\n"
        if let requested = refetchRequested, requested > 0 {
            s += "  Re-fetched by ID: \(refetchReturned ?? 0) of \(requested) held or failed report(s)\n"
        }
        return s
    }
}

/// Splits the range after `approvedAfter` up to `until` into consecutive export windows of at most `maxDays`
/// days each (`approvedAfter` is exclusive, `endDate` inclusive). A range that fits is one window without an
/// `endDate`; otherwise every window carries one, the last ending on `until`.
///
/// `endDate` filters on the later of created and submitted, `approvedAfter` on approval, so a report submitted
/// in one window and approved in a later one appears in both: the batch keeps it once.
public enum ExportWindows {
    /// One export job's date range.
    public struct Window: Sendable, Equatable, Codable {
        /// The watermark the export started from (reports approved strictly after it).
        public var approvedAfter: String
        /// The window's end (inclusive), when the range was split.
        public var endDate: String?

        /// A window from its two bounds.
        public init(approvedAfter: String, endDate: String?) {
            self.approvedAfter = approvedAfter
            self.endDate = endDate
        }
    }

    /// The windows for a range: one without `endDate` when it fits, else consecutive ones ending on `until`.
    public static func split(approvedAfter: String, until: String, maxDays: Int) -> [Window] {
        guard maxDays > 0, let total = Day.between(approvedAfter, until), total > maxDays else {
            return [Window(approvedAfter: approvedAfter, endDate: nil)]
        }
        var windows: [Window] = []
        var from = approvedAfter
        while let left = Day.between(from, until), left > maxDays, let end = Day.adding(maxDays, to: from) {
            windows.append(Window(approvedAfter: from, endDate: end))
            from = end
        }
        windows.append(Window(approvedAfter: from, endDate: until))
        return windows
    }
}

extension PipelineContext {
    /// Pulls approved reports (after the watermark, without our label), the held and failed reports of earlier
    /// batches (by ID), the policies they belong to and the target's master data into `staging/<batch>/extract/`.
    /// With `batchID`, re-extracts that batch with the window it was created with (and today's re-fetch list).
    public func extract(batchID requested: String? = nil) async throws -> ExtractSummary {
        let batchID: String
        let approvedAfter: String
        let until: String
        if let requested {
            guard let b = try ledger.batch(requested) else {
                throw ConnectorError("batch.unknown", "Batch \(requested) is not in the ledger.", context: ["batch": requested])
            }
            if let source = b.replayOf {
                throw ConnectorError("stage.order", "Batch \(b.id) replays batch \(source) and is not extracted again; run 'ml-connector replay --batch \(source)' for a new replay batch.",
                                     context: ["batch": b.id])
            }
            try checkRerunAllowed(.extract, batchID: b.id)
            batchID = b.id
            approvedAfter = try b.approvedAfter ?? initialWatermark()
            until = try b.exportUntil ?? today()
        } else {
            approvedAfter = try ledger.watermark() ?? initialWatermark()
            until = try today()
            batchID = try newBatchID()
            try ledger.createBatch(id: batchID, target: config.target.type, approvedAfter: approvedAfter, exportLabel: config.expensify.exportLabel,
                                   exportUntil: until, audit: audit(batchID, .extract))
        }
        return try await extractBatch(batchID, approvedAfter: approvedAfter, until: until, replay: nil)
    }

    /// What a replay batch extracts instead of the date windows and the nightly re-fetch: these reports, by ID.
    struct ReplayPlan {
        var source: String
        var reportIDs: [String]
    }

    /// The extract stage proper for `batchID`: the date windows after `approvedAfter` up to `until` and every open report
    /// by ID, or, for a replay, only the replay's reports by ID.
    func extractBatch(_ batchID: String, approvedAfter: String, until: String, replay: ReplayPlan?) async throws -> ExtractSummary {
        let layout = self.layout(batchID)
        return try await recordStage(.extract, batchID: batchID) {
            try layout.ensure(.extract)
            let expensify = try expensifyClient(batchID: batchID, stage: .extract)
            let target = try self.target(batchID: batchID, stage: .extract)
            let a = audit(batchID, .extract)
            var files: [String: String] = [:]

            // 1. Export jobs (no onFinish: the label is written only after the ERP confirmed), each downloaded to
            //    extract/jobs/: the date windows after the watermark, then the open reports of earlier batches by ID.
            let windows = replay == nil ? ExportWindows.split(approvedAfter: approvedAfter, until: until, maxDays: config.exportMaxRangeDays) : []
            let refetch = try replay?.reportIDs ?? ledger.reportsToRefetch()
            var plans: [(kind: String, filter: ExportFilter)] = windows.map { w in
                ("window", ExportFilter(reportStates: config.reportStates, approvedAfter: w.approvedAfter, endDate: w.endDate,
                                        markedAsExported: config.expensify.exportLabel, policyIDs: config.expensify.policyIDs ?? [],
                                        reportIDs: [], limit: config.expensify.limit))
            }
            for start in stride(from: 0, to: refetch.count, by: config.refetchChunkSize) {
                let chunk = Array(refetch[start..<min(start + config.refetchChunkSize, refetch.count)])
                plans.append(("reportIDs", ExportFilter(reportStates: config.reportStates, markedAsExported: config.expensify.exportLabel,
                                                        policyIDs: config.expensify.policyIDs ?? [], reportIDs: chunk)))
            }
            if windows.count > 1 {
                logger.info("export range split into windows", metadata: ["batch.id": "\(batchID)", "expensify.approved_after": "\(approvedAfter)",
                                                                         "expensify.until": "\(until)", "expensify.windows": "\(windows.count)"])
            }
            let template = try ExpensifyClient.bundledTemplate()
            let jobsDirectory = layout.stageDirectory(.extract).appendingPathComponent("jobs", isDirectory: true)
            try? FileManager.default.removeItem(at: jobsDirectory)
            var jobs: [ExportJobSummary] = []
            var jobFiles: [URL] = []
            for (n, plan) in plans.enumerated() {
                let name = String(format: "%02d-%@.json", n + 1, plan.kind == "window" ? "window" : "reports")
                let fileName = try await expensify.exportReports(plan.filter, template: template, fileBasename: "mlconnector-\(batchID)-")
                let jobFile = jobsDirectory.appendingPathComponent(name)
                // Streamed to the staged file (flat memory, renamed into place once complete); its SHA-256 is read back.
                try OwnerOnly.directory(jobsDirectory)
                try await expensify.download(fileName: fileName, to: jobFile)
                try OwnerOnly.restrict(jobFile)
                files["jobs/" + name] = try StagedFile.sha256(of: jobFile)
                jobFiles.append(jobFile)
                jobs.append(ExportJobSummary(kind: plan.kind, approvedAfter: plan.filter.approvedAfter, endDate: plan.filter.endDate,
                                             requested: plan.filter.reportIDs.count, fileName: fileName, stagedFile: "jobs/" + name,
                                             reports: 0, duplicates: 0))
            }

            // 2. One export.json for the batch (as received) and its normalised records: every job's reports, in
            //    job order, each report once (the same report in a window and in the re-fetch, or in two windows,
            //    is kept the first time), never one an operator dropped. Every report kept is registered.
            let merged = try mergeExports(jobs: &jobs, jobFiles: jobFiles, refetch: refetch, layout: layout, batchID: batchID, files: &files,
                                          refetchSource: replay.map { "replayed from batch \($0.source)" } ?? "re-fetched by ID")
            var counts = merged.counts
            let policyIDs = merged.policyIDs.union(config.expensify.policyIDs ?? [])
            let notReturned = merged.notReturned

            // 3. Policies (categories with GL codes, tags) for the reports' policies, as received and normalised.
            let policyInfo = try await readPolicies(policyIDs, expensify: expensify, batchID: batchID)
            files["policies.json"] = try StagedFile.write(policyInfo.serialized(pretty: true), to: layout.policiesFile)
            let catalogEncoder = JSONEncoder()
            catalogEncoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
            files["catalog.json"] = try StagedFile.write(try catalogEncoder.encode(ExpensifyPolicies.catalog(from: policyInfo)), to: layout.catalogFile)

            // 4. Target master data, once per run and company.
            let companies = Set(config.companies.values.map { $0.lowercased() }).sorted()
            let reference = try await target.fetchReferenceData(companies: companies, vendorGroup: nil)
            try checkDimensionFormat(reference)
            let enc = JSONEncoder()
            enc.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
            files["reference.json"] = try StagedFile.write(try enc.encode(reference), to: layout.referenceFile)

            let count = counts["reports", default: 0]
            let summary = ExtractSummary(batchID: batchID, approvedAfter: approvedAfter, exportUntil: until, windows: windows.count,
                                         reports: count, refetchRequested: refetch.count, refetchReturned: counts["refetched", default: 0],
                                         notReturned: notReturned, duplicates: counts["duplicates", default: 0],
                                         droppedSkipped: counts["dropped_skipped", default: 0], policies: policyIDs.count,
                                         companies: companies.count, exportFile: jobs.first?.fileName ?? "", jobs: jobs,
                                         replayOf: replay?.source)
            files["manifest.json"] = try StagedFile.write(try enc.encode(summary), to: layout.extractManifest)
            counts["limit_reached"] = counts["limit_reached"] ?? 0
            var stageCounts = counts
            stageCounts["policies"] = policyIDs.count
            stageCounts["companies"] = companies.count
            stageCounts["vendors"] = reference.companies.reduce(0) { $0 + $1.vendors.count }
            stageCounts["windows"] = windows.count
            stageCounts["refetch_requested"] = refetch.count
            stageCounts["not_returned"] = notReturned.count
            return (summary, stageCounts, files)
        }
    }

    /// What merging the jobs' files gave: counts, the policies seen, the re-fetched reports that did not come back.
    struct MergedExport {
        var counts: [String: Int]
        var policyIDs: Set<String>
        var notReturned: [String]
    }

    /// Writes `export.json` (the jobs' elements as received, each report once) and `records.jsonl` (the same reports
    /// normalised, one `ExtractedReport` per line), registering every report kept in the ledger. A malformed element
    /// is kept as a record with its problem and no report ID: it is never guessed at.
    func mergeExports(jobs: inout [ExportJobSummary], jobFiles: [URL], refetch: [String], layout: BatchLayout, batchID: String,
                      files: inout [String: String], refetchSource: String = "re-fetched by ID") throws -> MergedExport {
        let a = audit(batchID, .extract)
        let dropped = try ledger.droppedIDs()
        let wanted = Set(refetch)
        var seen = Set<String>()
        var policyIDs = Set<String>()
        var counts = ["reports": 0, "duplicates": 0, "dropped_skipped": 0, "unidentified": 0, "refetched": 0, "limit_reached": 0]
        let export = try StreamingFile(layout.exportFile)
        let records = try JSONLinesWriter<ExtractedReport>(layout.recordsFile)
        export.write("[")
        for (n, job) in jobs.enumerated() {
            var reader = try JSONArrayReader(url: jobFiles[n])
            defer { reader.close() }
            var inJob = 0
            var inThisJob = Set<String>()
            while let element = try reader.next() {
                inJob += 1
                let index = counts["reports", default: 0]
                let record = ExpensifyExportDecoder.record(element, index: index)
                if let report = record.report {
                    let id = report.reportID
                    if seen.contains(id) {
                        jobs[n].duplicates += 1
                        counts["duplicates", default: 0] += 1
                        // In two jobs (a window and the re-fetch) is expected; twice in one export is not: say so.
                        if inThisJob.contains(id) {
                            try ledger.audit(a, entityType: "report", entityID: id, event: "report.duplicate",
                                             detail: "reportID: element \(inJob) of export job \(n + 1) repeats report \(id); the first copy is kept, the repeat ignored")
                            logger.warning("an export repeats a report; the first copy is kept",
                                           metadata: ["batch.id": "\(batchID)", "expensify.report": "\(id)"])
                        }
                        continue
                    }
                    inThisJob.insert(id)
                    if dropped.contains(id) {
                        counts["dropped_skipped", default: 0] += 1
                        try ledger.audit(a, entityType: "report", entityID: id, event: "report.skipped_dropped",
                                         detail: "in the export again; dropped by an operator, so not processed")
                        continue
                    }
                    seen.insert(id)
                    if !report.policyID.isEmpty { policyIDs.insert(report.policyID) }
                    let source = job.kind == "window" ? "export window after \(job.approvedAfter ?? "-")" : refetchSource
                    if wanted.contains(id) { counts["refetched", default: 0] += 1 }
                    try ledger.recordExtracted(reportID: id, policyID: report.policyID.isEmpty ? nil : report.policyID,
                                               submitter: report.accountEmail, approved: report.approved, batchID: batchID, source: source, audit: a)
                } else {
                    counts["unidentified", default: 0] += 1
                    try ledger.audit(a, entityType: "export", entityID: "export[\(index)]", event: "exception",
                                     detail: record.issues.map { "\($0.field): \($0.reason)" }.joined(separator: "; "))
                }
                export.write(index == 0 ? "\n" : ",\n")
                export.write(element)
                try records.append(record)
                counts["reports", default: 0] += 1
            }
            jobs[n].reports = inJob
            if job.kind == "window", let limit = config.expensify.limit, inJob >= limit { counts["limit_reached"] = 1 }
        }
        export.write(counts["reports", default: 0] == 0 ? "]\n" : "\n]\n")
        files["export.json"] = try export.finish()
        files["records.jsonl"] = try records.finish()
        let notReturned = refetch.filter { !seen.contains($0) && !dropped.contains($0) }
        for id in notReturned {
            try ledger.audit(a, entityType: "report", entityID: id, event: "report.not_returned",
                             detail: "asked for by ID (held or failed earlier); Expensify did not return it (state, label or policy filter, or deleted); asked again next run")
        }
        if counts["unidentified", default: 0] > 0 {
            logger.warning("export elements without a readable report ID; the watermark will not move this batch",
                           metadata: ["batch.id": "\(batchID)", "count": "\(counts["unidentified", default: 0])"])
        }
        return MergedExport(counts: counts, policyIDs: policyIDs, notReturned: notReturned)
    }

    /// The policy getter's answer for `policyIDs`. One policy the account cannot read must not stop the run: they are
    /// then read one by one, and a report of an unreadable policy is still checked against its export's GL codes and tags.
    func readPolicies(_ policyIDs: Set<String>, expensify: ExpensifyClient, batchID: String) async throws -> JSONValue {
        guard !policyIDs.isEmpty else { return .object([:]) }
        do {
            return try await expensify.getPolicies(policyIDs.sorted())
        } catch let e as ConnectorError where ExpensifyErrors.isUnreadablePolicy(e) {
            var merged: [String: JSONValue] = [:]
            for id in policyIDs.sorted() {
                do {
                    for (k, v) in try await expensify.getPolicies([id]).objectValue ?? [:] { merged[k] = v }
                } catch let one as ConnectorError where ExpensifyErrors.isUnreadablePolicy(one) {
                    logger.warning("policy cannot be read", metadata: ["expensify.policy": "\(id)", "error": "\(one.message)"])
                    try ledger.audit(audit(batchID, .extract), entityType: "policy", entityID: id, event: "policy.unreadable", detail: one.message)
                }
            }
            return .object(merged)
        }
    }

    /// Today (UTC), the end of the export range. `ML_CONNECTOR_TODAY` (yyyy-MM-dd) overrides it, for tests and
    /// demos against a sandbox whose clock was moved.
    func today() throws -> String {
        if let forced = environment["ML_CONNECTOR_TODAY"], !forced.isEmpty {
            guard ConnectorConfig.isDate(forced), Day.parse(forced) != nil else {
                throw ConnectorError("config.invalid", "ML_CONNECTOR_TODAY '\(forced)' is not a yyyy-MM-dd date")
            }
            return forced
        }
        return Day.format(Date())
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
        // Never a batch folder that exists already (another ledger, or one made by hand): it is never overwritten.
        while try ledger.batch(id) != nil || FileManager.default.fileExists(atPath: layout(id).batchDirectory.path) {
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
