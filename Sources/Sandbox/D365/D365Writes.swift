import Foundation

/// The user an OData call runs as (from the token's client id via "Microsoft Entra ID applications").
struct D365Caller: Sendable {
    var clientId: String
    var userId: String
    /// Lower-case company ids the user may access.
    var companies: [String]
    var defaultCompany: String

    func mayAccess(_ company: String) -> Bool { companies.contains(company.lowercased()) }
}

/// Everything a write needs besides the store.
struct D365WriteContext: Sendable {
    var caller: D365Caller
    var settings: D365Settings
    var companies: [D365Company]
    var now: D365Date
    var ieee754: Bool
}

/// Creates, updates and deletes rows with F&O's defaulting and validateWrite rules.
enum D365Writes {
    /// Date-only fields come back at 12:00:00Z.
    static let dateOnlyFields: Set<String> = ["InvoiceDate", "Date", "DueDate", "InvoiceReceivedDate", "ActiveFrom", "ActiveTo"]

    // MARK: Body conversion

    /// Converts a request body to typed values. Unknown properties, navigation properties and wrong types → 400.
    static func convert(_ body: D365JSONObject, schema: D365EntitySchema, ieee754: Bool) -> Result<[String: D365Value], D365Failure> {
        var out: [String: D365Value] = [:]
        for (k, v) in body.pairs {
            if k.hasPrefix("@") || k.contains("@") { continue }  // annotations such as @odata.type
            if schema.navigation(k) != nil {
                return .failure(
                    D365Failure(
                        D365Responses.badRequest(
                            "Deep insert and deep update are not supported: the navigation property '\(k)' cannot be written with '\(schema.setName)'."
                        )))
            }
            guard let p = schema.property(k) else {
                return .failure(
                    D365Failure(
                        D365Responses.badRequest(
                            "The property '\(k)' does not exist on type '\(schema.qualifiedType)'. Make sure to only use property names that are defined by the type."
                        )))
            }
            switch D365Convert.value(v, for: p, ieee754: ieee754) {
            case .success(var value):
                if dateOnlyFields.contains(k), case .date(let d) = value, !d.isUnset { value = .date(d.noon) }
                out[k] = value
            case .failure(let e):
                return .failure(D365Failure(D365Responses.badRequest(e.message)))
            }
        }
        return .success(out)
    }

    // MARK: Create

    static func create(
        _ schema: D365EntitySchema, body: D365JSONObject, parentKey: [String: D365Value]?,
        ctx: D365WriteContext, store: inout D365Store
    ) -> Result<D365Row, D365Failure> {
        guard schema.writable else { return .failure(D365Failure(D365Responses.methodNotAllowed("POST"))) }
        let provided: [String: D365Value]
        switch convert(body, schema: schema, ieee754: ctx.ieee754) {
        case .success(let v): provided = v
        case .failure(let f): return .failure(f)
        }
        var values: [String: D365Value] = [:]
        for p in schema.properties { values[p.name] = p.defaultValue }
        for (k, v) in provided { values[k] = v }
        if let parentKey {
            for (k, v) in parentKey {
                if let given = provided[k], let a = given.string, let b = v.string, !D365Text.equal(a, b) {
                    return .failure(
                        D365Failure(
                            D365Responses.badRequest(
                                "The value of '\(k)' in the request body ('\(a)') does not match the parent entity ('\(b)').")))
                }
                values[k] = v
            }
        }
        // Company: from the body, else the user's default company.
        if schema.companySpecific {
            let company = (values["dataAreaId"]?.nonEmpty ?? ctx.caller.defaultCompany).lowercased()
            if let failure = checkCompany(company, schema: schema, ctx: ctx) { return .failure(failure) }
            values["dataAreaId"] = .string(company)
        }
        switch schema.setName {
        case "VendorInvoiceHeaders":
            return createHeader(values, provided: provided, ctx: ctx, store: &store)
        case "VendorInvoiceLines":
            return createLine(values, provided: provided, ctx: ctx, store: &store)
        default:
            return .failure(D365Failure(D365Responses.methodNotAllowed("POST")))
        }
    }

