import ArgumentParser
import ConnectorCore
import Foundation
import Logging
import Pipeline

/// Exit codes (stable): 0 done; 1 a stage failed; 2 configuration or usage error; 3 finished, but some
/// documents failed to load and stay unlabelled for the next run; 4 another run holds the ledger; 5 a report or batch
/// named on the command line is not in the ledger; 130 interrupted by SIGINT, 143 interrupted by SIGTERM (128 + the
/// signal number: the stage is recorded `interrupted`, the ledger released, what was confirmed stays recorded).
enum Exit {
    static let stageFailed: Int32 = 1
    static let configuration: Int32 = 2
    static let partial: Int32 = 3
    /// Another run holds the ledger; nothing was done.
    static let locked: Int32 = 4
    /// The report or batch asked for (`status --report`, `audit`, `replay`, `drop`, `--batch`) is not in the ledger.
    static let notFound: Int32 = 5
    /// Stopped by SIGINT (Ctrl-C) before the work finished.
    static let interruptedBySIGINT: Int32 = 130
    /// Stopped by SIGTERM before the work finished.
    static let interruptedBySIGTERM: Int32 = 143

    /// 128 + the signal number, as a shell reports a process ended by that signal.
    static func interrupted(by signal: Int32) -> Int32 {
        switch signal {
        case SIGINT: return interruptedBySIGINT
        case SIGTERM: return interruptedBySIGTERM
        default: return 128 + signal
        }
    }

    static func code(for e: ConnectorError) -> Int32 {
        if ErrorCode.isConfiguration(e.code) || e.code == ErrorCode.ledgerEmpty { return configuration }
        if e.code == ErrorCode.ledgerLocked { return locked }
        if e.code == ErrorCode.reportUnknown || e.code == ErrorCode.batchUnknown || e.code == "drop.unknown_report" { return notFound }
        return stageFailed
    }
}
