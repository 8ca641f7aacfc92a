import Foundation

/// The SOAP pages over the shared NAV database (`NAVDatabase`, a value type: a copy is a snapshot, which is what
/// CreateMultiple/UpdateMultiple need). Fields are applied in page order; the table-level rules and messages are
/// the database's, plus the page-level checks SOAP meets first (table relations of `No.` and `Buy-from Vendor No.`).
extension NAVDatabase: NAVSOAPBackend {
    static let defaultTemplate = "GENERAL"
    static let defaultBatch = "DEFAULT"

    private func company(_ name: String) throws(NAVSOAPFault) -> Int {
        guard let c = companyIndex(name: name) else {
            throw NAVSOAPFault("NavCompanyNotFoundException", "The company '\(name)' does not exist.", status: 404)
        }
        return c
    }

    /// Runs a database operation, turning its `NAVError` into the SOAP fault of the same exception type.
    private static func fault<T>(_ body: () throws -> T) throws(NAVSOAPFault) -> T {
        do {
            return try body()
        } catch let e as NAVError {
            let type = e.soapException.split(separator: ".").last.map(String.init) ?? "NavCSideException"
            throw NAVSOAPFault(type, e.message)
        } catch let f as NAVSOAPFault {
            throw f
        } catch {
            throw NAVSOAPFault.generic("\(error)")
        }
    }

    private static func text(_ d: Decimal) -> String { SOAPValueText.format(d) }
    private static func date(_ d: String) -> String { d == NAVDate.blank ? "" : d }
    private static func bool(_ b: Bool) -> String { b ? "true" : "false" }

    /// Page dimension fields (slot 1…8) of a dimension set.
    private func slotFields(_ c: Int, _ set: NAVDimensionSet, into fields: inout [String: String]) {
        for slot in 1...8 {
            guard let dim = companies[c].dimension(slot: slot), let value = set[dim.code] else { continue }
            fields[NAVNames.shortcutField(slot)] = value
        }
    }

    /// The dimension changes of the slot fields among `fields`.
    private func dimensionChanges(_ c: Int, _ fields: [(name: String, value: String)]) throws(NAVSOAPFault) -> [(code: String, value: String)] {
        let slots = fields.compactMap { f in NAVSOAPPages.dimensionSlot(f.name).map { (slot: $0, value: f.value) } }
        if slots.isEmpty { return [] }
        return try NAVDatabase.fault { try slotChanges(c, slots) }
    }

    private func decimal(_ text: String?) -> Decimal? { text.flatMap { SOAPValueText.decimal($0) ?? 0 } }

    // MARK: Rows

