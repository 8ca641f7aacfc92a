import Foundation

/// The Business Central API v2.0 front end over the NAV database (reference §1): one request (or one JSON `$batch`)
/// is handled inside one store transaction. Errors are `{"error":{"code","message"}}` with the CorrelationId suffix.
struct BCService: Sendable {
    var settings: NAVSettings
    var baseURL: String
    /// The raw path up to `api/v2.0` (for contexts and links).
    var rootPath: String

    static func rootPath(_ path: String) -> String {
        guard let r = path.range(of: "/api/v2.0") else { return path }
        return String(path[..<r.upperBound])
    }

    /// One operation: method, the segments after `api/v2.0`, query items, headers and body.
    struct Operation: Sendable {
        var method: String
        var segments: [String]
        var query: [(name: String, value: String)]
        var headers: [String: String]
        var body: Data
        /// For `@odata.nextLink` (absolute path and base).
        var request: SimRequest
    }

    struct Failure: Error {
        var response: SimResponse
        init(_ r: SimResponse) { response = r }
        init(_ status: Int, _ code: String, _ message: String) { response = NAVResponses.error(status, code, message) }
        init(_ e: NAVError, stale: Int) { response = NAVResponses.error(e, staleStatus: stale) }
    }

    func handle(_ request: SimRequest, segments: [String], db: inout NAVDatabase) -> (SimResponse, Int?) {
        if segments == ["$batch"] {
            guard request.method == "POST" else {
                return (NAVResponses.error(405, "BadRequest_MethodNotAllowed", "'\(request.method)' requests for '$batch' are not allowed."), nil)
            }
            return batch(request, db: &db)
        }
        let op = Operation(
            method: request.method, segments: segments, query: request.queryItems, headers: request.headers, body: request.body, request: request)
        var work = db
        let r = execute(op, db: &work)
        if r.status < 400 { db = work }
        return (r, nil)
    }

    // MARK: Routing

    static func split(_ segment: String) -> (name: String, key: String?) {
        guard let open = segment.firstIndex(of: "("), segment.hasSuffix(")") else { return (segment, nil) }
        var key = String(segment[segment.index(after: open)..<segment.index(before: segment.endIndex)])
        if key.hasPrefix("'"), key.hasSuffix("'"), key.count >= 2 { key = String(key.dropFirst().dropLast()) }
        return (String(segment[..<open]), key)
    }

    func execute(_ op: Operation, db: inout NAVDatabase) -> SimResponse {
        do {
            return try route(op, db: &db)
        } catch let f as Failure {
            return f.response
        } catch let e as NAVError {
            return NAVResponses.error(e, staleStatus: settings.staleETagStatus)
        } catch {
            return NAVResponses.error(500, "Internal_ServerError", "\(error)")
        }
    }

    private func notFound(_ op: Operation) -> Failure {
        Failure(NAVResponses.notFoundRoute(baseURL + rootPath + "/" + op.segments.joined(separator: "/")))
    }

    private func context(_ set: String) -> String { baseURL + rootPath + "/$metadata#" + set }

    private func route(_ op: Operation, db: inout NAVDatabase) throws -> SimResponse {
        var segs = op.segments.map(BCService.split)
        let query = try NAVQuery.parse(op.query)
        // `?company={id}` instead of a `companies({id})` segment.
        if let first = segs.first, first.name != "companies", let cid = op.query.first(where: { $0.name == "company" })?.value {
            segs.insert(("companies", cid), at: 0)
        }
        guard let first = segs.first, first.name == "companies" else { throw notFound(op) }
        guard let cid = first.key else {
            guard segs.count == 1 else { throw notFound(op) }
            guard op.method == "GET" else { throw methodNotAllowed(op.method, "companies") }
            let all = db.companies.indices.map { db.bcCompany($0) }
            return NAVPaging.list(all, query: query, request: op.request, context: context("companies"), serverPageSize: settings.pageSize)
        }
        guard NAVGuid.isGuid(cid), let c = db.companyIndex(id: cid) else {
            throw Failure(
                404, "Internal_CompanyNotFound",
                "Cannot process the request because the default company can't be found. You can specify a company in the request.")
        }
        let rest = Array(segs.dropFirst())
        if rest.isEmpty {
            guard op.method == "GET" else { throw methodNotAllowed(op.method, "companies") }
            return entity(db.bcCompany(c), query: query, set: "companies")
        }
        return try companyRoute(op, rest, query: query, c: c, db: &db)
    }

    private func methodNotAllowed(_ method: String, _ set: String) -> Failure {
        Failure(
            405, "BadRequest_MethodNotAllowed",
            "'\(method)' requests for '\(set)' of EdmType 'Collection' are not allowed within Dynamics 365 Business Central OData web services.")
    }

    private func entity(_ o: D365JSONObject, query: NAVQuery, set: String, status: Int = 200) -> SimResponse {
        var out = D365JSONObject([("@odata.context", .string(context(set) + "/$entity"))])
        for (k, v) in query.selected(o, keep: ["id"]).pairs { out[k] = v }
        var headers: [(String, String)] = []
        if let etag = o["@odata.etag"]?.stringValue { headers.append(("ETag", etag)) }
        return NAVResponses.json(status, .object(out), headers: headers)
    }

    private func list(_ rows: [D365JSONObject], _ op: Operation, _ query: NAVQuery, set: String) -> SimResponse {
        NAVPaging.list(rows, query: query, request: op.request, context: context(set), serverPageSize: settings.pageSize)
    }

    private func bodyObject(_ op: Operation) throws -> D365JSONObject {
        guard !op.body.isEmpty else { return D365JSONObject() }
        guard let v = try? D365JSONParser.parse(op.body), let o = v.objectValue else {
            throw Failure(400, "BadRequest", "Invalid Request Body")
        }
        return o
    }

    /// If-Match rules: missing → 400 BadRequest_InvalidToken; `*` passes; stale → 409/412 Request_EntityChanged.
    private func checkIfMatch(_ op: Operation, version: Int64) throws {
        guard let tag = op.headers["if-match"]?.trimmingCharacters(in: .whitespaces), !tag.isEmpty else {
            throw Failure(
                400, "BadRequest_InvalidToken",
                "Could not validate the client concurrency token required by the service. Please provide a valid token in the client request.")
        }
        if tag == "*" { return }
        guard NAVVersioning.version(fromETag: tag) == version else {
            throw Failure(settings.staleETagStatus, "Request_EntityChanged", "Another user has already changed the record.")
        }
    }

