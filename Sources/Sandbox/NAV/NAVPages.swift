import Foundation

/// A page field's value. `soapText` is the SOAP form (options as XML names, dates `yyyy-mm-dd`, invariant decimals);
/// `odataJSON` the OData v4 form (options as captions, decimals as JSON numbers).
enum NAVFieldValue: Sendable, Equatable {
    case text(String)
    case decimal(Decimal)
    case integer(Int)
    case boolean(Bool)
    case date(String)
    case option(NAVOption)

    var soapText: String {
        switch self {
        case .text(let s), .date(let s): return s
        case .decimal(let d): return NAVDecimal.text(d)
        case .integer(let i): return String(i)
        case .boolean(let b): return b ? "true" : "false"
        case .option(let o): return o.xmlName
        }
    }

    /// Text used by NAV filters and OData comparisons (options as captions).
    var captionText: String {
        if case .option(let o) = self { return o.caption }
        return soapText
    }

    var odataJSON: D365JSON {
        switch self {
        case .text(let s), .date(let s): return .string(s)
        case .decimal(let d): return .decimal(d)
        case .integer(let i): return .int(i)
        case .boolean(let b): return .bool(b)
        case .option(let o): return .string(o.caption)
        }
    }
}

enum NAVFieldType: Sendable {
    case text, decimal, integer, boolean, date
    case option(NAVOptionSet)
}

struct NAVPageField: Sendable {
    var name: String
    var type: NAVFieldType
    /// A primary-key field that only OData shows (NAV adds the table's PK fields to OData pages, reference §4.1).
    var odataOnly = false
}

/// A published page service.
struct NAVPage: Sendable {
    var service: String
    var pageId: Int
    var table: Int
    var tableCaption: String
    /// OData key fields in order.
    var keyFields: [String]
    var fields: [NAVPageField]
    var insertAllowed = false
    var modifyAllowed = false
    var deleteAllowed = false
    /// Journal pages (CurrentJnlBatchName / batch forcing).
    var isJournal = false
    /// `PurchLines` for page 51.
    var part: String?

    func field(_ name: String) -> NAVPageField? { fields.first { $0.name == name } }

    /// Fields as SOAP (false) or OData (true) shows them.
    func visibleFields(odata: Bool) -> [NAVPageField] { fields.filter { odata || !$0.odataOnly } }

    static func dims(_ from: Int = 1) -> [NAVPageField] { (from...8).map { NAVPageField(name: NAVNames.shortcutField($0), type: .text) } }