    static func checkCompany(_ company: String, schema: D365EntitySchema, ctx: D365WriteContext) -> D365Failure? {
        guard ctx.companies.contains(where: { $0.dataAreaId == company }) else {
            return D365Failure(D365Responses.writeFailed(schema, ["Company '\(company)' does not exist"]))
        }
        guard ctx.caller.mayAccess(company) else {
            return D365Failure(
                D365Responses.writeFailed(
                    schema,
                    [
                        "User '\(ctx.caller.userId)' is not authorized to access company '\(company)'"
                    ]))
        }
        return nil
    }

    static func postedMessage(_ posted: D365PostedInvoice) -> String {
        "Vendor invoice \(posted.header.string("InvoiceNumber")) (header reference \(posted.header.string("HeaderReference"))) has been posted (voucher \(posted.voucher)) and cannot be changed"
    }

    private static func createHeader(
        _ input: [String: D365Value], provided: [String: D365Value], ctx: D365WriteContext,
        store: inout D365Store
    ) -> Result<D365Row, D365Failure> {
        let schema = D365Schema.vendorInvoiceHeaders
        var values = input
        let company = values["dataAreaId"]?.string ?? ctx.caller.defaultCompany
        var errors = validateHeader(&values, selfKey: nil, ctx: ctx, store: store)
        let supplied = values["HeaderReference"]?.nonEmpty
        if let supplied, ctx.settings.manualHeaderReference == "reject" {
            errors.append(
                "Header reference '\(supplied)' cannot be set: the number sequence for pending vendor invoices does not allow manual numbers; leave the field empty so that the number sequence assigns it"
            )
        } else if let supplied {
            if let posted = store.postedInvoice(company: company, reference: supplied) {
                errors.append(postedMessage(posted))
            } else if store.header(company: company, reference: supplied) != nil {
                errors.append(
                    "Cannot create a record in Pending vendor invoices (VendInvoiceInfoTable). Header reference: \(supplied), company: \(company). The record already exists"
                )
            }
        }
        if !errors.isEmpty { return .failure(D365Failure(D365Responses.writeFailed(schema, errors))) }
        if supplied == nil {
            values["HeaderReference"] = .string(nextHeaderReference(company: company, ctx: ctx, store: &store))
        }
        return .success(store.insert(schema, values))
    }

    /// Next value of the company's pending-invoice number sequence, zero-padded (`00000001`).
    static func nextHeaderReference(company: String, ctx: D365WriteContext, store: inout D365Store) -> String {
        var n = store.headerReferenceNext[company] ?? ctx.settings.headerReferenceStart
        while true {
            var s = String(n)
            if s.count < ctx.settings.headerReferenceDigits {
                s = String(repeating: "0", count: ctx.settings.headerReferenceDigits - s.count) + s
            }
            n += 1
            if store.header(company: company, reference: s) == nil, store.postedInvoice(company: company, reference: s) == nil {
                store.headerReferenceNext[company] = n
                return s
            }
        }
    }

    /// The date dimension values and main accounts must be active on: posting date, else invoice date, else today.
    static func effectiveDate(_ header: [String: D365Value], now: D365Date) -> D365Date {
        if let d = header["Date"]?.date, !d.isUnset { return d }
        if let d = header["InvoiceDate"]?.date, !d.isUnset { return d }
        return now
    }

