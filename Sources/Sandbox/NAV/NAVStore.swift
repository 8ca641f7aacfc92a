import Foundation

/// The one NAV / Business Central database behind the three sandbox front ends (BC API v2.0, NAV OData v4 pages,
/// NAV SOAP pages and codeunits), seeded from `samples/sandbox/nav.json` (see NAV-SPEC.md and samples/FIRM.md).
///
/// ## State
/// Per company (`NAVCompanyData`, GUID `id`, names such as `Northwind Traders & Sons Ltd.`): currencies, G/L accounts
/// (Account Type, Direct Posting, Blocked), dimensions (with their global/shortcut slot) and dimension values
/// (Blocked), vendors (Blocked `" "`/`Payment`/`All`), employees, journal templates/batches, journal lines, purchase
/// invoice headers/lines (each with a dimension set), posted purchase invoices, G/L entries and the number series
/// (`PI-100001…`, `PPI-200001…`, G/L entry 1…). Every record has a GUID `id` and a row `version` (a database-wide
/// counter bumped on every write) from which `NAVPageRow.etag` (`W/"…"`) and `NAVPageRow.key` (SOAP
/// `<table>;<base64 PK>;<version>;`) are derived; `NAVVersioning` turns them back into versions.
///
/// ## Page API (for the OData and SOAP front ends)
/// Services: `VendorCard`, `EmployeeCard`, `GLAccountCard`, `ChartOfAccounts`, `DimensionValues`, `Dimensions`, `PurchaseInvoice`
/// (+ part `PurchLines`), `PostedPurchaseInvoices`, `GeneralJournal`, `ExpenseJournal`, `GeneralLedgerEntries`
/// (`NAVPage.named`, `NAVPage.all`). Rows come as `NAVPageRow`: ordered `(name, NAVFieldValue)` pairs with page field
/// names (underscore rule), `value.soapText` (options `G_L_Account`/`_blank_`) and `value.odataJSON` (options as
/// captions). `NAVPage.visibleFields(odata:)` tells which fields SOAP shows (OData adds the PK fields).
/// - `rows(company:service:journalBatch:filters:)`: a page's rows; `filters` are SOAP `filter` elements in NAV filter
///   syntax (`..`, `|`, `&`, `*`, `<>`, `''`, `@`). `journalBatch` is SOAP `CurrentJnlBatchName`; without it page 39
///   shows the default journal GENERAL/DEFAULT.
/// - `row(company:service:primaryKey:)`, `row(company:service:soapKey:)`: one row (nil when absent: Read never faults).
/// - `insert(company:service:fields:journalBatch:documentNo:)`: fields as text in any order (applied in page order;
///   options as caption or XML name; decimals invariant; dates `yyyy-mm-dd`). Page 51 assigns `No` and refuses a sent
///   one; `service: "PurchLines"` + `documentNo` inserts an invoice line. Page 39 inserts into `journalBatch` of
///   template GENERAL, or the default batch when nil (the OData OnOpenPage behaviour); ExpenseJournal takes
///   `Journal_Template_Name`/`Journal_Batch_Name` from the fields.
/// - `modify(company:service:primaryKey:expectedVersion:fields:)`, `delete(…)`: `expectedVersion` from the Key/ETag,
///   nil for `*`; a stale one throws `.entityChanged` "Other user has modified …".
/// - `insertMultiple`/`transaction`: several writes all-or-nothing (SOAP CreateMultiple, BC `$batch` snapshot).
/// - `postPurchaseInvoice(company:documentNo:)`, `postJournalBatch(company:template:batch:)`: posting with the checks
///   of NAV-SPEC.md (blocked/direct-posting-off accounts, blocked dimension values, vendor blocked All, missing or
///   duplicate Vendor Invoice No., journal document out of balance, nothing to post).
/// Errors are `NAVError` (`message` is NAV's text; `odataCode`, `httpStatus` and `soapException` map it per API).
///
/// ## Whole-database access
/// `read { db in … }` and `transaction { db in … }` run a synchronous closure on the `NAVDatabase` value inside the
/// actor (a failed transaction leaves the database untouched); the BC and OData front ends handle a whole request
/// inside one of them, so a request is atomic.
///
/// ## Test controls (served by `NAVSimulator` under `/_sandbox/nav/…`)
/// `documentsJSON(company:)` (GET documents), `update(_:)` (POST update), `reset()`.
public actor NAVStore {
    private(set) var db: NAVDatabase

    init(database: NAVDatabase) { self.db = database }

    /// A store seeded from `nav.json` (the simulators share one; tests may make their own).
    init(seedFile: URL) throws { self.db = try NAVSeed.load(seedFile).database }

    func replace(_ database: NAVDatabase) { db = database }

    // MARK: Whole-database access

    func read<T: Sendable>(_ body: @Sendable (NAVDatabase) throws -> T) rethrows -> T { try body(db) }

    /// Runs `body` on a copy and keeps the copy only when it does not throw.
    func transaction<T: Sendable>(_ body: @Sendable (inout NAVDatabase) throws -> T) rethrows -> T {
        var copy = db
        let result = try body(&copy)
        db = copy
        return result
    }

    // MARK: Companies

    /// `(id, name)` of every company, in seed order.
    func companies() -> [(id: String, name: String)] { db.companies.map { ($0.id, $0.name) } }

    private func company(_ name: String) throws -> Int {
        guard let c = db.companyIndex(name: name) else { throw NAVError.companyNotFound(name) }
        return c
    }

    private func page(_ service: String) throws -> NAVPage {
        guard let p = NAVPage.named(service) else { throw NAVError(.badRequest, "The page service \(service) is not published.") }
        return p
    }

    // MARK: Page API

    func rows(company: String, service: String, journalBatch: String? = nil, filters: [NAVFilter] = []) throws -> [NAVPageRow] {
        try db.pageRows(try self.company(company), try page(service), journalBatch: journalBatch, filters: filters)
    }

    func row(company: String, service: String, primaryKey: [String]) throws -> NAVPageRow? {
        db.pageRow(try self.company(company), try page(service), primaryKey: primaryKey)
    }

    func row(company: String, service: String, soapKey: String) throws -> NAVPageRow? {
        db.pageRow(try self.company(company), try page(service), soapKey: soapKey)
    }

    func insert(
        company: String, service: String, fields: [(name: String, value: String)], journalBatch: String? = nil, documentNo: String? = nil
    ) throws -> NAVPageRow {
        let c = try self.company(company)
        let p = try page(service)
        var copy = db
        let r = try copy.pageInsert(c, p, fields, journalBatch: journalBatch, documentNo: documentNo)
        db = copy
        return r
    }

    /// Inserts several rows in one transaction (all or none).
    func insertMultiple(company: String, service: String, records: [[(name: String, value: String)]], journalBatch: String? = nil) throws
        -> [NAVPageRow]
    {
        let c = try self.company(company)
        let p = try page(service)
        var copy = db
        var out: [NAVPageRow] = []
        for fields in records { out.append(try copy.pageInsert(c, p, fields, journalBatch: journalBatch)) }
        db = copy
        return out
    }

    func modify(company: String, service: String, primaryKey: [String], expectedVersion: Int64?, fields: [(name: String, value: String)])
        throws -> NAVPageRow
    {
        let c = try self.company(company)
        let p = try page(service)
        var copy = db
        let r = try copy.pageModify(c, p, primaryKey: primaryKey, expectedVersion: expectedVersion, fields)
        db = copy
        return r
    }

    func delete(company: String, service: String, primaryKey: [String], expectedVersion: Int64?) throws {
        let c = try self.company(company)
        let p = try page(service)
        var copy = db
        try copy.pageDelete(c, p, primaryKey: primaryKey, expectedVersion: expectedVersion)
        db = copy
    }

    // MARK: Posting

    func postPurchaseInvoice(company: String, documentNo: String) throws -> NAVPostedPurchaseInvoice {
        let c = try self.company(company)
        var copy = db
        let r = try copy.postPurchaseInvoice(c, no: documentNo)
        db = copy
        return r
    }

    func postJournalBatch(company: String, template: String, batch: String) throws -> [NAVGLEntry] {
        let c = try self.company(company)
        var copy = db
        let r = try copy.postJournalBatch(c, template: template, batch: batch)
        db = copy
        return r
    }

    // MARK: Test controls

    /// The `GET /_sandbox/nav/documents?company=NAME` body (amounts as exact decimal strings).
    func documentsJSON(company: String) throws -> D365JSON { db.documentsJSON(try self.company(company)) }

    /// `POST /_sandbox/nav/update`: change master data or a document behind the connector's back.
    func update(_ body: D365JSONObject) throws -> D365JSON {
        var copy = db
        let r = try copy.controlUpdate(body)
        db = copy
        return r
    }
}