    static let vendorCard = NAVPage(
        service: "VendorCard", pageId: 26, table: 23, tableCaption: "Vendor", keyFields: ["No"],
        fields: [
            .init(name: "No", type: .text), .init(name: "Name", type: .text), .init(name: "E_Mail", type: .text),
            .init(name: "Blocked", type: .option(.vendorBlocked)), .init(name: "Currency_Code", type: .text),
        ])
    /// Page 5200 Employee Card (table 5200): read-only here; `Manager_No` is table field 26 "Manager No." as a page
    /// extension or a customised card publishes it.
    static let employeeCard = NAVPage(
        service: "EmployeeCard", pageId: 5200, table: 5200, tableCaption: "Employee", keyFields: ["No"],
        fields: [
            .init(name: "No", type: .text), .init(name: "First_Name", type: .text), .init(name: "Middle_Name", type: .text),
            .init(name: "Last_Name", type: .text), .init(name: "E_Mail", type: .text), .init(name: "Company_E_Mail", type: .text),
            .init(name: "Status", type: .option(.employeeStatus)), .init(name: "Termination_Date", type: .date),
            .init(name: "Manager_No", type: .text),
        ])
    static let glAccountCard = NAVPage(
        service: "GLAccountCard", pageId: 17, table: 15, tableCaption: "G/L Account", keyFields: ["No"],
        fields: [
            .init(name: "No", type: .text), .init(name: "Name", type: .text), .init(name: "Income_Balance", type: .option(.incomeBalance)),
            .init(name: "Account_Category", type: .option(.accountCategory)), .init(name: "Account_Type", type: .option(.glAccountType)),
            .init(name: "Direct_Posting", type: .boolean), .init(name: "Blocked", type: .boolean),
        ])
    static let chartOfAccounts = NAVPage(
        service: "ChartOfAccounts", pageId: 16, table: 15, tableCaption: "G/L Account", keyFields: ["No"],
        fields: [
            .init(name: "No", type: .text), .init(name: "Name", type: .text), .init(name: "Income_Balance", type: .option(.incomeBalance)),
            .init(name: "Account_Category", type: .option(.accountCategory)), .init(name: "Account_Type", type: .option(.glAccountType)),
            .init(name: "Direct_Posting", type: .boolean),
        ])
    static let dimensions = NAVPage(
        service: "Dimensions", pageId: 536, table: 348, tableCaption: "Dimension", keyFields: ["Code"],
        fields: [.init(name: "Code", type: .text), .init(name: "Name", type: .text)])
    static let dimensionValues = NAVPage(
        service: "DimensionValues", pageId: 537, table: 349, tableCaption: "Dimension Value", keyFields: ["Dimension_Code", "Code"],
        fields: [
            .init(name: "Dimension_Code", type: .text, odataOnly: true), .init(name: "Code", type: .text), .init(name: "Name", type: .text),
            .init(name: "Dimension_Value_Type", type: .option(.dimensionValueType)), .init(name: "Blocked", type: .boolean),
        ])
    static let purchaseInvoice = NAVPage(
        service: "PurchaseInvoice", pageId: 51, table: 38, tableCaption: "Purchase Header", keyFields: ["Document_Type", "No"],
        fields: [
            .init(name: "Document_Type", type: .option(.purchaseDocumentType), odataOnly: true), .init(name: "No", type: .text),
            .init(name: "Buy_from_Vendor_No", type: .text), .init(name: "Buy_from_Vendor_Name", type: .text),
            .init(name: "Document_Date", type: .date), .init(name: "Posting_Date", type: .date), .init(name: "Due_Date", type: .date),
            .init(name: "Vendor_Invoice_No", type: .text), .init(name: "Status", type: .option(.purchaseStatus)),
            .init(name: "Currency_Code", type: .text), .init(name: "Shortcut_Dimension_1_Code", type: .text),
            .init(name: "Shortcut_Dimension_2_Code", type: .text),
        ], insertAllowed: true, modifyAllowed: true, deleteAllowed: true, part: "PurchLines")
    /// Page 55 "Purch. Invoice Subform" (part `PurchLines`, SOAP item `Purch_Invoice_Line`, OData `PurchaseInvoicePurchLines`).
    static let purchLines = NAVPage(
        service: "PurchLines", pageId: 55, table: 39, tableCaption: "Purchase Line", keyFields: ["Document_Type", "Document_No", "Line_No"],
        fields: [
            .init(name: "Document_Type", type: .option(.purchaseDocumentType), odataOnly: true),
            .init(name: "Document_No", type: .text, odataOnly: true), .init(name: "Line_No", type: .integer, odataOnly: true),
            .init(name: "Type", type: .option(.purchaseLineType)), .init(name: "No", type: .text), .init(name: "Description", type: .text),
            .init(name: "Quantity", type: .decimal), .init(name: "Direct_Unit_Cost", type: .decimal), .init(name: "Line_Amount", type: .decimal),
        ] + dims(), insertAllowed: true, modifyAllowed: true, deleteAllowed: true)
    static let postedPurchaseInvoices = NAVPage(
        service: "PostedPurchaseInvoices", pageId: 146, table: 122, tableCaption: "Purch. Inv. Header", keyFields: ["No"],
        fields: [
            .init(name: "No", type: .text), .init(name: "Buy_from_Vendor_No", type: .text), .init(name: "Buy_from_Vendor_Name", type: .text),
            .init(name: "Vendor_Invoice_No", type: .text), .init(name: "Pre_Assigned_No", type: .text), .init(name: "Currency_Code", type: .text),
            .init(name: "Posting_Date", type: .date), .init(name: "Due_Date", type: .date), .init(name: "Amount", type: .decimal),
            .init(name: "Amount_Including_VAT", type: .decimal),
        ])
    static let journalFields: [NAVPageField] =
        [
            .init(name: "Posting_Date", type: .date), .init(name: "Document_Type", type: .option(.journalDocumentType)),
            .init(name: "Document_No", type: .text), .init(name: "External_Document_No", type: .text),
            .init(name: "Account_Type", type: .option(.journalAccountType)), .init(name: "Account_No", type: .text),
            .init(name: "AccountName", type: .text), .init(name: "Description", type: .text), .init(name: "Currency_Code", type: .text),
            .init(name: "Amount", type: .decimal), .init(name: "Bal_Account_Type", type: .option(.journalAccountType)),
            .init(name: "Bal_Account_No", type: .text),
        ] + dims()
    static let generalJournal = NAVPage(
        service: "GeneralJournal", pageId: 39, table: 81, tableCaption: "Gen. Journal Line",
        keyFields: ["Journal_Template_Name", "Journal_Batch_Name", "Line_No"],
        fields: [
            .init(name: "Journal_Template_Name", type: .text, odataOnly: true), .init(name: "Journal_Batch_Name", type: .text, odataOnly: true),
            .init(name: "Line_No", type: .integer, odataOnly: true),
        ] + journalFields, insertAllowed: true, modifyAllowed: true, deleteAllowed: true, isJournal: true)
    static let expenseJournal = NAVPage(
        service: "ExpenseJournal", pageId: 50_100, table: 81, tableCaption: "Gen. Journal Line",
        keyFields: ["Journal_Template_Name", "Journal_Batch_Name", "Line_No"],
        fields: [
            .init(name: "Journal_Template_Name", type: .text), .init(name: "Journal_Batch_Name", type: .text), .init(name: "Line_No", type: .integer),
        ] + journalFields, insertAllowed: true, modifyAllowed: true, deleteAllowed: true, isJournal: true)
    static let generalLedgerEntries = NAVPage(
        service: "GeneralLedgerEntries", pageId: 20, table: 17, tableCaption: "G/L Entry", keyFields: ["Entry_No"],
        fields: [
            .init(name: "Entry_No", type: .integer), .init(name: "Posting_Date", type: .date), .init(name: "Document_No", type: .text),
            .init(name: "External_Document_No", type: .text), .init(name: "G_L_Account_No", type: .text), .init(name: "Description", type: .text),
            .init(name: "Amount", type: .decimal), .init(name: "Global_Dimension_1_Code", type: .text),
            .init(name: "Global_Dimension_2_Code", type: .text),
        ])

