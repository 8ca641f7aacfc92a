import ConnectorCore
import ConnectorLedger
import Foundation
import Logging

extension PipelineContext {
    /// Called once the run lock is taken: a stage run still `running` now was left by a process that died (no live
    /// process can hold the lock besides this one), so it is recorded `interrupted`, audited and logged. Its documents
    /// stay as they were (`loading` ones are looked up by the next load).
    func closeAbandonedStageRuns(_ lock: LedgerLock) throws {
        let previous = lock.tookOverFrom.map { "pid \($0.pid), \($0.command)" } ?? "its process"
        let closed = try ledger.closeAbandonedStageRuns(
            reason: "\(previous) ended without finishing it (killed or crashed); recorded when the next run took the ledger",
            audit: audit(nil, nil))
        for run in closed {
            logger.warning(
                "a stage left running by a process that ended is recorded as interrupted",
                metadata: [
                    "batch.id": "\(run.batchID)", "stage": "\(run.stage.rawValue)", "stage_run.id": "\(run.id)",
                    "stage_run.started_at": "\(run.startedAt)",
                ])
        }
    }
}
