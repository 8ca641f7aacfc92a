import Foundation

/// How a stage run ended, as the ledger records it.
public enum StageOutcome: String, Sendable, Codable, CaseIterable {
    /// Started and not finished; after a crash, the stage is rerun.
    case running
    /// Finished; its files and their hashes are recorded.
    case succeeded
    /// Stopped with an error; nothing half-done, rerun it.
    case failed
    /// Stopped by SIGINT/SIGTERM before it finished (what it confirmed stays recorded), or left `running` by a process
    /// that died and found so by the next run.
    case interrupted
}
