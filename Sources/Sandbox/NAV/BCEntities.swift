import Foundation

/// JSON shapes of the BC API v2.0 entities (reference §1.2) built from the NAV database.
extension NAVDatabase {
    static let zeroGuid = "00000000-0000-0000-0000-000000000000"

    func bcCompany(_ c: Int) -> D365JSONObject {
        let co = companies[c]
        return D365JSONObject([
            ("@odata.etag", .string(NAVVersioning.etag(co.version))), ("id", .string(co.id)), ("systemVersion", .string("24.0.16410.0")),
            ("name", .string(co.name)), ("displayName", .string(co.displayName)), ("businessProfileId", .string("")),
        ])
    }

    func bcVendor(_ c: Int, _ v: NAVVendor) -> D365JSONObject {
        D365JSONObject([
            ("@odata.etag", .string(NAVVersioning.etag(v.version))), ("id", .string(v.id)), ("number", .string(v.no)),
            ("displayName", .string(v.name)), ("email", .string(v.email)), ("currencyCode", .string(v.currencyCode)),
            ("blocked", .string(v.blocked.caption)), ("balance", .number("0")),
        ])
    }

    func bcEmployee(_ c: Int, _ e: NAVEmployee) -> D365JSONObject {
        D365JSONObject([
            ("@odata.etag", .string(NAVVersioning.etag(e.version))), ("id", .string(e.id)), ("number", .string(e.no)),
            ("displayName", .string("\(e.givenName) \(e.surname)")), ("givenName", .string(e.givenName)), ("middleName", .string("")),
            ("surname", .string(e.surname)), ("email", .string(e.email)), ("personalEmail", .string("")), ("status", .string(e.status)),
            ("terminationDate", .string(e.terminationDate.isEmpty ? NAVDate.blank : e.terminationDate)),
        ])
    }

    static func bcAccountType(_ o: NAVOption) -> String { o.caption.replacingOccurrences(of: "-", with: " ") }

    func bcAccount(_ c: Int, _ a: NAVGLAccount) -> D365JSONObject {
        D365JSONObject([
            ("@odata.etag", .string(NAVVersioning.etag(a.version))), ("id", .string(a.id)), ("number", .string(a.no)),
            ("displayName", .string(a.name)), ("category", .string(a.category.caption)), ("subCategory", .string("")),
            ("blocked", .bool(a.blocked)), ("accountType", .string(NAVDatabase.bcAccountType(a.accountType))),
            ("directPosting", .bool(a.directPosting)), ("netChange", .number("0")),
        ])
    }

    func bcDimension(_ c: Int, _ d: NAVDimension) -> D365JSONObject {
        D365JSONObject([
            ("@odata.etag", .string(NAVVersioning.etag(d.version))), ("id", .string(d.id)), ("code", .string(d.code)),
            ("displayName", .string(d.name)), ("consolidationCode", .string("")),
        ])
    }

    func bcDimensionValue(_ c: Int, _ v: NAVDimensionValue) -> D365JSONObject {
        D365JSONObject([
            ("@odata.etag", .string(NAVVersioning.etag(v.version))), ("id", .string(v.id)), ("code", .string(v.code)),
            ("dimensionId", .string(companies[c].dimension(v.dimensionCode)?.id ?? NAVDatabase.zeroGuid)), ("displayName", .string(v.name)),
            ("consolidationCode", .string("")),
        ])
    }

    /// A draft (status Draft) or posted (status Open, posted number, same id) purchase invoice.
    func bcPurchaseInvoice(_ c: Int, draft h: NAVPurchaseHeader?, posted p: NAVPostedPurchaseInvoice?) -> D365JSONObject {
        let co = companies[c]
        let id = h?.id ?? p!.id
        let vendorNo = h?.vendorNo ?? p!.vendorNo
        let currency = h?.currencyCode ?? p!.currencyCode
        let dims = h?.dimensions ?? p!.dimensions
        let total: Decimal = h.map { co.lines(of: $0.no).reduce(Decimal(0)) { $0 + $1.lineAmount } } ?? p!.amount
        let g1 = co.dimension(slot: 1)?.code ?? ""
        let g2 = co.dimension(slot: 2)?.code ?? ""
        let cur = co.currency(co.shownCurrency(currency))
        return D365JSONObject([
            ("@odata.etag", .string(NAVVersioning.etag(h?.version ?? p!.version))), ("id", .string(id)), ("number", .string(h?.no ?? p!.no)),
            ("invoiceDate", .string(h?.documentDate ?? p!.documentDate)), ("postingDate", .string(h?.postingDate ?? p!.postingDate)),
            ("dueDate", .string(h?.dueDate ?? p!.dueDate)), ("vendorInvoiceNumber", .string(h?.vendorInvoiceNo ?? p!.vendorInvoiceNo)),
            ("vendorId", .string(co.vendor(vendorNo)?.id ?? NAVDatabase.zeroGuid)), ("vendorNumber", .string(vendorNo)),
            ("vendorName", .string(h?.vendorName ?? p!.vendorName)), ("shortcutDimension1Code", .string(dims[g1] ?? "")),
            ("shortcutDimension2Code", .string(dims[g2] ?? "")),
            ("currencyId", .string(currency.isEmpty ? NAVDatabase.zeroGuid : (cur?.id ?? NAVDatabase.zeroGuid))),
            ("currencyCode", .string(co.shownCurrency(currency))), ("pricesIncludeTax", .bool(false)), ("discountAmount", .number("0")),
            ("discountAppliedBeforeTax", .bool(false)), ("totalAmountExcludingTax", .decimal(total)), ("totalTaxAmount", .number("0")),
            ("totalAmountIncludingTax", .decimal(total)), ("status", .string(h != nil ? "Draft" : "Open")),
        ])
    }

