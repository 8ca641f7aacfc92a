import Foundation

/// One line of `extract/records.jsonl`: a report as extract read it from the source, or only the problems that kept
/// it from being read, so transform reads one file with one decoder and never looks at the source's wire format.
public struct ExtractedReport: Sendable, Hashable, Codable {
    /// Position in the batch's export (0-based), to name a record that has no readable ID (`export[<n>]`).
    public var index: Int
    /// nil when the element could not be read at all (malformed JSON, not an object).
    public var report: ExpenseReport?
    /// Problems found while reading it; a report with any is held, never guessed.
    public var issues: [RecordIssue]

    /// Memberwise, for extract and tests.
    public init(index: Int, report: ExpenseReport?, issues: [RecordIssue]) {
        self.index = index
        self.report = report
        self.issues = issues
    }
}