    func rows(_ page: NAVSOAPPage, _ ctx: SOAPPageContext) throws(NAVSOAPFault) -> [SOAPPageRow] {
        let c = try company(ctx.company)
        let co = companies[c]
        switch page.service {
        case "VendorCard":
            return co.vendors.map { v in
                SOAPPageRow(
                    primaryKey: [v.no], version: Int(v.version),
                    fields: ["No": v.no, "Name": v.name, "Blocked": v.blocked.caption, "E_Mail": v.email, "Currency_Code": v.currencyCode])
            }
        case "EmployeeCard":
            return co.employees.map { e in
                SOAPPageRow(
                    primaryKey: [e.no], version: Int(e.version),
                    fields: [
                        "No": e.no, "First_Name": e.givenName, "Last_Name": e.surname, "Company_E_Mail": e.email, "Status": e.status,
                        "Termination_Date": e.terminationDate, "Manager_No": e.managerNo,
                    ].filter { !$0.value.isEmpty })
            }
        case "GLAccountCard", "ChartOfAccounts":
            return co.glAccounts.map { a in
                SOAPPageRow(
                    primaryKey: [a.no], version: Int(a.version),
                    fields: [
                        "No": a.no, "Name": a.name, "Income_Balance": a.incomeBalance.caption, "Account_Category": a.category.caption,
                        "Account_Type": a.accountType.caption, "Direct_Posting": NAVDatabase.bool(a.directPosting),
                        "Blocked": NAVDatabase.bool(a.blocked),
                    ])
            }
        case "DimensionValues":
            return co.dimensionValues.map { v in
                SOAPPageRow(
                    primaryKey: [v.dimensionCode, v.code], version: Int(v.version),
                    fields: [
                        "Dimension_Code": v.dimensionCode, "Code": v.code, "Name": v.name, "Dimension_Value_Type": v.valueType.caption,
                        "Blocked": NAVDatabase.bool(v.blocked),
                    ])
            }
        case "Dimensions":
            return co.dimensions.map { d in SOAPPageRow(primaryKey: [d.code], version: Int(d.version), fields: ["Code": d.code, "Name": d.name]) }
        case "PurchaseInvoice":
            return co.purchaseHeaders.map { h in
                var fields: [String: String] = [
                    "No": h.no, "Buy_from_Vendor_No": h.vendorNo, "Buy_from_Vendor_Name": h.vendorName,
                    "Document_Date": NAVDatabase.date(h.documentDate), "Posting_Date": NAVDatabase.date(h.postingDate),
                    "Due_Date": NAVDatabase.date(h.dueDate), "Vendor_Invoice_No": h.vendorInvoiceNo, "Status": h.status.caption,
                    "Currency_Code": h.currencyCode,
                ]
                slotFields(c, h.dimensions, into: &fields)
                fields = fields.filter { $0.key.hasPrefix("Shortcut_Dimension_") || !$0.key.hasPrefix("ShortcutDimCode") }
                let lines = co.lines(of: h.no).map { l -> SOAPPageRow in
                    var lf: [String: String] = [
                        "Type": l.type.caption, "No": l.no, "Description": l.description, "Quantity": NAVDatabase.text(l.quantity),
                        "Direct_Unit_Cost": NAVDatabase.text(l.directUnitCost), "Line_Amount": NAVDatabase.text(l.lineAmount),
                    ]
                    slotFields(c, l.dimensions, into: &lf)
                    return SOAPPageRow(primaryKey: ["Invoice", h.no, String(l.lineNo)], version: Int(l.version), fields: lf)
                }
                return SOAPPageRow(primaryKey: ["Invoice", h.no], version: Int(h.version), fields: fields, lines: lines)
            }
        case "PostedPurchaseInvoices":
            return co.postedInvoices.map { p in
                SOAPPageRow(
                    primaryKey: [p.no], version: Int(p.version),
                    fields: [
                        "No": p.no, "Buy_from_Vendor_No": p.vendorNo, "Buy_from_Vendor_Name": p.vendorName,
                        "Vendor_Invoice_No": p.vendorInvoiceNo, "Pre_Assigned_No": p.preAssignedNo, "Currency_Code": p.currencyCode,
                        "Amount": NAVDatabase.text(p.amount), "Amount_Including_VAT": NAVDatabase.text(p.amount),
                        "Posting_Date": NAVDatabase.date(p.postingDate),
                    ])
            }
        case "GeneralJournal", "ExpenseJournal":
            let lines: [NAVJournalLine]
            if page.service == "GeneralJournal" || ctx.batch != nil {
                let batch = try journalBatch(c, ctx)
                lines = co.journalLines(batch.template, batch.name)
            } else {
                lines = co.journalLines
            }
            return lines.map { journalRow(c, $0) }
        case "GeneralLedgerEntries":
            let g1 = co.dimension(slot: 1)?.code ?? ""
            let g2 = co.dimension(slot: 2)?.code ?? ""
            return co.glEntries.map { e in
                SOAPPageRow(
                    primaryKey: [String(e.entryNo)], version: Int(e.version),
                    fields: [
                        "Entry_No": String(e.entryNo), "Posting_Date": NAVDatabase.date(e.postingDate), "Document_No": e.documentNo,
                        "External_Document_No": e.externalDocumentNo, "G_L_Account_No": e.accountNo, "Description": e.description,
                        "Amount": NAVDatabase.text(e.amount), "Global_Dimension_1_Code": e.dimensions[g1] ?? "",
                        "Global_Dimension_2_Code": e.dimensions[g2] ?? "",
                    ])
            }
        default:
            throw NAVSOAPFault(client: "The page \(page.service) is not published.")
        }
    }

