import Foundation

/// Company cards: non-reimbursable spend never lands on an employee's payable. `omit` lists it for finance only;
/// `separateInvoice` posts it as its own document to the company's card issuer vendor.
public struct CompanyCardRule: Sendable {
    /// Status text of a card line that is listed but not posted (`omit`).
    public static let notPosted = "company card, not posted"

    /// The configured `companyCards` settings.
    public let cards: ConnectorConfig.CompanyCardSettings
    /// Checks the card issuer's vendor like any configured vendor.
    public let vendorRule: VendorRule

    /// The rule for one configuration, sharing the vendor checks of the report's mapping.
    public init(cards: ConnectorConfig.CompanyCardSettings, vendorRule: VendorRule) {
        self.cards = cards
        self.vendorRule = vendorRule
    }

    /// Whether card spend gets its own invoice (`separateInvoice`).
    public var separate: Bool { cards.mode == "separateInvoice" }

    /// Whether an expense is posted at all: reimbursable ones always, card ones only as a separate invoice.
    public func posts(_ e: Expense) -> Bool { e.reimbursable || separate }

    /// The card issuer's vendor of `company`, or why card lines cannot be posted there.
    public func issuerVendor(company: String, record: String) -> (vendor: String, issue: RecordIssue?) {
        let account = cards.issuerVendors?[company] ?? ""
        if account.isEmpty {
            return ("", RecordIssue(record: record, field: "reimbursable", reason: "company '\(company)' has no card issuer vendor configured"))
        }
        if let why = vendorRule.problem(account: account, company: company) {
            return ("", RecordIssue(record: record, field: "reimbursable", reason: "card issuer vendor \(why)"))
        }
        return (account, nil)
    }
}
