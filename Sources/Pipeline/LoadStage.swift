import ConnectorCore
import ConnectorLedger
import ConnectorStaging
import Foundation
import Logging

extension PipelineContext {
    static let resultColumns = [
        "invoice_number", "report_id", "company", "vendor", "currency", "total", "lines", "status",
        "erp_reference", "lines_written", "error_code", "error",
    ]

    /// Writes the batch's documents to the target. Documents the ledger knows as loaded are never sent
    /// again; each document is looked up by its stable key first, so a rerun finds what a crashed run
    /// created instead of creating it twice.
    ///
    /// Documents go to the target in windows (`window`, else the target's `loadWindow(concurrency:)`): one
    /// lookup, then `loadAll`. Capabilities the ledger remembers for the target are handed over before the first
    /// window; what the target learns is remembered after each window (the ledger does not interpret them).
    public func load(batchID requested: String? = nil, window requestedWindow: Int? = nil) async throws -> LoadSummary {
        let batchID = try resolveBatch(requested)
        defer { writeBatchReportAfterStage(batchID) }
        try checkRerunAllowed(.load, batchID: batchID)
        let transformRun = try requireCurrent(.transform, batchID: batchID, before: .load)
        let layout = self.layout(batchID)
        // The reviewed documents must be exactly what transform wrote.
        try verifyInputs(["invoices.json"], of: transformRun, layout: layout)
        // A batch under review loads only as finance signed it off.
        try checkReviewGate(batchID: batchID, layout: layout)
        return try await recordStage(.load, batchID: batchID) {
            try layout.ensure(.load)
            let target = try self.target(batchID: batchID, stage: .load)
            let a = audit(batchID, .load)
            let window = max(1, requestedWindow ?? target.loadWindow(concurrency: config.concurrency))
            await target.useCapabilities(try ledger.targetCapabilities(target.identity))
            try await readBackDrafts(target, batchID: batchID, audit: a)
            let recorder = LoadRecorder()
            var skipped = 0
            let progress = self.progress
            progress?.start("load", unit: "documents", total: transformRun.counts["documents"])
            defer { progress?.finish() }

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
                        try? ledger.audit(
                            a, entityType: "document", entityID: result.key, event: "document.interrupted",
                            detail: "not confirmed when the load was interrupted; looked up on the next run")
                        return
                    }
                    guard let document = byKey[result.key] else { return }
                    let loaded = LoadedDocument(document, result)
                    let err = result.errorMessage.map { "\(result.errorCode ?? "error"): \($0)" }
                    try? ledger.setDocumentState(
                        result.key, state: loaded.documentState, erpReference: result.erpReference, error: err,
                        batchID: batchID, audit: a)
                    if let status = result.erpStatus {
                        try? ledger.setDocumentERPStatus(result.key, status: status, number: result.erpNumber, batchID: batchID, audit: a)
                    }
                    await recorder.add(loaded)
                    progress?.advance(1)
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
                    progress?.advance(1)
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
            let summary = LoadSummary(
                batchID: batchID, documents: results.count, created: counts[.created] ?? 0,
                completed: counts[.completed] ?? 0,
                alreadyPresent: (counts[.alreadyPresent] ?? 0) + (counts[.changedAfterLoad] ?? 0) - skipped,
                skippedLoaded: skipped, failed: counts[.failed] ?? 0, locked: counts[.locked] ?? 0,
                changedAfterLoad: counts[.changedAfterLoad] ?? 0, httpRequests: requests)
            var stageCounts = Dictionary(uniqueKeysWithValues: counts.map { ($0.key.rawValue, $0.value) })
            stageCounts["documents"] = results.count
            stageCounts["skipped_loaded"] = skipped
            stageCounts["changed_after_load"] = counts[.changedAfterLoad] ?? 0
            stageCounts["http_requests"] = requests
            stageCounts["requests.\(target.name)"] = requests
            return (summary, stageCounts, files)
        }
    }

    /// Asks the target where the drafts of earlier runs stand (posted by a person, deleted in the ERP) and records it.
    /// A read-back that fails is audited and logged; it never stops the load.
    func readBackDrafts(_ target: any TargetSystem, batchID: String, audit a: AuditContext) async throws {
        let drafts = try ledger.documentsToReadBack()
        guard !drafts.isEmpty else { return }
        do {
            let states = try await target.readBack(
                drafts.map { TrackedDocument(key: $0.key, company: $0.company, erpReference: $0.erpReference, number: $0.erpNumber) })
            for (key, state) in states.sorted(by: { $0.key < $1.key }) {
                try ledger.setDocumentERPStatus(key, status: state.status, number: state.number, batchID: batchID, audit: a)
            }
        } catch {
            try ledger.audit(a, entityType: "target", entityID: target.name, event: "readback.failed", detail: "\(error)")
            logger.warning("reading back earlier drafts failed", metadata: ["error": "\(error)", "batch.id": "\(batchID)"])
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
        changed.errorMessage =
            "Expensify now gives \(doc.total) \(doc.currency) in \(doc.lines.count) line(s) to \(doc.vendorAccount); the target holds \(record.total) \(record.currency) in \(record.lineCount) line(s) to \(record.vendor) (\(record.erpReference ?? "-")). Not posted again; correct it by hand."
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
            csv.append([
                "invoice_number": key, "report_id": r.reportID, "company": r.company, "vendor": r.vendor,
                "currency": r.currency, "total": r.total, "lines": String(r.lines), "status": r.outcome.rawValue,
                "erp_reference": r.erpReference ?? "", "lines_written": String(r.linesWritten),
                "error_code": r.errorCode ?? "", "error": r.errorMessage ?? "",
            ])
        }
        return csv.data
    }
}
