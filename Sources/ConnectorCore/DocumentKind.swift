import Foundation

/// Which payable a document is: what the firm owes the employee, or card spend owed to the card issuer.
public enum DocumentKind: String, Sendable, Codable, Hashable {
    /// Reimbursable spend, owed to the employee's vendor.
    case employee
    /// Company card spend, owed to the card issuer (posted only with `separateInvoice`).
    case companyCard
}
