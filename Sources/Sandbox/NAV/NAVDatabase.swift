import Foundation

/// The whole NAV/BC database: every company's records, the row-version counter and the id counter. A value type, so
/// a transaction is a copy (`NAVStore.transaction` restores it on failure) and `$batch Isolation: snapshot` is cheap.
///
/// The mutating operations here are the *table* level (the validation NAV runs in OnValidate/OnInsert/posting, with
/// NAV's messages). The front ends add their own request-level checks first (BC's API messages, page rules).
struct NAVDatabase: Sendable {
    var companies: [NAVCompanyData] = []
    var versionCounter: Int64 = 1_000
    var idCounter = 0

    mutating func nextVersion() -> Int64 {
        versionCounter += 1
        return versionCounter
    }

    mutating func newId(_ kind: String) -> String {
        idCounter += 1
        return NAVGuid.make("new|\(kind)|\(idCounter)")
    }

    /// Index of a company by exact name (case-sensitive as NAV), or by GUID id.
    func companyIndex(name: String) -> Int? { companies.firstIndex { $0.name == name } }
    func companyIndex(id: String) -> Int? { companies.firstIndex { $0.id.caseInsensitiveCompare(id) == .orderedSame } }

    // MARK: Dimensions

    /// Applies dimension changes (code → value; blank value removes) to a set, validating codes and values.
    func applyDimensions(_ c: Int, _ set: NAVDimensionSet, _ changes: [(code: String, value: String)]) throws -> NAVDimensionSet {
        var out = set
        let co = companies[c]
        for (code, value) in changes {
            guard let dim = co.dimension(code) else { throw NAVError.notFound("Dimension", [("Code", code)]) }
            if value.isEmpty {
                out[dim.code] = nil
                continue
            }
            guard let dv = co.dimensionValue(dim.code, value) else {
                throw NAVError.notFound("Dimension Value", [("Dimension Code", dim.code), ("Code", value)])
            }
            out[dim.code] = dv.code
        }
        return out
    }

    /// Dimension changes for shortcut slots (1...8) → code changes; an unconfigured slot is an error.
    func slotChanges(_ c: Int, _ slots: [(slot: Int, value: String)]) throws -> [(code: String, value: String)] {
        try slots.map { s in
            guard let dim = companies[c].dimension(slot: s.slot) else {
                throw NAVError(.dialog, "Shortcut Dimension \(s.slot) Code is not set up in General Ledger Setup.")
            }
            return (dim.code, s.value)
        }
    }

    // MARK: Purchase invoices

    struct HeaderChanges: Sendable {
        var vendorNo: String?
        var documentDate: String?
        var postingDate: String?
        var dueDate: String?
        var vendorInvoiceNo: String?
        var currencyCode: String?
        var dimensions: [(code: String, value: String)] = []
    }

    /// Validates and applies header fields in page order (Buy-from Vendor No. first: it defaults currency).
    private func apply(_ c: Int, _ h: inout NAVPurchaseHeader, _ ch: HeaderChanges) throws {
        let co = companies[c]
        if let v = ch.vendorNo {
            guard let vendor = co.vendor(v) else { throw NAVError.notFound("Vendor", [("No.", v)]) }
            h.vendorNo = vendor.no
            h.vendorName = vendor.name
            h.currencyCode = vendor.currencyCode
        }
        if let d = ch.documentDate { h.documentDate = d }
        if let d = ch.postingDate { h.postingDate = d }
        if let d = ch.dueDate { h.dueDate = d }
        if let n = ch.vendorInvoiceNo {
            guard n.count <= 35 else {
                throw NAVError(.dialog, "The length of the string is \(n.count), but it must be less than or equal to 35 characters. Value: \(n)")
            }
            h.vendorInvoiceNo = n
        }
        if let cur = ch.currencyCode {
            let stored = co.storedCurrency(cur)
            if !stored.isEmpty, co.currency(stored) == nil { throw NAVError.notFound("Currency", [("Code", cur)]) }
            h.currencyCode = stored
        }
        if !ch.dimensions.isEmpty { h.dimensions = try applyDimensions(c, h.dimensions, ch.dimensions) }
    }

