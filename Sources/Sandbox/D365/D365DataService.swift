import Foundation

/// One request to `/data` (top level or a `$batch` part).
struct ODataRequest: Sendable {
    var method: String
    /// Percent-encoded path starting with `/data`.
    var rawPath: String
    var rawQuery: String?
    /// Lower-cased header names.
    var headers: [String: String]
    var body: Data

    var queryItems: [(name: String, value: String)] { SimRequest.decodeForm(rawQuery ?? "") }
    var url: String { rawPath + (rawQuery.map { "?" + $0 } ?? "") }
}

enum D365Route {
    case serviceDocument
    case metadata
    case batch
    case collection(D365EntitySchema)
    case count(D365EntitySchema)
    case entity(D365EntitySchema, [String: D365Value])
    case navigation(D365EntitySchema, [String: D365Value], D365Navigation)

    /// The entity set (or `$batch`/`$metadata`) a request addresses, for fault matching; a navigation path
    /// such as `VendorInvoiceHeaders(…)/VendorInvoiceLine` addresses its target set.
    static func entitySetName(_ rawPath: String) -> String {
        switch parse(rawPath) {
        case .collection(let s)?, .count(let s)?, .entity(let s, _)?: return s.setName
        case .navigation(_, _, let nav)?: return nav.targetSet
        case .batch?: return "$batch"
        case .metadata?: return "$metadata"
        case .serviceDocument?, nil:
            let path = rawPath.removingPercentEncoding ?? rawPath
            guard path.hasPrefix("/data/") else { return "" }
            let first = path.dropFirst(6).split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            return String(first.split(separator: "(", maxSplits: 1).first ?? "")
        }
    }

    /// Case-sensitive routing of a `/data` path; nil means the routing 404.
    static func parse(_ rawPath: String) -> D365Route? {
        let path = rawPath.removingPercentEncoding ?? rawPath
        guard path == "/data" || path.hasPrefix("/data/") else { return nil }
        let rest = path.dropFirst(5)
        if rest.isEmpty || rest == "/" { return .serviceDocument }
        var segments = rest.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        if segments.count > 1, segments.last == "" { segments.removeLast() }
        guard let first = segments.first, !first.isEmpty, segments.count <= 2 else { return nil }
        if segments.count == 1 {
            if first == "$metadata" { return .metadata }
            if first == "$batch" { return .batch }
        }
        var name = first
        var key: [String: D365Value]?
        if let open = first.firstIndex(of: "(") {
            guard first.hasSuffix(")") else { return nil }
            name = String(first[..<open])
            let inner = String(first[first.index(after: open)..<first.index(before: first.endIndex)])
            guard let schema = D365Schema.entitySet(name), let k = ODataKey.parse(inner, schema: schema) else { return nil }
            key = k
        }
        guard let schema = D365Schema.entitySet(name) else { return nil }
        if segments.count == 2 {
            if segments[1] == "$count", key == nil { return .count(schema) }
            guard let key, let nav = schema.navigation(segments[1]) else { return nil }
            return .navigation(schema, key, nav)
        }
        if let key { return .entity(schema, key) }
        return .collection(schema)
    }
}

/// F&O's `/data` service over a store, for one caller.
struct D365DataService {
    var ctx: D365WriteContext
    var baseURL: String

    private var pageSize: Int { ctx.settings.pageSize }

