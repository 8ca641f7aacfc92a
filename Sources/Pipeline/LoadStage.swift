import ConnectorCore
import ConnectorStaging
import Foundation
import Logging

/// What `load` did.
public struct LoadSummary: Sendable, Codable {
    public var batchID: String
    public var documents: Int
    public var created: Int
    public var completed: Int
    public var alreadyPresent: Int
    public var skippedLoaded: Int
    public var failed: Int
    public var locked: Int
    /// Documents already posted whose report Expensify has since changed (never reposted; for finance).
    public var changedAfterLoad: Int
    public var httpRequests: Int

    /// One line for the operator.
    public var text: String {
        "Batch \(batchID): \(created) created, \(completed) completed, \(alreadyPresent + skippedLoaded) already in the target, \(failed) failed, \(locked) locked; \(httpRequests) HTTP request(s)\n"
    }
}

/// Collects results from concurrent loads and records each in the ledger at once.
actor LoadRecorder {
    var results: [String: DocumentLoadResult] = [:]
    func add(_ r: DocumentLoadResult) { results[r.key] = r }
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
            // What results.csv and the report states need, not whole documents (memory stays flat).
            struct Brief { var reportID, company, vendor, currency, total: String; var lines: Int }
            var documents: [String: Brief] = [:]
            var skipped = 0
            var changed = 0

            var reader = try JSONArrayReader(url: layout.invoicesFile)
            defer { reader.close() }
            var windowDocs: [InvoiceDocument] = []
            func flush() async throws {
                guard !windowDocs.isEmpty else { return }
                let existing = try await target.findExisting(windowDocs)
                try ledger.setDocumentStates(windowDocs.map { ($0.key, existing[$0.key]?.erpReference) }, state: .loading, batchID: batchID, audit: a)
                let ledger = self.ledger
                await target.loadAll(windowDocs, existing: existing, concurrency: config.concurrency) { result in
                    // Interrupted (SIGINT/SIGTERM): a document not confirmed stays `loading`, so the next run looks it up
                    // (its request may have reached the target) instead of taking a cancelled request for a failure.
                    if Task.isCancelled && !result.isConfirmed && result.status != .locked {
                        try? ledger.audit(a, entityType: "document", entityID: result.key, event: "document.interrupted",
                                          detail: "not confirmed when the load was interrupted; looked up on the next run")
                        return
                    }
                    let state: DocumentState
                    switch result.status {
                    case .created, .completed, .alreadyPresent: state = .loaded
                    case .locked: state = .locked
                    case .failed: state = .failed
                    }
                    let err = result.errorMessage.map { "\(result.errorCode ?? "error"): \($0)" }
                    try? ledger.setDocumentState(result.key, state: state, erpReference: result.erpReference, error: err, batchID: batchID, audit: a)
                    await recorder.add(result)
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
                documents[doc.key] = Brief(reportID: doc.reportID, company: doc.company, vendor: doc.vendorAccount,
                                           currency: doc.currency, total: doc.total, lines: doc.lines.count)
                let record = try ledger.registerDocument(doc, batchID: batchID, audit: a)
                if record.state == .loaded {
                    skipped += 1
                    var result = DocumentLoadResult(key: doc.key, status: .alreadyPresent, erpReference: record.erpReference, linesWritten: 0)
                    if record.total != doc.total || record.lineCount != doc.lines.count || record.vendor != doc.vendorAccount {
                        // Expensify changed a report after it was posted: never post it again, but tell finance.
                        result.errorCode = ErrorCode.changedAfterLoad
                        result.errorMessage = "Expensify now gives \(doc.total) \(doc.currency) in \(doc.lines.count) line(s) to \(doc.vendorAccount); the target holds \(record.total) \(record.currency) in \(record.lineCount) line(s) to \(record.vendor) (\(record.erpReference ?? "-")). Not posted again; correct it by hand."
                        changed += 1
                        try ledger.audit(a, entityType: "document", entityID: doc.key, event: "document.changed_after_load", detail: result.errorMessage ?? "")
                        logger.warning("report changed after it was posted", metadata: ["document.key": "\(doc.key)", "batch.id": "\(batchID)"])
                    }
                    await recorder.add(result)
                    continue
                }
                windowDocs.append(doc)
                if windowDocs.count >= window { try await flush() }
            }
            try await flush()

            // Report states: loaded when every document of the report is confirmed.
            let results = await recorder.results
            var byReport: [String: [DocumentLoadResult]] = [:]
            for (key, r) in results { if let d = documents[key] { byReport[d.reportID, default: []].append(r) } }
            for (reportID, rs) in byReport.sorted(by: { $0.key < $1.key }) {
                if rs.allSatisfy(\.isConfirmed) {
                    try ledger.setReportState(reportID, state: .loaded, reason: nil, audit: a)
                } else {
                    let why = rs.compactMap { r in r.errorMessage.map { "\(r.key): \($0)" } }.joined(separator: "; ")
                    try ledger.setReportState(reportID, state: .failed, reason: why.isEmpty ? "not confirmed by the target" : why, audit: a)
                }
            }

            // results.csv in key order, whatever order the concurrent writes finished in.
            var csv = CSVWriter(columns: Self.resultColumns, style: csvStyle)
            var counts: [String: Int] = ["documents": results.count, "skipped_loaded": skipped, "changed_after_load": changed]
            for key in results.keys.sorted() {
                let r = results[key]!
                let d = documents[key]
                let status = r.errorCode == ErrorCode.changedAfterLoad ? "changedAfterLoad" : r.status.rawValue
                counts[status, default: 0] += 1
                csv.append(["invoice_number": key, "report_id": d?.reportID ?? "", "company": d?.company ?? "", "vendor": d?.vendor ?? "",
                            "currency": d?.currency ?? "", "total": d?.total ?? "", "lines": String(d?.lines ?? 0),
                            "status": status, "erp_reference": r.erpReference ?? "", "lines_written": String(r.linesWritten),
                            "error_code": r.errorCode ?? "", "error": r.errorMessage ?? ""])
            }
            let requests = await target.requestCount()
            counts["http_requests"] = requests
            let files = ["results.csv": try StagedFile.write(csv.data, to: layout.resultsCSV)]
            let summary = LoadSummary(batchID: batchID, documents: results.count,
                                      created: results.values.filter { $0.status == .created }.count,
                                      completed: results.values.filter { $0.status == .completed }.count,
                                      alreadyPresent: results.values.filter { $0.status == .alreadyPresent }.count - skipped,
                                      skippedLoaded: skipped,
                                      failed: results.values.filter { $0.status == .failed }.count,
                                      locked: results.values.filter { $0.status == .locked }.count,
                                      changedAfterLoad: changed,
                                      httpRequests: requests)
            return (summary, counts, files)
        }
    }
}