    mutating func insertPurchaseHeader(_ c: Int, _ ch: HeaderChanges, id: String? = nil) throws -> NAVPurchaseHeader {
        let no = "PI-\(companies[c].nextPurchaseInvoiceNo)"
        var h = NAVPurchaseHeader(
            id: id ?? newId("purchaseHeader"), documentType: NAVOption("Invoice"), no: no, vendorNo: "", vendorName: "", vendorInvoiceNo: "",
            documentDate: NAVDate.blank, postingDate: NAVDate.blank, dueDate: NAVDate.blank, currencyCode: "", status: NAVOption("Open"),
            dimensions: [:], version: 0)
        try apply(c, &h, ch)
        if h.postingDate != NAVDate.blank, h.documentDate == NAVDate.blank { h.documentDate = h.postingDate }
        if h.dueDate == NAVDate.blank, h.documentDate != NAVDate.blank { h.dueDate = NAVDate.adding(days: 30, to: h.documentDate) }
        companies[c].nextPurchaseInvoiceNo += 1
        h.version = nextVersion()
        companies[c].purchaseHeaders.append(h)
        return h
    }

    mutating func modifyPurchaseHeader(_ c: Int, no: String, _ ch: HeaderChanges, expectedVersion: Int64?) throws -> NAVPurchaseHeader {
        guard let i = companies[c].purchaseHeaders.firstIndex(where: { $0.no.caseInsensitiveCompare(no) == .orderedSame }) else {
            throw NAVError.notFound("Purchase Header", [("Document Type", "Invoice"), ("No.", no)])
        }
        var h = companies[c].purchaseHeaders[i]
        if let expectedVersion, expectedVersion != h.version { throw NAVError.otherUserModified("Purchase Header Invoice \(h.no)") }
        let oldCurrency = h.currencyCode
        try apply(c, &h, ch)
        h.version = nextVersion()
        companies[c].purchaseHeaders[i] = h
        if h.currencyCode != oldCurrency { recomputeLines(c, documentNo: h.no) }
        return h
    }

    mutating func deletePurchaseHeader(_ c: Int, no: String, expectedVersion: Int64?) throws {
        guard let h = companies[c].purchaseHeader(no) else {
            throw NAVError.notFound("Purchase Header", [("Document Type", "Invoice"), ("No.", no)])
        }
        if let expectedVersion, expectedVersion != h.version { throw NAVError.otherUserModified("Purchase Header Invoice \(h.no)") }
        companies[c].purchaseHeaders.removeAll { $0.id == h.id }
        companies[c].purchaseLines.removeAll { $0.documentNo == h.no }
    }

    private mutating func recomputeLines(_ c: Int, documentNo: String) {
        guard let h = companies[c].purchaseHeader(documentNo) else { return }
        let precision = companies[c].roundingPrecision(h.currencyCode)
        for i in companies[c].purchaseLines.indices where companies[c].purchaseLines[i].documentNo == h.no {
            let l = companies[c].purchaseLines[i]
            companies[c].purchaseLines[i].lineAmount = NAVDecimal.round(l.quantity * l.directUnitCost, precision: precision)
        }
    }

    struct LineChanges: Sendable {
        var type: NAVOption?
        var no: String?
        var description: String?
        var quantity: Decimal?
        var directUnitCost: Decimal?
        var dimensions: [(code: String, value: String)] = []
    }

