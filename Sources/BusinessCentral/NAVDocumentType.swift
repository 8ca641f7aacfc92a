import Foundation

/// What a report becomes in Business Central or NAV (`target.document`).
public enum NAVDocumentType: String, Sendable, Codable, CaseIterable {
    /// A draft purchase invoice to the employee's vendor, one G/L account line per expense.
    case purchaseInvoice
    /// General journal lines to the mapped G/L accounts, balanced to a configured account.
    case generalJournal
}