    /// Defaults and validates a whole header row (create and update). Returns the Infolog errors.
    static func validateHeader(
        _ values: inout [String: D365Value], selfKey: String?, ctx: D365WriteContext,
        store: D365Store
    ) -> [String] {
        var errors: [String] = []
        let company = values["dataAreaId"]?.string ?? ctx.caller.defaultCompany
        var vendorAccount = values["VendorAccount"]?.nonEmpty
        var invoiceAccount = values["InvoiceAccount"]?.nonEmpty
        if vendorAccount == nil, let invoiceAccount { vendorAccount = invoiceAccount }
        if invoiceAccount == nil, let va = vendorAccount {
            invoiceAccount = store.vendor(company: company, account: va)?.nonEmptyString("InvoiceVendorAccountNumber") ?? va
        }
        var invoiceVendor: D365Row?
        if invoiceAccount == nil {
            errors.append("Field 'Invoice account' must be filled in")
        }
        var checked: [String] = []
        for (label, account) in [("Vendor account", vendorAccount), ("Invoice account", invoiceAccount)] {
            guard let account else { continue }
            guard let vendor = store.vendor(company: company, account: account) else {
                errors.append("The value '\(account)' in field '\(label)' is not found in the relating table 'Vendors'")
                continue
            }
            let canonical = vendor.string("VendorAccountNumber")
            if label == "Vendor account" {
                vendorAccount = canonical
            } else {
                invoiceAccount = canonical
                invoiceVendor = vendor
            }
            if checked.contains(canonical) { continue }
            checked.append(canonical)
            let hold = vendor.member("OnHoldStatus")
            if hold == "All" || hold == "Invoice" {
                errors.append("Vendor '\(canonical)' is on hold (\(hold)) and cannot be invoiced")
            }
        }
        values["VendorAccount"] = .string(vendorAccount ?? "")
        values["InvoiceAccount"] = .string(invoiceAccount ?? "")
        if values["VendorName"]?.nonEmpty == nil, let va = vendorAccount, let v = store.vendor(company: company, account: va) {
            values["VendorName"] = .string(v.string("VendorOrganizationName"))
        }
        // Currency defaults from the invoice account.
        var currency = values["Currency"]?.nonEmpty
        if currency == nil { currency = invoiceVendor?.nonEmptyString("CurrencyCode") }
        if let c = currency {
            if let row = store.currency(c) {
                values["Currency"] = .string(row.string("CurrencyCode"))
            } else {
                errors.append("The value '\(c)' in field 'Currency' is not found in the relating table 'Currencies'")
            }
        } else {
            errors.append("Field 'Currency' must be filled in")
        }
        let invoiceNumber = values["InvoiceNumber"]?.nonEmpty
        if invoiceNumber == nil { errors.append("Field 'Invoice number' must be filled in") }
        if ctx.settings.duplicateInvoiceCheck, let invoiceNumber, let ia = invoiceAccount {
            if store.invoiceNumberUsed(company: company, invoiceAccount: ia, invoiceNumber: invoiceNumber, excluding: selfKey) {
                errors.append("Invoice number '\(invoiceNumber)' is already used for vendor account '\(ia)'")
            }
        }
        let dims = D365Dimensions(store: store, settings: ctx.settings)
        let (normalised, dimErrors) = dims.validateDefault(
            values["DimensionDisplayValue"]?.string ?? "", company: company,
            on: effectiveDate(values, now: ctx.now))
        values["DimensionDisplayValue"] = .string(normalised)
        errors += dimErrors
        return errors
    }

    private static func createLine(
        _ input: [String: D365Value], provided: [String: D365Value], ctx: D365WriteContext,
        store: inout D365Store
    ) -> Result<D365Row, D365Failure> {
        let schema = D365Schema.vendorInvoiceLines
        var values = input
        let company = values["dataAreaId"]?.string ?? ctx.caller.defaultCompany
        guard let reference = values["HeaderReference"]?.nonEmpty else {
            return .failure(D365Failure(D365Responses.writeFailed(schema, ["Field 'Header reference' must be filled in"])))
        }
        if let posted = store.postedInvoice(company: company, reference: reference) {
            return .failure(D365Failure(D365Responses.writeFailed(schema, [postedMessage(posted)])))
        }
        guard let header = store.header(company: company, reference: reference) else {
            return .failure(
                D365Failure(
                    D365Responses.writeFailed(
                        schema,
                        [
                            "The value '\(reference)' in field 'Header reference' is not found in the relating table 'Pending vendor invoices' (company '\(company)')"
                        ])))
        }
        values["HeaderReference"] = .string(header.string("HeaderReference"))
        if provided["InvoiceLineNumber"] == nil {
            let maxLine = store.lines(company: company, reference: reference).map { $0.decimal("InvoiceLineNumber") }.max() ?? 0
            values["InvoiceLineNumber"] = .decimal(D365Decimal.round(maxLine, scale: 0) + 1)
        }
        if provided["LineNumber"] == nil { values["LineNumber"] = values["InvoiceLineNumber"] }
        if provided["DimensionDisplayValue"] == nil { values["DimensionDisplayValue"] = header["DimensionDisplayValue"] }
        var errors = validateLine(&values, provided: Set(provided.keys), header: header, isCreate: true, ctx: ctx, store: store)
        if let n = values["InvoiceLineNumber"]?.decimal, n <= 0 {
            errors.append("Invoice line number must be greater than zero")
        }
        if store.row(schema, key: values) != nil {
            errors.append(
                "Cannot create a record in Pending vendor invoice lines (VendInvoiceInfoLine). Header reference: \(reference), line number: \(D365Decimal.format(values["InvoiceLineNumber"]?.decimal ?? 0)). The record already exists"
            )
        }
        if !errors.isEmpty { return .failure(D365Failure(D365Responses.writeFailed(schema, errors))) }
        return .success(store.insert(schema, values))
    }

