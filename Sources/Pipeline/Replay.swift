import ConnectorCore
import ConnectorLedger
import Foundation
import Logging

extension PipelineContext {
    /// Re-runs the held or failed reports of `batchID` (or only `reportID`) after the data or the maps were fixed, in a
    /// new batch linked to it in the ledger: extract asks Expensify for exactly those reports by `reportIDList` (no date
    /// window, the watermark stays), then transform, load and commit as every night. A report already posted (`loaded`,
    /// `committed`), with nothing to post (`empty`) or dropped by an operator is not replayed; load looks every document
    /// up by its stable key first, so nothing is posted twice. Audited (`batch.replay`, `report.replay`).
    /// - Throws: `batch.unknown`; `report.unknown`; `replay.not_in_batch` when the report was not extracted in that
    ///   batch; `replay.not_open` when the report asked for is posted, empty or dropped.
    public func replay(batchID: String, reportID: String? = nil) async throws -> ReplaySummary {
        guard let source = try ledger.batch(batchID) else {
            throw ConnectorError(
                ErrorCode.batchUnknown, "Batch \(batchID) is not in the ledger (see 'ml-connector status').", context: ["batch": batchID])
        }
        var candidates = try ledger.reportIDs(extractedIn: source.id)
        if let reportID {
            guard try ledger.report(reportID) != nil else {
                throw ConnectorError(ErrorCode.reportUnknown, "Report \(reportID) is not in the ledger.", context: ["report": reportID])
            }
            guard candidates.contains(reportID) else {
                let batches = try ledger.extractions(of: reportID).compactMap(\.batchID)
                throw ConnectorError(
                    "replay.not_in_batch",
                    "Report \(reportID) was not extracted in batch \(source.id) (it was in: \(Array(Set(batches)).sorted().joined(separator: ", "))).",
                    context: ["report": reportID, "batch": source.id])
            }
            candidates = [reportID]
        }
        let dropped = try ledger.droppedIDs()
        var chosen: [ReportRecord] = []
        var skipped: [ReplaySummary.Skipped] = []
        for id in candidates {
            guard let r = try ledger.report(id) else { continue }
            if dropped.contains(id) {
                skipped.append(.init(reportID: id, state: r.state.rawValue, why: "dropped by an operator"))
                continue
            }
            switch r.state {
            case .held, .failed, .extracted, .ready:
                chosen.append(r)
            case .loaded, .committed:
                skipped.append(
                    .init(reportID: id, state: r.state.rawValue, why: "already posted in the target (\(r.state.rawValue)); never posted twice"))
            case .empty:
                skipped.append(.init(reportID: id, state: r.state.rawValue, why: "nothing to post"))
            }
        }
        if let reportID, chosen.isEmpty, let why = skipped.first?.why {
            throw ConnectorError("replay.not_open", "Report \(reportID) is not replayed: \(why).", context: ["report": reportID])
        }
        guard !chosen.isEmpty else {
            return ReplaySummary(sourceBatchID: source.id, replayBatchID: nil, replayed: [], skipped: skipped, run: nil)
        }

        let newID = try newBatchID()
        let until = try today()
        let ids = chosen.map(\.reportID)
        let a = audit(newID, nil)
        try ledger.createBatch(
            id: newID, target: config.target.type, approvedAfter: nil, exportLabel: config.expensify.exportLabel,
            exportUntil: until, replayOf: source.id, audit: a)
        try ledger.audit(
            a, entityType: "batch", entityID: source.id, event: "batch.replay",
            detail: "replayed in batch \(newID): \(ids.count) report(s)\(reportID.map { " (only \($0))" } ?? "")")
        for r in chosen {
            try ledger.audit(
                a, entityType: "report", entityID: r.reportID, event: "report.replay",
                detail: "replayed from batch \(source.id) in batch \(newID) (was \(r.state.rawValue)\(r.reason.map { ": \($0)" } ?? ""))")
        }
        logger.info(
            "replaying reports of an earlier batch",
            metadata: [
                "batch.id": "\(newID)", "batch.replay_of": "\(source.id)",
                "reports": "\(ids.count)",
            ])
        let extracted = try await extractBatch(
            newID, approvedAfter: source.approvedAfter ?? "-", until: until,
            replay: ReplayPlan(source: source.id, reportIDs: ids))
        let run = try await finishRun(extracted)
        return ReplaySummary(sourceBatchID: source.id, replayBatchID: newID, replayed: ids, skipped: skipped, run: run)
    }
}