    /// Type, then No. (the G/L account must exist; its name becomes the default description), then the rest.
    private func apply(_ c: Int, _ l: inout NAVPurchaseLine, _ ch: LineChanges, currency: String) throws {
        let co = companies[c]
        if let t = ch.type {
            if t != l.type {
                l.type = t
                l.no = ""
            }
        }
        if let n = ch.no {
            switch l.type.caption {
            case "G/L Account":
                guard let acc = co.glAccount(n) else { throw NAVError.notFound("G/L Account", [("No.", n)]) }
                l.no = acc.no
                if l.description.isEmpty || ch.description == nil { l.description = acc.name }
            case " ":
                l.no = n
            default:
                throw NAVError.notFound(l.type.caption, [("No.", n)])
            }
        }
        if let d = ch.description { l.description = d }
        if let q = ch.quantity { l.quantity = q }
        if let u = ch.directUnitCost { l.directUnitCost = u }
        if !ch.dimensions.isEmpty { l.dimensions = try applyDimensions(c, l.dimensions, ch.dimensions) }
        l.lineAmount = NAVDecimal.round(l.quantity * l.directUnitCost, precision: co.roundingPrecision(currency))
    }

    mutating func insertPurchaseLine(_ c: Int, documentNo: String, lineNo: Int? = nil, _ ch: LineChanges, id: String? = nil) throws
        -> NAVPurchaseLine
    {
        guard let h = companies[c].purchaseHeader(documentNo) else {
            throw NAVError.notFound("Purchase Header", [("Document Type", "Invoice"), ("No.", documentNo)])
        }
        let existing = companies[c].lines(of: h.no)
        let number = lineNo ?? ((existing.last?.lineNo ?? 0) + 10_000)
        if existing.contains(where: { $0.lineNo == number }) {
            throw NAVError(
                .duplicateKey,
                "The Purchase Line already exists. Identification fields and values: Document Type='Invoice',Document No.='\(h.no)',Line No.='\(number)'"
            )
        }
        var l = NAVPurchaseLine(
            id: id ?? newId("purchaseLine"), documentNo: h.no, lineNo: number, type: NAVOption("G/L Account"), no: "", description: "",
            quantity: 0, directUnitCost: 0, lineAmount: 0, dimensions: h.dimensions, version: 0)
        try apply(c, &l, ch, currency: h.currencyCode)
        l.version = nextVersion()
        companies[c].purchaseLines.append(l)
        return l
    }

    mutating func modifyPurchaseLine(_ c: Int, documentNo: String, lineNo: Int, _ ch: LineChanges, expectedVersion: Int64?) throws
        -> NAVPurchaseLine
    {
        guard let h = companies[c].purchaseHeader(documentNo),
            let i = companies[c].purchaseLines.firstIndex(where: { $0.documentNo == h.no && $0.lineNo == lineNo })
        else {
            throw NAVError.notFound(
                "Purchase Line", [("Document Type", "Invoice"), ("Document No.", documentNo), ("Line No.", String(lineNo))])
        }
        var l = companies[c].purchaseLines[i]
        if let expectedVersion, expectedVersion != l.version {
            throw NAVError.otherUserModified("Purchase Line Invoice,\(h.no),\(lineNo)")
        }
        try apply(c, &l, ch, currency: h.currencyCode)
        l.version = nextVersion()
        companies[c].purchaseLines[i] = l
        return l
    }

    mutating func deletePurchaseLine(_ c: Int, documentNo: String, lineNo: Int, expectedVersion: Int64?) throws {
        guard
            let i = companies[c].purchaseLines.firstIndex(where: {
                $0.documentNo.caseInsensitiveCompare(documentNo) == .orderedSame && $0.lineNo == lineNo
            })
        else {
            throw NAVError.notFound(
                "Purchase Line", [("Document Type", "Invoice"), ("Document No.", documentNo), ("Line No.", String(lineNo))])
        }
        if let expectedVersion, expectedVersion != companies[c].purchaseLines[i].version {
            throw NAVError.otherUserModified("Purchase Line Invoice,\(documentNo),\(lineNo)")
        }
        companies[c].purchaseLines.remove(at: i)
    }