    /// Rejects properties an entity does not have, and writes to read-only ones.
    private func checkProperties(_ o: D365JSONObject, entity: String, writable: Set<String>, readOnly: Set<String>) throws {
        for k in o.keys where !k.hasPrefix("@") {
            if writable.contains(k) { continue }
            if readOnly.contains(k) {
                throw Failure(400, "BadRequest_InvalidOperation", "The property '\(k)' is read-only and cannot be modified.")
            }
            throw Failure(
                400, "BadRequest",
                "The property '\(k)' does not exist on type 'Microsoft.NAV.\(entity)'. Make sure to only use property names that are defined by the type."
            )
        }
    }

    private func string(_ o: D365JSONObject, _ k: String) throws -> String? {
        guard let v = o[k] else { return nil }
        switch v {
        case .string(let s): return s
        case .null: return ""
        default: throw Failure(400, "BadRequest", "Cannot convert the literal '\(D365JSONWriter.string(v))' to the expected type 'Edm.String'.")
        }
    }

    private func decimal(_ o: D365JSONObject, _ k: String) throws -> Decimal? {
        guard let v = o[k] else { return nil }
        if case .number(let n) = v, let d = D365Decimal.parse(n) { return d }
        throw Failure(400, "BadRequest", "Cannot convert the literal '\(D365JSONWriter.string(v))' to the expected type 'Edm.Decimal'.")
    }

    private func date(_ o: D365JSONObject, _ k: String) throws -> String? {
        guard let s = try string(o, k) else { return nil }
        guard let d = NAVDate.parse(s), s.isEmpty || s.count == 10 else {
            throw Failure(400, "BadRequest", "Cannot convert the literal '\(s)' to the expected type 'Edm.Date'.")
        }
        return d
    }

    private func guid(_ o: D365JSONObject, _ k: String) throws -> String? {
        guard let s = try string(o, k) else { return nil }
        guard NAVGuid.isGuid(s) else { throw Failure(400, "Application_InvalidGUID", "Invalid format of GUID string. Value: \(s)") }
        return s.lowercased()
    }

    // MARK: Company-scoped routes

    private func companyRoute(
        _ op: Operation, _ rest: [(name: String, key: String?)], query: NAVQuery, c: Int, db: inout NAVDatabase
    ) throws -> SimResponse {
        let names = rest.map(\.name)
        let head = rest[0]
        switch (names.first!, rest.count) {
        case ("vendors", 1), ("employees", 1), ("accounts", 1), ("dimensions", 1), ("dimensionValues", 1), ("currencies", 1),
            ("generalLedgerEntries", 1), ("companyInformation", 1):
            guard op.method == "GET" else { throw methodNotAllowed(op.method, head.name) }
            return try masterData(op, head, query: query, c: c, db: db)
        case ("dimensions", 2) where names[1] == "dimensionValues" && head.key != nil:
            guard let d = db.companies[c].dimensions.first(where: { $0.id == head.key!.lowercased() }) else { throw recordNotFound() }
            let values = db.companies[c].dimensionValues.filter { $0.dimensionCode == d.code }
            guard op.method == "GET" else { throw methodNotAllowed(op.method, "dimensionValues") }
            if let k = rest[1].key {
                guard let v = values.first(where: { $0.id == k.lowercased() }) else { throw recordNotFound() }
                return entity(db.bcDimensionValue(c, v), query: query, set: "dimensionValues")
            }
            return list(values.map { db.bcDimensionValue(c, $0) }, op, query, set: "dimensionValues")
        case ("purchaseInvoices", _):
            return try purchaseInvoices(op, rest, query: query, c: c, db: &db)
        case ("purchaseInvoiceLines", _):
            return try purchaseInvoiceLinesTop(op, rest, query: query, c: c, db: &db)
        case ("journals", _):
            return try journals(op, rest, query: query, c: c, db: &db)
        case ("journalLines", _):
            guard let id = head.key else {
                if op.method == "GET", query.filter.map({ $0.properties.contains("journalId") || $0.properties.contains("id") }) == true {
                    let all = db.companies[c].journalLines.map { db.bcJournalLine(c, $0) }
                    return list(all, op, query, set: "journalLines")
                }
                throw Failure(400, "Application_DialogException", "You must specify a journal batch ID or a journal ID to get a journal line.")
            }
            guard let l = db.companies[c].journalLines.first(where: { $0.id == id.lowercased() }) else { throw recordNotFound() }
            return try journalLine(op, l, Array(rest.dropFirst()), query: query, c: c, db: &db)
        default:
            throw notFound(op)
        }
    }

    private func recordNotFound() -> Failure {
        Failure(404, "Internal_RecordNotFound", "The record could not be found. Identification fields and values: Id")
    }