    /// The batch of a journal page call: `CurrentJnlBatchName` (or DEFAULT) in the GENERAL template.
    private func journalBatch(_ c: Int, _ ctx: SOAPPageContext) throws(NAVSOAPFault) -> NAVJournalBatch {
        let name = ctx.batch?.trimmingCharacters(in: .whitespaces).uppercased() ?? NAVDatabase.defaultBatch
        guard let b = companies[c].batch(NAVDatabase.defaultTemplate, name.isEmpty ? NAVDatabase.defaultBatch : name) else {
            throw NAVSOAPFault.recordNotFound(
                "The Gen. Journal Batch does not exist. Identification fields and values: Journal Template Name='\(NAVDatabase.defaultTemplate)',Name='\(name)'"
            )
        }
        return b
    }

    private func journalRow(_ c: Int, _ l: NAVJournalLine) -> SOAPPageRow {
        let co = companies[c]
        var accountName = ""
        switch l.accountType.caption {
        case "G/L Account": accountName = co.glAccount(l.accountNo)?.name ?? ""
        case "Vendor": accountName = co.vendor(l.accountNo)?.name ?? ""
        default: break
        }
        var fields: [String: String] = [
            "Journal_Template_Name": l.template, "Journal_Batch_Name": l.batch, "Line_No": String(l.lineNo),
            "Posting_Date": NAVDatabase.date(l.postingDate), "Document_Type": l.documentType.caption, "Document_No": l.documentNo,
            "External_Document_No": l.externalDocumentNo, "Account_Type": l.accountType.caption, "Account_No": l.accountNo,
            "AccountName": accountName, "Description": l.description, "Currency_Code": l.currencyCode,
            "Amount": NAVDatabase.text(l.amount), "Amount_LCY": NAVDatabase.text(l.amount),
            "Debit_Amount": NAVDatabase.text(l.amount > 0 ? l.amount : 0), "Credit_Amount": NAVDatabase.text(l.amount < 0 ? -l.amount : 0),
            "Bal_Account_Type": l.balAccountType.caption, "Bal_Account_No": l.balAccountNo,
        ]
        slotFields(c, l.dimensions, into: &fields)
        return SOAPPageRow(primaryKey: [l.template, l.batch, String(l.lineNo)], version: Int(l.version), fields: fields)
    }

    // MARK: Writes

    private func option(_ text: String?) -> NAVOption? { text.map { NAVOption($0) } }

    /// SOAP meets the table relation of Buy-from Vendor No. before the OnValidate `GET`.
    private func checkVendorRelation(_ c: Int, _ no: String?) throws(NAVSOAPFault) {
        guard let no, !no.isEmpty, companies[c].vendor(no) == nil else { return }
        throw NAVSOAPFault.tableRelation(
            "The field Buy-from Vendor No. of table Purchase Header contains a value (\(no)) that cannot be found in the related table (Vendor).")
    }

    /// The table relation of a purchase line's No. (for Type G/L Account).
    private func checkLineRelation(_ c: Int, type: String, no: String?) throws(NAVSOAPFault) {
        guard let no, !no.isEmpty, type == "G/L Account", companies[c].glAccount(no) == nil else { return }
        throw NAVSOAPFault.tableRelation(
            "The field No. of table Purchase Line contains a value (\(no)) that cannot be found in the related table (G/L Account).")
    }

