import Foundation

/// What the ERP holds now for one loaded document, read back for reconciliation: status, currency, and every line
/// with its account and exact amount. Amounts are exact decimal text in the document's currency (never `Double`).
public struct ERPDocumentSnapshot: Sendable, Hashable, Codable {
    /// The stable key the document was written under.
    public var key: String
    /// The company (legal entity) that holds it, spelled as the target spells it.
    public var company: String
    /// Draft (pending, unposted), posted, or deleted (found neither as a draft nor as posted).
    public var status: ERPDocumentStatus
    /// The ERP's number for it (draft or posted number), when known.
    public var number: String?
    /// The document's currency as the ERP holds it; nil when the ERP does not say (the local currency).
    public var currency: String?
    /// The lines as the ERP holds them, in line order. Empty for a deleted document.
    public var lines: [ERPLineSnapshot]

    /// Memberwise.
    public init(
        key: String, company: String, status: ERPDocumentStatus, number: String?, currency: String?, lines: [ERPLineSnapshot]
    ) {
        self.key = key
        self.company = company
        self.status = status
        self.number = number
        self.currency = currency
        self.lines = lines
    }
}

/// One line of an `ERPDocumentSnapshot`.
public struct ERPLineSnapshot: Sendable, Hashable, Codable {
    /// The line number the connector wrote (1-based), when the ERP keeps it; else the line's position.
    public var lineNumber: Int
    /// The main account / G/L account the line is booked to.
    public var account: String
    /// Exact decimal text, e.g. `12.34`, in the document's currency.
    public var amount: String
    /// Dimension code → value, as far as the ERP returns them (empty when it does not).
    public var dimensions: [String: String]

    /// Memberwise.
    public init(lineNumber: Int, account: String, amount: String, dimensions: [String: String] = [:]) {
        self.lineNumber = lineNumber
        self.account = account
        self.amount = amount
        self.dimensions = dimensions
    }
}
