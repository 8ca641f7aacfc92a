import Foundation

/// One vendor of a company as the mapping needs it: found by e-mail, refused when on hold.
public struct VendorReference: Sendable, Hashable, Codable {
    /// The vendor account number invoices are written to.
    public var account: String
    /// The vendor's name, for messages.
    public var name: String
    /// The vendor group, to match employees only among `vendors.employeeVendorGroup`.
    public var group: String
    /// The primary e-mail, matched case-insensitively to the report submitter.
    public var email: String
    /// D365 `OnHoldStatus` (`No`, `Invoice`, `All`, `Payment`, ...).
    public var onHold: String
    /// The vendor's currency, when the target reports it.
    public var currency: String?

    /// Memberwise, for targets building master data and for tests.
    public init(account: String, name: String, group: String, email: String, onHold: String, currency: String?) {
        self.account = account
        self.name = name
        self.group = group
        self.email = email
        self.onHold = onHold
        self.currency = currency
    }

    /// Invoices cannot be posted to a vendor on hold for `All` or `Invoice`.
    public var blocksInvoices: Bool { ["all", "invoice"].contains(onHold.lowercased()) }
}