    func bcPurchaseLine(_ c: Int, documentId: String, _ l: NAVPurchaseLine) -> D365JSONObject {
        let account = l.type.caption == "G/L Account" ? companies[c].glAccount(l.no) : nil
        return D365JSONObject([
            ("@odata.etag", .string(NAVVersioning.etag(l.version))), ("id", .string(l.id)), ("documentId", .string(documentId)),
            ("sequence", .int(l.lineNo)), ("itemId", .string(NAVDatabase.zeroGuid)), ("accountId", .string(account?.id ?? NAVDatabase.zeroGuid)),
            ("lineType", .string(NAVDatabase.bcLineType(l.type))), ("lineObjectNumber", .string(l.no)), ("description", .string(l.description)),
            ("unitCost", .decimal(l.directUnitCost)), ("quantity", .decimal(l.quantity)), ("discountAmount", .number("0")),
            ("discountPercent", .number("0")), ("amountExcludingTax", .decimal(l.lineAmount)), ("taxCode", .string("")),
            ("taxPercent", .number("0")), ("totalTaxAmount", .number("0")), ("amountIncludingTax", .decimal(l.lineAmount)),
            ("netAmount", .decimal(l.lineAmount)), ("netTaxAmount", .number("0")), ("netAmountIncludingTax", .decimal(l.lineAmount)),
        ])
    }

    func bcJournal(_ c: Int, _ b: NAVJournalBatch) -> D365JSONObject {
        D365JSONObject([
            ("@odata.etag", .string(NAVVersioning.etag(b.version))), ("id", .string(b.id)), ("code", .string(b.name)),
            ("displayName", .string(b.description)), ("templateDisplayName", .string(b.template)),
            ("balancingAccountId", .string(NAVDatabase.zeroGuid)), ("balancingAccountNumber", .string("")),
        ])
    }

    func bcJournalLine(_ c: Int, _ l: NAVJournalLine) -> D365JSONObject {
        let co = companies[c]
        let batch = co.batch(l.template, l.batch)
        func accountId(_ type: NAVOption, _ no: String) -> String {
            type.caption == "G/L Account" ? (co.glAccount(no)?.id ?? NAVDatabase.zeroGuid) : NAVDatabase.zeroGuid
        }
        return D365JSONObject([
            ("@odata.etag", .string(NAVVersioning.etag(l.version))), ("id", .string(l.id)), ("journalId", .string(batch?.id ?? NAVDatabase.zeroGuid)),
            ("journalDisplayName", .string(l.batch)), ("lineNumber", .int(l.lineNo)), ("accountType", .string(l.accountType.caption)),
            ("accountId", .string(accountId(l.accountType, l.accountNo))), ("accountNumber", .string(l.accountNo)),
            ("postingDate", .string(l.postingDate)), ("documentNumber", .string(l.documentNo)),
            ("externalDocumentNumber", .string(l.externalDocumentNo)), ("amount", .decimal(l.amount)), ("description", .string(l.description)),
            ("comment", .string("")), ("taxCode", .string("")), ("balanceAccountType", .string(l.balAccountType.caption)),
            ("balancingAccountId", .string(accountId(l.balAccountType, l.balAccountNo))), ("balancingAccountNumber", .string(l.balAccountNo)),
        ])
    }

    func bcDimensionSetLine(_ c: Int, code: String, value: String, parentId: String, parentType: String, version: Int64) -> D365JSONObject {
        let co = companies[c]
        let dim = co.dimension(code)
        let dv = co.dimensionValue(code, value)
        return D365JSONObject([
            ("@odata.etag", .string(NAVVersioning.etag(version))), ("id", .string(dim?.id ?? NAVDatabase.zeroGuid)), ("code", .string(code)),
            ("consolidationCode", .string("")), ("parentId", .string(parentId)), ("parentType", .string(parentType)),
            ("displayName", .string(dim?.name ?? "")), ("valueId", .string(dv?.id ?? NAVDatabase.zeroGuid)), ("valueCode", .string(value)),
            ("valueConsolidationCode", .string("")), ("valueDisplayName", .string(dv?.name ?? "")),
        ])
    }
}
