import Foundation

/// How a report's journal lines are balanced (`target.journal.balancing`).
public enum NAVBalancing: String, Sendable, Codable, CaseIterable {
    /// One extra line to the balancing account for the report total (the default).
    case perReport
    /// Each expense line carries the balancing account itself.
    case perLine
}
