import Foundation

/// What transform decided for one report.
public struct ReportOutcome: Sendable {
    public enum Status: String, Sendable { case ready, held, empty }

    public var reportID: String
    public var status: Status
    public var documents: [InvoiceDocument]
    public var lines: [ReviewLine]
    public var issues: [RecordIssue]
    /// Summary for `reports.csv` and the ledger.
    public var company: String
    public var employee: String
    public var policyID: String
    public var approved: String
    public var currency: String
    public var expensifyTotal: String
    public var reason: String
}
