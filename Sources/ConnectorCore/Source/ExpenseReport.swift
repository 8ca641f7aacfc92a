import Foundation

/// One expense report from the source, as extract normalised it (`extract/records.jsonl`): what "no value" means is
/// already decided (absent text is "", an amount not sent is nil), so the mapping rules never see a wire format.
/// Amounts are the source's hundredths (integer "cents" whatever the currency).
public struct ExpenseReport: Sendable, Hashable, Codable {
    public var reportID: String
    public var reportName: String
    public var policyID: String
    public var policyName: String
    /// The state as the source shows it (`Approved`, `Reimbursed`, ...).
    public var status: String
    public var currency: String
    public var total: Int64?
    public var created: String
    public var submitted: String
    public var approved: String
    public var accountEmail: String
    public var managerEmail: String
    public var submitterFullName: String
    public var expenses: [Expense]

    public init(reportID: String, reportName: String, policyID: String, policyName: String, status: String, currency: String,
                total: Int64?, created: String, submitted: String, approved: String, accountEmail: String, managerEmail: String,
                submitterFullName: String, expenses: [Expense]) {
        self.reportID = reportID; self.reportName = reportName; self.policyID = policyID; self.policyName = policyName
        self.status = status; self.currency = currency; self.total = total; self.created = created; self.submitted = submitted
        self.approved = approved; self.accountEmail = accountEmail; self.managerEmail = managerEmail
        self.submitterFullName = submitterFullName; self.expenses = expenses
    }
}

/// One level of a multi-level tag (`Department:CostCenter`) with its GL code, which usually is the dimension value.
public struct ExpenseTag: Sendable, Hashable, Codable {
    public var name: String
    public var glCode: String

    public init(name: String, glCode: String) {
        self.name = name
        self.glCode = glCode
    }
}

/// One expense of a report, normalised by extract.
public struct Expense: Sendable, Hashable, Codable {
    public var transactionID: String
    public var amount: Int64?
    public var currency: String
    /// In the report currency, edits included; nil when not sent. 0 is a real zero (the expense is held).
    public var convertedAmount: Int64?
    /// Exact decimal text, informational (amounts come converted in `convertedAmount`); nil when not sent or 0.
    public var currencyConversionRate: String?
    /// The edited amount in the expense currency; nil when not modified.
    public var modifiedAmount: Int64?
    public var merchant: String
    /// "" when not edited.
    public var modifiedMerchant: String
    public var created: String
    /// "" when not edited.
    public var modifiedCreated: String
    public var category: String
    public var categoryGlCode: String
    public var tag: String
    public var tagGlCode: String
    /// Tag levels with their GL codes, in level order; empty names dropped at the end.
    public var tagLevels: [ExpenseTag]
    public var comment: String
    public var reimbursable: Bool
    public var billable: Bool
    public var receiptURL: String

    public init(transactionID: String, amount: Int64?, currency: String, convertedAmount: Int64?, currencyConversionRate: String? = nil,
                modifiedAmount: Int64?, merchant: String, modifiedMerchant: String, created: String, modifiedCreated: String,
                category: String, categoryGlCode: String, tag: String, tagGlCode: String, tagLevels: [ExpenseTag], comment: String,
                reimbursable: Bool, billable: Bool, receiptURL: String) {
        self.transactionID = transactionID; self.amount = amount; self.currency = currency; self.convertedAmount = convertedAmount
        self.currencyConversionRate = currencyConversionRate; self.modifiedAmount = modifiedAmount; self.merchant = merchant
        self.modifiedMerchant = modifiedMerchant; self.created = created; self.modifiedCreated = modifiedCreated
        self.category = category; self.categoryGlCode = categoryGlCode; self.tag = tag; self.tagGlCode = tagGlCode
        self.tagLevels = tagLevels; self.comment = comment; self.reimbursable = reimbursable; self.billable = billable
        self.receiptURL = receiptURL
    }
}
