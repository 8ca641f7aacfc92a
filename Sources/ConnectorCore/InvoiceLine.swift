import Foundation

/// One line of a document: one Expensify expense.
public struct InvoiceLine: Sendable, Hashable, Codable {
    /// 1, 2, 3, ... in expense order within the document.
    public var lineNumber: Int
    /// The Expensify expense it comes from, to trace a posted line back.
    public var transactionID: String
    /// Merchant and category, the line text finance sees in the ERP (at most 60 characters).
    public var description: String
    /// The line amount in the document currency, exact decimal text; refunds are negative.
    public var amount: String
    /// The main account the expense posts to, from its category's GL code.
    public var mainAccount: String
    /// The line's dimensions as the target's formatter writes them.
    public var dimensionDisplayValue: String
    /// The same dimensions one by one (dimension → value, blanks left out), for targets that set each dimension on
    /// its own (BC dimension set lines, NAV shortcut dimension fields).
    public var dimensions: [String: String]?
    /// The expense category, kept for the review files.
    public var category: String
    /// The merchant (edited one when edited), kept for the review files.
    public var merchant: String
    /// The day of the expense (`yyyy-MM-dd`), kept for the review files.
    public var expenseDate: String

    /// Memberwise, for the mapping, decoders and tests.
    public init(
        lineNumber: Int, transactionID: String, description: String, amount: String, mainAccount: String,
        dimensionDisplayValue: String, category: String, merchant: String, expenseDate: String, dimensions: [String: String]? = nil
    ) {
        self.lineNumber = lineNumber
        self.transactionID = transactionID
        self.description = description
        self.amount = amount
        self.mainAccount = mainAccount
        self.dimensionDisplayValue = dimensionDisplayValue
        self.dimensions = dimensions
        self.category = category
        self.merchant = merchant
        self.expenseDate = expenseDate
    }
}