    private func headerChanges(_ c: Int, _ input: SOAPRecordInput) throws(NAVSOAPFault) -> HeaderChanges {
        try checkVendorRelation(c, input.value("Buy_from_Vendor_No"))
        var ch = HeaderChanges()
        ch.vendorNo = input.value("Buy_from_Vendor_No")
        ch.documentDate = input.value("Document_Date").map { $0.isEmpty ? NAVDate.blank : $0 }
        ch.postingDate = input.value("Posting_Date").map { $0.isEmpty ? NAVDate.blank : $0 }
        ch.dueDate = input.value("Due_Date").map { $0.isEmpty ? NAVDate.blank : $0 }
        ch.vendorInvoiceNo = input.value("Vendor_Invoice_No")
        ch.currencyCode = input.value("Currency_Code")
        ch.dimensions = try dimensionChanges(c, input.fields)
        return ch
    }

    private func lineChanges(_ c: Int, _ line: SOAPLineInput, currentType: String) throws(NAVSOAPFault) -> LineChanges {
        try checkLineRelation(c, type: line.value("Type") ?? currentType, no: line.value("No"))
        var ch = LineChanges()
        ch.type = option(line.value("Type"))
        ch.no = line.value("No")
        ch.description = line.value("Description")
        ch.quantity = decimal(line.value("Quantity"))
        ch.directUnitCost = decimal(line.value("Direct_Unit_Cost"))
        ch.dimensions = try dimensionChanges(c, line.fields)
        return ch
    }

    private func journalChanges(_ c: Int, _ input: SOAPRecordInput) throws(NAVSOAPFault) -> JournalLineChanges {
        var ch = JournalLineChanges()
        ch.postingDate = input.value("Posting_Date").map { $0.isEmpty ? NAVDate.blank : $0 }
        ch.documentType = option(input.value("Document_Type"))
        ch.documentNo = input.value("Document_No")
        ch.externalDocumentNo = input.value("External_Document_No")
        ch.accountType = option(input.value("Account_Type"))
        ch.accountNo = input.value("Account_No")
        ch.description = input.value("Description")
        ch.currencyCode = input.value("Currency_Code")
        ch.amount = decimal(input.value("Amount"))
        ch.balAccountType = option(input.value("Bal_Account_Type"))
        ch.balAccountNo = input.value("Bal_Account_No")
        ch.dimensions = try dimensionChanges(c, input.fields)
        return ch
    }

    /// (template, batch) a journal record goes to: ExpenseJournal's own fields, else `CurrentJnlBatchName`.
    private func journalTarget(_ c: Int, _ page: NAVSOAPPage, _ ctx: SOAPPageContext, _ input: SOAPRecordInput) throws(NAVSOAPFault)
        -> (String, String)
    {
        if page.service == "ExpenseJournal" {
            let template = input.value("Journal_Template_Name").flatMap { $0.isEmpty ? nil : $0 } ?? NAVDatabase.defaultTemplate
            let batch = input.value("Journal_Batch_Name").flatMap { $0.isEmpty ? nil : $0 } ?? ctx.batch?.uppercased() ?? NAVDatabase.defaultBatch
            return (template, batch)
        }
        let b = try journalBatch(c, ctx)
        return (b.template, b.name)
    }

    private func row(_ page: NAVSOAPPage, _ ctx: SOAPPageContext, _ pk: [String]) throws(NAVSOAPFault) -> SOAPPageRow {
        var lookup = ctx
        if page.service == "ExpenseJournal" { lookup.batch = nil }
        if page.service == "GeneralJournal", pk.count == 3 { lookup.batch = pk[1] }
        guard let r = try rows(page, lookup).first(where: { $0.primaryKey == pk }) else {
            throw NAVSOAPFault.generic("The \(page.tableName) record was written but cannot be read back.")
        }
        return r
    }

    private func duplicate(_ table: String, _ fields: [(String, String)]) -> NAVSOAPFault {
        NAVSOAPFault.duplicateKey(
            "The \(table) already exists. Identification fields and values: " + fields.map { "\($0.0)='\($0.1)'" }.joined(separator: ","))
    }