    func handle(_ r: ODataRequest, store: inout D365Store) -> SimResponse {
        guard let route = D365Route.parse(r.rawPath) else {
            return D365Responses.routingNotFound(baseURL + r.url)
        }
        let ieee754 = (r.headers["accept"] ?? "").lowercased().contains("ieee754compatible=true")
        var service = self
        service.ctx.ieee754 = (r.headers["content-type"] ?? "").lowercased().contains("ieee754compatible=true")
        switch route {
        case .serviceDocument:
            guard r.method == "GET" else { return D365Responses.methodNotAllowed(r.method) }
            let sets = D365Schema.all.map { s in
                D365Responses.obj([("name", .string(s.setName)), ("kind", .string("EntitySet")), ("url", .string(s.setName))])
            }
            return D365Responses.json(
                200,
                D365Responses.obj([
                    ("@odata.context", .string("\(baseURL)/data/$metadata")), ("value", .array(sets)),
                ]))
        case .metadata:
            guard r.method == "GET" else { return D365Responses.methodNotAllowed(r.method) }
            return SimResponse(
                status: 200, headers: [("Content-Type", "application/xml"), ("OData-Version", "4.0")],
                body: Data(D365Schema.metadataXML().utf8))
        case .batch:
            // `$batch` is answered by the simulator (it needs the whole batch); nested batches are invalid.
            return D365Responses.badRequest("A $batch request cannot be nested inside another $batch request.")
        case .collection(let schema):
            switch r.method {
            case "GET":
                return service.read(schema, rows: service.scoped(schema, store: store, r: r), r: r, store: store, ieee754: ieee754)
            case "POST":
                return service.create(schema, parentKey: nil, r: r, store: &store, ieee754: ieee754)
            default:
                return D365Responses.methodNotAllowed(r.method)
            }
        case .count(let schema):
            guard r.method == "GET" else { return D365Responses.methodNotAllowed(r.method) }
            do {
                let options = try ODataQueryOptions.parse(r.queryItems, schema: schema)
                var rows = service.scoped(schema, store: store, r: r)
                if let f = options.filter { rows = rows.filter { ODataFilterEvaluator.matches(f, $0) } }
                return SimResponse(
                    status: 200, headers: [("Content-Type", "text/plain; charset=utf-8"), ("OData-Version", "4.0")],
                    body: Data(String(rows.count).utf8))
            } catch let e as ODataQueryError {
                return D365Responses.queryError(e.message)
            } catch {
                return D365Responses.queryError("\(error)")
            }
        case .entity(let schema, let key):
            switch r.method {
            case "GET":
                return service.readEntity(schema, key: key, r: r, store: store, ieee754: ieee754)
            case "PATCH", "PUT", "MERGE":
                return service.update(schema, key: key, replace: r.method == "PUT", r: r, store: &store, ieee754: ieee754)
            case "DELETE":
                if let f = D365Writes.delete(schema, key: key, ifMatch: r.headers["if-match"], ctx: service.ctx, store: &store) {
                    return f.response
                }
                return SimResponse(status: 204, headers: [("OData-Version", "4.0")])
            default:
                return D365Responses.methodNotAllowed(r.method)
            }
        case .navigation(let schema, let key, let nav):
            guard let target = D365Schema.entitySet(nav.targetSet) else { return D365Responses.routingNotFound(baseURL + r.url) }
            guard let parent = store.row(schema, key: key),
                !schema.companySpecific || ctx.caller.mayAccess(parent.string("dataAreaId"))
            else {
                if r.method == "POST", schema.setName == "VendorInvoiceHeaders", let c = key["dataAreaId"]?.string,
                    let ref = key["HeaderReference"]?.string, let posted = store.postedInvoice(company: c, reference: ref)
                {
                    return D365Responses.writeFailed(target, [D365Writes.postedMessage(posted)])
                }
                return D365Responses.keyNotFound(schema.setName)
            }
            switch r.method {
            case "GET":
                return service.read(target, rows: related(nav, parent: parent, store: store), r: r, store: store, ieee754: ieee754)
            case "POST" where nav.many:
                var parentKey: [String: D365Value] = [:]
                for (local, remote) in nav.constraints { parentKey[remote] = parent[local] }
                return service.create(target, parentKey: parentKey, r: r, store: &store, ieee754: ieee754)
            default:
                return D365Responses.methodNotAllowed(r.method)
            }
        }
    }

    // MARK: Reads

    /// Company scoping: the default company, or with `cross-company=true` every company the user may access.
    func scoped(_ schema: D365EntitySchema, store: D365Store, r: ODataRequest) -> [D365Row] {
        let rows = store.rows(schema.setName)
        guard schema.companySpecific else { return rows }
        let cross = r.queryItems.contains { $0.name == "cross-company" && $0.value.lowercased() == "true" }
        if cross { return rows.filter { ctx.caller.mayAccess($0.string("dataAreaId")) } }
        return rows.filter { $0.string("dataAreaId") == ctx.caller.defaultCompany }
    }

    func related(_ nav: D365Navigation, parent: D365Row, store: D365Store) -> [D365Row] {
        // Indexed paths for the invoice header ↔ lines navigation.
        if nav.targetSet == D365Schema.vendorInvoiceLines.setName {
            return store.lines(company: parent.string("dataAreaId"), reference: parent.string("HeaderReference"))
        }
        if nav.targetSet == D365Schema.vendorInvoiceHeaders.setName {
            return store.header(company: parent.string("dataAreaId"), reference: parent.string("HeaderReference")).map { [$0] } ?? []
        }
        return store.rows(nav.targetSet).filter { row in
            nav.constraints.allSatisfy { local, remote in
                if let a = parent[local].string, let b = row[remote].string { return D365Text.equal(a, b) }
                return parent[local] == row[remote]
            }
        }
    }

