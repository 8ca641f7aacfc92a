import ConnectorCore
import ConnectorLedger
import ConnectorStaging
import Foundation

extension PipelineContext {
    /// Most failed HTTP attempts listed per report trail.
    static let auditHTTPLimit = 200

    /// The whole trail of one report, from the ledger and the staged files of its batches. Reads only.
    /// - Throws: `report.unknown` when the ledger does not know it.
    public func auditTrail(reportID: String) throws -> ReportAuditTrail {
        guard let report = try ledger.report(reportID) else {
            throw ConnectorError(
                ErrorCode.reportUnknown, "Report \(reportID) is not in the ledger (see 'ml-connector status' for the reports it knows).",
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
            batches.append(
                .init(
                    id: batchID, createdAt: batch.createdAt, replayOf: batch.replayOf,
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
        // Document events recorded without a batch or in batches not above (a later run's read-back of the ERP status).
        let seen = Set(documentEvents.map(\.id))
        for key in keys {
            documentEvents += try ledger.auditEvents(entityID: key).filter { $0.entityType == "document" && !seen.contains($0.id) }
        }
        documentEvents.sort { $0.id < $1.id }
        return ReportAuditTrail(
            report: report, drop: try ledger.drop(reportID), extractions: extractions, batches: batches, files: files,
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

    private func mapEntries(
        reportID: String, batchID: String, layout: BatchLayout,
        tags: [String: (String, [String])]
    ) -> [ReportAuditTrail.MapEntry] {
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
            out.append(
                .init(
                    batchID: batchID, key: doc.key, company: doc.company, vendor: doc.vendorAccount, currency: doc.currency,
                    total: doc.total, lines: doc.lines.count, dimensions: doc.dimensionDisplayValue))
        }
        return out
    }
}