    private func masterData(_ op: Operation, _ head: (name: String, key: String?), query: NAVQuery, c: Int, db: NAVDatabase) throws -> SimResponse {
        let co = db.companies[c]
        var rows: [(String, D365JSONObject)]
        switch head.name {
        case "vendors": rows = co.vendors.map { ($0.id, db.bcVendor(c, $0)) }
        case "employees": rows = co.employees.map { ($0.id, db.bcEmployee(c, $0)) }
        case "accounts": rows = co.glAccounts.sorted { $0.no < $1.no }.map { ($0.id, db.bcAccount(c, $0)) }
        case "dimensions": rows = co.dimensions.map { ($0.id, db.bcDimension(c, $0)) }
        case "currencies":
            rows = co.currencies.filter { $0.code != co.lcy }.map {
                (
                    $0.id,
                    D365JSONObject([
                        ("@odata.etag", .string(NAVVersioning.etag($0.version))), ("id", .string($0.id)), ("code", .string($0.code)),
                        ("displayName", .string($0.description)),
                    ])
                )
            }
        case "generalLedgerEntries":
            rows = co.glEntries.map { e in
                (
                    e.id,
                    D365JSONObject([
                        ("@odata.etag", .string(NAVVersioning.etag(e.version))), ("id", .string(e.id)), ("entryNumber", .number(String(e.entryNo))),
                        ("postingDate", .string(e.postingDate)), ("documentNumber", .string(e.documentNo)),
                        ("externalDocumentNumber", .string(e.externalDocumentNo)), ("accountNumber", .string(e.accountNo)),
                        ("description", .string(e.description)), ("debitAmount", .decimal(e.amount > 0 ? e.amount : 0)),
                        ("creditAmount", .decimal(e.amount < 0 ? -e.amount : 0)),
                    ])
                )
            }
        case "companyInformation":
            rows = [
                (
                    co.id,
                    D365JSONObject([
                        ("@odata.etag", .string(NAVVersioning.etag(1))), ("id", .string(co.id)), ("displayName", .string(co.displayName)),
                        ("currencyCode", .string(co.lcy)),
                    ])
                )
            ]
        default: rows = co.dimensionValues.map { ($0.id, db.bcDimensionValue(c, $0)) }
        }
        if head.name == "generalLedgerEntries", query.expand.contains(where: { $0.name == "dimensionSetLines" }) {
            rows = rows.map { (id, o) in
                var x = o
                if let e = co.glEntries.first(where: { $0.id == id }) {
                    x["dimensionSetLines"] = .array(
                        dimensionSetLines(c, e.dimensions, parentId: e.id, parentType: "General Ledger Entry", version: e.version, db: db).map {
                            .object($0)
                        })
                }
                return (id, x)
            }
        }
        if head.name == "dimensions", !query.expand.isEmpty {
            rows = rows.map { (id, o) in
                var x = o
                if query.expand.contains(where: { $0.name == "dimensionValues" }), let d = co.dimensions.first(where: { $0.id == id }) {
                    x["dimensionValues"] = .array(
                        co.dimensionValues.filter { $0.dimensionCode == d.code }.map { .object(db.bcDimensionValue(c, $0)) })
                }
                return (id, x)
            }
        }
        if let k = head.key {
            guard let r = rows.first(where: { $0.0 == k.lowercased() }) else { throw recordNotFound() }
            return entity(r.1, query: query, set: head.name)
        }
        return list(rows.map(\.1), op, query, set: head.name)
    }

    // MARK: Purchase invoices

    private enum InvoiceRef {
        case draft(NAVPurchaseHeader)
        case posted(NAVPostedPurchaseInvoice)
        var id: String {
            switch self {
            case .draft(let h): return h.id
            case .posted(let p): return p.id
            }
        }
        var version: Int64 {
            switch self {
            case .draft(let h): return h.version
            case .posted(let p): return p.version
            }
        }
    }

    private func invoice(_ id: String, c: Int, db: NAVDatabase) throws -> InvoiceRef {
        let key = id.lowercased()
        if let h = db.companies[c].purchaseHeaders.first(where: { $0.id == key }) { return .draft(h) }
        if let p = db.companies[c].postedInvoices.first(where: { $0.id == key }) { return .posted(p) }
        throw recordNotFound()
    }

    private func invoiceJSON(_ ref: InvoiceRef, c: Int, db: NAVDatabase, query: NAVQuery) -> D365JSONObject {
        var o: D365JSONObject
        switch ref {
        case .draft(let h): o = db.bcPurchaseInvoice(c, draft: h, posted: nil)
        case .posted(let p): o = db.bcPurchaseInvoice(c, draft: nil, posted: p)
        }
        for (name, nested) in query.expand {
            switch name {
            case "purchaseInvoiceLines":
                let lines = invoiceLines(ref, c: c, db: db)
                o[name] = .array(
                    lines.map { l in
                        var lo = db.bcPurchaseLine(c, documentId: ref.id, l)
                        if nested.expand.contains(where: { $0.name == "dimensionSetLines" }) {
                            lo["dimensionSetLines"] = .array(
                                dimensionSetLines(c, l.dimensions, parentId: l.id, parentType: "Purchase Invoice Line", version: l.version, db: db)
                                    .map { .object($0) })
                        }
                        return .object(nested.selected(lo, keep: ["id"]))
                    })
            case "dimensionSetLines":
                let (dims, version): (NAVDimensionSet, Int64)
                switch ref {
                case .draft(let h): (dims, version) = (h.dimensions, h.version)
                case .posted(let p): (dims, version) = (p.dimensions, p.version)
                }
                o[name] = .array(
                    dimensionSetLines(c, dims, parentId: ref.id, parentType: "Purchase Invoice", version: version, db: db).map { .object($0) })
            default: break
            }
        }
        return o
    }

    private func invoiceLines(_ ref: InvoiceRef, c: Int, db: NAVDatabase) -> [NAVPurchaseLine] {
        switch ref {
        case .draft(let h): return db.companies[c].lines(of: h.no)
        case .posted(let p): return p.lines
        }
    }

    private func dimensionSetLines(_ c: Int, _ set: NAVDimensionSet, parentId: String, parentType: String, version: Int64, db: NAVDatabase)
        -> [D365JSONObject]
    {
        set.keys.sorted().map { db.bcDimensionSetLine(c, code: $0, value: set[$0]!, parentId: parentId, parentType: parentType, version: version) }
    }

    static let invoiceWritable: Set<String> = [
        "postingDate", "invoiceDate", "dueDate", "vendorInvoiceNumber", "vendorId", "vendorNumber", "currencyId", "currencyCode",
        "shortcutDimension1Code", "shortcutDimension2Code", "purchaseInvoiceLines", "pricesIncludeTax",
    ]
    static let invoiceReadOnly: Set<String> = [
        "id", "number", "vendorName", "status", "totalAmountExcludingTax", "totalTaxAmount", "totalAmountIncludingTax", "discountAmount",
        "lastModifiedDateTime",
    ]

