import ConnectorCore
import ConnectorLedger
import ConnectorStaging
import Foundation
import Logging

/// What `transform` decided, per company and currency.
public struct TransformSummary: Sendable, Codable {
    /// Documents, lines and amount of one company and currency.
    public struct Total: Sendable, Codable, Hashable {
        /// The ERP company.
        public var company: String
        /// The currency.
        public var currency: String
        /// Documents to post.
        public var documents: Int
        /// Their lines.
        public var lines: Int
        /// Their total, exact decimal text.
        public var amount: String
    }

    /// The batch transformed.
    public var batchID: String
    /// Records read (reports and unreadable elements).
    public var reports: Int
    /// Reports mapped to documents.
    public var ready: Int
    /// Reports held with exceptions.
    public var held: Int
    /// Reports with nothing to post.
    public var empty: Int
    /// Documents to post.
    public var documents: Int
    /// Exception rows written.
    public var exceptions: Int
    /// Control totals per company and currency.
    public var totals: [Total]

    /// Counts, then one line per company and currency, for the operator.
    public var text: String {
        var text =
            "Batch \(batchID): \(reports) report(s): \(ready) ready, \(held) held, \(empty) nothing to post; \(documents) document(s), \(exceptions) exception(s)\n"
        for t in totals { text += "  \(t.company) \(t.currency): \(t.documents) document(s), \(t.lines) line(s), \(t.amount)\n" }
        return text
    }
}

extension PipelineContext {
    /// Turns the extracted records into target documents and review files under `staging/<batch>/transform/`:
    /// read the normalised inputs, map each report by the named rules, write what finance reviews and what load sends,
    /// and record each report's decision in the ledger. Pure with respect to its inputs: the same extract files and
    /// configuration give byte-identical output.
    public func transform(batchID requested: String? = nil) async throws -> TransformSummary {
        let batchID = try resolveBatch(requested)
        // The report's sums of the staged documents, made while invoices.json is written (nil: read from the file).
        var stagedAmounts: BatchReportAmounts?
        defer { writeBatchReportAfterStage(batchID, amounts: stagedAmounts) }
        try checkRerunAllowed(.transform, batchID: batchID)
        let extractRun = try requireStage(.extract, batchID: batchID, before: .transform)
        let layout = self.layout(batchID)
        try verifyInputs([layout.recordsFile, layout.catalogFile, layout.referenceFile].map(\.lastPathComponent), of: extractRun, layout: layout)
        return try await recordStage(.transform, batchID: batchID) {
            try layout.ensure(.transform)
            let formatter = try dimensionFormatter()
            // Finance's accepted spreadsheet edits (`review import`), applied over the mapped lines.
            let overrides = try ledger.overrides(batchID: batchID)
            let mapper = ReportMapper(
                config: config, catalog: try readStaged(PolicyCatalog.self, layout.catalogFile, batchID: batchID),
                reference: try readStaged(ReferenceData.self, layout.referenceFile, batchID: batchID),
                dimensionFormatter: formatter, documentRules: try documentRules(),
                edits: overrides.isEmpty ? [:] : reviewEdits(overrides, formatter: formatter))
            let review = try ReviewFiles(layout: layout, style: csvStyle)
            let a = audit(batchID, .transform)
            // Reading and mapping run on a thread of their own, one chunk ahead of the writing here (same order).
            let mapped = MappedReports(records: layout.recordsFile, mapper: mapper)
            defer { mapped.cancel() }
            // The decisions go to the ledger in one transaction per few thousand rows (one per report was most of
            // the stage's time on a large batch), on a queue of their own; the rows are the same, in the same order.
            let ledgerWrites = BackgroundLedgerWrites(ledger: ledger, audit: a)
            defer { try? ledgerWrites.finish() }
            var writes = LedgerWrites()
            progress?.start("transform", unit: "reports", total: extractRun.counts["reports"])
            defer { progress?.finish() }
            while let chunk = try mapped.next() {
                for item in chunk {
                    switch item {
                    case .unreadable(let record):
                        review.unreadable(record)
                        writes.audit(
                            entityType: "export", entityID: "export[\(record.index)]", event: "exception",
                            detail: record.issues.map { "\($0.field): \($0.reason)" }.joined(separator: "; "))
                    case .duplicate(let reportID):
                        review.duplicate(reportID)
                    case .mapped(let outcome):
                        try review.add(outcome)
                        recordDecision(outcome, into: &writes)
                    }
                }
                if writes.count >= 4_096 { try ledgerWrites.submit(&writes) }
                progress?.advance(chunk.count)
            }
            try ledgerWrites.submit(&writes)
            try ledgerWrites.finish()
            let (files, totals) = try review.finish()
            let amounts = review.amounts.finished()
            stagedAmounts = amounts
            if let sha = files["invoices.json"] { storeReportAmounts(amounts, layout: layout, invoicesSha256: sha) }
            let c = review.counts
            let summary = TransformSummary(
                batchID: batchID, reports: c["reports"] ?? 0, ready: c["ready"] ?? 0, held: c["held"] ?? 0,
                empty: c["empty"] ?? 0, documents: c["documents"] ?? 0, exceptions: c["exceptions"] ?? 0,
                totals: totals)
            return (summary, c, files)
        }
    }

    /// A staged JSON file written by an earlier stage, decoded; `staging.malformed` naming it when it cannot be.
    func readStaged<T: Decodable>(_ type: T.Type, _ url: URL, batchID: String) throws -> T {
        do {
            return try JSONDecoder().decode(T.self, from: try Data(contentsOf: url))
        } catch {
            throw ConnectorError(
                "staging.malformed", "\(url.lastPathComponent) of batch \(batchID) cannot be read: \(error)", context: ["file": url.path])
        }
    }

    /// The report's decision for the ledger (a report the ledger does not know keeps no state), and every exception
    /// as an audit event.
    func recordDecision(_ outcome: ReportOutcome, into writes: inout LedgerWrites) {
        let state: ReportState = outcome.status == .ready ? .ready : (outcome.status == .held ? .held : .empty)
        let total = outcome.documents.first { $0.kind == .employee }?.total ?? outcome.documents.first { $0.kind == .companyCard }?.total
        writes.setReportStateIfKnown(
            outcome.reportID, state: state, reason: outcome.reason.isEmpty ? nil : outcome.reason,
            currency: outcome.currency.isEmpty ? nil : outcome.currency, total: total)
        for i in outcome.issues {
            writes.audit(entityType: "report", entityID: outcome.reportID, event: "exception", detail: "\(i.record) \(i.field): \(i.reason)")
        }
    }
}
