import Foundation

/// One expense as finance reviews it in `invoice-lines.csv`, whether it is posted or not.
public struct ReviewLine: Sendable, Hashable {
    /// The target company ("" when the policy is not mapped).
    public var company: String
    /// The report currency, in which `amount` is written.
    public var currency: String
    /// The Expensify report.
    public var reportID: String
    /// The document key the expense posts under ("" when not posted).
    public var invoiceNumber: String
    /// `employee` or `company card`, the payable it belongs to.
    public var document: String
    /// The vendor account of that document.
    public var vendor: String
    /// The submitter's e-mail.
    public var employee: String
    /// The line number on the document ("" when not posted).
    public var line: String
    /// The Expensify expense.
    public var transactionID: String
    /// The expense day (`yyyy-MM-dd` when readable, else as sent).
    public var expenseDate: String
    /// The merchant, as edited when it was.
    public var merchant: String
    /// The expense category.
    public var category: String
    /// The category's GL code, which chose the main account.
    public var glCode: String
    /// The main account it posts to ("" when not resolved).
    public var mainAccount: String
    /// The line's dimensions as the target writes them.
    public var dimensions: String
    /// The amount in the report currency ("" when it cannot be computed).
    public var amount: String
    /// The amount as entered, in the expense's own currency.
    public var originalAmount: String
    /// The currency the expense was entered in.
    public var originalCurrency: String
    /// False for company card spend.
    public var reimbursable: Bool
    /// `to post`, `company card, not posted` or `held: …` with the reasons.
    public var status: String
}
