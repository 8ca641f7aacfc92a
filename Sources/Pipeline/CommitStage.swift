import ConnectorCore
import ConnectorStaging
import Foundation
import Logging

extension PipelineContext {
    /// Tells Expensify which reports are done (label `markAsExported`) — only those the ERP confirmed, or
    /// that had nothing to post — then moves the watermark forward past everything the batch saw; reports still
    /// open are re-fetched by ID (see `extract`).
    public func commit(batchID requested: String? = nil, chunkSize: Int = 200) async throws -> CommitSummary {
        let batchID = try resolveBatch(requested)
        defer { writeBatchReportAfterStage(batchID) }
        _ = try requireCurrent(.load, batchID: batchID, before: .commit)
        let layout = self.layout(batchID)
        return try await recordStage(.commit, batchID: batchID) {
            try layout.ensure(.commit)
            let a = audit(batchID, .commit)
            let dropped = try ledger.droppedIDs()
            // This batch's reports plus any earlier report that was loaded but never labelled: its label write failed, or
            // it was applied but never recorded (the process died), in which case Expensify no longer returns it to the
            // re-fetch. Labelling is idempotent, so labelling it again is safe.
            let done: [ReportState] = [.loaded, .empty]
            var toLabel = try ledger.reports(lastBatchID: batchID).filter { done.contains($0.state) }
            let mine = Set(toLabel.map(\.reportID))
            let earlier = try ledger.reports(in: done).filter { !mine.contains($0.reportID) && !dropped.contains($0.reportID) }
            if !earlier.isEmpty {
                logger.info(
                    "labelling reports of earlier batches that were posted but never labelled",
                    metadata: ["batch.id": "\(batchID)", "count": "\(earlier.count)"])
            }
            toLabel += earlier
            var labelled: [String] = []
            var requests: [String: Int] = [:]
            if !toLabel.isEmpty {
                let expensify = try expensifyClient(batchID: batchID, stage: .commit)
                let ids = toLabel.map(\.reportID)
                for start in stride(from: 0, to: ids.count, by: chunkSize) {
                    // An interruption (SIGINT/SIGTERM) lets the label request in flight finish and be recorded, then stops:
                    // a label Expensify applied but the ledger never heard of would hide the report from every re-fetch.
                    try Task.checkCancellation()
                    let chunk = Array(ids[start..<min(start + chunkSize, ids.count)])
                    let label = config.expensify.exportLabel
                    try await Task { try await expensify.markExported(reportIDs: chunk, label: label) }.value
                    for id in chunk {
                        try ledger.setReportState(id, state: .committed, reason: "labelled '\(config.expensify.exportLabel)'", audit: a)
                        labelled.append(id)
                    }
                }
                requests["requests.expensify"] = await expensify.requestCount()
            }

            // Watermark: the day before the newest approval the batch saw (approvedAfter is date-granular and
            // strictly after; the same day is read again next time, and the label filter plus the ledger drop what
            // is done). Reports still open (held, failed, not yet loaded) do not hold it back: the ledger keeps them
            // and every extract re-fetches them by ID until they post or an operator drops them, so the
            // approvedAfter window stays small. It does not move when the export may be incomplete: an element
            // without a readable report ID (not in the ledger, so not re-fetched), or a window cut by `limit`.
            let refreshed = try ledger.reports(lastBatchID: batchID)
            let open = refreshed.filter { $0.state != .committed }
            let extractCounts = try ledger.lastSucceededStage(batchID: batchID, stage: .extract)?.counts ?? [:]
            var hold: String?
            if extractCounts["unidentified", default: 0] > 0 {
                hold = "\(extractCounts["unidentified", default: 0]) export element(s) without a readable report ID"
            } else if extractCounts["limit_reached", default: 0] > 0 {
                hold = "an export window returned expensify.limit reports, so it may be incomplete"
            }
            let days = refreshed.compactMap { $0.approved.flatMap(ReportMapper.day) }
            if let source = try ledger.batch(batchID)?.replayOf {
                // A replay re-runs reports of an earlier batch; it read no date window, so it says nothing about the watermark.
                try ledger.audit(
                    a, entityType: "watermark", entityID: "expensify.approvedAfter", event: "watermark.kept",
                    detail: "replay of batch \(source): no export window was read")
            } else if let hold {
                try ledger.audit(a, entityType: "watermark", entityID: "expensify.approvedAfter", event: "watermark.kept", detail: hold)
                logger.warning("watermark kept", metadata: ["batch.id": "\(batchID)", "reason": "\(hold)"])
            } else if let newest = days.max(), let p = Day.adding(-1, to: newest) {
                try ledger.advanceWatermark(to: p, batchID: batchID, audit: a)
            }
            let wm = try ledger.watermark()

            var csv = CSVWriter(columns: ["report_id", "state", "reason"], style: csvStyle)
            for r in refreshed { csv.append(["report_id": r.reportID, "state": r.state.rawValue, "reason": r.reason ?? ""]) }
            let files = ["labelled.csv": try StagedFile.write(csv.data, to: layout.labelledCSV)]
            let summary = CommitSummary(batchID: batchID, labelled: labelled.count, notLabelled: open.count, watermark: wm)
            return (summary, ["labelled": labelled.count, "not_labelled": open.count].merging(requests) { a, _ in a }, files)
        }
    }
}
