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
    public func run() async throws -> RunSummary {
        let e = try await extract()
        return try await finishRun(e)
    }

    /// transform → load → commit for a batch just extracted (by `run` or `replay`).
    func finishRun(_ e: ExtractSummary) async throws -> RunSummary {
        let t = try await transform(batchID: e.batchID)
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
