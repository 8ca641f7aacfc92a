import Foundation

/// Report state: only reports in a configured postable state (approved, reimbursed, optionally closed) are posted,
/// whatever Expensify returned, so a wrong filter or a report reopened since can never reach the ledger of the firm.
public struct ReportStateRule: Sendable {
    /// Template `status` text (as Expensify shows it) for each exporter `reportState` (expensify-api.md §9.2).
    public static let statusNames: [String: [String]] = [
        "OPEN": ["Open"], "SUBMITTED": ["Processing"], "APPROVED": ["Approved"], "REIMBURSED": ["Reimbursed"],
        "ARCHIVED": ["Closed", "Archived"],
    ]

    /// The configured states that may be posted (the others are dropped at init).
    public let allowed: [String]
    /// The status texts of the allowed states, and the same in ASCII lower case.
    private let accepted: [String]
    private let acceptedLowercase: Set<String>

    /// - Parameter states: the configured `expensify.reportStates`.
    public init(states: [String]) {
        allowed = states.filter { ConnectorConfig.postableStates.contains($0) }
        accepted = allowed.flatMap { Self.statusNames[$0] ?? [] }
        acceptedLowercase = Set(accepted.map { $0.lowercased() })
    }

    /// Why the report must not be posted, or nil.
    public func issue(for r: ExpenseReport) -> RecordIssue? {
        let status = r.status.trimmedWhitespace
        // ASCII text: case-insensitive equality is equality of the lower-case forms (Foundation's comparison beyond).
        if status.utf8.allSatisfy({ $0 < 0x80 }) {
            if acceptedLowercase.contains(status.lowercased()) { return nil }
        } else if accepted.contains(where: { $0.caseInsensitiveCompare(status) == .orderedSame }) {
            return nil
        }
        let state = Self.statusNames.first { $0.value.contains { $0.caseInsensitiveCompare(status) == .orderedSame } }?.key
        let shown = status.isEmpty ? "has no status" : "is '\(status)'\(state.map { " (\($0))" } ?? "")"
        return RecordIssue(
            record: r.reportID, field: "status",
            reason: "report \(shown); only \(allowed.joined(separator: ", ")) reports are posted")
    }
}
