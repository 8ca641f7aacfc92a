import Foundation

// Records of the simulated NAV / Business Central database (one `NAVCompanyData` per company). Every record has a
// GUID `id` (systemId) and a `version` (row version, a database-wide counter bumped on every write) from which the
// OData ETag and the SOAP Key are derived (`NAVVersioning`).

/// An option value. `caption` is the canonical NAV caption (`G/L Account`, `" "` for blank); `xmlName` is the SOAP
/// form (`G_L_Account`, `_blank_`).
struct NAVOption: Sendable, Hashable {
    var caption: String
    var xmlName: String { NAVNames.xmlOption(caption) }

    init(_ caption: String) { self.caption = caption }

    static let blank = NAVOption(" ")
}

/// An option field's members in order (index = stored ordinal).
struct NAVOptionSet: Sendable {
    var members: [String]

    /// Accepts the caption, the XML name or (for blank) `""`/`" "`/`_blank_`, case-insensitively.
    func parse(_ text: String) -> NAVOption? {
        let t = text.trimmingCharacters(in: .whitespaces)
        if t.isEmpty || t == "_blank_" { return members.contains(" ") ? .blank : nil }
        for m in members where m.caseInsensitiveCompare(t) == .orderedSame || NAVNames.xmlOption(m).caseInsensitiveCompare(t) == .orderedSame {
            return NAVOption(m)
        }
        return nil
    }

    static let vendorBlocked = NAVOptionSet(members: [" ", "Payment", "All"])
    static let glAccountType = NAVOptionSet(members: ["Posting", "Heading", "Total", "Begin-Total", "End-Total"])
    static let incomeBalance = NAVOptionSet(members: ["Income Statement", "Balance Sheet"])
    static let accountCategory = NAVOptionSet(members: [" ", "Assets", "Liabilities", "Equity", "Income", "Cost of Goods Sold", "Expense"])
    static let dimensionValueType = NAVOptionSet(members: ["Standard", "Heading", "Total", "Begin-Total", "End-Total"])
    static let journalAccountType = NAVOptionSet(members: [
        "G/L Account", "Customer", "Vendor", "Bank Account", "Fixed Asset", "IC Partner", "Employee",
    ])
    static let journalDocumentType = NAVOptionSet(members: [" ", "Payment", "Invoice", "Credit Memo", "Finance Charge Memo", "Reminder", "Refund"])
    static let purchaseDocumentType = NAVOptionSet(members: ["Quote", "Order", "Invoice", "Credit Memo", "Blanket Order", "Return Order"])
    static let purchaseLineType = NAVOptionSet(members: [" ", "G/L Account", "Item", "Resource", "Fixed Asset", "Charge (Item)"])
    static let employeeStatus = NAVOptionSet(members: ["Active", "Inactive", "Terminated"])
    static let purchaseStatus = NAVOptionSet(members: ["Open", "Released", "Pending Approval", "Pending Prepayment"])
}

/// Field-name and option-name rules shared by OData and SOAP (reference §4.1, §5.2).
enum NAVNames {
    /// `G/L Account` → `G_L_Account`, `Charge (Item)` → `Charge_Item`, `" "` → `_blank_`.
    static func xmlOption(_ caption: String) -> String {
        if caption.trimmingCharacters(in: .whitespaces).isEmpty { return "_blank_" }
        return fieldName(caption)
    }

    /// The underscore rule: each run of non-alphanumeric characters becomes `_`, leading/trailing ones are dropped,
    /// `%` becomes `Percent`; `[n]` array controls become `_x005B_n_x005D_`.
    static func fieldName(_ control: String) -> String {
        var out = ""
        var pendingUnderscore = false
        for ch in control {
            if ch == "%" {
                if !out.isEmpty { out += "_" }
                out += "Percent"
                pendingUnderscore = false
            } else if ch.isLetter || ch.isNumber {
                if pendingUnderscore, !out.isEmpty { out += "_" }
                pendingUnderscore = false
                out.append(ch)
            } else {
                pendingUnderscore = true
            }
        }
        return out
    }

    /// The page field of shortcut dimension slot 1...8.
    static func shortcutField(_ slot: Int) -> String {
        slot <= 2 ? "Shortcut_Dimension_\(slot)_Code" : "ShortcutDimCode_x005B_\(slot)_x005D_"
    }
}

/// Row version → OData ETag and SOAP Key.
enum NAVVersioning {
    /// `W/"<base64 of '<digits>;<version>;00;'>"` (the shape BC sends, reference §1.3).
    static func etag(_ version: Int64) -> String {
        let v = String(version)
        return "W/\"" + Data("'\(v.count);\(v);00;'".utf8).base64EncodedString() + "\""
    }

