import ConnectorCore
import ConnectorLedger
import ConnectorStaging
import Foundation
import Logging

/// What `load` did.
public struct LoadSummary: Sendable, Codable {
    /// The batch loaded.
    public var batchID: String
    /// Documents in `invoices.json`.
    public var documents: Int
    /// Created by this run.
    public var created: Int
    /// Found with lines missing and completed.
    public var completed: Int
    /// Found complete in the ERP by their keys (a crashed run's work).
    public var alreadyPresent: Int
    /// Known to the ledger as loaded: not sent again.
    public var skippedLoaded: Int
    /// Refused or not settled: the reports stay unlabelled and are retried.
    public var failed: Int
    /// Found posted or locked: need a person.
    public var locked: Int
    /// Documents already posted whose report Expensify has since changed (never reposted; for finance).
    public var changedAfterLoad: Int
    /// Requests sent to the target (tokens included).
    public var httpRequests: Int

    /// One line for the operator.
    public var text: String {
        "Batch \(batchID): \(created) created, \(completed) completed, \(alreadyPresent + skippedLoaded) already in the target, \(failed) failed, \(locked) locked; \(httpRequests) HTTP request(s)\n"
    }
}

/// What load did with one document, whichever way it went.
public enum LoadOutcome: String, Sendable, Codable, CaseIterable {
    /// Header and all lines created by this run.
    case created
    /// Found under its stable key with lines missing; the missing lines were added.
    case completed
    /// Already in the ERP (found by its key, or loaded by an earlier run); nothing written.
    case alreadyPresent
    /// Posted earlier, but the report has changed in the source since; never posted again, for a person to correct.
    case changedAfterLoad
    /// Found posted or locked in the ERP; nothing written, needs a person.
    case locked
    /// Refused by the ERP or not settled; nothing labelled, retried next run.
    case failed
}

/// One document's load result with what finance and the ledger need to know about it: which report, to whom,
/// how much, and what happened.
public struct LoadedDocument: Sendable, Codable, Equatable {
    /// The stable key.
    public var key: String
    /// The report the document comes from.
    public var reportID: String
    /// The ERP company.
    public var company: String
    /// The vendor account it is payable to.
    public var vendor: String
    /// The document currency.
    public var currency: String
    /// Its total, exact decimal text.
    public var total: String
    /// How many lines it has.
    public var lines: Int
    /// What happened to it.
    public var outcome: LoadOutcome
    /// The ERP's key for it (`HeaderReference` on F&O), when it exists there.
    public var erpReference: String?
    /// Lines this run wrote.
    public var linesWritten: Int
    /// The stable code of what went wrong, if anything.
    public var errorCode: String?
    /// What went wrong, in words finance can act on.
    public var errorMessage: String?

    /// The target's answer for `document`; `outcome` overrides the one read from the answer.
    init(_ document: InvoiceDocument, _ result: DocumentLoadResult, outcome: LoadOutcome? = nil) {
        key = document.key
        reportID = document.reportID
        company = document.company
        vendor = document.vendorAccount
        currency = document.currency
        total = document.total
        lines = document.lines.count
        erpReference = result.erpReference
        linesWritten = result.linesWritten
        errorCode = result.errorCode
        errorMessage = result.errorMessage
        self.outcome = outcome ?? {
            switch result.status {
            case .created: return .created
            case .completed: return .completed
            case .alreadyPresent: return .alreadyPresent
            case .locked: return .locked
            case .failed: return .failed
            }
        }()
    }

    /// Whether the ERP holds the whole document, so its report may be labelled exported.
    public var isConfirmed: Bool { [.created, .completed, .alreadyPresent, .changedAfterLoad].contains(outcome) }

    /// The ledger state this outcome leaves the document in.
    var documentState: DocumentState {
        switch outcome {
        case .created, .completed, .alreadyPresent, .changedAfterLoad: return .loaded
        case .locked: return .locked
        case .failed: return .failed
        }
    }
}

/// Collects results from concurrent loads, each recorded in the ledger as it arrives.
actor LoadRecorder {
    private(set) var results: [String: LoadedDocument] = [:]
    func add(_ r: LoadedDocument) { results[r.key] = r }
}