    func contextURL(_ setName: String, select: [String]?) -> String {
        var s = "\(baseURL)/data/$metadata#\(setName)"
        if let select { s += "(\(select.joined(separator: ",")))" }
        return s
    }

    func entityJSON(
        _ schema: D365EntitySchema, _ row: D365Row, select: [String]?, expand: [ODataExpand], store: D365Store,
        ieee754: Bool, context: String? = nil
    ) -> D365JSON {
        var o = D365JSONObject()
        if let context { o["@odata.context"] = .string(context) }
        o["@odata.etag"] = .string(row.etag)
        for p in schema.properties where select?.contains(p.name) ?? true {
            o[p.name] = row[p.name].json(ieee754: ieee754)
        }
        for e in expand {
            guard let target = D365Schema.entitySet(e.navigation.targetSet) else { continue }
            var rows = related(e.navigation, parent: row, store: store)
            if let f = e.options.filter { rows = rows.filter { ODataFilterEvaluator.matches(f, $0) } }
            rows = e.options.sort(rows, schema: target)
            if let skip = e.options.skip { rows = Array(rows.dropFirst(skip)) }
            if let top = e.options.top { rows = Array(rows.prefix(top)) }
            let items = rows.map { entityJSON(target, $0, select: e.options.select, expand: [], store: store, ieee754: ieee754) }
            o[e.navigation.name] = e.navigation.many ? .array(items) : (items.first ?? .null)
        }
        return .object(o)
    }