    /// Header changes in the API page's field order, with BC's messages.
    private func headerChanges(_ o: D365JSONObject, c: Int, db: NAVDatabase, creating: Bool) throws -> NAVDatabase.HeaderChanges {
        try checkProperties(o, entity: "purchaseInvoice", writable: BCService.invoiceWritable, readOnly: BCService.invoiceReadOnly)
        let co = db.companies[c]
        var ch = NAVDatabase.HeaderChanges()
        ch.postingDate = try date(o, "postingDate")
        ch.documentDate = try date(o, "invoiceDate")
        ch.dueDate = try date(o, "dueDate")
        ch.vendorInvoiceNo = try string(o, "vendorInvoiceNumber")
        let vendorId = try guid(o, "vendorId")
        let vendorNumber = try string(o, "vendorNumber")
        if creating, (vendorId ?? "").isEmpty || vendorId == NAVDatabase.zeroGuid, (vendorNumber ?? "").isEmpty {
            throw Failure(400, "Application_DialogException", "A \"vendorNumber\" or a \"vendorID\" must be provided.")
        }
        if let vendorId, vendorId != NAVDatabase.zeroGuid {
            guard let v = co.vendors.first(where: { $0.id == vendorId }) else {
                throw Failure(400, "Application_DialogException", "The vendor cannot be found.")
            }
            if let vendorNumber, !vendorNumber.isEmpty, vendorNumber.caseInsensitiveCompare(v.no) != .orderedSame {
                throw Failure(400, "Application_DialogException", "The vendor values do not match to a specific Vendor.")
            }
            ch.vendorNo = v.no
        } else if let vendorNumber, !vendorNumber.isEmpty {
            guard let v = co.vendor(vendorNumber) else { throw Failure(400, "Application_DialogException", "The vendor cannot be found.") }
            ch.vendorNo = v.no
        }
        if let currencyId = try guid(o, "currencyId"), currencyId != NAVDatabase.zeroGuid {
            guard let cur = co.currencies.first(where: { $0.id == currencyId }) else {
                throw Failure(400, "Application_DialogException", "The \"currencyId\" does not match to a Currency.")
            }
            ch.currencyCode = cur.code
        }
        if let code = try string(o, "currencyCode") {
            if !code.isEmpty, co.currency(code) == nil {
                throw Failure(400, "Application_DialogException", "The \"currencyCode\" does not match to a Currency.")
            }
            ch.currencyCode = code
        }
        for slot in [1, 2] {
            if let v = try string(o, "shortcutDimension\(slot)Code") {
                ch.dimensions += try db.slotChanges(c, [(slot, v)])
            }
        }
        return ch
    }

    private func purchaseInvoices(
        _ op: Operation, _ rest: [(name: String, key: String?)], query: NAVQuery, c: Int, db: inout NAVDatabase
    ) throws -> SimResponse {
        guard let id = rest[0].key else {
            guard rest.count == 1 else { throw notFound(op) }
            switch op.method {
            case "GET":
                var all: [D365JSONObject] = []
                for h in db.companies[c].purchaseHeaders { all.append(invoiceJSON(.draft(h), c: c, db: db, query: query)) }
                for p in db.companies[c].postedInvoices { all.append(invoiceJSON(.posted(p), c: c, db: db, query: query)) }
                return list(all, op, query, set: "purchaseInvoices")
            case "POST":
                let o = try bodyObject(op)
                let ch = try headerChanges(o, c: c, db: db, creating: true)
                let h = try db.insertPurchaseHeader(c, ch)
                if let lines = o["purchaseInvoiceLines"] {
                    guard let arr = lines.arrayValue else { throw Failure(400, "BadRequest", "Invalid Request Body") }
                    for item in arr {
                        guard let lo = item.objectValue else { throw Failure(400, "BadRequest", "Invalid Request Body") }
                        _ = try insertLine(lo, header: h, c: c, db: &db)
                    }
                }
                let fresh = db.companies[c].purchaseHeader(h.no)!
                var q = query
                if o["purchaseInvoiceLines"] != nil, !q.expand.contains(where: { $0.name == "purchaseInvoiceLines" }) {
                    q.expand.append(("purchaseInvoiceLines", NAVQuery()))
                }
                return entity(invoiceJSON(.draft(fresh), c: c, db: db, query: q), query: query, set: "purchaseInvoices", status: 201)
            default:
                throw methodNotAllowed(op.method, "purchaseInvoices")
            }
        }
        let ref = try invoice(id, c: c, db: db)
        if rest.count == 1 {
            switch op.method {
            case "GET": return entity(invoiceJSON(ref, c: c, db: db, query: query), query: query, set: "purchaseInvoices")
            case "PATCH":
                try checkIfMatch(op, version: ref.version)
                guard case .draft(let h) = ref else {
                    throw Failure(400, "Application_DialogException", "The invoice has been posted and can no longer be changed.")
                }
                let o = try bodyObject(op)
                if o["purchaseInvoiceLines"] != nil { throw Failure(400, "BadRequest_InvalidOperation", "Deep update is not supported.") }
                let updated = try db.modifyPurchaseHeader(c, no: h.no, try headerChanges(o, c: c, db: db, creating: false), expectedVersion: nil)
                return entity(invoiceJSON(.draft(updated), c: c, db: db, query: query), query: query, set: "purchaseInvoices")
            case "DELETE":
                try checkIfMatch(op, version: ref.version)
                guard case .draft(let h) = ref else {
                    throw Failure(400, "Application_DialogException", "The invoice has been posted and can no longer be changed.")
                }
                try db.deletePurchaseHeader(c, no: h.no, expectedVersion: nil)
                return SimResponse(status: 204)
            default: throw methodNotAllowed(op.method, "purchaseInvoices")
            }
        }
        switch rest[1].name {
        case "Microsoft.NAV.post":
            guard rest.count == 2, op.method == "POST" else { throw notFound(op) }
            guard case .draft(let h) = ref else {
                throw Failure(400, "Application_DialogException", "The action can be applied to a draft invoice only.")
            }
            _ = try db.postPurchaseInvoice(c, no: h.no)
            return SimResponse(status: 204)
        case "purchaseInvoiceLines":
            if rest.count == 2, rest[1].key == nil {
                switch op.method {
                case "GET":
                    return list(
                        invoiceLines(ref, c: c, db: db).map { lineJSON($0, ref.id, c: c, db: db, query: query) }, op, query,
                        set: "purchaseInvoiceLines")
                case "POST":
                    guard case .draft(let h) = ref else {
                        throw Failure(400, "Application_DialogException", "The invoice has been posted and can no longer be changed.")
                    }
                    let l = try insertLine(try bodyObject(op), header: h, c: c, db: &db)
                    return entity(db.bcPurchaseLine(c, documentId: h.id, l), query: query, set: "purchaseInvoiceLines", status: 201)
                default: throw methodNotAllowed(op.method, "purchaseInvoiceLines")
                }
            }
            guard let lid = rest[1].key?.lowercased(), let l = invoiceLines(ref, c: c, db: db).first(where: { $0.id == lid }) else {
                throw recordNotFound()
            }
            return try line(op, l, ref: ref, Array(rest.dropFirst(2)), query: query, c: c, db: &db)
        case "dimensionSetLines":
            guard rest.count == 2 else { throw notFound(op) }
            let target: DimParent
            switch ref {
            case .draft(let h): target = .header(h.no)
            case .posted(let p): target = .readOnly(p.dimensions, p.version)
            }
            return try dimensionSetLineRoute(
                op, key: rest[1].key, parent: target, parentId: ref.id, parentType: "Purchase Invoice", query: query, c: c, db: &db)
        default:
            throw notFound(op)
        }
    }

