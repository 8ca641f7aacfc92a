import Foundation

/// The stages of a batch, in order; each reads the previous one's staged files and can be rerun by hand.
public enum Stage: String, Sendable, Codable, CaseIterable, Comparable {
    case extract
    case transform
    case load
    case commit

    /// The stage whose successful run this one needs.
    public var predecessor: Stage? {
        switch self {
        case .extract: return nil
        case .transform: return .extract
        case .load: return .transform
        case .commit: return .load
        }
    }

    public static func < (a: Stage, b: Stage) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// How a stage run ended, as the ledger records it.
public enum StageOutcome: String, Sendable, Codable, CaseIterable {
    case running
    case succeeded
    case failed
    /// Stopped by SIGINT/SIGTERM before it finished (what it confirmed stays recorded), or left `running` by a process
    /// that died and found so by the next run.
    case interrupted
}