    /// The version inside an ETag made by `etag(_:)`, nil for anything else.
    static func version(fromETag etag: String) -> Int64? {
        var t = etag.trimmingCharacters(in: .whitespaces)
        if t.hasPrefix("W/") { t.removeFirst(2) }
        guard t.count >= 2, t.first == "\"", t.last == "\"" else { return nil }
        t = String(t.dropFirst().dropLast())
        guard let data = Data(base64Encoded: t), let raw = String(data: data, encoding: .utf8) else { return nil }
        let parts = raw.trimmingCharacters(in: CharacterSet(charactersIn: "'")).split(separator: ";")
        guard parts.count >= 2 else { return nil }
        return Int64(parts[1])
    }

    /// `<table>;<base64 of the primary key>;<version>;`, e.g. `38;SW52b2ljZR9QSS0xMDAwMDE=;1042;`.
    static func soapKey(table: Int, primaryKey: [String], version: Int64) -> String {
        let pk = Data(primaryKey.joined(separator: "\u{1F}").utf8).base64EncodedString()
        return "\(table);\(pk);\(version);"
    }

    /// (table, primary key values, version) of a Key made by `soapKey`, nil when it is not one.
    static func parseSOAPKey(_ key: String) -> (table: Int, primaryKey: [String], version: Int64)? {
        let parts = key.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ";", omittingEmptySubsequences: false)
        guard parts.count >= 3, let table = Int(parts[0]), let version = Int64(parts[2]),
            let data = Data(base64Encoded: String(parts[1])), let pk = String(data: data, encoding: .utf8)
        else { return nil }
        return (table, pk.split(separator: "\u{1F}", omittingEmptySubsequences: false).map(String.init), version)
    }
}

/// A dimension set: dimension code → value code (codes upper-case).
typealias NAVDimensionSet = [String: String]

struct NAVCurrency: Sendable {
    var id: String
    var code: String
    var description: String
    /// Amount rounding precision, e.g. 0.01 or 1.
    var roundingPrecision: Decimal
    var version: Int64
}

struct NAVGLAccount: Sendable {
    var id: String
    var no: String
    var name: String
    var accountType: NAVOption
    var directPosting: Bool
    var blocked: Bool
    var category: NAVOption
    var incomeBalance: NAVOption
    var version: Int64
}

struct NAVDimension: Sendable {
    var id: String
    var code: String
    var name: String
    /// Shortcut slot 1...8 (1 and 2 are the global dimensions), nil when the dimension has none.
    var slot: Int?
    var version: Int64
}

struct NAVDimensionValue: Sendable {
    var id: String
    var dimensionCode: String
    var code: String
    var name: String
    var valueType: NAVOption
    var blocked: Bool
    var version: Int64
}

struct NAVVendor: Sendable {
    var id: String
    var no: String
    var name: String
    var email: String
    var blocked: NAVOption
    /// Blank = the company's LCY.
    var currencyCode: String
    var version: Int64
}

struct NAVEmployee: Sendable {
    var id: String
    var no: String
    var givenName: String
    var surname: String
    /// The company e-mail (`Company E-Mail`, what the BC API's `email` shows).
    var email: String
    /// `Active`, `Inactive` or `Terminated`.
    var status: String
    /// `yyyy-mm-dd`, blank when the employee has not left.
    var terminationDate: String = ""
    /// `Manager No.` (table 5200 field 26), blank when none.
    var managerNo: String = ""
    var version: Int64
}

struct NAVJournalTemplate: Sendable {
    var name: String
    var description: String
}

struct NAVJournalBatch: Sendable {
    var id: String
    var template: String
    var name: String
    var description: String
    var version: Int64
}

struct NAVJournalLine: Sendable {
    var id: String
    var template: String
    var batch: String
    var lineNo: Int
    var postingDate: String
    var documentType: NAVOption
    var documentNo: String
    var externalDocumentNo: String
    var accountType: NAVOption
    var accountNo: String
    var description: String
    var currencyCode: String
    var amount: Decimal
    var balAccountType: NAVOption
    var balAccountNo: String
    var dimensions: NAVDimensionSet
    var version: Int64
}

struct NAVPurchaseHeader: Sendable {
    var id: String
    var documentType: NAVOption
    var no: String
    var vendorNo: String
    var vendorName: String
    var vendorInvoiceNo: String
    var documentDate: String
    var postingDate: String
    var dueDate: String
    /// Blank = LCY.
    var currencyCode: String
    var status: NAVOption
    var dimensions: NAVDimensionSet
    var version: Int64
}

struct NAVPurchaseLine: Sendable {
    var id: String
    var documentNo: String
    var lineNo: Int
    var type: NAVOption
    var no: String
    var description: String
    var quantity: Decimal
    var directUnitCost: Decimal
    /// Quantity × Direct Unit Cost, rounded to the document currency's precision.
    var lineAmount: Decimal
    var dimensions: NAVDimensionSet
    var version: Int64
}