    private func lineJSON(_ l: NAVPurchaseLine, _ docId: String, c: Int, db: NAVDatabase, query: NAVQuery) -> D365JSONObject {
        var o = db.bcPurchaseLine(c, documentId: docId, l)
        if query.expand.contains(where: { $0.name == "dimensionSetLines" }) {
            o["dimensionSetLines"] = .array(
                dimensionSetLines(c, l.dimensions, parentId: l.id, parentType: "Purchase Invoice Line", version: l.version, db: db).map {
                    .object($0)
                })
        }
        return o
    }

    private func purchaseInvoiceLinesTop(
        _ op: Operation, _ rest: [(name: String, key: String?)], query: NAVQuery, c: Int, db: inout NAVDatabase
    ) throws -> SimResponse {
        var all: [(NAVPurchaseLine, InvoiceRef)] = []
        for h in db.companies[c].purchaseHeaders { for l in db.companies[c].lines(of: h.no) { all.append((l, .draft(h))) } }
        for p in db.companies[c].postedInvoices { for l in p.lines { all.append((l, .posted(p))) } }
        guard let id = rest[0].key else {
            switch op.method {
            case "GET":
                guard let f = query.filter, f.properties.contains("documentId") || f.properties.contains("id") else {
                    throw Failure(400, "Application_DialogException", "You must specify an Id or a Document Id to get the lines.")
                }
                return list(all.map { lineJSON($0.0, $0.1.id, c: c, db: db, query: query) }, op, query, set: "purchaseInvoiceLines")
            case "POST":
                let o = try bodyObject(op)
                guard let docId = try guid(o, "documentId"), case .draft(let h)? = try? invoice(docId, c: c, db: db) else {
                    throw Failure(400, "Application_DialogException", "You must get to the parent first to create a line.")
                }
                var body = o
                body["documentId"] = nil
                let l = try insertLine(body, header: h, c: c, db: &db)
                return entity(db.bcPurchaseLine(c, documentId: h.id, l), query: query, set: "purchaseInvoiceLines", status: 201)
            default: throw methodNotAllowed(op.method, "purchaseInvoiceLines")
            }
        }
        guard let found = all.first(where: { $0.0.id == id.lowercased() }) else { throw recordNotFound() }
        return try line(op, found.0, ref: found.1, Array(rest.dropFirst()), query: query, c: c, db: &db)
    }

    static let lineWritable: Set<String> = [
        "sequence", "itemId", "accountId", "lineType", "lineObjectNumber", "description", "unitCost", "quantity", "taxCode", "description2",
    ]
    static let lineReadOnly: Set<String> = [
        "id", "documentId", "amountExcludingTax", "amountIncludingTax", "totalTaxAmount", "taxPercent", "netAmount", "netTaxAmount",
        "netAmountIncludingTax", "discountAmount", "discountPercent",
    ]

    /// Line fields in the API page's order: sequence, itemId, accountId, lineType, lineObjectNumber, description, unitCost, quantity.
    private func lineChanges(_ o: D365JSONObject, existing: NAVPurchaseLine?, c: Int, db: NAVDatabase) throws -> (NAVDatabase.LineChanges, Int?) {
        try checkProperties(o, entity: "purchaseInvoiceLine", writable: BCService.lineWritable, readOnly: BCService.lineReadOnly)
        let co = db.companies[c]
        var ch = NAVDatabase.LineChanges()
        var sequence: Int?
        if let s = o["sequence"] {
            guard let n = s.intValue else {
                throw Failure(400, "BadRequest", "Cannot convert the literal '\(D365JSONWriter.string(s))' to the expected type 'Edm.Int32'.")
            }
            if let existing, existing.lineNo != n {
                throw Failure(400, "Application_DialogException", "The value for sequence cannot be modified. Delete and insert the line again.")
            }
            sequence = n
        }
        let itemId = try guid(o, "itemId").flatMap { $0 == NAVDatabase.zeroGuid ? nil : $0 }
        let accountId = try guid(o, "accountId").flatMap { $0 == NAVDatabase.zeroGuid ? nil : $0 }
        if itemId != nil, accountId != nil {
            throw Failure(400, "Application_DialogException", "Both \"itemId\" and \"accountId\" are specified. Specify only one of them.")
        }
        if itemId != nil { throw Failure(400, "Application_DialogException", "Item does not exist.") }
        var lineType: NAVOption? = nil
        if let t = try string(o, "lineType") {
            switch t {
            case "Comment": lineType = .blank
            case "Account": lineType = NAVOption("G/L Account")
            case "Item": lineType = NAVOption("Item")
            case "Resource", "Value", "Fixed Asset", "Charge":
                throw Failure(400, "Application_DialogException", "The line type \(t) is not supported by this sandbox.")
            default:
                throw Failure(
                    400, "Unknown",
                    "'\(t)' is not an option. The existing options are: Comment,Account,Item,Resource,Value,Fixed Asset,Charge")
            }
        }
        if let accountId {
            guard let a = co.glAccounts.first(where: { $0.id == accountId }) else {
                throw Failure(400, "Application_DialogException", "Account does not exist.")
            }
            lineType = lineType ?? NAVOption("G/L Account")
            ch.no = a.no
        }
        if let n = try string(o, "lineObjectNumber") {
            if let existing, !existing.no.isEmpty, n.caseInsensitiveCompare(existing.no) != .orderedSame {
                throw Failure(400, "Application_DialogException", "The value for \"lineObjectNumber\" cannot be modified.")
            }
            let type = lineType ?? existing?.type ?? NAVOption("G/L Account")
            if type.caption == "G/L Account", !n.isEmpty, co.glAccount(n) == nil {
                throw Failure(400, "Application_DialogException", "Account does not exist.")
            }
            if type.caption == "Item" { throw Failure(400, "Application_DialogException", "Item does not exist.") }
            if let a = ch.no, a.caseInsensitiveCompare(n) != .orderedSame {
                throw Failure(400, "Application_DialogException", "The account values do not match to a specific Account.")
            }
            lineType = type
            ch.no = n
        }
        if lineType?.caption == "Item" { throw Failure(400, "Application_DialogException", "Item does not exist.") }
        if existing == nil, lineType == nil { lineType = ch.no == nil ? .blank : NAVOption("G/L Account") }
        ch.type = lineType
        ch.description = try string(o, "description")
        ch.directUnitCost = try decimal(o, "unitCost")
        ch.quantity = try decimal(o, "quantity")
        return (ch, sequence)
    }

