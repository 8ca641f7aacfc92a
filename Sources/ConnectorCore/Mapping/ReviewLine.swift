import Foundation

/// One expense as finance reviews it in `invoice-lines.csv`, whether it is posted or not.
public struct ReviewLine: Sendable, Hashable {
    public var company: String
    public var currency: String
    public var reportID: String
    public var invoiceNumber: String
    public var document: String
    public var vendor: String
    public var employee: String
    public var line: String
    public var transactionID: String
    public var expenseDate: String
    public var merchant: String
    public var category: String
    public var glCode: String
    public var mainAccount: String
    public var dimensions: String
    public var amount: String
    public var originalAmount: String
    public var originalCurrency: String
    public var reimbursable: Bool
    public var status: String
}
