import ConnectorCore
import ConnectorLedger
import Foundation
import Logging

extension PipelineContext {
    /// Stops retrying a held or failed report: from the next extract it is no longer asked for by ID, and a copy
    /// that comes back in an export is skipped. Audited; final.
    public func drop(reportID: String, reason: String) throws -> DropSummary {
        let d = try ledger.dropReport(reportID, reason: reason, audit: audit(nil, nil))
        logger.info("report dropped", metadata: ["expensify.report": "\(reportID)", "report.state": "\(d.stateAtDrop)"])
        return DropSummary(drop: d, stillRetried: try ledger.openReportCount())
    }

    /// extract → transform → load → commit, stopping at the first stage that fails.
    ///
    /// With review required, batches finance signed off since the last run are loaded and committed first, so the
    /// nightly job (or `schedule`) carries approved work through without an operator; a new batch then leaves out
    /// the reports still waiting in a batch under review.
    public func run() async throws -> RunSummary {
        let approved = config.reviewRequired ? try await loadApprovedBatches() : []
        let e = try await extract()
        var s = try await finishRun(e)
        s.approvedBatchesLoaded = approved
        return s
    }

    /// Loads and commits every batch whose newest review decision is a sign-off and which no load has run for yet,
    /// oldest first. `load` verifies the sign-off (files and totals) as when run by hand.
    func loadApprovedBatches() async throws -> [ApprovedBatchLoad] {
        var out: [ApprovedBatchLoad] = []
        for d in try ledger.batches(inReview: .approved).reversed()
        where try !ledger.stageRuns(batchID: d.batchID).contains(where: { $0.stage >= .load }) {
            logger.info("loading a batch finance signed off", metadata: ["batch.id": "\(d.batchID)", "review.by": "\(d.by ?? "")"])
            let l = try await load(batchID: d.batchID)
            let c = try await commit(batchID: d.batchID)
            let r = await reconcileAfterLoad(batchID: d.batchID)
            out.append(ApprovedBatchLoad(batchID: d.batchID, approvedBy: d.by, approvedAt: d.at, load: l, commit: c, reconciliation: r))
        }
        return out
    }

    /// Reports staged in a batch that waits for finance (awaiting review, or signed off and not loaded yet): a new
    /// batch leaves them out, so finance never reviews the same report twice; they come back if the batch is rejected.
    func reportsUnderReview() throws -> Set<String> {
        var out = Set<String>()
        let waiting = try ledger.batches(inReview: .awaiting) + ledger.batches(inReview: .approved)
        for d in waiting where try !ledger.stageRuns(batchID: d.batchID).contains(where: { $0.stage >= .load }) {
            out.formUnion(try ledger.reports(lastBatchID: d.batchID).map(\.reportID))
        }
        return out
    }

    /// transform → load → commit for a batch just extracted (by `run` or `replay`).
    func finishRun(_ e: ExtractSummary) async throws -> RunSummary {
        let t = try await transform(batchID: e.batchID)
        if config.reviewRequired && t.totals.reduce(0, { $0 + $1.documents }) > 0 {
            // Review required: the batch waits for finance's sign-off; `load` then `commit` take it on (README, Finance review).
            try ledger.markAwaitingReview(batchID: e.batchID, reason: "review required: run stopped after transform", audit: audit(e.batchID, nil))
            writeBatchReportAfterStage(e.batchID)
            logger.info("batch awaits review", metadata: ["batch.id": "\(e.batchID)"])
            return RunSummary(
                extract: e, transform: t, load: .notRun(e.batchID), commit: .notRun(e.batchID),
                stagingDirectory: layout(e.batchID).batchDirectory.path, peakMemoryMB: PeakMemory.megabytes(), awaitingReview: true,
                reviewCommands: Self.reviewCommands(e.batchID))
        }
        let l = try await load(batchID: e.batchID)
        let c = try await commit(batchID: e.batchID)
        var summary = RunSummary(
            extract: e, transform: t, load: l, commit: c,
            stagingDirectory: layout(e.batchID).batchDirectory.path, peakMemoryMB: PeakMemory.megabytes())
        // Three-way reconciliation after load (`reconcile.afterLoad`); it never fails the run.
        summary.reconciliation = await reconcileAfterLoad(batchID: e.batchID)
        return summary
    }
}