    private func insertLine(_ o: D365JSONObject, header h: NAVPurchaseHeader, c: Int, db: inout NAVDatabase) throws -> NAVPurchaseLine {
        let (ch, sequence) = try lineChanges(o, existing: nil, c: c, db: db)
        return try db.insertPurchaseLine(c, documentNo: h.no, lineNo: sequence, ch)
    }

    private func line(
        _ op: Operation, _ l: NAVPurchaseLine, ref: InvoiceRef, _ rest: [(name: String, key: String?)], query: NAVQuery, c: Int, db: inout NAVDatabase
    ) throws -> SimResponse {
        let postedError = Failure(400, "Application_DialogException", "The invoice has been posted and can no longer be changed.")
        if rest.isEmpty {
            switch op.method {
            case "GET": return entity(lineJSON(l, ref.id, c: c, db: db, query: query), query: query, set: "purchaseInvoiceLines")
            case "PATCH":
                try checkIfMatch(op, version: l.version)
                guard case .draft = ref else { throw postedError }
                let (ch, _) = try lineChanges(try bodyObject(op), existing: l, c: c, db: db)
                let u = try db.modifyPurchaseLine(c, documentNo: l.documentNo, lineNo: l.lineNo, ch, expectedVersion: nil)
                return entity(db.bcPurchaseLine(c, documentId: ref.id, u), query: query, set: "purchaseInvoiceLines")
            case "DELETE":
                try checkIfMatch(op, version: l.version)
                guard case .draft = ref else { throw postedError }
                try db.deletePurchaseLine(c, documentNo: l.documentNo, lineNo: l.lineNo, expectedVersion: nil)
                return SimResponse(status: 204)
            default: throw methodNotAllowed(op.method, "purchaseInvoiceLines")
            }
        }
        guard rest.count == 1, rest[0].name == "dimensionSetLines" else { throw notFound(op) }
        let parent: DimParent
        if case .draft = ref { parent = .line(l.documentNo, l.lineNo) } else { parent = .readOnly(l.dimensions, l.version) }
        return try dimensionSetLineRoute(
            op, key: rest[0].key, parent: parent, parentId: l.id, parentType: "Purchase Invoice Line", query: query, c: c, db: &db)
    }

    // MARK: Dimension set lines

    enum DimParent {
        case header(String)
        case line(String, Int)
        case journalLine(String, String, Int)
        case readOnly(NAVDimensionSet, Int64)
    }

    private func parentSet(_ p: DimParent, c: Int, db: NAVDatabase) -> (NAVDimensionSet, Int64) {
        switch p {
        case .header(let no):
            let h = db.companies[c].purchaseHeader(no)!
            return (h.dimensions, h.version)
        case .line(let no, let n):
            let l = db.companies[c].lines(of: no).first { $0.lineNo == n }!
            return (l.dimensions, l.version)
        case .journalLine(let t, let b, let n):
            let l = db.companies[c].journalLines(t, b).first { $0.lineNo == n }!
            return (l.dimensions, l.version)
        case .readOnly(let s, let v): return (s, v)
        }
    }

    private func setDimension(_ p: DimParent, code: String, value: String, c: Int, db: inout NAVDatabase) throws {
        let changes = [(code: code, value: value)]
        switch p {
        case .header(let no):
            var ch = NAVDatabase.HeaderChanges()
            ch.dimensions = changes
            _ = try db.modifyPurchaseHeader(c, no: no, ch, expectedVersion: nil)
        case .line(let no, let n):
            var ch = NAVDatabase.LineChanges()
            ch.dimensions = changes
            _ = try db.modifyPurchaseLine(c, documentNo: no, lineNo: n, ch, expectedVersion: nil)
        case .journalLine(let t, let b, let n):
            var ch = NAVDatabase.JournalLineChanges()
            ch.dimensions = changes
            _ = try db.modifyJournalLine(c, template: t, batch: b, lineNo: n, ch, expectedVersion: nil)
        case .readOnly:
            throw Failure(400, "Application_DialogException", "The document has been posted and its dimensions can no longer be changed.")
        }
    }

    private func dimensionSetLineRoute(
        _ op: Operation, key: String?, parent: DimParent, parentId: String, parentType: String, query: NAVQuery, c: Int, db: inout NAVDatabase
    ) throws -> SimResponse {
        let (set, version) = parentSet(parent, c: c, db: db)
        let co = db.companies[c]
        guard let key else {
            switch op.method {
            case "GET":
                return list(
                    dimensionSetLines(c, set, parentId: parentId, parentType: parentType, version: version, db: db), op, query,
                    set: "dimensionSetLines")
            case "POST":
                let o = try bodyObject(op)
                try checkProperties(
                    o, entity: "dimensionSetLine", writable: ["id", "code", "valueId", "valueCode"],
                    readOnly: ["parentId", "parentType", "displayName", "valueDisplayName", "consolidationCode", "valueConsolidationCode"])
                let id = try guid(o, "id").flatMap { $0 == NAVDatabase.zeroGuid ? nil : $0 }
                let code = try string(o, "code").flatMap { $0.isEmpty ? nil : $0 }
                var dim: NAVDimension?
                if let id {
                    guard let d = co.dimensions.first(where: { $0.id == id }) else {
                        throw Failure(400, "Application_DialogException", "The \"id\" does not match to a Dimension.")
                    }
                    dim = d
                }
                if let code {
                    guard let d = co.dimension(code) else {
                        throw Failure(400, "Application_DialogException", "The \"code\" does not match to a Dimension.")
                    }
                    if let dim, dim.id != d.id {
                        throw Failure(400, "Application_DialogException", "The dimension field values do not match to a specific Dimension.")
                    }
                    dim = d
                }
                guard let dim else { throw Failure(400, "Application_DialogException", "The id or code field must be filled in.") }
                let value = try dimensionValue(o, dim: dim, c: c, db: db)
                if set[dim.code] != nil {
                    throw Failure(
                        400, "Internal_EntityWithSameKeyExists",
                        "The Dimension Set Entry already exists. Identification fields and values: Dimension Code='\(dim.code)'")
                }
                try setDimension(parent, code: dim.code, value: value.code, c: c, db: &db)
                let (_, v2) = parentSet(parent, c: c, db: db)
                return entity(
                    db.bcDimensionSetLine(c, code: dim.code, value: value.code, parentId: parentId, parentType: parentType, version: v2),
                    query: query,
                    set: "dimensionSetLines", status: 201)
            default: throw methodNotAllowed(op.method, "dimensionSetLines")
            }
        }
        guard let dim = co.dimensions.first(where: { $0.id == key.lowercased() }), let current = set[dim.code] else { throw recordNotFound() }
        switch op.method {
        case "GET":
            return entity(
                db.bcDimensionSetLine(c, code: dim.code, value: current, parentId: parentId, parentType: parentType, version: version), query: query,
                set: "dimensionSetLines")
        case "PATCH":
            try checkIfMatch(op, version: version)
            let o = try bodyObject(op)
            if o["id"] != nil || o["code"] != nil {
                let sameId = (try guid(o, "id")).map { $0 == dim.id } ?? true
                let sameCode = (try string(o, "code")).map { $0.caseInsensitiveCompare(dim.code) == .orderedSame } ?? true
                if !sameId || !sameCode { throw Failure(400, "Application_DialogException", "The ID and Code fields cannot be modified.") }
            }
            let value = try dimensionValue(o, dim: dim, c: c, db: db)
            try setDimension(parent, code: dim.code, value: value.code, c: c, db: &db)
            let (_, v2) = parentSet(parent, c: c, db: db)
            return entity(
                db.bcDimensionSetLine(c, code: dim.code, value: value.code, parentId: parentId, parentType: parentType, version: v2), query: query,
                set: "dimensionSetLines")
        case "DELETE":
            try checkIfMatch(op, version: version)
            try setDimension(parent, code: dim.code, value: "", c: c, db: &db)
            return SimResponse(status: 204)
        default: throw methodNotAllowed(op.method, "dimensionSetLines")
        }
    }

