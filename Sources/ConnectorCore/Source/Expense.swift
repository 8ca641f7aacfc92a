import Foundation

/// One expense of a report, normalised by extract.
public struct Expense: Sendable, Hashable, Codable {
    /// Expensify's ID of the expense, naming it in issues and review rows.
    public var transactionID: String
    /// The amount as first entered, in hundredths of the expense currency; nil when not sent.
    public var amount: Int64?
    /// The currency the expense was entered in.
    public var currency: String
    /// In the report currency, edits included; nil when not sent. 0 is a real zero (the expense is held).
    public var convertedAmount: Int64?
    /// Exact decimal text, informational (amounts come converted in `convertedAmount`); nil when not sent or 0.
    public var currencyConversionRate: String?
    /// The edited amount in the expense currency; nil when not modified.
    public var modifiedAmount: Int64?
    /// The merchant as first entered.
    public var merchant: String
    /// "" when not edited.
    public var modifiedMerchant: String
    /// The expense date as first entered.
    public var created: String
    /// "" when not edited.
    public var modifiedCreated: String
    /// The category, which must belong to the policy.
    public var category: String
    /// The category's GL code, which selects the main account.
    public var categoryGlCode: String
    /// The full tag (`Department:CostCenter`), checked against the policy's tag list.
    public var tag: String
    /// The GL code of a single-level tag, when no levels were sent.
    public var tagGlCode: String
    /// Tag levels with their GL codes, in level order; empty names dropped at the end.
    public var tagLevels: [ExpenseTag]
    /// The employee's comment, kept in the record for review; no rule reads it.
    public var comment: String
    /// False for company card spend, which never lands on an employee's payable.
    public var reimbursable: Bool
    /// Whether the expense is billable to a client; kept in the record, no rule reads it.
    public var billable: Bool
    /// Link to the receipt, kept in the record for review; no rule reads it.
    public var receiptURL: String

    /// Memberwise, for the source decoder and tests.
    public init(
        transactionID: String, amount: Int64?, currency: String, convertedAmount: Int64?, currencyConversionRate: String? = nil,
        modifiedAmount: Int64?, merchant: String, modifiedMerchant: String, created: String, modifiedCreated: String,
        category: String, categoryGlCode: String, tag: String, tagGlCode: String, tagLevels: [ExpenseTag], comment: String,
        reimbursable: Bool, billable: Bool, receiptURL: String
    ) {
        self.transactionID = transactionID
        self.amount = amount
        self.currency = currency
        self.convertedAmount = convertedAmount
        self.currencyConversionRate = currencyConversionRate
        self.modifiedAmount = modifiedAmount
        self.merchant = merchant
        self.modifiedMerchant = modifiedMerchant
        self.created = created
        self.modifiedCreated = modifiedCreated
        self.category = category
        self.categoryGlCode = categoryGlCode
        self.tag = tag
        self.tagGlCode = tagGlCode
        self.tagLevels = tagLevels
        self.comment = comment
        self.reimbursable = reimbursable
        self.billable = billable
        self.receiptURL = receiptURL
    }
}