    /// Every published service (the `PurchLines` part is reached through `PurchaseInvoice`).
    static let all: [NAVPage] = [
        vendorCard, glAccountCard, chartOfAccounts, dimensionValues, dimensions, purchaseInvoice, postedPurchaseInvoices, generalJournal,
        expenseJournal, generalLedgerEntries, employeeCard,
    ]

    /// A service by name (case-insensitive); `PurchLines` included.
    static func named(_ service: String) -> NAVPage? {
        (all + [purchLines]).first { $0.service.caseInsensitiveCompare(service) == .orderedSame }
    }
}

/// One record as a page shows it.
struct NAVPageRow: Sendable {
    var service: String
    var id: String
    var table: Int
    var primaryKey: [String]
    var version: Int64
    /// Every field of the page in page order (OData-only PK fields included; `NAVPage.visibleFields` tells which).
    var fields: [(name: String, value: NAVFieldValue)]
    /// The `PurchLines` part of a purchase invoice.
    var lines: [NAVPageRow] = []

    var key: String { NAVVersioning.soapKey(table: table, primaryKey: primaryKey, version: version) }
    var etag: String { NAVVersioning.etag(version) }

    subscript(_ name: String) -> NAVFieldValue? { fields.first { $0.name == name }?.value }
}

/// A `filter` of a SOAP ReadMultiple: field name + NAV filter criteria.
struct NAVFilter: Sendable {
    var field: String
    var criteria: String
}

/// NAV filter syntax: `a|b` (or), `a&b` (and), `x..y` ranges (open ends allowed), `<>x`, `<x`, `<=x`, `>x`, `>=x`,
/// `=x`, `''` (blank), `*`/`?` wildcards, `@` case-insensitive. Numbers compare numerically.
enum NAVFilterSyntax {
    static func matches(_ value: String, _ criteria: String) -> Bool {
        criteria.split(separator: "|", omittingEmptySubsequences: false).contains { alt in
            alt.split(separator: "&", omittingEmptySubsequences: false).allSatisfy { term(value, String($0)) }
        }
    }

    private static func unquote(_ s: String) -> String {
        let t = s.trimmingCharacters(in: .whitespaces)
        if t.count >= 2, t.hasPrefix("'"), t.hasSuffix("'") { return String(t.dropFirst().dropLast()).replacingOccurrences(of: "''", with: "'") }
        return t
    }

    private static func compare(_ a: String, _ b: String, ci: Bool) -> Int {
        if let x = NAVDecimal.parse(a), let y = NAVDecimal.parse(b), !a.isEmpty, !b.isEmpty { return x < y ? -1 : (x > y ? 1 : 0) }
        let l = ci ? a.lowercased() : a
        let r = ci ? b.lowercased() : b
        return l < r ? -1 : (l > r ? 1 : 0)
    }

    private static func wildcard(_ value: String, _ pattern: String, ci: Bool) -> Bool {
        let v = Array(ci ? value.lowercased() : value)
        let p = Array(ci ? pattern.lowercased() : pattern)
        var memo: [Int: Bool] = [:]
        func go(_ i: Int, _ j: Int) -> Bool {
            let k = i * (p.count + 1) + j
            if let m = memo[k] { return m }
            let r: Bool
            if j == p.count {
                r = i == v.count
            } else if p[j] == "*" {
                r = go(i, j + 1) || (i < v.count && go(i + 1, j))
            } else if i < v.count, p[j] == "?" || p[j] == v[i] {
                r = go(i + 1, j + 1)
            } else {
                r = false
            }
            memo[k] = r
            return r
        }
        return go(0, 0)
    }

