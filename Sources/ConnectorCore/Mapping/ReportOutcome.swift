import Foundation

/// What transform decided for one report.
public struct ReportOutcome: Sendable {
    /// Whether the report posts, waits for a fix, or has nothing to post.
    public enum Status: String, Sendable {
        /// Mapped to documents that load will write.
        case ready
        /// An issue holds the whole report until it is fixed; re-fetched every run.
        case held
        /// Nothing to post (no expenses, or only omitted card spend); labelled like a posted report.
        case empty
    }

    /// The report decided on.
    public var reportID: String
    /// What transform decided.
    public var status: Status
    /// What load will write; empty unless `ready`.
    public var documents: [InvoiceDocument]
    /// One review row per expense, posted or not, for `invoice-lines.csv`.
    public var lines: [ReviewLine]
    /// Every problem found, for `exceptions.csv`; any one holds the whole report.
    public var issues: [RecordIssue]
    /// Summary for `reports.csv` and the ledger.
    public var company: String
    /// The submitter's e-mail.
    public var employee: String
    /// The Expensify policy.
    public var policyID: String
    /// Approval day (`yyyy-MM-dd`), which moves the watermark.
    public var approved: String
    /// The report currency (as sent when it is not a valid code).
    public var currency: String
    /// The total Expensify approved, in the report currency, to reconcile against.
    public var expensifyTotal: String
    /// Why it is held or empty, in one line; "" when ready.
    public var reason: String
}
