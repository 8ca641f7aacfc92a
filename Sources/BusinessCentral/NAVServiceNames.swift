import Foundation

/// The `target.services` object: the names under which the NAV pages are published as web services (Web Services
/// page in NAV). Defaults are the names the README's setup list asks for.
public struct NAVServiceNames: Sendable, Codable, Equatable {
    /// Page 26 Vendor Card (No, Name, E_Mail, Blocked).
    public var vendors: String?
    /// Page 17 G/L Account Card (Account_Type, Direct_Posting, Blocked); pages 16/18 have no Blocked.
    public var accounts: String?
    /// Page 537 Dimension Values (Dimension_Code, Code, Blocked).
    public var dimensionValues: String?
    /// Page 51 Purchase Invoice, with its lines part.
    public var purchaseInvoice: String?
    /// The lines part of the purchase invoice page (`PurchLines`).
    public var purchaseLines: String?
    /// Page 146 Posted Purchase Invoices, where a posted draft is found again.
    public var postedPurchaseInvoices: String?
    /// The journal page: `ExpenseJournal` (a list page on table 81) over OData, `GeneralJournal` (page 39) over SOAP.
    public var journal: String?
    /// Page 20 General Ledger Entries, where posted journal documents are found again.
    public var glEntries: String?
    /// Page 5200 Employee Card (No, First_Name, Last_Name, Company_E_Mail, E_Mail, Status, Termination_Date and,
    /// where the page shows it, Manager_No), read by `employees sync`; list page 5201 has no Status.
    public var employees: String?
}

extension Optional where Wrapped == NAVServiceNames {
    /// The names with their defaults; `soap` picks page 39 for journals (it takes `CurrentJnlBatchName`).
    func resolved(soap: Bool) -> (
        vendors: String, accounts: String, dimensionValues: String, purchaseInvoice: String, purchaseLines: String,
        postedPurchaseInvoices: String, journal: String, glEntries: String, employees: String
    ) {
        let s = self
        return (
            s?.vendors ?? "VendorCard", s?.accounts ?? "GLAccountCard", s?.dimensionValues ?? "DimensionValues",
            s?.purchaseInvoice ?? "PurchaseInvoice", s?.purchaseLines ?? "PurchLines",
            s?.postedPurchaseInvoices ?? "PostedPurchaseInvoices", s?.journal ?? (soap ? "GeneralJournal" : "ExpenseJournal"),
            s?.glEntries ?? "GeneralLedgerEntries", s?.employees ?? "EmployeeCard"
        )
    }
}