    /// Defaults and validates a whole line row. `provided` names the fields the request set.
    static func validateLine(
        _ values: inout [String: D365Value], provided: Set<String>, header: D365Row, isCreate: Bool,
        ctx: D365WriteContext, store: D365Store
    ) -> [String] {
        var errors: [String] = []
        let company = header.string("dataAreaId")
        for field in ["InvoiceAccount", "VendorAccount"] {
            let headerValue = header.string(field)
            if let given = values[field]?.nonEmpty, !D365Text.equal(given, headerValue) {
                errors.append(
                    "The \(field == "InvoiceAccount" ? "invoice account" : "vendor account") '\(given)' on the line must be the same as on the invoice header ('\(headerValue)')"
                )
            }
            values[field] = .string(headerValue)
        }
        let headerCurrency = header.string("Currency")
        if let c = values["Currency"]?.nonEmpty {
            if !D365Text.equal(c, headerCurrency) {
                errors.append("Currency '\(c)' on the line must be the same as the invoice currency '\(headerCurrency)'")
            } else {
                values["Currency"] = .string(headerCurrency)
            }
        } else {
            values["Currency"] = .string(headerCurrency)
        }
        // Amounts: NetAmount when given, else ReceiveNow × UnitPrice; both given and inconsistent → error.
        let unit = store.currency(headerCurrency)?.decimal("GeneralRoundingRule") ?? Decimal(string: "0.01") ?? 0
        var quantity = values["ReceiveNow"]?.decimal ?? 0
        if isCreate, !provided.contains("ReceiveNow") { quantity = 1 }
        values["ReceiveNow"] = .decimal(quantity)
        if !provided.contains("InventNow") { values["InventNow"] = .decimal(quantity) }
        var priceUnit = values["PriceUnit"]?.decimal ?? 1
        if priceUnit == 0 { priceUnit = 1 }
        let unitPrice = values["UnitPrice"]?.decimal ?? 0
        let computed = D365Decimal.round(quantity * unitPrice / priceUnit, unit: unit)
        let quantityOrPriceGiven = provided.contains("ReceiveNow") || provided.contains("UnitPrice") || provided.contains("PriceUnit")
        if provided.contains("NetAmount") {
            let net = values["NetAmount"]?.decimal ?? 0
            if provided.contains("UnitPrice") || (!isCreate && quantityOrPriceGiven) {
                if computed != net && D365Decimal.round(net, unit: unit) != computed {
                    errors.append(
                        "Net amount \(D365Decimal.format(net)) does not equal quantity \(D365Decimal.format(quantity)) multiplied by unit price \(D365Decimal.format(unitPrice))"
                    )
                }
            } else if quantity != 0 {
                // Only the amount (and possibly the quantity) was given: derive the unit price.
                values["UnitPrice"] = .decimal(D365Decimal.round(net * priceUnit / quantity, scale: 6))
            }
            values["Amount"] = .decimal(net)
        } else if isCreate || quantityOrPriceGiven {
            values["NetAmount"] = .decimal(computed)
            values["Amount"] = .decimal(computed)
        }
        let date = effectiveDate(header.values, now: ctx.now)
        let dims = D365Dimensions(store: store, settings: ctx.settings)
        if let main = values["MainAccountDisplayValue"]?.nonEmpty {
            let (normalised, e) = dims.validateLedger(main, company: company, on: date)
            values["MainAccountDisplayValue"] = .string(normalised)
            errors += e
        }
        let (normalised, e) = dims.validateDefault(values["DimensionDisplayValue"]?.string ?? "", company: company, on: date)
        values["DimensionDisplayValue"] = .string(normalised)
        errors += e
        return errors
    }

    // MARK: Update and delete

