import Foundation

/// One expense report from the source, as extract normalised it (`extract/records.jsonl`): what "no value" means is
/// already decided (absent text is "", an amount not sent is nil), so the mapping rules never see a wire format.
/// Amounts are the source's hundredths (integer "cents" whatever the currency).
public struct ExpenseReport: Sendable, Hashable, Codable {
    /// Expensify's report ID, from which the stable document keys derive.
    public var reportID: String
    /// The report's title, carried into the document description.
    public var reportName: String
    /// The policy, which picks the company.
    public var policyID: String
    /// The policy's name, for messages about an unmapped policy.
    public var policyName: String
    /// The state as the source shows it (`Approved`, `Reimbursed`, ...).
    public var status: String
    /// The report currency, which becomes the document currency.
    public var currency: String
    /// Expensify's approved total in hundredths, reconciled against the lines; nil when not sent.
    public var total: Int64?
    /// When the report was created, as sent; kept in the record, no rule reads it.
    public var created: String
    /// When it was submitted, for `invoice.dateFrom` `submitted`.
    public var submitted: String
    /// When it was approved: the default document date and what moves the watermark.
    public var approved: String
    /// The submitter's e-mail, which finds the employee's vendor.
    public var accountEmail: String
    /// The approver's e-mail, kept in the record for review; no rule reads it.
    public var managerEmail: String
    /// The submitter's name, kept in the record for review; no rule reads it.
    public var submitterFullName: String
    /// The report's expenses in export order, which becomes line order.
    public var expenses: [Expense]

    /// Memberwise, for the source decoder and tests.
    public init(
        reportID: String, reportName: String, policyID: String, policyName: String, status: String, currency: String,
        total: Int64?, created: String, submitted: String, approved: String, accountEmail: String, managerEmail: String,
        submitterFullName: String, expenses: [Expense]
    ) {
        self.reportID = reportID
        self.reportName = reportName
        self.policyID = policyID
        self.policyName = policyName
        self.status = status
        self.currency = currency
        self.total = total
        self.created = created
        self.submitted = submitted
        self.approved = approved
        self.accountEmail = accountEmail
        self.managerEmail = managerEmail
        self.submitterFullName = submitterFullName
        self.expenses = expenses
    }
}