// MARK: - Control-route helpers

extension NAVDatabase {
    private static func dims(_ set: NAVDimensionSet) -> D365JSON {
        .object(D365JSONObject(set.keys.sorted().map { ($0, .string(set[$0] ?? "")) }))
    }

    static func bcLineType(_ o: NAVOption) -> String {
        switch o.caption {
        case " ": return "Comment"
        case "G/L Account": return "Account"
        case "Charge (Item)": return "Charge"
        default: return o.caption
        }
    }

    private func lineJSON(_ l: NAVPurchaseLine) -> D365JSON {
        D365Responses.obj([
            ("sequence", .int(l.lineNo)), ("lineType", .string(NAVDatabase.bcLineType(l.type))), ("accountNumber", .string(l.no)),
            ("description", .string(l.description)), ("quantity", .string(NAVDecimal.text(l.quantity))),
            ("unitCost", .string(NAVDecimal.text(l.directUnitCost))), ("amount", .string(NAVDecimal.text(l.lineAmount))),
            ("dimensions", NAVDatabase.dims(l.dimensions)),
        ])
    }

    func documentsJSON(_ c: Int) -> D365JSON {
        let co = companies[c]
        let invoices = co.purchaseHeaders.sorted { $0.no < $1.no }.map { h -> D365JSON in
            D365Responses.obj([
                ("id", .string(h.id)), ("number", .string(h.no)), ("vendorNumber", .string(h.vendorNo)),
                ("vendorInvoiceNumber", .string(h.vendorInvoiceNo)), ("status", .string("Draft")),
                ("currencyCode", .string(co.shownCurrency(h.currencyCode))), ("postingDate", .string(h.postingDate)),
                ("dimensions", NAVDatabase.dims(h.dimensions)), ("lines", .array(co.lines(of: h.no).map(lineJSON))),
            ])
        }
        let posted = co.postedInvoices.sorted { $0.no < $1.no }.map { p -> D365JSON in
            D365Responses.obj([
                ("id", .string(p.id)), ("number", .string(p.no)), ("preAssignedNo", .string(p.preAssignedNo)),
                ("vendorNumber", .string(p.vendorNo)), ("vendorInvoiceNumber", .string(p.vendorInvoiceNo)), ("status", .string("Open")),
                ("currencyCode", .string(co.shownCurrency(p.currencyCode))), ("postingDate", .string(p.postingDate)),
                ("amount", .string(NAVDecimal.text(p.amount))), ("dimensions", NAVDatabase.dims(p.dimensions)),
                ("lines", .array(p.lines.map(lineJSON))),
            ])
        }
        let journal = co.journalLines.sorted { ($0.template, $0.batch, $0.lineNo) < ($1.template, $1.batch, $1.lineNo) }.map { l -> D365JSON in
            D365Responses.obj([
                ("id", .string(l.id)), ("template", .string(l.template)), ("batch", .string(l.batch)), ("lineNumber", .int(l.lineNo)),
                ("postingDate", .string(l.postingDate)), ("documentNumber", .string(l.documentNo)),
                ("externalDocumentNumber", .string(l.externalDocumentNo)), ("accountType", .string(l.accountType.caption)),
                ("accountNumber", .string(l.accountNo)), ("balanceAccountType", .string(l.balAccountType.caption)),
                ("balancingAccountNumber", .string(l.balAccountNo)), ("amount", .string(NAVDecimal.text(l.amount))),
                ("description", .string(l.description)), ("currencyCode", .string(co.shownCurrency(l.currencyCode))),
                ("dimensions", NAVDatabase.dims(l.dimensions)),
            ])
        }
        let entries = co.glEntries.sorted { $0.entryNo < $1.entryNo }.map { e -> D365JSON in
            D365Responses.obj([
                ("entryNo", .int(e.entryNo)), ("postingDate", .string(e.postingDate)), ("documentNumber", .string(e.documentNo)),
                ("externalDocumentNumber", .string(e.externalDocumentNo)), ("accountNumber", .string(e.accountNo)),
                ("description", .string(e.description)), ("amount", .string(NAVDecimal.text(e.amount))),
                ("dimensions", NAVDatabase.dims(e.dimensions)),
            ])
        }
        return D365Responses.obj([
            ("company", .string(co.name)), ("purchaseInvoices", .array(invoices)), ("postedPurchaseInvoices", .array(posted)),
            ("journalLines", .array(journal)), ("glEntries", .array(entries)),
        ])
    }