    static func skipToken(_ offset: Int) -> String {
        Data("sandbox-page:\(offset)".utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    static func offset(fromSkipToken token: String) -> Int? {
        var b64 = token.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while b64.count % 4 != 0 { b64 += "=" }
        guard let data = Data(base64Encoded: b64), let text = String(data: data, encoding: .utf8),
            text.hasPrefix("sandbox-page:"), let n = Int(text.dropFirst(13)), n >= 0
        else { return nil }
        return n
    }

    /// A collection read with `$filter`, `$orderby`, `$skip`, `$top`, `$count`, `$select`, `$expand` and server paging.
    func read(_ schema: D365EntitySchema, rows input: [D365Row], r: ODataRequest, store: D365Store, ieee754: Bool) -> SimResponse {
        let options: ODataQueryOptions
        do { options = try ODataQueryOptions.parse(r.queryItems, schema: schema) } catch let e as ODataQueryError {
            return D365Responses.queryError(e.message)
        } catch { return D365Responses.queryError("\(error)") }
        var rows = input
        if let f = options.filter { rows = rows.filter { ODataFilterEvaluator.matches(f, $0) } }
        rows = options.sort(rows, schema: schema)
        let total = rows.count
        if let skip = options.skip { rows = Array(rows.dropFirst(skip)) }
        if let top = options.top { rows = Array(rows.prefix(top)) }
        var offset = 0
        if let token = options.skipToken {
            guard let o = D365DataService.offset(fromSkipToken: token) else {
                return D365Responses.queryError("The $skiptoken value '\(token)' is not valid.")
            }
            offset = o
        }
        let page = Array(rows.dropFirst(offset).prefix(pageSize))
        var o = D365JSONObject()
        o["@odata.context"] = .string(contextURL(schema.setName, select: options.select))
        if options.count { o["@odata.count"] = .int(total) }
        o["value"] = .array(
            page.map {
                entityJSON(schema, $0, select: options.select, expand: options.expand, store: store, ieee754: ieee754)
            })
        if offset + page.count < rows.count {
            var items = (r.rawQuery ?? "").split(separator: "&").map(String.init).filter { item in
                let name = item.split(separator: "=", maxSplits: 1).first.map(String.init) ?? ""
                return (name.removingPercentEncoding ?? name) != "$skiptoken"
            }
            items.append("$skiptoken=" + D365DataService.skipToken(offset + page.count))
            o["@odata.nextLink"] = .string(baseURL + r.rawPath + "?" + items.joined(separator: "&"))
        }
        return D365Responses.json(200, .object(o), ieee754: ieee754)
    }

    func readEntity(_ schema: D365EntitySchema, key: [String: D365Value], r: ODataRequest, store: D365Store, ieee754: Bool) -> SimResponse {
        guard let row = store.row(schema, key: key),
            !schema.companySpecific || ctx.caller.mayAccess(row.string("dataAreaId"))
        else {
            return D365Responses.keyNotFound(schema.setName)
        }
        let options: ODataQueryOptions
        do { options = try ODataQueryOptions.parse(r.queryItems, schema: schema) } catch let e as ODataQueryError {
            return D365Responses.queryError(e.message)
        } catch { return D365Responses.queryError("\(error)") }
        let context = contextURL(schema.setName, select: options.select) + "/$entity"
        let body = entityJSON(schema, row, select: options.select, expand: options.expand, store: store, ieee754: ieee754, context: context)
        return D365Responses.json(200, body, headers: [("ETag", row.etag)], ieee754: ieee754)
    }

    // MARK: Writes

    func entityURL(_ schema: D365EntitySchema, _ row: D365Row) -> String {
        "\(baseURL)/data/\(schema.setName)\(ODataKey.segment(schema, row))"
    }

    private func parseBody(_ r: ODataRequest) -> Result<D365JSONObject, D365Failure> {
        guard !r.body.isEmpty else {
            return .failure(D365Failure(D365Responses.badRequest("The request body is empty; a JSON object was expected.")))
        }
        do {
            guard let o = try D365JSONParser.parse(r.body).objectValue else {
                return .failure(D365Failure(D365Responses.badRequest("The request body must be a JSON object.")))
            }
            return .success(o)
        } catch {
            return .failure(D365Failure(D365Responses.badRequest("Invalid JSON in the request body: \(error)")))
        }
    }

    private func prefers(_ r: ODataRequest, _ token: String) -> Bool {
        (r.headers["prefer"] ?? "").lowercased().split(separator: ",").contains { $0.trimmingCharacters(in: .whitespaces) == token }
    }

    func create(
        _ schema: D365EntitySchema, parentKey: [String: D365Value]?, r: ODataRequest, store: inout D365Store,
        ieee754: Bool
    ) -> SimResponse {
        guard schema.writable else { return D365Responses.methodNotAllowed(r.method) }
        let body: D365JSONObject
        switch parseBody(r) {
        case .success(let b): body = b
        case .failure(let f): return f.response
        }
        switch D365Writes.create(schema, body: body, parentKey: parentKey, ctx: ctx, store: &store) {
        case .failure(let f):
            return f.response
        case .success(let row):
            let location = entityURL(schema, row)
            let headers = [("Location", location), ("ETag", row.etag), ("OData-EntityId", location)]
            if prefers(r, "return=minimal") {
                return SimResponse(status: 204, headers: headers + [("OData-Version", "4.0"), ("Preference-Applied", "return=minimal")])
            }
            let json = entityJSON(
                schema, row, select: nil, expand: [], store: store, ieee754: ieee754,
                context: "\(baseURL)/data/$metadata#\(schema.setName)/$entity")
            return D365Responses.json(201, json, headers: headers, ieee754: ieee754)
        }
    }

    func update(
        _ schema: D365EntitySchema, key: [String: D365Value], replace: Bool, r: ODataRequest, store: inout D365Store,
        ieee754: Bool
    ) -> SimResponse {
        guard schema.writable else { return D365Responses.methodNotAllowed(r.method) }
        let body: D365JSONObject
        switch parseBody(r) {
        case .success(let b): body = b
        case .failure(let f): return f.response
        }
        switch D365Writes.update(schema, key: key, body: body, replace: replace, ifMatch: r.headers["if-match"], ctx: ctx, store: &store) {
        case .failure(let f):
            return f.response
        case .success(let row):
            if prefers(r, "return=representation") {
                let json = entityJSON(
                    schema, row, select: nil, expand: [], store: store, ieee754: ieee754,
                    context: "\(baseURL)/data/$metadata#\(schema.setName)/$entity")
                return D365Responses.json(
                    200, json, headers: [("ETag", row.etag), ("Preference-Applied", "return=representation")],
                    ieee754: ieee754)
            }
            return SimResponse(status: 204, headers: [("OData-Version", "4.0"), ("ETag", row.etag)])
        }
    }
}