    // MARK: Journal lines

    struct JournalLineChanges: Sendable {
        var postingDate: String?
        var documentType: NAVOption?
        var documentNo: String?
        var externalDocumentNo: String?
        var accountType: NAVOption?
        var accountNo: String?
        var description: String?
        var currencyCode: String?
        var amount: Decimal?
        var balAccountType: NAVOption?
        var balAccountNo: String?
        var dimensions: [(code: String, value: String)] = []
    }

    /// Checks an account number against the table of its account type (NAV's table relation).
    func checkAccount(_ c: Int, type: NAVOption, no: String, field: String) throws -> String? {
        guard !no.isEmpty else { return nil }
        let co = companies[c]
        switch type.caption {
        case "G/L Account":
            guard let a = co.glAccount(no) else {
                throw NAVError(
                    .tableRelation,
                    "The field \(field) of table Gen. Journal Line contains a value (\(no)) that cannot be found in the related table (G/L Account).")
            }
            return a.name
        case "Vendor":
            guard let v = co.vendor(no) else {
                throw NAVError(
                    .tableRelation,
                    "The field \(field) of table Gen. Journal Line contains a value (\(no)) that cannot be found in the related table (Vendor).")
            }
            return v.name
        default:
            throw NAVError(
                .tableRelation,
                "The field \(field) of table Gen. Journal Line contains a value (\(no)) that cannot be found in the related table (\(type.caption)).")
        }
    }

    private func apply(_ c: Int, _ l: inout NAVJournalLine, _ ch: JournalLineChanges) throws {
        if let d = ch.postingDate { l.postingDate = d }
        if let t = ch.documentType { l.documentType = t }
        if let n = ch.documentNo { l.documentNo = n }
        if let n = ch.externalDocumentNo { l.externalDocumentNo = n }
        if let t = ch.accountType, t != l.accountType {
            l.accountType = t
            l.accountNo = ""
        }
        if let n = ch.accountNo {
            let name = try checkAccount(c, type: l.accountType, no: n, field: "Account No.")
            l.accountNo = n.isEmpty ? "" : n.uppercased()
            if ch.description == nil, let name, l.description.isEmpty { l.description = name }
        }
        if let d = ch.description { l.description = d }
        if let cur = ch.currencyCode {
            let stored = companies[c].storedCurrency(cur)
            if !stored.isEmpty, companies[c].currency(stored) == nil { throw NAVError.notFound("Currency", [("Code", cur)]) }
            l.currencyCode = stored
        }
        if let a = ch.amount { l.amount = a }
        if let t = ch.balAccountType, t != l.balAccountType {
            l.balAccountType = t
            l.balAccountNo = ""
        }
        if let n = ch.balAccountNo {
            _ = try checkAccount(c, type: l.balAccountType, no: n, field: "Bal. Account No.")
            l.balAccountNo = n.uppercased()
        }
        if !ch.dimensions.isEmpty { l.dimensions = try applyDimensions(c, l.dimensions, ch.dimensions) }
    }

    mutating func insertJournalLine(_ c: Int, template: String, batch: String, lineNo: Int? = nil, _ ch: JournalLineChanges, id: String? = nil)
        throws -> NAVJournalLine
    {
        guard let b = companies[c].batch(template, batch) else {
            throw NAVError.notFound("Gen. Journal Batch", [("Journal Template Name", template), ("Name", batch)])
        }
        let existing = companies[c].journalLines(b.template, b.name)
        let number = (lineNo ?? 0) > 0 ? lineNo! : ((existing.last?.lineNo ?? 0) + 10_000)
        if existing.contains(where: { $0.lineNo == number }) {
            throw NAVError(
                .duplicateKey,
                "The Gen. Journal Line already exists. Identification fields and values: Journal Template Name='\(b.template)',Journal Batch Name='\(b.name)',Line No.='\(number)'"
            )
        }
        var l = NAVJournalLine(
            id: id ?? newId("journalLine"), template: b.template, batch: b.name, lineNo: number, postingDate: NAVDate.blank,
            documentType: .blank, documentNo: "", externalDocumentNo: "", accountType: NAVOption("G/L Account"), accountNo: "", description: "",
            currencyCode: "", amount: 0, balAccountType: NAVOption("G/L Account"), balAccountNo: "", dimensions: [:], version: 0)
        try apply(c, &l, ch)
        l.version = nextVersion()
        companies[c].journalLines.append(l)
        return l
    }