    /// Text of a JSON control value (strings, numbers, booleans).
    static func text(_ v: D365JSON) -> String {
        switch v {
        case .string(let s): return s
        case .number(let n): return n
        case .bool(let b): return b ? "true" : "false"
        default: return ""
        }
    }

    /// `{"company","table","key","fields":{…},"delete":false}`. Tables and keys: `vendor` `EMP-0003`, `employee`
    /// `EMP-0002` (`status` Active/Inactive/Terminated, `terminationDate`, `email`, `managerNumber`, `givenName`,
    /// `surname`), `glAccount`
    /// `600199`, `dimensionValue` `COSTCENTER/OLD1`, `purchaseInvoice` `PI-100001`, `purchaseInvoiceLine`
    /// `PI-100001/10000`, `journalLine` `GENERAL/DEFAULT/10000`. Field names are the BC API's (`blocked`, `name`,
    /// `email`, `currencyCode`, `directPosting`, `accountType`, `vendorInvoiceNumber`, `postingDate`, `vendorNumber`,
    /// `description`, `quantity`, `unitCost`, `accountNumber`, `amount`, `documentNumber`, `dimensions`:{CODE:VALUE}).
    /// A missing vendor, employee, G/L account or dimension value is created.
    mutating func controlUpdate(_ body: D365JSONObject) throws -> D365JSON {
        guard let name = body["company"]?.stringValue, let c = companyIndex(name: name) else {
            throw NAVError(.badRequest, "company (an existing company name) is required")
        }
        guard let table = body["table"]?.stringValue, let key = body["key"]?.stringValue, !key.isEmpty else {
            throw NAVError(.badRequest, "table and key are required")
        }
        let fields = body["fields"]?.objectValue ?? D365JSONObject()
        let delete = body["delete"]?.boolValue ?? false
        func f(_ k: String) -> String? { fields[k].map(NAVDatabase.text) }
        func bool(_ k: String) -> Bool? { fields[k].map { NAVDatabase.text($0).lowercased() == "true" } }
        func dimChanges() -> [(code: String, value: String)] {
            (fields["dimensions"]?.objectValue?.pairs ?? []).map { ($0.0, NAVDatabase.text($0.1)) }
        }
        let parts = key.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        switch table {
        case "vendor":
            if delete {
                companies[c].vendors.removeAll { $0.no.caseInsensitiveCompare(key) == .orderedSame }
                return .object(D365JSONObject([("deleted", .bool(true))]))
            }
            var i = companies[c].vendors.firstIndex { $0.no.caseInsensitiveCompare(key) == .orderedSame }
            if i == nil {
                companies[c].vendors.append(
                    NAVVendor(id: newId("vendor"), no: key, name: key, email: "", blocked: .blank, currencyCode: "", version: 0))
                i = companies[c].vendors.count - 1
            }
            var v = companies[c].vendors[i!]
            if let s = f("name") { v.name = s }
            if let s = f("email") { v.email = s }
            if let s = f("blocked") {
                guard let o = NAVOptionSet.vendorBlocked.parse(s) else { throw NAVError(.badRequest, "blocked must be \" \", Payment or All") }
                v.blocked = o
            }
            if let s = f("currencyCode") { v.currencyCode = companies[c].storedCurrency(s) }
            v.version = nextVersion()
            companies[c].vendors[i!] = v
            return .object(D365JSONObject([("number", .string(v.no)), ("blocked", .string(v.blocked.caption))]))
        case "employee":
            if delete {
                companies[c].employees.removeAll { $0.no.caseInsensitiveCompare(key) == .orderedSame }
                return .object(D365JSONObject([("deleted", .bool(true))]))
            }
            var i = companies[c].employees.firstIndex { $0.no.caseInsensitiveCompare(key) == .orderedSame }
            if i == nil {
                companies[c].employees.append(
                    NAVEmployee(id: newId("employee"), no: key, givenName: key, surname: "", email: "", status: "Active", version: 0))
                i = companies[c].employees.count - 1
            }
            var e = companies[c].employees[i!]
            if let s = f("givenName") { e.givenName = s }
            if let s = f("surname") { e.surname = s }
            if let s = f("email") { e.email = s }
            if let s = f("managerNumber") { e.managerNo = s }
            if let s = f("terminationDate") { e.terminationDate = s == NAVDate.blank ? "" : s }
            if let s = f("status") {
                guard let o = NAVOptionSet.employeeStatus.parse(s) else {
                    throw NAVError(.badRequest, "status must be Active, Inactive or Terminated")
                }
                e.status = o.caption
            }
            e.version = nextVersion()
            companies[c].employees[i!] = e
            return .object(
                D365JSONObject([
                    ("number", .string(e.no)), ("status", .string(e.status)),
                    ("terminationDate", .string(e.terminationDate.isEmpty ? NAVDate.blank : e.terminationDate)),
                ]))
        case "glAccount":
            if delete {
                companies[c].glAccounts.removeAll { $0.no == key }
                return .object(D365JSONObject([("deleted", .bool(true))]))
            }
            var i = companies[c].glAccounts.firstIndex { $0.no == key }
            if i == nil {
                companies[c].glAccounts.append(
                    NAVGLAccount(
                        id: newId("glaccount"), no: key, name: key, accountType: NAVOption("Posting"), directPosting: true, blocked: false,
                        category: NAVOption("Expense"), incomeBalance: NAVOption("Income Statement"), version: 0))
                i = companies[c].glAccounts.count - 1
            }
            var a = companies[c].glAccounts[i!]
            if let s = f("name") { a.name = s }
            if let b = bool("blocked") { a.blocked = b }
            if let b = bool("directPosting") { a.directPosting = b }
            if let s = f("accountType") {
                guard let o = NAVOptionSet.glAccountType.parse(s.replacingOccurrences(of: " ", with: "-")) else {
                    throw NAVError(.badRequest, "unknown accountType \(s)")
                }
                a.accountType = o
            }
            a.version = nextVersion()
            companies[c].glAccounts[i!] = a
            return .object(D365JSONObject([("number", .string(a.no)), ("blocked", .bool(a.blocked)), ("directPosting", .bool(a.directPosting))]))
        case "dimensionValue":
            guard parts.count == 2, let dim = companies[c].dimension(parts[0]) else {
                throw NAVError(.badRequest, "key must be DIMENSION/VALUE with an existing dimension")
            }
            if delete {
                companies[c].dimensionValues.removeAll { $0.dimensionCode == dim.code && $0.code.caseInsensitiveCompare(parts[1]) == .orderedSame }
                return .object(D365JSONObject([("deleted", .bool(true))]))
            }
            var i = companies[c].dimensionValues.firstIndex {
                $0.dimensionCode == dim.code && $0.code.caseInsensitiveCompare(parts[1]) == .orderedSame
            }
            if i == nil {
                companies[c].dimensionValues.append(
                    NAVDimensionValue(
                        id: newId("dimensionvalue"), dimensionCode: dim.code, code: parts[1].uppercased(), name: parts[1],
                        valueType: NAVOption("Standard"), blocked: false, version: 0))
                i = companies[c].dimensionValues.count - 1
            }
            var v = companies[c].dimensionValues[i!]
            if let s = f("name") { v.name = s }
            if let b = bool("blocked") { v.blocked = b }
            v.version = nextVersion()
            companies[c].dimensionValues[i!] = v
            return .object(D365JSONObject([("code", .string(v.code)), ("blocked", .bool(v.blocked))]))
        case "purchaseInvoice":
            if delete {
                try deletePurchaseHeader(c, no: key, expectedVersion: nil)
                return .object(D365JSONObject([("deleted", .bool(true))]))
            }
            var ch = HeaderChanges()
            ch.vendorNo = f("vendorNumber")
            ch.vendorInvoiceNo = f("vendorInvoiceNumber")
            ch.postingDate = try f("postingDate").map { d in
                guard let p = NAVDate.parse(d) else { throw NAVError(.badRequest, "postingDate must be yyyy-mm-dd") }
                return p
            }
            ch.currencyCode = f("currencyCode")
            ch.dimensions = dimChanges()
            let h = try modifyPurchaseHeader(c, no: key, ch, expectedVersion: nil)
            return .object(D365JSONObject([("number", .string(h.no)), ("vendorInvoiceNumber", .string(h.vendorInvoiceNo))]))
        case "purchaseInvoiceLine":
            guard parts.count == 2, let lineNo = Int(parts[1]) else { throw NAVError(.badRequest, "key must be DOCUMENT/LINENO") }
            if delete {
                try deletePurchaseLine(c, documentNo: parts[0], lineNo: lineNo, expectedVersion: nil)
                return .object(D365JSONObject([("deleted", .bool(true))]))
            }
            var ch = LineChanges()
            ch.no = f("accountNumber")
            ch.description = f("description")
            ch.quantity = try f("quantity").map { s in
                guard let d = NAVDecimal.parse(s) else { throw NAVError(.badRequest, "quantity must be a number") }
                return d
            }
            ch.directUnitCost = try (f("unitCost") ?? f("amount")).map { s in
                guard let d = NAVDecimal.parse(s) else { throw NAVError(.badRequest, "unitCost must be a number") }
                return d
            }
            ch.dimensions = dimChanges()
            let l = try modifyPurchaseLine(c, documentNo: parts[0], lineNo: lineNo, ch, expectedVersion: nil)
            return .object(D365JSONObject([("sequence", .int(l.lineNo)), ("amount", .string(NAVDecimal.text(l.lineAmount)))]))
        case "journalLine":
            guard parts.count == 3, let lineNo = Int(parts[2]) else { throw NAVError(.badRequest, "key must be TEMPLATE/BATCH/LINENO") }
            if delete {
                try deleteJournalLine(c, template: parts[0], batch: parts[1], lineNo: lineNo, expectedVersion: nil)
                return .object(D365JSONObject([("deleted", .bool(true))]))
            }
            var ch = JournalLineChanges()
            ch.documentNo = f("documentNumber")
            ch.externalDocumentNo = f("externalDocumentNumber")
            ch.accountNo = f("accountNumber")
            ch.description = f("description")
            ch.amount = try f("amount").map { s in
                guard let d = NAVDecimal.parse(s) else { throw NAVError(.badRequest, "amount must be a number") }
                return d
            }
            ch.dimensions = dimChanges()
            let l = try modifyJournalLine(c, template: parts[0], batch: parts[1], lineNo: lineNo, ch, expectedVersion: nil)
            return .object(D365JSONObject([("lineNumber", .int(l.lineNo)), ("amount", .string(NAVDecimal.text(l.amount)))]))
        default:
            throw NAVError(.badRequest, "table must be vendor, glAccount, dimensionValue, purchaseInvoice, purchaseInvoiceLine or journalLine")
        }
    }
}