    private func required(_ input: SOAPRecordInput, _ field: String, _ caption: String, _ table: String) throws(NAVSOAPFault) -> String {
        guard let v = input.value(field), !v.isEmpty else {
            throw NAVSOAPFault.testField("\(caption) must have a value in \(table). It cannot be zero or empty.")
        }
        return v
    }

    mutating func create(_ page: NAVSOAPPage, _ ctx: SOAPPageContext, _ input: SOAPRecordInput) throws(NAVSOAPFault) -> SOAPPageRow {
        let c = try company(ctx.company)
        switch page.service {
        case "VendorCard":
            let no = try required(input, "No", "No.", "Vendor")
            if companies[c].vendor(no) != nil { throw duplicate("Vendor", [("No.", no)]) }
            let v = NAVVendor(
                id: newId("vendor"), no: no, name: input.value("Name") ?? "", email: input.value("E_Mail") ?? "",
                blocked: option(input.value("Blocked")) ?? .blank, currencyCode: companies[c].storedCurrency(input.value("Currency_Code") ?? ""),
                version: nextVersion())
            companies[c].vendors.append(v)
            return try row(page, ctx, [v.no])
        case "GLAccountCard", "ChartOfAccounts":
            let no = try required(input, "No", "No.", "G/L Account")
            if companies[c].glAccount(no) != nil { throw duplicate("G/L Account", [("No.", no)]) }
            let a = NAVGLAccount(
                id: newId("glAccount"), no: no, name: input.value("Name") ?? "",
                accountType: option(input.value("Account_Type")) ?? NAVOption("Posting"), directPosting: input.value("Direct_Posting") == "true",
                blocked: input.value("Blocked") == "true", category: option(input.value("Account_Category")) ?? .blank,
                incomeBalance: option(input.value("Income_Balance")) ?? NAVOption("Income Statement"), version: nextVersion())
            companies[c].glAccounts.append(a)
            return try row(page, ctx, [a.no])
        case "Dimensions":
            let code = try required(input, "Code", "Code", "Dimension")
            if companies[c].dimension(code) != nil { throw duplicate("Dimension", [("Code", code)]) }
            companies[c].dimensions.append(
                NAVDimension(id: newId("dimension"), code: code, name: input.value("Name") ?? "", slot: nil, version: nextVersion()))
            return try row(page, ctx, [code])
        case "DimensionValues":
            let dim = try required(input, "Dimension_Code", "Dimension Code", "Dimension Value")
            let code = try required(input, "Code", "Code", "Dimension Value")
            guard let d = companies[c].dimension(dim) else {
                throw NAVSOAPFault.tableRelation(
                    "The field Dimension Code of table Dimension Value contains a value (\(dim)) that cannot be found in the related table (Dimension)."
                )
            }
            if companies[c].dimensionValue(d.code, code) != nil { throw duplicate("Dimension Value", [("Dimension Code", d.code), ("Code", code)]) }
            companies[c].dimensionValues.append(
                NAVDimensionValue(
                    id: newId("dimensionValue"), dimensionCode: d.code, code: code, name: input.value("Name") ?? "",
                    valueType: option(input.value("Dimension_Value_Type")) ?? NAVOption("Standard"), blocked: input.value("Blocked") == "true",
                    version: nextVersion()))
            return try row(page, ctx, [d.code, code])
        case "PurchaseInvoice":
            let ch = try headerChanges(c, input)
            let h = try NAVDatabase.fault { try insertPurchaseHeader(c, ch) }
            for line in input.lines ?? [] {
                let lc = try lineChanges(c, line, currentType: "G/L Account")
                _ = try NAVDatabase.fault { try insertPurchaseLine(c, documentNo: h.no, lc) }
            }
            return try row(page, ctx, ["Invoice", h.no])
        case "GeneralJournal", "ExpenseJournal":
            let (template, batch) = try journalTarget(c, page, ctx, input)
            let ch = try journalChanges(c, input)
            let l = try NAVDatabase.fault { try insertJournalLine(c, template: template, batch: batch, ch) }
            return try row(page, ctx, [l.template, l.batch, String(l.lineNo)])
        default:
            throw NAVSOAPFault.dialog("Create is not allowed on the page \(page.service).")
        }
    }