    private func journalIndex(_ c: Int, _ template: String, _ batch: String, _ lineNo: Int) throws -> Int {
        guard
            let i = companies[c].journalLines.firstIndex(where: {
                $0.template.caseInsensitiveCompare(template) == .orderedSame && $0.batch.caseInsensitiveCompare(batch) == .orderedSame
                    && $0.lineNo == lineNo
            })
        else {
            throw NAVError.notFound(
                "Gen. Journal Line", [("Journal Template Name", template), ("Journal Batch Name", batch), ("Line No.", String(lineNo))])
        }
        return i
    }

    mutating func modifyJournalLine(_ c: Int, template: String, batch: String, lineNo: Int, _ ch: JournalLineChanges, expectedVersion: Int64?)
        throws -> NAVJournalLine
    {
        let i = try journalIndex(c, template, batch, lineNo)
        var l = companies[c].journalLines[i]
        if let expectedVersion, expectedVersion != l.version {
            throw NAVError.otherUserModified("Gen. Journal Line \(l.template),\(l.batch),\(l.lineNo)")
        }
        try apply(c, &l, ch)
        l.version = nextVersion()
        companies[c].journalLines[i] = l
        return l
    }

    mutating func deleteJournalLine(_ c: Int, template: String, batch: String, lineNo: Int, expectedVersion: Int64?) throws {
        let i = try journalIndex(c, template, batch, lineNo)
        let l = companies[c].journalLines[i]
        if let expectedVersion, expectedVersion != l.version {
            throw NAVError.otherUserModified("Gen. Journal Line \(l.template),\(l.batch),\(l.lineNo)")
        }
        companies[c].journalLines.remove(at: i)
    }

    // MARK: Posting

    /// Posting checks of one G/L account (exists, Posting type, not blocked, direct posting when required).
    func checkPostingAccount(_ c: Int, _ no: String, requireDirectPosting: Bool) throws {
        guard let a = companies[c].glAccount(no) else { throw NAVError.notFound("G/L Account", [("No.", no)]) }
        let rec = "G/L Account: No.=\(a.no)"
        if a.accountType.caption != "Posting" {
            throw NAVError.mustBeEqual("Account Type", "Posting", in: rec, current: a.accountType.caption)
        }
        if a.blocked { throw NAVError.mustBeEqual("Blocked", "No", in: rec, current: "Yes") }
        if requireDirectPosting, !a.directPosting { throw NAVError.mustBeEqual("Direct Posting", "Yes", in: rec, current: "No") }
    }

    func checkDimensions(_ c: Int, _ set: NAVDimensionSet) throws {
        for code in set.keys.sorted() {
            let value = set[code] ?? ""
            guard let dv = companies[c].dimensionValue(code, value) else {
                throw NAVError.notFound("Dimension Value", [("Dimension Code", code), ("Code", value)])
            }
            if dv.blocked { throw NAVError(.dialog, "Dimension Value \(dv.dimensionCode) - \(dv.code) is blocked.") }
        }
    }

    func checkVendorForPosting(_ c: Int, _ no: String) throws {
        guard let v = companies[c].vendor(no) else { throw NAVError.notFound("Vendor", [("No.", no)]) }
        // Blocked "Payment" only blocks payments, not invoices.
        if v.blocked.caption == "All" {
            throw NAVError(.dialog, "You cannot post this type of document when Vendor \(v.no) is blocked with type All")
        }
    }