    private static func term(_ value: String, _ raw: String) -> Bool {
        var t = raw.trimmingCharacters(in: .whitespaces)
        var ci = false
        if t.hasPrefix("@") {
            ci = true
            t.removeFirst()
        }
        if t == "''" { return value.isEmpty }
        if let r = t.range(of: "..") {
            let lo = unquote(String(t[..<r.lowerBound]))
            let hi = unquote(String(t[r.upperBound...]))
            return (lo.isEmpty || compare(value, lo, ci: ci) >= 0) && (hi.isEmpty || compare(value, hi, ci: ci) <= 0)
        }
        for (op, test) in [
            ("<>", { (c: Int) in c != 0 }), ("<=", { $0 <= 0 }), (">=", { $0 >= 0 }), ("<", { $0 < 0 }), (">", { $0 > 0 }), ("=", { $0 == 0 }),
        ]
        where t.hasPrefix(op) {
            let rhs = unquote(String(t.dropFirst(op.count)))
            if op == "<>" && rhs.isEmpty { return !value.isEmpty }
            return test(compare(value, rhs, ci: ci))
        }
        let lit = unquote(t)
        if lit.contains("*") || lit.contains("?") { return wildcard(value, lit, ci: ci) }
        return compare(value, lit, ci: ci) == 0
    }
}

// MARK: - Page reads and writes

extension NAVDatabase {
    /// The default journal of page 39 (the first template and its first batch: GENERAL / DEFAULT).
    func defaultJournal(_ c: Int) -> (template: String, batch: String)? {
        guard let t = companies[c].templates.first, let b = companies[c].batches.first(where: { $0.template == t.name }) else { return nil }
        return (t.name, b.name)
    }

    private func dimFields(_ c: Int, _ set: NAVDimensionSet, from: Int = 1, to: Int = 8) -> [(name: String, value: NAVFieldValue)] {
        (from...to).map { slot in
            let code = companies[c].dimension(slot: slot)?.code ?? ""
            return (NAVNames.shortcutField(slot), .text(code.isEmpty ? "" : (set[code] ?? "")))
        }
    }

    func row(_ c: Int, vendor v: NAVVendor, page: NAVPage = .vendorCard) -> NAVPageRow {
        NAVPageRow(
            service: page.service, id: v.id, table: 23, primaryKey: [v.no], version: v.version,
            fields: [
                ("No", .text(v.no)), ("Name", .text(v.name)), ("E_Mail", .text(v.email)), ("Blocked", .option(v.blocked)),
                ("Currency_Code", .text(v.currencyCode)),
            ])
    }

    func row(_ c: Int, employee e: NAVEmployee) -> NAVPageRow {
        NAVPageRow(
            service: NAVPage.employeeCard.service, id: e.id, table: 5200, primaryKey: [e.no], version: e.version,
            fields: [
                ("No", .text(e.no)), ("First_Name", .text(e.givenName)), ("Middle_Name", .text("")), ("Last_Name", .text(e.surname)),
                ("E_Mail", .text("")), ("Company_E_Mail", .text(e.email)), ("Status", .option(NAVOption(e.status))),
                ("Termination_Date", .date(e.terminationDate.isEmpty ? NAVDate.blank : e.terminationDate)), ("Manager_No", .text(e.managerNo)),
            ])
    }

    func row(_ c: Int, account a: NAVGLAccount, page: NAVPage) -> NAVPageRow {
        var f: [(name: String, value: NAVFieldValue)] = [
            ("No", .text(a.no)), ("Name", .text(a.name)), ("Income_Balance", .option(a.incomeBalance)), ("Account_Category", .option(a.category)),
            ("Account_Type", .option(a.accountType)), ("Direct_Posting", .boolean(a.directPosting)),
        ]
        if page.field("Blocked") != nil { f.append(("Blocked", .boolean(a.blocked))) }
        return NAVPageRow(service: page.service, id: a.id, table: 15, primaryKey: [a.no], version: a.version, fields: f)
    }

    func row(_ c: Int, line l: NAVPurchaseLine) -> NAVPageRow {
        NAVPageRow(
            service: "PurchLines", id: l.id, table: 39, primaryKey: ["Invoice", l.documentNo, String(l.lineNo)], version: l.version,
            fields: [
                ("Document_Type", .option(NAVOption("Invoice"))), ("Document_No", .text(l.documentNo)), ("Line_No", .integer(l.lineNo)),
                ("Type", .option(l.type)), ("No", .text(l.no)), ("Description", .text(l.description)), ("Quantity", .decimal(l.quantity)),
                ("Direct_Unit_Cost", .decimal(l.directUnitCost)), ("Line_Amount", .decimal(l.lineAmount)),
            ] + dimFields(c, l.dimensions))
    }

    func row(_ c: Int, header h: NAVPurchaseHeader) -> NAVPageRow {
        var r = NAVPageRow(
            service: "PurchaseInvoice", id: h.id, table: 38, primaryKey: ["Invoice", h.no], version: h.version,
            fields: [
                ("Document_Type", .option(h.documentType)), ("No", .text(h.no)), ("Buy_from_Vendor_No", .text(h.vendorNo)),
                ("Buy_from_Vendor_Name", .text(h.vendorName)), ("Document_Date", .date(h.documentDate)), ("Posting_Date", .date(h.postingDate)),
                ("Due_Date", .date(h.dueDate)), ("Vendor_Invoice_No", .text(h.vendorInvoiceNo)), ("Status", .option(h.status)),
                ("Currency_Code", .text(h.currencyCode)),
            ] + dimFields(c, h.dimensions, to: 2))
        r.lines = companies[c].lines(of: h.no).map { row(c, line: $0) }
        return r
    }

