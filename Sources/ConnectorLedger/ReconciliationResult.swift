import Foundation

/// A batch's three-way reconciliation: what Expensify approved, what was staged, and what the ERP holds now, per
/// company, currency and account, with every variance named by report and document. Amounts are exact decimal text.
public struct ReconciliationResult: Sendable, Hashable, Codable {
    /// The batch reconciled.
    public var batchID: String
    /// When the ERP was read, ISO 8601 UTC.
    public var checkedAt: String
    /// True only at zero variance.
    public var reconciled: Bool
    /// Totals rows, sorted by company, currency, account. `account` is "" on the row that totals a company and currency.
    public var totals: [ReconciliationTotal]
    /// Every variance, sorted by company, report, document.
    public var variances: [ReconciliationVariance]

    /// Memberwise.
    public init(batchID: String, checkedAt: String, reconciled: Bool, totals: [ReconciliationTotal], variances: [ReconciliationVariance]) {
        self.batchID = batchID
        self.checkedAt = checkedAt
        self.reconciled = reconciled
        self.totals = totals
        self.variances = variances
    }
}

/// One row of the three-way comparison.
public struct ReconciliationTotal: Sendable, Hashable, Codable {
    public var company: String
    public var currency: String
    /// The main account / G/L account; "" for the company-and-currency total.
    public var account: String
    /// What Expensify approved (nil where Expensify has no per-account figure).
    public var expensify: String?
    /// What the staged documents carry.
    public var staged: String
    /// What the ERP holds now.
    public var erp: String
    /// `erp - staged` (and, on total rows, any difference to Expensify), exact; "0" when none.
    public var difference: String

    /// Memberwise.
    public init(company: String, currency: String, account: String, expensify: String?, staged: String, erp: String, difference: String) {
        self.company = company
        self.currency = currency
        self.account = account
        self.expensify = expensify
        self.staged = staged
        self.erp = erp
        self.difference = difference
    }
}

/// One variance: a document missing in the ERP, extra lines there, an amount that differs, a posted document that
/// changed, or a report whose staged total differs from Expensify's.
public struct ReconciliationVariance: Sendable, Hashable, Codable {
    /// `missing`, `extra`, `amountDiffers`, `accountDiffers`, `postedWithChanges`, `expensifyDiffers`.
    public var kind: String
    public var company: String
    public var reportID: String
    /// The document's stable key ("" for report-level variances).
    public var documentKey: String
    /// Plain words naming what differs, e.g. "line 2: staged 12.34 on 600100, ERP holds 12.00".
    public var detail: String

    /// Memberwise.
    public init(kind: String, company: String, reportID: String, documentKey: String, detail: String) {
        self.kind = kind
        self.company = company
        self.reportID = reportID
        self.documentKey = documentKey
        self.detail = detail
    }
}
