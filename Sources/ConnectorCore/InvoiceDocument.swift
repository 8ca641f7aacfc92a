import Foundation

/// Which payable a document is: what the firm owes the employee, or card spend owed to the card issuer.
public enum DocumentKind: String, Sendable, Codable, Hashable {
    case employee
    case companyCard
}

/// One ERP-neutral accounting document (a pending vendor invoice in D365 F&O, a purchase invoice in BC).
///
/// Amounts are decimal text with exactly the currency's digits (`"12.50"`, `"1500"`), never floating point.
/// Dates are `yyyy-MM-dd`. `key` is stable across runs and derived from the Expensify report ID, so a rerun
/// finds the document instead of creating a second one.
public struct InvoiceDocument: Sendable, Hashable, Codable {
    public var key: String
    public var kind: DocumentKind
    public var reportID: String
    public var reportName: String
    public var policyID: String
    public var company: String
    public var vendorAccount: String
    public var employeeEmail: String
    public var currency: String
    public var invoiceDate: String
    public var postingDate: String
    public var description: String
    public var dimensionDisplayValue: String
    public var total: String
    public var lines: [InvoiceLine]

    public init(key: String, kind: DocumentKind, reportID: String, reportName: String, policyID: String, company: String,
                vendorAccount: String, employeeEmail: String, currency: String, invoiceDate: String, postingDate: String,
                description: String, dimensionDisplayValue: String, total: String, lines: [InvoiceLine]) {
        self.key = key; self.kind = kind; self.reportID = reportID; self.reportName = reportName; self.policyID = policyID
        self.company = company; self.vendorAccount = vendorAccount; self.employeeEmail = employeeEmail
        self.currency = currency; self.invoiceDate = invoiceDate; self.postingDate = postingDate
        self.description = description; self.dimensionDisplayValue = dimensionDisplayValue; self.total = total; self.lines = lines
    }
}

/// One line of a document: one Expensify expense.
public struct InvoiceLine: Sendable, Hashable, Codable {
    /// 1, 2, 3, ... in expense order within the document.
    public var lineNumber: Int
    public var transactionID: String
    public var description: String
    public var amount: String
    public var mainAccount: String
    public var dimensionDisplayValue: String
    public var category: String
    public var merchant: String
    public var expenseDate: String

    public init(lineNumber: Int, transactionID: String, description: String, amount: String, mainAccount: String,
                dimensionDisplayValue: String, category: String, merchant: String, expenseDate: String) {
        self.lineNumber = lineNumber; self.transactionID = transactionID; self.description = description
        self.amount = amount; self.mainAccount = mainAccount; self.dimensionDisplayValue = dimensionDisplayValue
        self.category = category; self.merchant = merchant; self.expenseDate = expenseDate
    }
}

/// What the ERP already holds under a document's stable key.
public struct ExistingDocument: Sendable, Hashable, Codable {
    public var key: String
    public var company: String
    /// The ERP's own reference (D365 `HeaderReference`).
    public var erpReference: String
    /// Posted documents are never touched again.
    public var isPosted: Bool
    /// Line numbers already present (a crash between header and lines leaves some missing).
    public var lineNumbers: [Int]

    public init(key: String, company: String, erpReference: String, isPosted: Bool, lineNumbers: [Int]) {
        self.key = key; self.company = company; self.erpReference = erpReference; self.isPosted = isPosted; self.lineNumbers = lineNumbers
    }
}

/// How loading one document ended.
public struct DocumentLoadResult: Sendable, Hashable, Codable {
    public enum Status: String, Sendable, Codable, Hashable {
        /// Header and all lines created by this run.
        case created
        /// Found under its stable key with lines missing; the missing lines were added.
        case completed
        /// Found complete under its stable key; nothing written.
        case alreadyPresent
        /// Found but posted (or otherwise locked); nothing written, needs a person.
        case locked
        /// The ERP refused it or could not be reached; nothing is labelled, retried next run.
        case failed
    }

    public var key: String
    public var status: Status
    public var erpReference: String?
    public var linesWritten: Int
    public var errorCode: String?
    public var errorMessage: String?

    public init(key: String, status: Status, erpReference: String?, linesWritten: Int, errorCode: String? = nil, errorMessage: String? = nil) {
        self.key = key; self.status = status; self.erpReference = erpReference; self.linesWritten = linesWritten
        self.errorCode = errorCode; self.errorMessage = errorMessage
    }

    /// True when the ERP holds the whole document (so the report may be labelled exported).
    public var isConfirmed: Bool { status == .created || status == .completed || status == .alreadyPresent }
}