    func row(_ c: Int, journal l: NAVJournalLine, page: NAVPage) -> NAVPageRow {
        let accountName: String
        switch l.accountType.caption {
        case "G/L Account": accountName = companies[c].glAccount(l.accountNo)?.name ?? ""
        case "Vendor": accountName = companies[c].vendor(l.accountNo)?.name ?? ""
        default: accountName = ""
        }
        return NAVPageRow(
            service: page.service, id: l.id, table: 81, primaryKey: [l.template, l.batch, String(l.lineNo)], version: l.version,
            fields: [
                ("Journal_Template_Name", .text(l.template)), ("Journal_Batch_Name", .text(l.batch)), ("Line_No", .integer(l.lineNo)),
                ("Posting_Date", .date(l.postingDate)), ("Document_Type", .option(l.documentType)), ("Document_No", .text(l.documentNo)),
                ("External_Document_No", .text(l.externalDocumentNo)), ("Account_Type", .option(l.accountType)),
                ("Account_No", .text(l.accountNo)), ("AccountName", .text(accountName)), ("Description", .text(l.description)),
                ("Currency_Code", .text(l.currencyCode)), ("Amount", .decimal(l.amount)), ("Bal_Account_Type", .option(l.balAccountType)),
                ("Bal_Account_No", .text(l.balAccountNo)),
            ] + dimFields(c, l.dimensions))
    }

    /// Every row of a page, in key order. Journal pages: `journalBatch` (SOAP `CurrentJnlBatchName`) selects a batch
    /// of the page's template; page 39 without it shows the default journal (OData); ExpenseJournal without it shows
    /// every batch.
    func pageRows(_ c: Int, _ page: NAVPage, journalBatch: String? = nil, filters: [NAVFilter] = []) throws -> [NAVPageRow] {
        let co = companies[c]
        var rows: [NAVPageRow]
        switch page.service {
        case "VendorCard": rows = co.vendors.sorted { $0.no < $1.no }.map { row(c, vendor: $0) }
        case "EmployeeCard": rows = co.employees.sorted { $0.no < $1.no }.map { row(c, employee: $0) }
        case "GLAccountCard", "ChartOfAccounts": rows = co.glAccounts.sorted { $0.no < $1.no }.map { row(c, account: $0, page: page) }
        case "Dimensions":
            rows = co.dimensions.sorted { $0.code < $1.code }.map {
                NAVPageRow(
                    service: page.service, id: $0.id, table: 348, primaryKey: [$0.code], version: $0.version,
                    fields: [("Code", .text($0.code)), ("Name", .text($0.name))])
            }
        case "DimensionValues":
            rows = co.dimensionValues.sorted { ($0.dimensionCode, $0.code) < ($1.dimensionCode, $1.code) }.map {
                NAVPageRow(
                    service: page.service, id: $0.id, table: 349, primaryKey: [$0.dimensionCode, $0.code], version: $0.version,
                    fields: [
                        ("Dimension_Code", .text($0.dimensionCode)), ("Code", .text($0.code)), ("Name", .text($0.name)),
                        ("Dimension_Value_Type", .option($0.valueType)), ("Blocked", .boolean($0.blocked)),
                    ])
            }
        case "PurchaseInvoice": rows = co.purchaseHeaders.sorted { $0.no < $1.no }.map { row(c, header: $0) }
        case "PostedPurchaseInvoices":
            rows = co.postedInvoices.sorted { $0.no < $1.no }.map { p in
                NAVPageRow(
                    service: page.service, id: p.id, table: 122, primaryKey: [p.no], version: p.version,
                    fields: [
                        ("No", .text(p.no)), ("Buy_from_Vendor_No", .text(p.vendorNo)), ("Buy_from_Vendor_Name", .text(p.vendorName)),
                        ("Vendor_Invoice_No", .text(p.vendorInvoiceNo)), ("Pre_Assigned_No", .text(p.preAssignedNo)),
                        ("Currency_Code", .text(p.currencyCode)), ("Posting_Date", .date(p.postingDate)), ("Due_Date", .date(p.dueDate)),
                        ("Amount", .decimal(p.amount)), ("Amount_Including_VAT", .decimal(p.amount)),
                    ])
            }
        case "GeneralJournal", "ExpenseJournal":
            var lines = co.journalLines
            if page.service == "GeneralJournal" {
                guard let def = defaultJournal(c) else { return [] }
                let batch = journalBatch ?? def.batch
                lines = lines.filter {
                    $0.template == def.template && $0.batch.caseInsensitiveCompare(batch) == .orderedSame
                }
            } else if let journalBatch {
                lines = lines.filter { $0.batch.caseInsensitiveCompare(journalBatch) == .orderedSame }
            }
            rows = lines.sorted { ($0.template, $0.batch, $0.lineNo) < ($1.template, $1.batch, $1.lineNo) }.map { row(c, journal: $0, page: page) }
        case "GeneralLedgerEntries":
            rows = co.glEntries.sorted { $0.entryNo < $1.entryNo }.map { e in
                NAVPageRow(
                    service: page.service, id: e.id, table: 17, primaryKey: [String(e.entryNo)], version: e.version,
                    fields: [
                        ("Entry_No", .integer(e.entryNo)), ("Posting_Date", .date(e.postingDate)), ("Document_No", .text(e.documentNo)),
                        ("External_Document_No", .text(e.externalDocumentNo)), ("G_L_Account_No", .text(e.accountNo)),
                        ("Description", .text(e.description)), ("Amount", .decimal(e.amount)),
                    ] + dimFields(c, e.dimensions, to: 2).enumerated().map { ("Global_Dimension_\($0.offset + 1)_Code", $0.element.value) })
            }
        default:
            throw NAVError(.badRequest, "The page service \(page.service) is not published.")
        }
        for f in filters {
            guard page.field(f.field) != nil else {
                throw NAVError(.badRequest, "The field \(f.field) is not a member of \(page.service)_Fields.")
            }
            rows = rows.filter { NAVFilterSyntax.matches($0[f.field]?.captionText ?? "", f.criteria) }
        }
        return rows
    }