    private mutating func addGLEntry(
        _ c: Int, postingDate: String, documentNo: String, external: String, account: String, description: String, amount: Decimal,
        dimensions: NAVDimensionSet
    ) -> NAVGLEntry {
        let n = companies[c].nextGLEntryNo
        companies[c].nextGLEntryNo += 1
        let e = NAVGLEntry(
            id: NAVGuid.make("glentry|\(companies[c].id)|\(n)"), entryNo: n, postingDate: postingDate, documentNo: documentNo,
            externalDocumentNo: external, accountNo: account, description: description, amount: amount, dimensions: dimensions,
            version: nextVersion())
        companies[c].glEntries.append(e)
        return e
    }

    /// The payables account of vendor postings (vendor posting group "DOMESTIC").
    static let payablesAccount = "200100"

    /// Posts a purchase invoice draft: checks (order: lines, Vendor Invoice No., vendor blocked, duplicate Vendor
    /// Invoice No. for the vendor, line accounts, dimensions), then moves it to the posted invoices (same id, number
    /// `PPI-…`, Pre-Assigned No. = draft No.) and writes G/L entries (one per line, one payables entry).
    mutating func postPurchaseInvoice(_ c: Int, no: String) throws -> NAVPostedPurchaseInvoice {
        guard let h = companies[c].purchaseHeader(no) else {
            throw NAVError.notFound("Purchase Header", [("Document Type", "Invoice"), ("No.", no)])
        }
        let lines = companies[c].lines(of: h.no)
        let amountLines = lines.filter { $0.type.caption != " " }
        guard !amountLines.isEmpty else { throw NAVError.nothingToPost }
        let record = "Purchase Header: Document Type=Invoice, No.=\(h.no)"
        if h.vendorNo.isEmpty { throw NAVError.mustHaveValue("Buy-from Vendor No.", in: record) }
        if h.postingDate == NAVDate.blank { throw NAVError.mustHaveValue("Posting Date", in: record) }
        if h.vendorInvoiceNo.trimmingCharacters(in: .whitespaces).isEmpty { throw NAVError.mustHaveValue("Vendor Invoice No.", in: record) }
        try checkVendorForPosting(c, h.vendorNo)
        if companies[c].postedInvoices.contains(where: {
            $0.vendorNo.caseInsensitiveCompare(h.vendorNo) == .orderedSame
                && $0.vendorInvoiceNo.caseInsensitiveCompare(h.vendorInvoiceNo) == .orderedSame
        }) {
            throw NAVError(.dialog, "Purchase Invoice \(h.vendorInvoiceNo) already exists for this vendor.")
        }
        try checkDimensions(c, h.dimensions)
        for l in amountLines where l.type.caption == "G/L Account" {
            try checkPostingAccount(c, l.no, requireDirectPosting: true)
            try checkDimensions(c, l.dimensions)
        }
        try checkPostingAccount(c, NAVDatabase.payablesAccount, requireDirectPosting: false)
        let postedNo = "PPI-\(companies[c].nextPostedInvoiceNo)"
        companies[c].nextPostedInvoiceNo += 1
        var total = Decimal(0)
        for l in amountLines {
            total += l.lineAmount
            _ = addGLEntry(
                c, postingDate: h.postingDate, documentNo: postedNo, external: h.vendorInvoiceNo, account: l.no, description: l.description,
                amount: l.lineAmount, dimensions: l.dimensions)
        }
        _ = addGLEntry(
            c, postingDate: h.postingDate, documentNo: postedNo, external: h.vendorInvoiceNo, account: NAVDatabase.payablesAccount,
            description: h.vendorName, amount: -total, dimensions: h.dimensions)
        let posted = NAVPostedPurchaseInvoice(
            id: h.id, no: postedNo, preAssignedNo: h.no, vendorNo: h.vendorNo, vendorName: h.vendorName, vendorInvoiceNo: h.vendorInvoiceNo,
            documentDate: h.documentDate, postingDate: h.postingDate, dueDate: h.dueDate, currencyCode: h.currencyCode, dimensions: h.dimensions,
            lines: lines, amount: total, version: nextVersion())
        companies[c].postedInvoices.append(posted)
        companies[c].purchaseHeaders.removeAll { $0.id == h.id }
        companies[c].purchaseLines.removeAll { $0.documentNo == h.no }
        return posted
    }