extension PipelineContext {
    static let resultColumns = ["invoice_number", "report_id", "company", "vendor", "currency", "total", "lines", "status",
                                "erp_reference", "lines_written", "error_code", "error"]

    /// Writes the batch's documents to the target. Documents the ledger knows as loaded are never sent
    /// again; each document is looked up by its stable key first, so a rerun finds what a crashed run
    /// created instead of creating it twice.
    ///
    /// Documents go to the target in windows (`window`, else the target's `loadWindow(concurrency:)`): one
    /// lookup, then `loadAll`. Capabilities the ledger remembers for the target are handed over before the first
    /// window; what the target learns is remembered after each window (the ledger does not interpret them).
    public func load(batchID requested: String? = nil, window requestedWindow: Int? = nil) async throws -> LoadSummary {
        let batchID = try resolveBatch(requested)
        try checkRerunAllowed(.load, batchID: batchID)
        let transformRun = try requireCurrent(.transform, batchID: batchID, before: .load)
        let layout = self.layout(batchID)
        // The reviewed documents must be exactly what transform wrote.
        try verifyInputs(["invoices.json"], of: transformRun, layout: layout)
        return try await recordStage(.load, batchID: batchID) {
            try layout.ensure(.load)
            let target = try self.target(batchID: batchID, stage: .load)
            let a = audit(batchID, .load)
            let window = max(1, requestedWindow ?? target.loadWindow(concurrency: config.concurrency))
            await target.useCapabilities(try ledger.targetCapabilities(target.identity))
            let recorder = LoadRecorder()
            var skipped = 0

            var reader = try JSONArrayReader(url: layout.invoicesFile)
            defer { reader.close() }
            var windowDocs: [InvoiceDocument] = []
            func flush() async throws {
                guard !windowDocs.isEmpty else { return }
                let existing = try await target.findExisting(windowDocs)
                try ledger.setDocumentStates(windowDocs.map { ($0.key, existing[$0.key]?.erpReference) }, state: .loading, batchID: batchID, audit: a)
                let ledger = self.ledger
                let byKey = Dictionary(windowDocs.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
                await target.loadAll(windowDocs, existing: existing, concurrency: config.concurrency) { result in
                    // Interrupted (SIGINT/SIGTERM): a document not confirmed stays `loading`, so the next run looks it up
                    // (its request may have reached the target) instead of taking a cancelled request for a failure.
                    if Task.isCancelled && !result.isConfirmed && result.status != .locked {
                        try? ledger.audit(a, entityType: "document", entityID: result.key, event: "document.interrupted",
                                          detail: "not confirmed when the load was interrupted; looked up on the next run")
                        return
                    }
                    guard let document = byKey[result.key] else { return }
                    let loaded = LoadedDocument(document, result)
                    let err = result.errorMessage.map { "\(result.errorCode ?? "error"): \($0)" }
                    try? ledger.setDocumentState(result.key, state: loaded.documentState, erpReference: result.erpReference, error: err,
                                                 batchID: batchID, audit: a)
                    await recorder.add(loaded)
                }
                windowDocs.removeAll(keepingCapacity: true)
                for (name, value) in await target.learnedCapabilities().sorted(by: { $0.key < $1.key }) {
                    try ledger.rememberTargetCapability(target.identity, name: name, value: value, batchID: batchID, audit: a)
                }
                try Task.checkCancellation()
            }
            while let element = try reader.next() {
                let doc: InvoiceDocument
                do { doc = try JSONDecoder().decode(InvoiceDocument.self, from: element) } catch {
                    throw ConnectorError("staging.malformed", "invoices.json of batch \(batchID) has an unreadable document: \(error)")
                }
                let record = try ledger.registerDocument(doc, batchID: batchID, audit: a)
                if record.state == .loaded {
                    skipped += 1
                    await recorder.add(try alreadyLoaded(doc, record, batchID: batchID, audit: a))
                    continue
                }
                windowDocs.append(doc)
                if windowDocs.count >= window { try await flush() }
            }
            try await flush()

            let results = await recorder.results
            try recordReportStates(results.values, audit: a)
            let counts = Dictionary(grouping: results.values, by: \.outcome).mapValues(\.count)
            let files = ["results.csv": try StagedFile.write(resultsCSV(results), to: layout.resultsCSV)]
            let requests = await target.requestCount()
            let summary = LoadSummary(batchID: batchID, documents: results.count, created: counts[.created] ?? 0,
                                      completed: counts[.completed] ?? 0,
                                      alreadyPresent: (counts[.alreadyPresent] ?? 0) + (counts[.changedAfterLoad] ?? 0) - skipped,
                                      skippedLoaded: skipped, failed: counts[.failed] ?? 0, locked: counts[.locked] ?? 0,
                                      changedAfterLoad: counts[.changedAfterLoad] ?? 0, httpRequests: requests)
            var stageCounts = Dictionary(uniqueKeysWithValues: counts.map { ($0.key.rawValue, $0.value) })
            stageCounts["documents"] = results.count
            stageCounts["skipped_loaded"] = skipped
            stageCounts["changed_after_load"] = counts[.changedAfterLoad] ?? 0
            stageCounts["http_requests"] = requests
            return (summary, stageCounts, files)
        }
    }

    /// A document the ledger already knows as loaded: never sent again. If the report came back changed (other total,
    /// lines or vendor), it is flagged for finance and audited, but still never reposted.
    func alreadyLoaded(_ doc: InvoiceDocument, _ record: DocumentRecord, batchID: String, audit a: AuditContext) throws -> LoadedDocument {
        let result = DocumentLoadResult(key: doc.key, status: .alreadyPresent, erpReference: record.erpReference, linesWritten: 0)
        guard record.total != doc.total || record.lineCount != doc.lines.count || record.vendor != doc.vendorAccount else {
            return LoadedDocument(doc, result)
        }
        var changed = LoadedDocument(doc, result, outcome: .changedAfterLoad)
        changed.errorCode = ErrorCode.changedAfterLoad
        changed.errorMessage = "Expensify now gives \(doc.total) \(doc.currency) in \(doc.lines.count) line(s) to \(doc.vendorAccount); the target holds \(record.total) \(record.currency) in \(record.lineCount) line(s) to \(record.vendor) (\(record.erpReference ?? "-")). Not posted again; correct it by hand."
        try ledger.audit(a, entityType: "document", entityID: doc.key, event: ErrorCode.changedAfterLoad, detail: changed.errorMessage ?? "")
        logger.warning("report changed after it was posted", metadata: ["document.key": "\(doc.key)", "batch.id": "\(batchID)"])
        return changed
    }

    /// Report states: `loaded` when every document of the report is confirmed, else `failed` with the reasons.
    func recordReportStates(_ results: some Collection<LoadedDocument>, audit a: AuditContext) throws {
        for (reportID, documents) in Dictionary(grouping: results, by: \.reportID).sorted(by: { $0.key < $1.key }) {
            if documents.allSatisfy(\.isConfirmed) {
                try ledger.setReportState(reportID, state: .loaded, reason: nil, audit: a)
            } else {
                let why = documents.sorted { $0.key < $1.key }.compactMap { d in d.errorMessage.map { "\(d.key): \($0)" } }.joined(separator: "; ")
                try ledger.setReportState(reportID, state: .failed, reason: why.isEmpty ? "not confirmed by the target" : why, audit: a)
            }
        }
    }

    /// `results.csv` in key order, whatever order the concurrent writes finished in.
    func resultsCSV(_ results: [String: LoadedDocument]) -> Data {
        var csv = CSVWriter(columns: Self.resultColumns, style: csvStyle)
        for key in results.keys.sorted() {
            guard let r = results[key] else { continue }
            csv.append(["invoice_number": key, "report_id": r.reportID, "company": r.company, "vendor": r.vendor,
                        "currency": r.currency, "total": r.total, "lines": String(r.lines), "status": r.outcome.rawValue,
                        "erp_reference": r.erpReference ?? "", "lines_written": String(r.linesWritten),
                        "error_code": r.errorCode ?? "", "error": r.errorMessage ?? ""])
        }
        return csv.data
    }
}