    mutating func update(_ page: NAVSOAPPage, _ ctx: SOAPPageContext, current: SOAPPageRow, _ input: SOAPRecordInput) throws(NAVSOAPFault)
        -> SOAPPageRow
    {
        let c = try company(ctx.company)
        let pk = current.primaryKey
        func renamed(_ field: String, _ index: Int) throws(NAVSOAPFault) {
            if let v = input.value(field), v.caseInsensitiveCompare(pk[index]) != .orderedSame {
                throw NAVSOAPFault.dialog("You cannot rename a \(page.tableName) through the page \(page.service).")
            }
        }
        switch page.service {
        case "VendorCard":
            try renamed("No", 0)
            guard let i = companies[c].vendors.firstIndex(where: { $0.no == pk[0] }) else { break }
            var v = companies[c].vendors[i]
            if let x = input.value("Name") { v.name = x }
            if let x = input.value("E_Mail") { v.email = x }
            if let x = option(input.value("Blocked")) { v.blocked = x }
            if let x = input.value("Currency_Code") { v.currencyCode = companies[c].storedCurrency(x) }
            v.version = nextVersion()
            companies[c].vendors[i] = v
        case "GLAccountCard", "ChartOfAccounts":
            try renamed("No", 0)
            guard let i = companies[c].glAccounts.firstIndex(where: { $0.no == pk[0] }) else { break }
            var a = companies[c].glAccounts[i]
            if let x = input.value("Name") { a.name = x }
            if let x = option(input.value("Income_Balance")) { a.incomeBalance = x }
            if let x = option(input.value("Account_Category")) { a.category = x }
            if let x = option(input.value("Account_Type")) { a.accountType = x }
            if let x = input.value("Direct_Posting") { a.directPosting = x == "true" }
            if let x = input.value("Blocked") { a.blocked = x == "true" }
            a.version = nextVersion()
            companies[c].glAccounts[i] = a
        case "Dimensions":
            try renamed("Code", 0)
            guard let i = companies[c].dimensions.firstIndex(where: { $0.code == pk[0] }) else { break }
            if let x = input.value("Name") { companies[c].dimensions[i].name = x }
            companies[c].dimensions[i].version = nextVersion()
        case "DimensionValues":
            try renamed("Dimension_Code", 0)
            try renamed("Code", 1)
            guard let i = companies[c].dimensionValues.firstIndex(where: { $0.dimensionCode == pk[0] && $0.code == pk[1] }) else { break }
            var v = companies[c].dimensionValues[i]
            if let x = input.value("Name") { v.name = x }
            if let x = option(input.value("Dimension_Value_Type")) { v.valueType = x }
            if let x = input.value("Blocked") { v.blocked = x == "true" }
            v.version = nextVersion()
            companies[c].dimensionValues[i] = v
        case "PurchaseInvoice":
            let no = pk[1]
            let ch = try headerChanges(c, input)
            _ = try NAVDatabase.fault { try modifyPurchaseHeader(c, no: no, ch, expectedVersion: nil) }
            for line in input.lines ?? [] {
                if let lpk = line.primaryKey, lpk.count == 3, let lineNo = Int(lpk[2]) {
                    let currentType = current.lines.first { $0.primaryKey == lpk }?.fields["Type"] ?? "G/L Account"
                    let lc = try lineChanges(c, line, currentType: currentType)
                    _ = try NAVDatabase.fault { try modifyPurchaseLine(c, documentNo: no, lineNo: lineNo, lc, expectedVersion: nil) }
                } else {
                    let lc = try lineChanges(c, line, currentType: "G/L Account")
                    _ = try NAVDatabase.fault { try insertPurchaseLine(c, documentNo: no, lc) }
                }
            }
            // A line change is a change of the document: its Key changes too.
            if let i = companies[c].purchaseHeaders.firstIndex(where: { $0.no == no }) {
                companies[c].purchaseHeaders[i].version = nextVersion()
            }
        case "GeneralJournal", "ExpenseJournal":
            try renamed("Journal_Template_Name", 0)
            try renamed("Journal_Batch_Name", 1)
            let ch = try journalChanges(c, input)
            _ = try NAVDatabase.fault {
                try modifyJournalLine(c, template: pk[0], batch: pk[1], lineNo: Int(pk[2]) ?? 0, ch, expectedVersion: nil)
            }
        default:
            throw NAVSOAPFault.dialog("Update is not allowed on the page \(page.service).")
        }
        return try row(page, ctx, pk)
    }

