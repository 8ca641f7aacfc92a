import Foundation

/// A Bearer token the sandbox's Entra endpoint issued (looked up in the D365 simulator, which owns the endpoint).
public struct NAVBearer: Sendable {
    public var clientId: String
    public var resource: String
    public init(clientId: String, resource: String) {
        self.clientId = clientId
        self.resource = resource
    }
}

/// What `NAVSimulator.admit` decided for a request of a front end.
public enum NAVAdmission: Sendable {
    /// Answer this (401, injected fault, 429, 503) and call `complete` with it.
    case respond(SimResponse)
    /// Process the request; with `drop`, answer by closing the connection (set on the response by `complete`).
    case proceed(user: String, drop: Bool)
}

/// The NAV / Business Central simulators: BC API v2.0 (`/v2.0/{tenant}/{env}/api/v2.0/…`, Bearer) and the OData v4
/// pages (`/DynamicsNAV110/ODataV4/…`, Basic; `/v2.0/{tenant}/{env}/ODataV4/…`, Bearer) over one `NAVStore`, with
/// per-user token-bucket throttling, a concurrency cap, injected faults and a request log. The SOAP front end
/// (`/DynamicsNAV110/WS/…`) is served elsewhere and uses `store`, `basicUser`, `admit` and `complete`.
///
/// Control routes (no auth): `POST /_sandbox/nav/reset`; `GET /_sandbox/nav/documents?company=NAME`;
/// `POST /_sandbox/nav/post?company=NAME&purchaseInvoice=NO` or `&journalBatch=TEMPLATE/BATCH`;
/// `POST /_sandbox/nav/update` `{"company","table","key","fields":{…},"delete":false}`;
/// `POST|GET|DELETE /_sandbox/nav/faults` `{"count":N,"status":429|500|502|503|401|408|504,"retryAfter":1,"method":"POST",
/// "pathContains":"…","api":"bc|odata|soap","drop":false}`; `GET|DELETE /_sandbox/nav/requests`
/// (`[{"api","method","path","status","batchOperations"}]`); `GET|POST /_sandbox/nav/settings` `{"pageSize":5,
/// "requestsPerWindow":6000,"windowSeconds":300,"staleETagStatus":409,"retryAfterOn429":true,"maxConcurrent":5,
/// "holdMilliseconds":0}`.
public actor NAVSimulator: SimulatorHandler {
    public nonisolated let store: NAVStore
    private let seedFile: URL
    private(set) var seed: NAVSeed
    private(set) var settings: NAVSettings
    private let bearerLookup: @Sendable (String) async -> NAVBearer?
    private var buckets: [String: Bucket] = [:]
    private var inFlight: [String: Int] = [:]
    private var faults: [NAVFaultRule] = []
    private var requestLog: [LogEntry] = []

    struct Bucket {
        var tokens: Double
        var updated: Double
    }

    struct LogEntry {
        var api: String
        var method: String
        var path: String
        var status: Int
        var user: String?
        var batchOperations: Int?
        var dropped: Bool
    }

    /// `bearer` validates a Bearer token (the Sandbox passes the D365 simulator's Entra token store).
    public init(seedFile: URL, bearer: @escaping @Sendable (String) async -> NAVBearer? = { _ in nil }) throws {
        self.seedFile = seedFile
        let seed = try NAVSeed.load(seedFile)
        self.seed = seed
        self.settings = seed.settings
        self.store = NAVStore(database: seed.database)
        self.bearerLookup = bearer
    }

    /// The NAV server instance name (`DynamicsNAV110`).
    public var instance: String { seed.instance }

    // MARK: Dispatch

    enum Route {
        /// BC API v2.0: the segments after `api/v2.0`.
        case bc([String])
        /// OData v4 pages: segments after `ODataV4`; `bearer` for BC online, Basic for NAV.
        case pages([String], bearer: Bool)
    }

    /// Splits a decoded path on `/` outside parentheses and quotes.
    static func segments(_ path: String) -> [String] {
        var out: [String] = []
        var cur = ""
        var depth = 0
        var quoted = false
        for ch in path {
            if ch == "'" { quoted.toggle() }
            if !quoted {
                if ch == "(" { depth += 1 }
                if ch == ")" { depth -= 1 }
            }
            if ch == "/", depth == 0, !quoted {
                if !cur.isEmpty { out.append(cur) }
                cur = ""
            } else {
                cur.append(ch)
            }
        }
        if !cur.isEmpty { out.append(cur) }
        return out
    }

    func route(_ request: SimRequest) -> Route? {
        let segs = NAVSimulator.segments(request.decodedPath)
        guard let first = segs.first else { return nil }
        if first == "v2.0" {
            // /v2.0/{tenant}/{env}/api/v2.0/… or /v2.0/{env}/api/v2.0/… (also ODataV4).
            for start in [2, 3] where segs.count > start {
                let env = segs[start - 1]
                guard env.caseInsensitiveCompare(seed.environment) == .orderedSame else { continue }
                if segs[start] == "api", segs.count > start + 1, segs[start + 1] == "v2.0" { return .bc(Array(segs[(start + 2)...])) }
                if segs[start] == "ODataV4" { return .pages(Array(segs[(start + 1)...]), bearer: true) }
            }
            return nil
        }
        if first.caseInsensitiveCompare(seed.instance) == .orderedSame, segs.count >= 2, segs[1] == "ODataV4" {
            return .pages(Array(segs[2...]), bearer: false)
        }
        return nil
    }

    public func handle(_ request: SimRequest) async -> SimResponse? {
        if request.path.hasPrefix("/_sandbox/nav/") || request.path == "/_sandbox/nav" { return await control(request) }
        guard let route = route(request) else { return nil }
        let api: String
        let bearer: Bool
        switch route {
        case .bc: (api, bearer) = ("bc", true)
        case .pages(_, let b): (api, bearer) = ("odata", b)
        }
        let user = bearer ? await bearerUser(request) : basicUser(request)
        switch admit(api: api, request: request, user: user, bearer: bearer) {
        case .respond(let r):
            return complete(api: api, request: request, response: r, user: user, drop: false, batchOperations: nil, admitted: false)
        case .proceed(let u, let drop):
            if settings.holdMilliseconds > 0 { try? await Task.sleep(nanoseconds: UInt64(settings.holdMilliseconds) * 1_000_000) }
            let settings = self.settings
            let base = request.baseURL
            let result: (SimResponse, Int?)
            switch route {
            case .bc(let segs):
                let service = BCService(settings: settings, baseURL: base, rootPath: BCService.rootPath(request.path))
                result = await store.transaction { db in service.handle(request, segments: segs, db: &db) }
            case .pages(let segs, _):
                let service = NAVODataService(settings: settings, baseURL: base, rootPath: NAVODataService.rootPath(request.path))
                result = await store.transaction { db in (service.handle(request, segments: segs, db: &db), nil) }
            }
            return complete(api: api, request: request, response: result.0, user: u, drop: drop, batchOperations: result.1, admitted: true)
        }
    }

    // MARK: Auth, throttling, faults (also for the SOAP front end)

    /// The validated user of a Bearer request (token issued for the BC audience), nil otherwise.
    func bearerUser(_ request: SimRequest) async -> String? {
        guard let auth = request.headers["authorization"], auth.count > 7, auth.prefix(7).lowercased() == "bearer " else { return nil }
        let token = auth.dropFirst(7).trimmingCharacters(in: .whitespaces)
        guard let info = await bearerLookup(token), info.resource.caseInsensitiveCompare(seed.audience) == .orderedSame else { return nil }
        return info.clientId
    }

    /// The user of a valid `Authorization: Basic` (user + web service access key), nil otherwise.
    public func basicUser(_ request: SimRequest) -> String? {
        guard let auth = request.headers["authorization"], auth.lowercased().hasPrefix("basic ") else { return nil }
        let encoded = auth.dropFirst(6).trimmingCharacters(in: .whitespaces)
        guard let data = Data(base64Encoded: encoded), let text = String(data: data, encoding: .utf8), let colon = text.firstIndex(of: ":") else {
            return nil
        }
        let user = String(text[..<colon])
        let key = String(text[text.index(after: colon)...])
        guard user.caseInsensitiveCompare(seed.user) == .orderedSame, key == seed.accessKey else { return nil }
        return seed.user
    }

    /// Fault rules, authentication, the concurrency cap and the per-user token bucket, in that order. After
    /// `.proceed`, call `complete` exactly once (it releases the concurrency slot).
    public func admit(api: String, request: SimRequest, user: String?, bearer: Bool = false) -> NAVAdmission {
        var drop = false
        if let rule = NAVFaultRule.take(&faults, api: api, method: request.method, path: request.path) {
            if rule.drop { drop = true } else { return .respond(NAVResponses.fault(rule, api: api)) }
        }
        guard let user else {
            if api == "soap" { return .respond(SimResponse(status: 401, headers: [("WWW-Authenticate", "Basic realm=\"\"")])) }
            return .respond(NAVResponses.unauthorized(bearer: bearer))
        }
        if inFlight[api, default: 0] >= settings.maxConcurrent {
            return .respond(
                NAVResponses.error(
                    503, "Internal_ServiceUnavailable", "The server is busy: too many concurrent requests. Please try again later.",
                    headers: [("Retry-After", "1")]))
        }
        let now = Date().timeIntervalSince1970
        let capacity = Double(settings.requestsPerWindow)
        let rate = capacity / Double(settings.windowSeconds)
        var b = buckets[user] ?? Bucket(tokens: capacity, updated: now)
        b.tokens = min(capacity, b.tokens + (now - b.updated) * rate)
        b.updated = now
        if b.tokens < 1 {
            buckets[user] = b
            let wait = max(1, Int(((1 - b.tokens) / rate).rounded(.up)))
            let headers = settings.retryAfterOn429 ? [("Retry-After", String(wait))] : []
            return .respond(
                NAVResponses.error(
                    429, "Application_TooManyRequests",
                    "Too many requests: the limit of \(settings.requestsPerWindow) requests per \(settings.windowSeconds) seconds was reached.",
                    headers: headers))
        }
        b.tokens -= 1
        buckets[user] = b
        inFlight[api, default: 0] += 1
        return .proceed(user: user, drop: drop)
    }

    /// Logs the request, releases its slot (when admitted) and marks a dropped answer.
    public func complete(
        api: String, request: SimRequest, response: SimResponse, user: String?, drop: Bool, batchOperations: Int?, admitted: Bool = true
    ) -> SimResponse {
        if admitted { inFlight[api, default: 1] -= 1 }
        var r = response
        if drop { r.dropConnection = true }
        requestLog.append(
            LogEntry(
                api: api, method: request.method, path: request.path + (request.query.map { "?" + $0 } ?? ""), status: r.status, user: user,
                batchOperations: batchOperations, dropped: drop))
        if requestLog.count > 20_000 { requestLog.removeFirst(requestLog.count - 20_000) }
        return r
    }

    // MARK: Control routes

    private func controlError(_ status: Int, _ message: String) -> SimResponse {
        D365Responses.plain(status, D365Responses.obj([("error", .string(message))]))
    }

    private func body(_ request: SimRequest) throws -> D365JSONObject {
        if request.body.isEmpty { return D365JSONObject() }
        guard let o = try D365JSONParser.parse(request.body).objectValue else { throw D365JSONError(description: "body must be a JSON object") }
        return o
    }

    private func control(_ request: SimRequest) async -> SimResponse {
        do {
            switch (request.method, request.path) {
            case ("POST", "/_sandbox/nav/reset"):
                let fresh = try NAVSeed.load(seedFile)
                seed = fresh
                settings = fresh.settings
                await store.replace(fresh.database)
                buckets = [:]
                faults = []
                requestLog = []
                return D365Responses.plain(200, D365Responses.obj([("status", .string("reset"))]))
            case ("GET", "/_sandbox/nav/settings"):
                return D365Responses.plain(200, settings.json)
            case ("POST", "/_sandbox/nav/settings"), ("PATCH", "/_sandbox/nav/settings"):
                var s = settings
                try s.apply(try body(request))
                settings = s
                buckets = [:]
                return D365Responses.plain(200, settings.json)
            case ("GET", "/_sandbox/nav/faults"):
                return D365Responses.plain(200, D365Responses.obj([("faults", .array(faults.map(\.json)))]))
            case ("DELETE", "/_sandbox/nav/faults"):
                faults = []
                return D365Responses.plain(200, D365Responses.obj([("faults", .array([]))]))
            case ("POST", "/_sandbox/nav/faults"):
                faults.append(try NAVFaultRule.parse(try body(request)))
                return D365Responses.plain(200, D365Responses.obj([("faults", .array(faults.map(\.json)))]))
            case ("GET", "/_sandbox/nav/requests"):
                return D365Responses.plain(200, .array(requestLog.map(logJSON)))
            case ("DELETE", "/_sandbox/nav/requests"):
                requestLog = []
                return D365Responses.plain(200, .array([]))
            case ("GET", "/_sandbox/nav/documents"):
                guard let company = request.queryValue("company") else { return controlError(400, "company is required") }
                return D365Responses.plain(200, try await store.documentsJSON(company: company))
            case ("POST", "/_sandbox/nav/update"):
                return D365Responses.plain(200, try await store.update(try body(request)))
            case ("POST", "/_sandbox/nav/post"):
                return try await userPosts(request)
            default:
                return controlError(404, "unknown sandbox control route \(request.method) \(request.path)")
            }
        } catch let e as NAVError {
            return controlError(e.kind == .recordNotFound || e.kind == .companyNotFound ? 404 : 400, e.message)
        } catch {
            return controlError(400, "\(error)")
        }
    }

    private func logJSON(_ e: LogEntry) -> D365JSON {
        var o = D365JSONObject()
        o["api"] = .string(e.api)
        o["method"] = .string(e.method)
        o["path"] = .string(e.path)
        o["status"] = .int(e.status)
        o["batchOperations"] = e.batchOperations.map { .int($0) } ?? .null
        if let u = e.user { o["user"] = .string(u) }
        if e.dropped { o["dropped"] = .bool(true) }
        return .object(o)
    }

    /// "A user posts it in the ERP": a purchase invoice draft or a journal batch.
    private func userPosts(_ request: SimRequest) async throws -> SimResponse {
        guard let company = request.queryValue("company") else { return controlError(400, "company is required") }
        if let no = request.queryValue("purchaseInvoice") {
            let p = try await store.postPurchaseInvoice(company: company, documentNo: no)
            return D365Responses.plain(
                200,
                D365Responses.obj([
                    ("posted", .string(p.no)), ("preAssignedNo", .string(p.preAssignedNo)), ("id", .string(p.id)),
                    ("amount", .string(NAVDecimal.text(p.amount))),
                ]))
        }
        if let tb = request.queryValue("journalBatch") {
            let parts = tb.split(separator: "/").map(String.init)
            guard parts.count == 2 else { return controlError(400, "journalBatch must be TEMPLATE/BATCH") }
            let entries = try await store.postJournalBatch(company: company, template: parts[0], batch: parts[1])
            return D365Responses.plain(200, D365Responses.obj([("glEntries", .int(entries.count))]))
        }
        return controlError(400, "purchaseInvoice or journalBatch is required")
    }
}