    /// Posts every line of a journal batch: checks (nothing to post, accounts, vendors, dimensions, balance per
    /// Document No. and Posting Date), writes G/L entries (Document No. kept) and deletes the lines.
    mutating func postJournalBatch(_ c: Int, template: String, batch: String) throws -> [NAVGLEntry] {
        guard let b = companies[c].batch(template, batch) else {
            throw NAVError.notFound("Gen. Journal Batch", [("Journal Template Name", template), ("Name", batch)])
        }
        let lines = companies[c].journalLines(b.template, b.name)
        guard !lines.isEmpty else { throw NAVError.nothingToPost }
        for l in lines {
            let rec = "Gen. Journal Line: Journal Template Name=\(l.template), Journal Batch Name=\(l.batch), Line No.=\(l.lineNo)"
            if l.postingDate == NAVDate.blank { throw NAVError.mustHaveValue("Posting Date", in: rec) }
            if l.documentNo.isEmpty { throw NAVError.mustHaveValue("Document No.", in: rec) }
            for (type, no) in [(l.accountType, l.accountNo), (l.balAccountType, l.balAccountNo)] where !no.isEmpty {
                switch type.caption {
                case "G/L Account": try checkPostingAccount(c, no, requireDirectPosting: true)
                case "Vendor": try checkVendorForPosting(c, no)
                default: throw NAVError(.dialog, "Account Type \(type.caption) cannot be posted in this sandbox.")
                }
            }
            try checkDimensions(c, l.dimensions)
        }
        // Balance per (posting date, document no.): lines with a balancing account balance themselves.
        var order: [String] = []
        var sums: [String: (doc: String, sum: Decimal)] = [:]
        for l in lines {
            let key = l.postingDate + "|" + l.documentNo
            if sums[key] == nil {
                order.append(key)
                sums[key] = (l.documentNo, 0)
            }
            if l.balAccountNo.isEmpty { sums[key]!.sum += l.amount }
        }
        for key in order where sums[key]!.sum != 0 {
            let s = sums[key]!
            throw NAVError(
                .dialog,
                "Document No. \(s.doc) is out of balance by \(NAVDecimal.formatted(s.sum)). Please check that Posting Date, Document Type, Document No. and amount are correct for each line."
            )
        }
        var entries: [NAVGLEntry] = []
        func glAccount(_ type: NAVOption, _ no: String) -> String { type.caption == "Vendor" ? NAVDatabase.payablesAccount : no }
        for l in lines {
            if !l.accountNo.isEmpty {
                entries.append(
                    addGLEntry(
                        c, postingDate: l.postingDate, documentNo: l.documentNo, external: l.externalDocumentNo,
                        account: glAccount(l.accountType, l.accountNo), description: l.description, amount: l.amount, dimensions: l.dimensions))
            }
            if !l.balAccountNo.isEmpty {
                entries.append(
                    addGLEntry(
                        c, postingDate: l.postingDate, documentNo: l.documentNo, external: l.externalDocumentNo,
                        account: glAccount(l.balAccountType, l.balAccountNo), description: l.description, amount: -l.amount,
                        dimensions: l.dimensions))
            }
        }
        companies[c].journalLines.removeAll {
            $0.template.caseInsensitiveCompare(b.template) == .orderedSame && $0.batch.caseInsensitiveCompare(b.name) == .orderedSame
        }
        return entries
    }
}
