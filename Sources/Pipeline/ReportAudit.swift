import ConnectorCore
import ConnectorLedger
import ConnectorStaging
import Foundation

/// One report's whole trail (`ml-connector audit <report>`): when and in which batches it was extracted, the staged
/// files of those batches with their recorded SHA-256 (checked again now), the map entries transform applied to it
/// (category GL code → main account, tag → dimension values, vendor), the documents staged for load, the ERP
/// documents (key, HeaderReference, state) with their events, the failed HTTP attempts during its batches, and the
/// report's own audit events.
public struct ReportAuditTrail: Sendable, Codable {
    struct Extraction: Sendable, Codable {
        var batchID: String
        var at: String
        /// `export window after …`, `re-fetched by ID`, `replayed from batch …`, with the previous state when seen again.
        var how: String
    }

    struct BatchInfo: Sendable, Codable {
        var id: String
        var createdAt: String
        var replayOf: String?
        /// The batch's stage runs in order: `stage outcome`.
        var stageRuns: [String]
    }

    struct FileHash: Sendable, Codable {
        var batchID: String
        /// `extract/export.json`, `transform/invoice-lines.csv`, …
        var file: String
        /// As recorded in the ledger when the stage wrote it.
        var sha256: String
        /// `ok` (the file still has that hash), `changed`, or `missing`.
        var check: String
    }

    /// One expense line as transform mapped it (from `transform/invoice-lines.csv`, tags from `extract/records.jsonl`).
    struct MapEntry: Sendable, Codable {
        var batchID: String
        var invoiceNumber: String
        var line: String
        var transactionID: String
        var category: String
        var glCode: String
        var mainAccount: String
        var tag: String
        /// Tag levels with their GL codes, `name=glCode`, in level order.
        var tagLevels: [String]
        var dimensions: String
        var vendor: String
        var company: String
        var amount: String
        var currency: String
        var status: String
    }

    /// A document as transform staged it for load (`transform/invoices.json`).
    struct StagedDocument: Sendable, Codable {
        var batchID: String
        var key: String
        var company: String
        var vendor: String
        var currency: String
        var total: String
        var lines: Int
        var dimensions: String
    }

    var report: ReportRecord
    var drop: DropRecord?
    var extractions: [Extraction]
    var batches: [BatchInfo]
    var files: [FileHash]
    var mapEntries: [MapEntry]
    var stagedDocuments: [StagedDocument]
    /// The documents the ledger knows for the report (`erpReference` is D365's HeaderReference).
    var documents: [DocumentRecord]
    /// Registered, loading, loaded (with the reference the ERP answered), failed (with its message), changed after load.
    var documentEvents: [AuditEvent]
    /// Failed HTTP attempts (method, path, status) recorded during the stages of its batches.
    var httpFailures: [AuditEvent]
    /// HTTP failures of its batches left out of `httpFailures` (capped).
    var httpFailuresOmitted: Int
    /// The report's own events: extracted, mapped (ready/held with the reason), exceptions, loaded, labelled, dropped, replayed.
    var reportEvents: [AuditEvent]