/// A posted purchase invoice (table 122 + 123). `id` is the draft's id (BC keeps it, reference §1.2).
struct NAVPostedPurchaseInvoice: Sendable {
    var id: String
    var no: String
    var preAssignedNo: String
    var vendorNo: String
    var vendorName: String
    var vendorInvoiceNo: String
    var documentDate: String
    var postingDate: String
    var dueDate: String
    var currencyCode: String
    var dimensions: NAVDimensionSet
    var lines: [NAVPurchaseLine]
    var amount: Decimal
    var version: Int64
}

struct NAVGLEntry: Sendable {
    var id: String
    var entryNo: Int
    var postingDate: String
    var documentNo: String
    var externalDocumentNo: String
    var accountNo: String
    var description: String
    var amount: Decimal
    var dimensions: NAVDimensionSet
    var version: Int64
}

/// Everything one company holds.
struct NAVCompanyData: Sendable {
    var id: String
    var name: String
    var displayName: String
    /// The local currency code (stored blank on documents).
    var lcy: String
    var policies: [String]
    var currencies: [NAVCurrency] = []
    var glAccounts: [NAVGLAccount] = []
    var dimensions: [NAVDimension] = []
    var dimensionValues: [NAVDimensionValue] = []
    var vendors: [NAVVendor] = []
    var employees: [NAVEmployee] = []
    var templates: [NAVJournalTemplate] = []
    var batches: [NAVJournalBatch] = []
    var journalLines: [NAVJournalLine] = []
    var purchaseHeaders: [NAVPurchaseHeader] = []
    var purchaseLines: [NAVPurchaseLine] = []
    var postedInvoices: [NAVPostedPurchaseInvoice] = []
    var glEntries: [NAVGLEntry] = []
    /// Number series.
    var nextPurchaseInvoiceNo = 100_001
    var nextPostedInvoiceNo = 200_001
    var nextGLEntryNo = 1
    var version: Int64

    func vendor(_ no: String) -> NAVVendor? { vendors.first { $0.no.caseInsensitiveCompare(no) == .orderedSame } }
    func glAccount(_ no: String) -> NAVGLAccount? { glAccounts.first { $0.no.caseInsensitiveCompare(no) == .orderedSame } }
    func dimension(_ code: String) -> NAVDimension? { dimensions.first { $0.code.caseInsensitiveCompare(code) == .orderedSame } }
    func dimension(slot: Int) -> NAVDimension? { dimensions.first { $0.slot == slot } }
    func dimensionValue(_ dimension: String, _ code: String) -> NAVDimensionValue? {
        dimensionValues.first {
            $0.dimensionCode.caseInsensitiveCompare(dimension) == .orderedSame && $0.code.caseInsensitiveCompare(code) == .orderedSame
        }
    }
    func currency(_ code: String) -> NAVCurrency? { currencies.first { $0.code.caseInsensitiveCompare(code) == .orderedSame } }
    func purchaseHeader(_ no: String) -> NAVPurchaseHeader? {
        purchaseHeaders.first { $0.no.caseInsensitiveCompare(no) == .orderedSame }
    }
    func lines(of documentNo: String) -> [NAVPurchaseLine] {
        // Case-insensitive like NAV's Code fields; exact bytes first, so a night of 1,000 invoices does not spend its time in
        // Foundation's locale-aware comparison (measured: most of the simulator's CPU in the BC benchmark).
        let upper = documentNo.uppercased()
        return purchaseLines.filter {
            $0.documentNo == documentNo || ($0.documentNo.utf8.count == documentNo.utf8.count && $0.documentNo.uppercased() == upper)
        }.sorted { $0.lineNo < $1.lineNo }
    }
    func batch(_ template: String, _ name: String) -> NAVJournalBatch? {
        batches.first {
            $0.template.caseInsensitiveCompare(template) == .orderedSame && $0.name.caseInsensitiveCompare(name) == .orderedSame
        }
    }
    func journalLines(_ template: String, _ batch: String) -> [NAVJournalLine] {
        journalLines.filter {
            $0.template.caseInsensitiveCompare(template) == .orderedSame && $0.batch.caseInsensitiveCompare(batch) == .orderedSame
        }.sorted { $0.lineNo < $1.lineNo }
    }

    /// Rounding precision of a document currency (blank = LCY).
    func roundingPrecision(_ currencyCode: String) -> Decimal {
        currency(currencyCode.isEmpty ? lcy : currencyCode)?.roundingPrecision ?? Decimal(string: "0.01")!
    }

    /// The currency code shown to clients (blank → LCY code).
    func shownCurrency(_ code: String) -> String { code.isEmpty ? lcy : code }

    /// The code stored on documents (LCY → blank).
    func storedCurrency(_ code: String) -> String { code.caseInsensitiveCompare(lcy) == .orderedSame ? "" : code.uppercased() }
}