    private func dimensionValue(_ o: D365JSONObject, dim: NAVDimension, c: Int, db: NAVDatabase) throws -> NAVDimensionValue {
        let co = db.companies[c]
        let valueId = try guid(o, "valueId").flatMap { $0 == NAVDatabase.zeroGuid ? nil : $0 }
        let valueCode = try string(o, "valueCode").flatMap { $0.isEmpty ? nil : $0 }
        var value: NAVDimensionValue?
        if let valueId {
            guard let v = co.dimensionValues.first(where: { $0.id == valueId && $0.dimensionCode == dim.code }) else {
                throw Failure(400, "Application_DialogException", "The \"valueId\" does not match to a Dimension Value.")
            }
            value = v
        }
        if let valueCode {
            guard let v = co.dimensionValue(dim.code, valueCode) else {
                throw Failure(400, "Application_DialogException", "The \"valueCode\" does not match to a Dimension Value.")
            }
            if let value, value.id != v.id {
                throw Failure(400, "Application_DialogException", "The dimension field values do not match to a specific Dimension.")
            }
            value = v
        }
        guard let value else { throw Failure(400, "Application_DialogException", "The valueId or valueCode field must be filled in.") }
        return value
    }

    // MARK: Journals

    private func journals(_ op: Operation, _ rest: [(name: String, key: String?)], query: NAVQuery, c: Int, db: inout NAVDatabase) throws
        -> SimResponse
    {
        let template = db.defaultJournal(c)?.template ?? "GENERAL"
        guard let id = rest[0].key else {
            guard rest.count == 1 else { throw notFound(op) }
            switch op.method {
            case "GET":
                let filtersTemplate = query.filter?.properties.contains("templateDisplayName") ?? false
                let batches = db.companies[c].batches.filter { filtersTemplate || $0.template == template }
                return list(batches.map { db.bcJournal(c, $0) }, op, query, set: "journals")
            case "POST":
                let o = try bodyObject(op)
                try checkProperties(
                    o, entity: "journal", writable: ["code", "displayName", "balancingAccountId"], readOnly: ["id", "templateDisplayName"])
                guard let code = try string(o, "code"), !code.isEmpty else {
                    throw Failure(400, "BadRequest_RequiredParamNotProvided", "Field 'code' must not be blank or empty.")
                }
                if db.companies[c].batch(template, code) != nil {
                    throw Failure(
                        400, "Internal_EntityWithSameKeyExists",
                        "The Gen. Journal Batch already exists. Identification fields and values: Journal Template Name='\(template)',Name='\(code.uppercased())'"
                    )
                }
                let b = NAVJournalBatch(
                    id: db.newId("batch"), template: template, name: code.uppercased(), description: try string(o, "displayName") ?? "",
                    version: db.nextVersion())
                db.companies[c].batches.append(b)
                return entity(db.bcJournal(c, b), query: query, set: "journals", status: 201)
            default: throw methodNotAllowed(op.method, "journals")
            }
        }
        guard let b = db.companies[c].batches.first(where: { $0.id == id.lowercased() }) else { throw recordNotFound() }
        if rest.count == 1 {
            guard op.method == "GET" else { throw methodNotAllowed(op.method, "journals") }
            var o = db.bcJournal(c, b)
            if query.expand.contains(where: { $0.name == "journalLines" }) {
                o["journalLines"] = .array(db.companies[c].journalLines(b.template, b.name).map { .object(db.bcJournalLine(c, $0)) })
            }
            return entity(o, query: query, set: "journals")
        }
        switch rest[1].name {
        case "Microsoft.NAV.post":
            guard rest.count == 2, op.method == "POST" else { throw notFound(op) }
            _ = try db.postJournalBatch(c, template: b.template, batch: b.name)
            return SimResponse(status: 204)
        case "journalLines":
            if rest[1].key == nil {
                guard rest.count == 2 else { throw notFound(op) }
                switch op.method {
                case "GET":
                    return list(
                        db.companies[c].journalLines(b.template, b.name).map { journalLineJSON($0, c: c, db: db, query: query) }, op, query,
                        set: "journalLines")
                case "POST":
                    let o = try bodyObject(op)
                    let (ch, lineNo) = try journalChanges(o, existing: nil, c: c, db: db)
                    let l = try db.insertJournalLine(c, template: b.template, batch: b.name, lineNo: lineNo, ch)
                    return entity(db.bcJournalLine(c, l), query: query, set: "journalLines", status: 201)
                default: throw methodNotAllowed(op.method, "journalLines")
                }
            }
            guard let l = db.companies[c].journalLines(b.template, b.name).first(where: { $0.id == rest[1].key!.lowercased() }) else {
                throw recordNotFound()
            }
            return try journalLine(op, l, Array(rest.dropFirst(2)), query: query, c: c, db: &db)
        default:
            throw notFound(op)
        }
    }