    mutating func delete(_ page: NAVSOAPPage, _ ctx: SOAPPageContext, current: SOAPPageRow) throws(NAVSOAPFault) {
        let c = try company(ctx.company)
        let pk = current.primaryKey
        switch page.service {
        case "VendorCard": companies[c].vendors.removeAll { $0.no == pk[0] }
        case "GLAccountCard", "ChartOfAccounts": companies[c].glAccounts.removeAll { $0.no == pk[0] }
        case "Dimensions": companies[c].dimensions.removeAll { $0.code == pk[0] }
        case "DimensionValues": companies[c].dimensionValues.removeAll { $0.dimensionCode == pk[0] && $0.code == pk[1] }
        case "PurchaseInvoice": try NAVDatabase.fault { try deletePurchaseHeader(c, no: pk[1], expectedVersion: nil) }
        case "GeneralJournal", "ExpenseJournal":
            try NAVDatabase.fault { try deleteJournalLine(c, template: pk[0], batch: pk[1], lineNo: Int(pk[2]) ?? 0, expectedVersion: nil) }
        default:
            throw NAVSOAPFault.dialog("Delete is not allowed on the page \(page.service).")
        }
    }

    mutating func deleteLine(_ page: NAVSOAPPage, _ ctx: SOAPPageContext, header: SOAPPageRow, line: SOAPPageRow) throws(NAVSOAPFault) {
        let c = try company(ctx.company)
        guard page.service == "PurchaseInvoice", line.primaryKey.count == 3, let lineNo = Int(line.primaryKey[2]) else {
            throw NAVSOAPFault.dialog("Delete_\(page.part?.name ?? "") is not allowed on the page \(page.service).")
        }
        try NAVDatabase.fault { try deletePurchaseLine(c, documentNo: line.primaryKey[1], lineNo: lineNo, expectedVersion: nil) }
        if let i = companies[c].purchaseHeaders.firstIndex(where: { $0.no == line.primaryKey[1] }) {
            companies[c].purchaseHeaders[i].version = nextVersion()
        }
    }

    /// Codeunit `ExpensePosting`: `PostPurchaseInvoice` returns the posted invoice No., `PostJournalBatch` the
    /// number of journal lines posted.
    mutating func call(_ codeunit: NAVSOAPCodeunit, _ method: SOAPCodeunitMethod, company name: String, arguments: [String: String])
        throws(NAVSOAPFault) -> String
    {
        let c = try company(name)
        switch method.name {
        case "PostPurchaseInvoice":
            let no = arguments["documentNo"] ?? ""
            return try NAVDatabase.fault { try postPurchaseInvoice(c, no: no).no }
        case "PostJournalBatch":
            let template = arguments["templateName"] ?? ""
            let batch = arguments["batchName"] ?? ""
            let count = companies[c].journalLines(template, batch).count
            _ = try NAVDatabase.fault { try postJournalBatch(c, template: template, batch: batch) }
            return String(count)
        default:
            throw NAVSOAPFault(client: "The method '\(method.name)' is not a method of the codeunit \(codeunit.service).")
        }
    }
}
