import Foundation

/// NAV OData v4 pages (reference §4): `/{Instance}/ODataV4/Company('{name}')/{Service}` (and BC online's
/// `/v2.0/{tenant}/{env}/ODataV4/…`), PK-tuple keys, the `PurchaseInvoicePurchLines` containment, options as
/// captions, `@odata.etag` with If-Match on PATCH/DELETE, page 39 forcing the default journal.
struct NAVODataService: Sendable {
    var settings: NAVSettings
    var baseURL: String
    var rootPath: String

    static func rootPath(_ path: String) -> String {
        guard let r = path.range(of: "/ODataV4") else { return path }
        return String(path[..<r.upperBound])
    }

    struct Failure: Error {
        var response: SimResponse
        init(_ status: Int, _ code: String, _ message: String) { response = NAVResponses.error(status, code, message) }
    }

    func handle(_ request: SimRequest, segments: [String], db: inout NAVDatabase) -> SimResponse {
        var work = db
        do {
            let r = try route(request, segments, db: &work)
            if r.status < 400 { db = work }
            return r
        } catch let f as Failure {
            return f.response
        } catch let e as NAVError {
            return NAVResponses.error(e, staleStatus: settings.staleETagStatus)
        } catch {
            return NAVResponses.error(500, "Internal_ServerError", "\(error)")
        }
    }

    private func context(_ s: String) -> String { baseURL + rootPath + "/$metadata#" + s }