    private func journalLineJSON(_ l: NAVJournalLine, c: Int, db: NAVDatabase, query: NAVQuery) -> D365JSONObject {
        var o = db.bcJournalLine(c, l)
        if query.expand.contains(where: { $0.name == "dimensionSetLines" }) {
            o["dimensionSetLines"] = .array(
                dimensionSetLines(c, l.dimensions, parentId: l.id, parentType: "Journal Line", version: l.version, db: db).map { .object($0) })
        }
        return o
    }

    private func journalLine(
        _ op: Operation, _ l: NAVJournalLine, _ rest: [(name: String, key: String?)], query: NAVQuery, c: Int, db: inout NAVDatabase
    ) throws -> SimResponse {
        if rest.isEmpty {
            switch op.method {
            case "GET": return entity(journalLineJSON(l, c: c, db: db, query: query), query: query, set: "journalLines")
            case "PATCH":
                try checkIfMatch(op, version: l.version)
                let (ch, _) = try journalChanges(try bodyObject(op), existing: l, c: c, db: db)
                let u = try db.modifyJournalLine(c, template: l.template, batch: l.batch, lineNo: l.lineNo, ch, expectedVersion: nil)
                return entity(db.bcJournalLine(c, u), query: query, set: "journalLines")
            case "DELETE":
                try checkIfMatch(op, version: l.version)
                try db.deleteJournalLine(c, template: l.template, batch: l.batch, lineNo: l.lineNo, expectedVersion: nil)
                return SimResponse(status: 204)
            default: throw methodNotAllowed(op.method, "journalLines")
            }
        }
        guard rest.count == 1, rest[0].name == "dimensionSetLines" else { throw notFound(op) }
        return try dimensionSetLineRoute(
            op, key: rest[0].key, parent: .journalLine(l.template, l.batch, l.lineNo), parentId: l.id, parentType: "Journal Line", query: query, c: c,
            db: &db)
    }

    static let journalWritable: Set<String> = [
        "lineNumber", "accountType", "accountId", "accountNumber", "postingDate", "documentNumber", "externalDocumentNumber", "amount",
        "description", "comment", "taxCode", "balanceAccountType", "balancingAccountId", "balancingAccountNumber",
    ]

    /// Journal line fields in the API page's order, accountType before accountNumber; accountId / balancingAccountId
    /// resolve G/L accounts only (reference §1.2).
    private func journalChanges(_ o: D365JSONObject, existing: NAVJournalLine?, c: Int, db: NAVDatabase) throws -> (
        NAVDatabase.JournalLineChanges, Int?
    ) {
        try checkProperties(o, entity: "journalLine", writable: BCService.journalWritable, readOnly: ["id", "journalId", "journalDisplayName"])
        let co = db.companies[c]
        var ch = NAVDatabase.JournalLineChanges()
        var lineNo: Int?
        if let n = o["lineNumber"] {
            guard let i = n.intValue else {
                throw Failure(400, "BadRequest", "Cannot convert the literal '\(D365JSONWriter.string(n))' to the expected type 'Edm.Int32'.")
            }
            if let existing, existing.lineNo != i {
                throw Failure(400, "Application_DialogException", "The value for lineNumber cannot be modified. Delete and insert the line again.")
            }
            lineNo = i
        }
        func accountType(_ k: String) throws -> NAVOption? {
            guard let t = try string(o, k) else { return nil }
            guard let opt = NAVOptionSet.journalAccountType.parse(t), opt.caption == t || NAVOptionSet.journalAccountType.members.contains(t) else {
                throw Failure(
                    400, "Unknown",
                    "'\(t)' is not an option. The existing options are: G/L Account,Customer,Vendor,Bank Account,Fixed Asset,IC Partner,Employee")
            }
            guard ["G/L Account", "Customer", "Vendor", "Bank Account"].contains(opt.caption) else {
                throw Failure(
                    400, "Application_DialogException",
                    "Account Type must be G/L Account, Customer, Vendor or Bank Account on the journalLines API (current value is '\(opt.caption)').")
            }
            return opt
        }
        ch.accountType = try accountType("accountType")
        let type = ch.accountType ?? existing?.accountType ?? NAVOption("G/L Account")
        let accountId = try guid(o, "accountId").flatMap { $0 == NAVDatabase.zeroGuid ? nil : $0 }
        let accountNumber = try string(o, "accountNumber")
        if let accountId {
            guard type.caption == "G/L Account", let a = co.glAccounts.first(where: { $0.id == accountId }) else {
                throw Failure(400, "Application_DialogException", "The \"accountId\" does not match to an Account.")
            }
            if let accountNumber, !accountNumber.isEmpty, accountNumber.caseInsensitiveCompare(a.no) != .orderedSame {
                throw Failure(400, "Application_DialogException", "The account values do not match to a specific Account.")
            }
            ch.accountNo = a.no
        } else if let accountNumber {
            if type.caption == "G/L Account", !accountNumber.isEmpty, co.glAccount(accountNumber) == nil {
                throw Failure(400, "Application_DialogException", "The \"accountNumber\" does not match to an Account.")
            }
            ch.accountNo = accountNumber
        }
        ch.postingDate = try date(o, "postingDate")
        ch.documentNo = try string(o, "documentNumber")
        ch.externalDocumentNo = try string(o, "externalDocumentNumber")
        ch.amount = try decimal(o, "amount")
        ch.description = try string(o, "description")
        ch.balAccountType = try accountType("balanceAccountType")
        let balType = ch.balAccountType ?? existing?.balAccountType ?? NAVOption("G/L Account")
        let balId = try guid(o, "balancingAccountId").flatMap { $0 == NAVDatabase.zeroGuid ? nil : $0 }
        if let balId {
            guard balType.caption == "G/L Account", let a = co.glAccounts.first(where: { $0.id == balId }) else {
                throw Failure(400, "Application_DialogException", "The \"balancingAccountId\" does not match to an Account.")
            }
            ch.balAccountNo = a.no
        } else if let n = try string(o, "balancingAccountNumber") {
            ch.balAccountNo = n
        }
        return (ch, lineNo)
    }
}
