import Foundation

/// The stages of a batch, in order; each reads the previous one's staged files and can be rerun by hand.
public enum Stage: String, Sendable, Codable, CaseIterable, Comparable {
    /// Exports reports and reads the target's master data.
    case extract
    /// Maps reports to documents and writes the review files; no network.
    case transform
    /// Writes the documents to the target, never twice.
    case load
    /// Labels confirmed reports in the source and advances the watermark.
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

    /// In run order, so "a later stage ran" is a comparison.
    public static func < (a: Stage, b: Stage) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}