    /// `('x')`, `(A='x',B=10)` → [(name?, value)].
    static func keyValues(_ text: String) -> [(name: String?, value: String)]? {
        var out: [(String?, String)] = []
        var i = text.startIndex
        while i < text.endIndex {
            var name: String?
            if text[i] != "'" {
                guard let eq = text[i...].firstIndex(of: "=") else {
                    // A bare number key.
                    let v = String(text[i...]).trimmingCharacters(in: .whitespaces)
                    out.append((nil, v))
                    break
                }
                let candidate = String(text[i..<eq]).trimmingCharacters(in: .whitespaces)
                if candidate.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) {
                    name = candidate
                    i = text.index(after: eq)
                }
            }
            var value = ""
            if i < text.endIndex, text[i] == "'" {
                i = text.index(after: i)
                while true {
                    guard i < text.endIndex else { return nil }
                    if text[i] == "'" {
                        let n = text.index(after: i)
                        if n < text.endIndex, text[n] == "'" {
                            value.append("'")
                            i = text.index(after: n)
                            continue
                        }
                        i = n
                        break
                    }
                    value.append(text[i])
                    i = text.index(after: i)
                }
            } else {
                while i < text.endIndex, text[i] != "," {
                    value.append(text[i])
                    i = text.index(after: i)
                }
                value = value.trimmingCharacters(in: .whitespaces)
            }
            out.append((name, value))
            if i < text.endIndex {
                guard text[i] == "," else { return nil }
                i = text.index(after: i)
            }
        }
        return out
    }

    private func primaryKey(_ page: NAVPage, _ key: String) throws -> [String] {
        guard let kv = NAVODataService.keyValues(key) else { throw Failure(400, "BadRequest", "Bad Request - Error in query syntax.") }
        if kv.count == 1, kv[0].name == nil, page.keyFields.count == 1 { return [kv[0].value] }
        var out: [String] = []
        for f in page.keyFields {
            guard let v = kv.first(where: { $0.name == f }) else {
                throw Failure(
                    400, "BadRequest",
                    "The number of keys specified in the URI does not match number of key properties for the resource 'NAV.\(page.service)'.")
            }
            out.append(v.value)
        }
        return out
    }

    private func json(_ row: NAVPageRow, _ page: NAVPage, expandLines: Bool) -> D365JSONObject {
        var o = D365JSONObject()
        o["@odata.etag"] = .string(row.etag)
        for f in page.visibleFields(odata: true) { o[f.name] = row[f.name]?.odataJSON ?? .null }
        if expandLines {
            o["PurchaseInvoicePurchLines"] = .array(row.lines.map { .object(json($0, .purchLines, expandLines: false)) })
        }
        return o
    }

    private func entity(_ row: NAVPageRow, _ page: NAVPage, set: String, query: NAVQuery, status: Int = 200) -> SimResponse {
        var out = D365JSONObject([("@odata.context", .string(context(set) + "/$entity"))])
        let expand = query.expand.contains { $0.name == "PurchaseInvoicePurchLines" }
        for (k, v) in query.selected(json(row, page, expandLines: expand), keep: page.keyFields).pairs { out[k] = v }
        return NAVResponses.json(status, .object(out), headers: [("ETag", row.etag)])
    }

    private func checkIfMatch(_ request: SimRequest, version: Int64) throws -> Int64? {
        guard let tag = request.headers["if-match"]?.trimmingCharacters(in: .whitespaces), !tag.isEmpty else {
            throw Failure(
                400, "BadRequest_InvalidToken",
                "Could not validate the client concurrency token required by the service. Please provide a valid token in the client request.")
        }
        if tag == "*" { return nil }
        guard NAVVersioning.version(fromETag: tag) == version else {
            throw Failure(settings.staleETagStatus, "Request_EntityChanged", "Another user has already changed the record.")
        }
        return version
    }

    private func fields(_ request: SimRequest, _ page: NAVPage) throws -> [(name: String, value: String)] {
        guard let v = try? D365JSONParser.parse(request.body), let o = v.objectValue else {
            throw Failure(400, "BadRequest", "Invalid Request Body")
        }
        var out: [(name: String, value: String)] = []
        for (k, v) in o.pairs where !k.hasPrefix("@") {
            guard page.field(k) != nil else {
                throw Failure(
                    400, "BadRequest",
                    "The property '\(k)' does not exist on type 'NAV.\(page.service)'. Make sure to only use property names that are defined by the type."
                )
            }
            out.append((k, NAVDatabase.text(v)))
        }
        return out
    }

    private func companyJSON(_ co: NAVCompanyData) -> D365JSONObject {
        D365JSONObject([("Name", .string(co.name)), ("Display_Name", .string(co.displayName)), ("Id", .string(co.id))])
    }

    private func route(_ request: SimRequest, _ segments: [String], db: inout NAVDatabase) throws -> SimResponse {
        let query = try NAVQuery.parse(request.queryItems)
        let notFound = NAVResponses.notFoundRoute(baseURL + rootPath + "/" + segments.joined(separator: "/"))
        guard let first = segments.first else { return notFound }
        let (name, key) = BCService.split(first)
        guard name == "Company" else { return notFound }
        guard let key else {
            guard segments.count == 1, request.method == "GET" else { return notFound }
            return NAVPaging.list(
                db.companies.map(companyJSON), query: query, request: request, context: context("Company"), serverPageSize: settings.pageSize,
                keys: ["Name"])
        }
        let companyName = NAVODataService.keyValues(key)?.first?.value ?? key
        guard let c = db.companyIndex(name: companyName) else { throw NAVError.companyNotFound(companyName) }
        if segments.count == 1 {
            var o = D365JSONObject([("@odata.context", .string(context("Company/$entity")))])
            for (k, v) in companyJSON(db.companies[c]).pairs { o[k] = v }
            return NAVResponses.json(200, .object(o))
        }
        let (service, entityKey) = BCService.split(segments[1])
        guard let page = NAVPage.all.first(where: { $0.service == service }) else { return notFound }
        guard let entityKey else {
            guard segments.count == 2 else { return notFound }
            switch request.method {
            case "GET":
                let expand = query.expand.contains { $0.name == "PurchaseInvoicePurchLines" }
                let rows = try db.pageRows(c, page).map { json($0, page, expandLines: expand) }
                return NAVPaging.list(
                    rows, query: query, request: request, context: context(service), serverPageSize: settings.pageSize, keys: page.keyFields)
            case "POST":
                let row = try db.pageInsert(c, page, try fields(request, page))
                return entity(row, page, set: service, query: query, status: 201)
            default:
                return NAVResponses.error(
                    405, "BadRequest_MethodNotAllowed",
                    "'\(request.method)' requests for '\(service)' of EdmType 'Collection' are not allowed within Dynamics 365 Business Central OData web services."
                )
            }
        }
        let pk = try primaryKey(page, entityKey)
        guard let row = db.pageRow(c, page, primaryKey: pk) else {
            throw NAVError.notFound(page.tableCaption, zip(page.keyFields, pk).map { ($0.0.replacingOccurrences(of: "_", with: " "), $0.1) })
        }
        if segments.count == 2 {
            switch request.method {
            case "GET": return entity(row, page, set: service, query: query)
            case "PATCH", "PUT":
                let expected = try checkIfMatch(request, version: row.version)
                let updated = try db.pageModify(c, page, primaryKey: pk, expectedVersion: expected, try fields(request, page))
                return entity(updated, page, set: service, query: query)
            case "DELETE":
                let expected = try checkIfMatch(request, version: row.version)
                try db.pageDelete(c, page, primaryKey: pk, expectedVersion: expected)
                return SimResponse(status: 204)
            default: return notFound
            }
        }
        // Containment: PurchaseInvoice(...)/PurchaseInvoicePurchLines[(...)]
        let (part, lineKey) = BCService.split(segments[2])
        guard page.service == "PurchaseInvoice", part == "PurchaseInvoicePurchLines", segments.count == 3 else { return notFound }
        let lines = NAVPage.purchLines
        let set = "Company('\(companyName)')/PurchaseInvoice(\(entityKey))/PurchaseInvoicePurchLines"
        guard let lineKey else {
            switch request.method {
            case "GET":
                return NAVPaging.list(
                    row.lines.map { json($0, lines, expandLines: false) }, query: query, request: request, context: context(set),
                    serverPageSize: settings.pageSize, keys: lines.keyFields)
            case "POST":
                var input = try fields(request, lines)
                input.removeAll { $0.name == "Document_Type" || $0.name == "Document_No" }
                let r = try db.pageInsert(c, lines, input, documentNo: pk[1])
                return entity(r, lines, set: set, query: query, status: 201)
            default: return notFound
            }
        }
        var lpk = try primaryKey(lines, lineKey)
        lpk[1] = pk[1]
        guard let lrow = db.pageRow(c, lines, primaryKey: lpk) else {
            throw NAVError.notFound("Purchase Line", [("Document Type", "Invoice"), ("Document No.", pk[1]), ("Line No.", lpk[2])])
        }
        switch request.method {
        case "GET": return entity(lrow, lines, set: set, query: query)
        case "PATCH", "PUT":
            let expected = try checkIfMatch(request, version: lrow.version)
            return entity(
                try db.pageModify(c, lines, primaryKey: lpk, expectedVersion: expected, try fields(request, lines)), lines, set: set, query: query)
        case "DELETE":
            let expected = try checkIfMatch(request, version: lrow.version)
            try db.pageDelete(c, lines, primaryKey: lpk, expectedVersion: expected)
            return SimResponse(status: 204)
        default: return notFound
        }
    }
}