    /// The whole trail as text, oldest first, for a person answering "what happened to this report?"
    public var text: String {
        let r = report
        var s = "Report \(r.reportID): \(r.state.rawValue)\(r.reason.map { " — \($0)" } ?? "")\n"
        s += "  policy \(r.policyID ?? "-"), submitter \(r.submitter ?? "-"), approved \(r.approved ?? "-"), total \(r.total ?? "-") \(r.currency ?? "")\n"
        if let d = drop { s += "  DROPPED at \(d.droppedAt) by \(d.actor): \(d.reason)\n" }
        s += "Extracted:\n"
        for e in extractions { s += "  \(e.at)  batch \(e.batchID)  \(e.how)\n" }
        s += "Batches:\n"
        for b in batches {
            s += "  \(b.id)\(b.replayOf.map { " (replay of \($0))" } ?? "")  created \(b.createdAt)  \(b.stageRuns.joined(separator: ", "))\n"
        }
        s += "Staged files (SHA-256 recorded by the stage that wrote them; checked now):\n"
        for f in files { s += "  \(f.batchID) \(f.file)  \(f.sha256)  \(f.check)\n" }
        s += "Map entries applied (transform/invoice-lines.csv; tags from extract/records.jsonl):\n"
        if mapEntries.isEmpty { s += "  none (no expense line was mapped)\n" }
        for m in mapEntries {
            let tag = m.tagLevels.isEmpty ? (m.tag.isEmpty ? "no tag" : "tag \(m.tag)") : "tag \(m.tag) (\(m.tagLevels.joined(separator: ", ")))"
            s += "  \(m.batchID) \(m.invoiceNumber.isEmpty ? "-" : m.invoiceNumber) line \(m.line) [\(m.transactionID)]: category \(m.category) GL \(m.glCode) → main account \(m.mainAccount.isEmpty ? "-" : m.mainAccount); "
            s += "\(tag) → dimensions \(m.dimensions.isEmpty ? "-" : m.dimensions); vendor \(m.vendor.isEmpty ? "-" : m.vendor) (\(m.company)); \(m.amount) \(m.currency); \(m.status)\n"
        }
        s += "Documents staged for load (transform/invoices.json):\n"
        if stagedDocuments.isEmpty { s += "  none\n" }
        for d in stagedDocuments {
            s += "  \(d.batchID) \(d.key)  \(d.company) vendor \(d.vendor)  \(d.total) \(d.currency)  \(d.lines) line(s)  dimensions \(d.dimensions.isEmpty ? "-" : d.dimensions)\n"
        }
        s += "ERP documents:\n"
        if documents.isEmpty { s += "  none\n" }
        for d in documents {
            s += "  \(d.key)  \(d.state.rawValue)  HeaderReference \(d.erpReference ?? "-")  \(d.company) \(d.vendor) \(d.total) \(d.currency)  batch \(d.batchID)"
            s += "\(d.loadedAt.map { "  loaded \($0)" } ?? "")\(d.error.map { "  error: \($0)" } ?? "")\n"
        }
        s += "Document events (what was sent and what the ERP answered):\n"
        if documentEvents.isEmpty { s += "  none\n" }
        for e in documentEvents { s += "  \(e.at) \(e.entityID) \(e.event) [\(e.batchID ?? "-") \(e.stage ?? "-")] \(e.detail)\n" }
        s += "Failed HTTP attempts during its batches:\n"
        if httpFailures.isEmpty { s += "  none\n" }
        for e in httpFailures { s += "  \(e.at) \(e.entityID) \(e.event) [\(e.batchID ?? "-") \(e.stage ?? "-")] \(e.detail)\n" }
        if httpFailuresOmitted > 0 { s += "  … and \(httpFailuresOmitted) more\n" }
        s += "Report events:\n"
        for e in reportEvents { s += "  \(e.at) \(e.event) [\(e.batchID ?? "-") \(e.stage ?? "-")] \(e.detail)\n" }
        return s
    }
}

extension PipelineContext {
    /// Most failed HTTP attempts listed per report trail.
    static let auditHTTPLimit = 200