    /// Finds a row for PATCH/PUT/DELETE; posted invoices answer 400, missing rows 404.
    private static func existing(
        _ schema: D365EntitySchema, key: [String: D365Value], ctx: D365WriteContext,
        store: D365Store
    ) -> Result<D365Row, D365Failure> {
        if schema.companySpecific, let company = key["dataAreaId"]?.string, !ctx.caller.mayAccess(company) {
            return .failure(D365Failure(D365Responses.keyNotFound(schema.setName)))
        }
        if schema.setName == "VendorInvoiceHeaders" || schema.setName == "VendorInvoiceLines",
            let company = key["dataAreaId"]?.string, let ref = key["HeaderReference"]?.string,
            let posted = store.postedInvoice(company: company, reference: ref)
        {
            return .failure(D365Failure(D365Responses.writeFailed(schema, [postedMessage(posted)])))
        }
        guard let row = store.row(schema, key: key) else { return .failure(D365Failure(D365Responses.keyNotFound(schema.setName))) }
        return .success(row)
    }

    private static func checkIfMatch(_ ifMatch: String?, row: D365Row) -> D365Failure? {
        guard let ifMatch, ifMatch != "*" else { return nil }
        let tags = ifMatch.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        if tags.contains(row.etag) { return nil }
        return D365Failure(
            D365Responses.odataError(
                412,
                inner:
                    "The ETag value in the If-Match header (\(ifMatch)) does not match the current ETag \(row.etag) of the record.",
                type: "Microsoft.OData.ODataException"))
    }

    static func update(
        _ schema: D365EntitySchema, key: [String: D365Value], body: D365JSONObject, replace: Bool,
        ifMatch: String?, ctx: D365WriteContext, store: inout D365Store
    ) -> Result<D365Row, D365Failure> {
        guard schema.writable else { return .failure(D365Failure(D365Responses.methodNotAllowed(replace ? "PUT" : "PATCH"))) }
        let row: D365Row
        switch existing(schema, key: key, ctx: ctx, store: store) {
        case .success(let r): row = r
        case .failure(let f): return .failure(f)
        }
        if let f = checkIfMatch(ifMatch, row: row) { return .failure(f) }
        let provided: [String: D365Value]
        switch convert(body, schema: schema, ieee754: ctx.ieee754) {
        case .success(let v): provided = v
        case .failure(let f): return .failure(f)
        }
        for k in schema.keys {
            guard let v = provided[k] else { continue }
            let same: Bool
            if let a = v.string, let b = row[k].string { same = D365Text.equal(a, b) } else { same = v == row[k] }
            if !same { return .failure(D365Failure(D365Responses.badRequest("The key property '\(k)' cannot be changed."))) }
        }
        var values: [String: D365Value] = [:]
        if replace {
            for p in schema.properties { values[p.name] = p.defaultValue }
            for k in schema.keys { values[k] = row[k] }
        } else {
            values = row.values
        }
        for (k, v) in provided where !schema.keys.contains(k) { values[k] = v }
        let selfKey = D365Store.keyString(schema, row.values)
        var errors: [String]
        switch schema.setName {
        case "VendorInvoiceHeaders":
            errors = validateHeader(&values, selfKey: selfKey, ctx: ctx, store: store)
        case "VendorInvoiceLines":
            guard let header = store.header(company: row.string("dataAreaId"), reference: row.string("HeaderReference")) else {
                return .failure(D365Failure(D365Responses.keyNotFound(schema.setName)))
            }
            errors = validateLine(&values, provided: Set(provided.keys), header: header, isCreate: replace, ctx: ctx, store: store)
        default:
            errors = []
        }
        if !errors.isEmpty { return .failure(D365Failure(D365Responses.writeFailed(schema, errors))) }
        var updated = row
        updated.values = values
        updated.version += 1
        store.replace(schema, updated)
        return .success(updated)
    }

    static func delete(
        _ schema: D365EntitySchema, key: [String: D365Value], ifMatch: String?, ctx: D365WriteContext,
        store: inout D365Store
    ) -> D365Failure? {
        guard schema.writable else { return D365Failure(D365Responses.methodNotAllowed("DELETE")) }
        let row: D365Row
        switch existing(schema, key: key, ctx: ctx, store: store) {
        case .success(let r): row = r
        case .failure(let f): return f
        }
        if let f = checkIfMatch(ifMatch, row: row) { return f }
        if schema.setName == "VendorInvoiceHeaders" {
            for line in store.lines(company: row.string("dataAreaId"), reference: row.string("HeaderReference")) {
                store.remove(D365Schema.vendorInvoiceLines, key: line.values)
            }
        }
        store.remove(schema, key: row.values)
        return nil
    }
}
