import Foundation

/// One ERP-neutral accounting document (a pending vendor invoice in D365 F&O, a purchase invoice in BC).
///
/// Amounts are decimal text with exactly the currency's digits (`"12.50"`, `"1500"`), never floating point.
/// Dates are `yyyy-MM-dd`. `key` is stable across runs and derived from the Expensify report ID, so a rerun
/// finds the document instead of creating a second one.
public struct InvoiceDocument: Sendable, Hashable, Codable {
    /// The stable key (`EXP<reportID>`, `EXP<reportID>-CC`): the invoice number that finds the document on a rerun.
    public var key: String
    /// Whose payable it is, so card spend never lands on an employee.
    public var kind: DocumentKind
    /// The Expensify report it comes from, to label the report once the ERP confirms.
    public var reportID: String
    /// The report's title as the employee wrote it, carried into the description.
    public var reportName: String
    /// The policy the report belongs to, for the review files and the audit trail.
    public var policyID: String
    /// The target company (lower-case `dataAreaId` on F&O) it posts to.
    public var company: String
    /// The vendor the invoice is owed to: the employee's or the card issuer's.
    public var vendorAccount: String
    /// The submitter, so a held or changed invoice can be traced to a person.
    public var employeeEmail: String
    /// ISO 4217 code of every amount on the document (the report currency).
    public var currency: String
    /// The invoice date (`yyyy-MM-dd`) chosen by `invoice.dateFrom`.
    public var invoiceDate: String
    /// The accounting date (`yyyy-MM-dd`); the same day as `invoiceDate` today.
    public var postingDate: String
    /// Header text finance sees in the ERP (at most 60 characters).
    public var description: String
    /// The dimensions common to all lines, as the target's formatter writes them, for the header.
    public var dimensionDisplayValue: String
    /// The dimensions common to all lines one by one (dimension → value), for targets that set each on its own.
    public var dimensions: [String: String]?
    /// Sum of the lines, exact decimal text; a changed total marks a report changed after load.
    public var total: String
    /// The lines in expense order; line numbers start at 1.
    public var lines: [InvoiceLine]

    /// Memberwise, for the mapping, decoders and tests.
    public init(
        key: String, kind: DocumentKind, reportID: String, reportName: String, policyID: String, company: String,
        vendorAccount: String, employeeEmail: String, currency: String, invoiceDate: String, postingDate: String,
        description: String, dimensionDisplayValue: String, total: String, lines: [InvoiceLine], dimensions: [String: String]? = nil
    ) {
        self.key = key
        self.kind = kind
        self.reportID = reportID
        self.reportName = reportName
        self.policyID = policyID
        self.company = company
        self.vendorAccount = vendorAccount
        self.employeeEmail = employeeEmail
        self.currency = currency
        self.invoiceDate = invoiceDate
        self.postingDate = postingDate
        self.description = description
        self.dimensionDisplayValue = dimensionDisplayValue
        self.dimensions = dimensions
        self.total = total
        self.lines = lines
    }
}