    /// The whole trail of one report, from the ledger and the staged files of its batches. Reads only.
    /// - Throws: `report.unknown` when the ledger does not know it.
    public func auditTrail(reportID: String) throws -> ReportAuditTrail {
        guard let report = try ledger.report(reportID) else {
            throw ConnectorError(ErrorCode.reportUnknown, "Report \(reportID) is not in the ledger (see 'ml-connector status' for the reports it knows).",
                                 context: ["report": reportID])
        }
        let extractionEvents = try ledger.extractions(of: reportID)
        let extractions = extractionEvents.compactMap { e in
            e.batchID.map { ReportAuditTrail.Extraction(batchID: $0, at: e.at, how: e.detail.isEmpty ? e.event : e.detail) }
        }
        let documents = try ledger.documents(reportID: reportID)
        var batchIDs = Set(extractions.map(\.batchID))
        batchIDs.formUnion(documents.map(\.batchID))

        var batches: [ReportAuditTrail.BatchInfo] = []
        var files: [ReportAuditTrail.FileHash] = []
        var entries: [ReportAuditTrail.MapEntry] = []
        var staged: [ReportAuditTrail.StagedDocument] = []
        var http: [AuditEvent] = []
        var httpTotal = 0
        var documentEvents: [AuditEvent] = []
        let keys = documents.map(\.key)
        for batchID in batchIDs.sorted() {
            guard let batch = try ledger.batch(batchID) else { continue }
            let runs = try ledger.stageRuns(batchID: batchID)
            batches.append(.init(id: batchID, createdAt: batch.createdAt, replayOf: batch.replayOf,
                                 stageRuns: runs.map { "\($0.stage.rawValue) \($0.outcome.rawValue)" }))
            let layout = self.layout(batchID)
            for stage in Stage.allCases {
                guard let run = runs.last(where: { $0.stage == stage && $0.outcome == .succeeded }) else { continue }
                for (name, hash) in run.files.sorted(by: { $0.key < $1.key }) {
                    let url = layout.stageDirectory(stage).appendingPathComponent(name)
                    let check: String
                    if !FileManager.default.fileExists(atPath: url.path) {
                        check = "missing"
                    } else {
                        check = (try? StagedFile.sha256(of: url)) == hash ? "ok" : "changed"
                    }
                    files.append(.init(batchID: batchID, file: "\(stage.rawValue)/\(name)", sha256: hash, check: check))
                }
            }
            if runs.contains(where: { $0.stage == .transform && $0.outcome == .succeeded }) {
                let tags = expenseTags(reportID: reportID, layout: layout)
                entries += mapEntries(reportID: reportID, batchID: batchID, layout: layout, tags: tags)
                staged += stagedDocuments(reportID: reportID, batchID: batchID, layout: layout)
            }
            documentEvents += try ledger.auditEvents(batchID: batchID, entityType: "document", entityIDs: keys)
            let left = Self.auditHTTPLimit - http.count
            if left > 0 { http += try ledger.auditEvents(batchID: batchID, entityType: "http", limit: left) }
            httpTotal += try ledger.auditEventCount(batchID: batchID, entityType: "http")
        }
        // Document events recorded without a batch (none today) or in batches not above.
        documentEvents.sort { $0.id < $1.id }
        return ReportAuditTrail(report: report, drop: try ledger.drop(reportID), extractions: extractions, batches: batches, files: files,
                                mapEntries: entries, stagedDocuments: staged, documents: documents, documentEvents: documentEvents,
                                httpFailures: http, httpFailuresOmitted: max(0, httpTotal - http.count),
                                reportEvents: try ledger.auditEvents(entityID: reportID).filter { $0.entityType == "report" })
    }

    /// transactionID → (tag, `name=glCode` levels) of the report's expenses in the batch's `records.jsonl`.
    private func expenseTags(reportID: String, layout: BatchLayout) -> [String: (String, [String])] {
        guard var reader = try? JSONLinesReader<ExtractedReport>(layout.recordsFile) else { return [:] }
        defer { reader.close() }
        while let record = try? reader.next() {
            guard let report = record.report, report.reportID == reportID else { continue }
            var out: [String: (String, [String])] = [:]
            for e in report.expenses {
                out[e.transactionID] = (e.tag, e.tagLevels.map { "\($0.name)=\($0.glCode)" })
            }
            return out
        }
        return [:]
    }

    private func mapEntries(reportID: String, batchID: String, layout: BatchLayout,
                            tags: [String: (String, [String])]) -> [ReportAuditTrail.MapEntry] {
        guard let data = try? Data(contentsOf: layout.linesCSV) else { return [] }
        return CSVReader.rows(data).filter { $0["report_id"] == reportID }.map { row in
            let id = row["transaction_id"] ?? ""
            return ReportAuditTrail.MapEntry(
                batchID: batchID, invoiceNumber: row["invoice_number"] ?? "", line: row["line"] ?? "", transactionID: id,
                category: row["category"] ?? "", glCode: row["gl_code"] ?? "", mainAccount: row["main_account"] ?? "",
                tag: tags[id]?.0 ?? "", tagLevels: tags[id]?.1 ?? [], dimensions: row["dimensions"] ?? "", vendor: row["vendor"] ?? "",
                company: row["company"] ?? "", amount: row["amount"] ?? "", currency: row["currency"] ?? "", status: row["status"] ?? "")
        }
    }

    private func stagedDocuments(reportID: String, batchID: String, layout: BatchLayout) -> [ReportAuditTrail.StagedDocument] {
        guard var reader = try? JSONArrayReader(url: layout.invoicesFile) else { return [] }
        defer { reader.close() }
        var out: [ReportAuditTrail.StagedDocument] = []
        while let element = try? reader.next() {
            guard let doc = try? JSONDecoder().decode(InvoiceDocument.self, from: element), doc.reportID == reportID else { continue }
            out.append(.init(batchID: batchID, key: doc.key, company: doc.company, vendor: doc.vendorAccount, currency: doc.currency,
                             total: doc.total, lines: doc.lines.count, dimensions: doc.dimensionDisplayValue))
        }
        return out
    }
}