    /// One row by primary key values (`["Invoice","PI-100001"]`, `["GENERAL","DEFAULT","10000"]`, ...), or nil.
    func pageRow(_ c: Int, _ page: NAVPage, primaryKey: [String]) -> NAVPageRow? {
        if page.service == "PurchLines" {
            guard primaryKey.count == 3, let h = companies[c].purchaseHeader(primaryKey[1]), let n = Int(primaryKey[2]),
                let l = companies[c].lines(of: h.no).first(where: { $0.lineNo == n })
            else { return nil }
            return row(c, line: l)
        }
        let rows: [NAVPageRow]
        if page.isJournal {
            guard primaryKey.count == 3 else { return nil }
            rows = companies[c].journalLines.filter {
                $0.template.caseInsensitiveCompare(primaryKey[0]) == .orderedSame && $0.batch.caseInsensitiveCompare(primaryKey[1]) == .orderedSame
                    && String($0.lineNo) == primaryKey[2]
            }.map { row(c, journal: $0, page: page) }
            return rows.first
        }
        guard let all = try? pageRows(c, page) else { return nil }
        return all.first { r in
            r.primaryKey.count == primaryKey.count && zip(r.primaryKey, primaryKey).allSatisfy { $0.caseInsensitiveCompare($1) == .orderedSame }
        }
    }

    /// The row a SOAP Key points at (its version may be stale; compare `row.version` with the key's).
    func pageRow(_ c: Int, _ page: NAVPage, soapKey: String) -> NAVPageRow? {
        guard let k = NAVVersioning.parseSOAPKey(soapKey), k.table == page.table else { return nil }
        return pageRow(c, page, primaryKey: k.primaryKey)
    }

    // MARK: Writes through a page

    private func parseOption(_ set: NAVOptionSet, _ text: String) throws -> NAVOption {
        guard let o = set.parse(text) else {
            throw NAVError(.evaluate, "The value \"\(text)\" can't be evaluated into type Option.")
        }
        return o
    }

    private func parseDecimal(_ field: String, _ text: String) throws -> Decimal {
        guard let d = NAVDecimal.parse(text) else { throw NAVError(.evaluate, "The value \"\(text)\" can't be evaluated into type Decimal.") }
        return d
    }

    private func parseDate(_ text: String) throws -> String {
        guard let d = NAVDate.parse(text) else { throw NAVError(.evaluate, "The value \"\(text)\" can't be evaluated into type Date.") }
        return d
    }

    /// Shortcut slot of a dimension field name, nil for others.
    static func slot(of field: String) -> Int? {
        if field.hasPrefix("Shortcut_Dimension_"), field.hasSuffix("_Code") {
            return Int(field.dropFirst("Shortcut_Dimension_".count).dropLast("_Code".count))
        }
        if field.hasPrefix("ShortcutDimCode_x005B_"), field.hasSuffix("_x005D_") {
            return Int(field.dropFirst("ShortcutDimCode_x005B_".count).dropLast("_x005D_".count))
        }
        return nil
    }

    /// Input fields in page order; unknown fields and read-only fields whose value changes are refused.
    private func ordered(_ page: NAVPage, _ input: [(name: String, value: String)], current: NAVPageRow?, readOnly: Set<String>) throws
        -> [(name: String, value: String)]
    {
        for (n, v) in input {
            guard page.field(n) != nil else { throw NAVError(.invalidOperation, "The field \(n) is not part of the page \(page.service).") }
            if readOnly.contains(n) {
                let now = current?[n]
                let same = now.map { $0.soapText == v || $0.captionText == v } ?? v.isEmpty
                if !same { throw NAVError(.invalidOperation, "Control '\(n)' is read-only.") }
            }
        }
        return page.fields.compactMap { f in input.last(where: { $0.name == f.name }) }.filter { !readOnly.contains($0.name) }
    }

    private func headerChanges(_ c: Int, _ input: [(name: String, value: String)]) throws -> HeaderChanges {
        var ch = HeaderChanges()
        var slots: [(slot: Int, value: String)] = []
        for (n, v) in input {
            switch n {
            case "Buy_from_Vendor_No": ch.vendorNo = v
            case "Document_Date": ch.documentDate = try parseDate(v)
            case "Posting_Date": ch.postingDate = try parseDate(v)
            case "Due_Date": ch.dueDate = try parseDate(v)
            case "Vendor_Invoice_No": ch.vendorInvoiceNo = v
            case "Currency_Code": ch.currencyCode = v
            default: if let s = NAVDatabase.slot(of: n) { slots.append((s, v)) }
            }
        }
        ch.dimensions = try slotChanges(c, slots)
        return ch
    }

    private func lineChanges(_ c: Int, _ input: [(name: String, value: String)]) throws -> LineChanges {
        var ch = LineChanges()
        var slots: [(slot: Int, value: String)] = []
        for (n, v) in input {
            switch n {
            case "Type": ch.type = try parseOption(.purchaseLineType, v)
            case "No": ch.no = v
            case "Description": ch.description = v
            case "Quantity": ch.quantity = try parseDecimal(n, v)
            case "Direct_Unit_Cost": ch.directUnitCost = try parseDecimal(n, v)
            default: if let s = NAVDatabase.slot(of: n) { slots.append((s, v)) }
            }
        }
        ch.dimensions = try slotChanges(c, slots)
        return ch
    }

    private func journalChanges(_ c: Int, _ input: [(name: String, value: String)]) throws -> JournalLineChanges {
        var ch = JournalLineChanges()
        var slots: [(slot: Int, value: String)] = []
        for (n, v) in input {
            switch n {
            case "Posting_Date": ch.postingDate = try parseDate(v)
            case "Document_Type": ch.documentType = try parseOption(.journalDocumentType, v)
            case "Document_No": ch.documentNo = v
            case "External_Document_No": ch.externalDocumentNo = v
            case "Account_Type": ch.accountType = try parseOption(.journalAccountType, v)
            case "Account_No": ch.accountNo = v
            case "Description": ch.description = v
            case "Currency_Code": ch.currencyCode = v
            case "Amount": ch.amount = try parseDecimal(n, v)
            case "Bal_Account_Type": ch.balAccountType = try parseOption(.journalAccountType, v)
            case "Bal_Account_No": ch.balAccountNo = v
            default: if let s = NAVDatabase.slot(of: n) { slots.append((s, v)) }
            }
        }
        ch.dimensions = try slotChanges(c, slots)
        return ch
    }

    private func notAllowed(_ page: NAVPage, _ what: String) -> NAVError {
        NAVError(.invalidOperation, "\(what) is not allowed on the page \(page.service).")
    }

    /// Inserts through a page (fields as text: SOAP values, or OData JSON values turned to text; options as caption or
    /// XML name). `journalBatch`: SOAP `CurrentJnlBatchName`; page 39 without it (OData) inserts into the default
    /// journal whatever the body says. `documentNo`: the purchase invoice of a `PurchLines` line.
    mutating func pageInsert(
        _ c: Int, _ page: NAVPage, _ input: [(name: String, value: String)], journalBatch: String? = nil, documentNo: String? = nil
    ) throws -> NAVPageRow {
        guard page.insertAllowed else { throw notAllowed(page, "Insert") }
        switch page.service {
        case "PurchaseInvoice":
            if let no = input.first(where: { $0.name == "No" })?.value, !no.isEmpty {
                throw NAVError(
                    .dialog,
                    "You may not enter numbers manually. If you want to enter numbers manually, please activate Manual Nos. in No. Series P-INV.")
            }
            if let t = input.first(where: { $0.name == "Document_Type" })?.value, NAVOptionSet.purchaseDocumentType.parse(t)?.caption != "Invoice" {
                throw NAVError(.invalidOperation, "Document_Type must be Invoice on the page PurchaseInvoice.")
            }
            let fields = try ordered(page, input, current: nil, readOnly: ["No", "Document_Type", "Buy_from_Vendor_Name", "Status"])
            let h = try insertPurchaseHeader(c, try headerChanges(c, fields))
            return row(c, header: h)
        case "PurchLines":
            guard let documentNo else { throw NAVError(.badRequest, "A purchase line needs its purchase invoice.") }
            let lineNo = input.first(where: { $0.name == "Line_No" }).flatMap { Int($0.value) }
            let fields = try ordered(page, input, current: nil, readOnly: ["Document_Type", "Document_No", "Line_No", "Line_Amount"])
            let l = try insertPurchaseLine(c, documentNo: documentNo, lineNo: lineNo, try lineChanges(c, fields))
            return row(c, line: l)
        case "GeneralJournal", "ExpenseJournal":
            var template: String
            var batch: String
            guard let def = defaultJournal(c) else { throw NAVError(.dialog, "There is no journal template for the General Journal.") }
            if page.service == "GeneralJournal" {
                template = def.template
                batch = journalBatch ?? def.batch
            } else {
                template = input.first(where: { $0.name == "Journal_Template_Name" })?.value ?? def.template
                batch = input.first(where: { $0.name == "Journal_Batch_Name" })?.value ?? journalBatch ?? def.batch
            }
            if template.isEmpty { template = def.template }
            if batch.isEmpty { batch = def.batch }
            let lineNo = input.first(where: { $0.name == "Line_No" }).flatMap { Int($0.value) }
            let keyFields: Set<String> = ["Journal_Template_Name", "Journal_Batch_Name", "Line_No", "AccountName"]
            let fields = try ordered(page, input.filter { !keyFields.contains($0.name) }, current: nil, readOnly: ["AccountName"])
            let l = try insertJournalLine(c, template: template, batch: batch, lineNo: lineNo, try journalChanges(c, fields))
            return row(c, journal: l, page: page)
        default:
            throw notAllowed(page, "Insert")
        }
    }

    /// Modifies the row with these primary key values (`expectedVersion` from the ETag / Key; nil = `*`).
    mutating func pageModify(_ c: Int, _ page: NAVPage, primaryKey: [String], expectedVersion: Int64?, _ input: [(name: String, value: String)])
        throws -> NAVPageRow
    {
        guard page.modifyAllowed else { throw notAllowed(page, "Modify") }
        guard let current = pageRow(c, page, primaryKey: primaryKey) else {
            throw NAVError.notFound(page.tableCaption, zip(page.keyFields, primaryKey).map { ($0.0.replacingOccurrences(of: "_", with: " "), $0.1) })
        }
        if let expectedVersion, expectedVersion != current.version {
            throw NAVError.otherUserModified("\(page.tableCaption) \(primaryKey.joined(separator: ","))")
        }
        switch page.service {
        case "PurchaseInvoice":
            let fields = try ordered(page, input, current: current, readOnly: ["No", "Document_Type", "Buy_from_Vendor_Name", "Status"])
            return row(c, header: try modifyPurchaseHeader(c, no: primaryKey[1], try headerChanges(c, fields), expectedVersion: nil))
        case "PurchLines":
            let fields = try ordered(page, input, current: current, readOnly: ["Document_Type", "Document_No", "Line_No", "Line_Amount"])
            return row(
                c,
                line: try modifyPurchaseLine(
                    c, documentNo: primaryKey[1], lineNo: Int(primaryKey[2]) ?? 0, try lineChanges(c, fields), expectedVersion: nil))
        default:
            let fields = try ordered(
                page, input, current: current, readOnly: ["Journal_Template_Name", "Journal_Batch_Name", "Line_No", "AccountName"])
            let l = try modifyJournalLine(
                c, template: primaryKey[0], batch: primaryKey[1], lineNo: Int(primaryKey[2]) ?? 0, try journalChanges(c, fields), expectedVersion: nil
            )
            return row(c, journal: l, page: page)
        }
    }

    mutating func pageDelete(_ c: Int, _ page: NAVPage, primaryKey: [String], expectedVersion: Int64?) throws {
        guard page.deleteAllowed else { throw notAllowed(page, "Delete") }
        guard let current = pageRow(c, page, primaryKey: primaryKey) else {
            throw NAVError.notFound(page.tableCaption, zip(page.keyFields, primaryKey).map { ($0.0.replacingOccurrences(of: "_", with: " "), $0.1) })
        }
        if let expectedVersion, expectedVersion != current.version {
            throw NAVError.otherUserModified("\(page.tableCaption) \(primaryKey.joined(separator: ","))")
        }
        switch page.service {
        case "PurchaseInvoice": try deletePurchaseHeader(c, no: primaryKey[1], expectedVersion: nil)
        case "PurchLines": try deletePurchaseLine(c, documentNo: primaryKey[1], lineNo: Int(primaryKey[2]) ?? 0, expectedVersion: nil)
        default: try deleteJournalLine(c, template: primaryKey[0], batch: primaryKey[1], lineNo: Int(primaryKey[2]) ?? 0, expectedVersion: nil)
        }
    }
}
