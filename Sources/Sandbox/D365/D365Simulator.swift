import Foundation

/// Simulated Microsoft Entra ID token endpoint and Dynamics 365 F&O OData `/data` service, seeded from
/// `samples/sandbox/d365.json` and following `d365-fo-odata.md`.
///
/// Routes: `POST /{tenant}/oauth2/v2.0/token`, `POST /{tenant}/oauth2/token`, everything under `/data`, and the
/// test-only controls under `/_sandbox/d365/` and `/_sandbox/entra/`. Requests that are not these answer nil.
///
/// Control routes (plain JSON, no token needed):
/// - `POST /_sandbox/d365/reset`: reload the seed file (data, settings, faults, throttle, log, clock; tokens survive).
/// - `GET|POST /_sandbox/d365/settings`: read or change settings, body e.g. `{"pageSize":5,"requestsPerWindow":6000,
///   "windowSeconds":300,"duplicateInvoiceCheck":true,"extraDimensionSegments":"reject"|"drop","tokenLifetimeSeconds":3599,
///   "contentIdReferences":true|false,"manualHeaderReference":"allow"|"reject"}`. The last two play the servers the
///   connector's `$batch` strategies meet: `contentIdReferences` false answers every `$n` operation of a changeset
///   400 "Resource not found for the segment '$1'"; `manualHeaderReference` `reject` refuses a client-provided
///   `HeaderReference` (server-assigned keys only), `allow` keeps it (client keys allowed).
/// - `POST /_sandbox/d365/faults` body `{"count":N,"status":429|401|500|503,"retryAfter":1,"method":"POST",
///   "entitySet":"VendorInvoiceLines","message":"…"}` (all but count/status optional); `GET` lists, `DELETE` clears.
///   `{"count":N,"drop":true,"method":"POST","entitySet":"VendorInvoiceHeaders"}` (method/entitySet optional, no
///   status) makes the next N matching top-level requests be processed as usual (a create is stored) and then
///   answered by closing the TCP connection without any response byte; the request log shows them with `"dropped":true`.
///   `{"probability":0.3,"statuses":[429,500,503],"drop":true,"seed":42}` (method, entitySet, retryAfter, limit
///   optional) sets the random mode instead: each matching top-level request fails with that probability, with one
///   of the statuses or a drop, deterministic by seed (`D365RandomFaults`); `GET` shows it with its counters.
///   `"after":N` (any rule) lets the first N matching requests through before the rule triggers, e.g.
///   `{"count":1,"drop":true,"method":"POST","entitySet":"$batch","after":10}` drops the answer to the 11th `$batch` POST.
/// - `POST /_sandbox/d365/post?dataAreaId=usmf&HeaderReference=00000001`: post a pending invoice (locks it).
/// - `GET /_sandbox/d365/invoices[?dataAreaId=usmf][&posted=true|false]`: every invoice with lines, exact decimals.
///   Posting also writes the posted invoice to `VendInvoiceJourBiEntities` and its lines to `VendInvoiceTransBiEntities`.
/// - `POST /_sandbox/d365/invoices/alter?dataAreaId=usmf&HeaderReference=00000001&InvoiceLineNumber=1` (or
///   `InvoiceNumber=EXP90000001` instead of `HeaderReference`) body `{"NetAmount":12.00,"MainAccountDisplayValue":"600110"}`
///   (either or both): changes a pending invoice line as a person would in F&O (amount sets `NetAmount`, `UnitPrice`
///   and `Amount` with quantity 1). 404 unknown, 409 posted.
/// - `POST /_sandbox/d365/invoices/delete?dataAreaId=usmf&HeaderReference=00000001` (or `InvoiceNumber=…`): deletes a
///   pending invoice and its lines. 404 unknown, 409 posted.
/// - `PATCH /_sandbox/d365/vendors?dataAreaId=usmf&VendorAccountNumber=EMP-0003` body `{"OnHoldStatus":"No"}`;
///   `POST /_sandbox/d365/vendors` body `{"dataAreaId":…,"VendorAccountNumber":…,…}` creates one.
/// - `PATCH /_sandbox/d365/mainAccounts?ChartOfAccounts=Shared&MainAccountId=600199` body `{"IsSuspended":"No"}`;
///   `POST` (same keys in the query or the body) creates one. `POST /_sandbox/d365/mainAccounts/generate` body
///   `{"count":10000,"chartOfAccounts":"Shared","prefix":"9"}` adds `count` expense accounts `<prefix>00000`, `<prefix>00001`, …
///   (7 digits after the prefix by default, `"digits":N`), so paging over many accounts can be tested.
/// - `PATCH /_sandbox/d365/workers?PersonnelNumber=NW-0003` body `{"PrimaryContactEmail":"…"}` edits a `Workers` row;
///   `POST /_sandbox/d365/workers/terminate?PersonnelNumber=NW-0002[&endDate=2026-11-30]` terminates a worker as HR
///   would: `WorkerStatus` `Terminated` and every open employment's `EmploymentEndDate` set (default: yesterday).
/// - `GET|DELETE /_sandbox/d365/requests`: the request log (method, url, status, clientId, `$batch` parts).
/// - `GET /_sandbox/d365/clock`, `POST /_sandbox/d365/clock?advanceSeconds=N`: shift the simulated clock.
/// - `POST /_sandbox/entra/settings?tokenLifetime=2` (or body `{"tokenLifetime":2}`), `POST /_sandbox/entra/revoke`.
public actor D365Simulator: SimulatorHandler {
    private let seedFile: URL
    private var seed: D365Seed
    private var settings: D365Settings
    private var store: D365Store
    private var tokens: [String: EntraIssuedToken] = [:]
    /// Added to the wall clock (control route `/_sandbox/d365/clock`), so tests can age tokens and windows.
    private var clockOffset: Double = 0
    private var throttle: [String: ThrottleState] = [:]
    private var faults: [D365FaultRule] = []
    /// The random fault mode (`{"probability":…}`), applied after the count rules.
    private var randomFaults: D365RandomFaults?
    private var requestLog: [LogEntry] = []
    private var logSequence = 0

    struct ThrottleState {
        var accepted: [Double] = []
        var strikes = 0
    }

    struct LogEntry {
        var sequence: Int
        var time: String
        var system: String
        var method: String
        var url: String
        var status: Int
        var clientId: String?
        var parts: [D365BatchLogPart]
        var dropped = false
    }

    public init(seedFile: URL) throws {
        self.seedFile = seedFile
        let seed = try D365Seed.load(seedFile)
        self.seed = seed
        self.settings = seed.settings
        self.store = seed.store
    }

    public func handle(_ request: SimRequest) async -> SimResponse? {
        let path = request.path
        if path.hasPrefix("/_sandbox/d365/") || path == "/_sandbox/d365" || path.hasPrefix("/_sandbox/entra/") {
            return control(request)
        }
        if path == "/data" || path.hasPrefix("/data/") {
            return data(request)
        }
        if let (tenant, version) = EntraTokenEndpoint.match(path) {
            let endpoint = EntraTokenEndpoint(
                tenants: seed.tenants, applications: seed.applications, resources: seed.resources,
                baseURL: request.baseURL, lifetimeSeconds: settings.tokenLifetimeSeconds, now: now)
            let (response, issued) = endpoint.handle(request, tenant: tenant, version: version)
            if let (token, info) = issued { tokens[token] = info }
            log(
                system: "entra", method: request.method, url: redacted(request), status: response.status,
                clientId: issued?.1.clientId, parts: [])
            return response
        }
        return nil
    }

    /// A live token this endpoint issued (for the NAV/BC simulator's Bearer check), nil when unknown or expired.
    func bearer(_ token: String) -> NAVBearer? {
        guard let info = tokens[token], info.expiresAt > now else { return nil }
        return NAVBearer(clientId: info.clientId, resource: info.resource)
    }

    // MARK: Clock, log

    private var now: Double { Date().timeIntervalSince1970 + clockOffset }

    private func redacted(_ request: SimRequest) -> String {
        guard let query = request.query, !query.isEmpty else { return request.path }
        let sensitive = ["secret", "token", "password", "assertion", "code", "key"]
        let items = query.split(separator: "&").map { item -> String in
            let name = String(item.split(separator: "=", maxSplits: 1).first ?? "")
            let decoded = (name.removingPercentEncoding ?? name).lowercased()
            if sensitive.contains(where: { decoded.contains($0) }), decoded != "$skiptoken" { return name + "=***" }
            return String(item)
        }
        return request.path + "?" + items.joined(separator: "&")
    }

    private func log(
        system: String, method: String, url: String, status: Int, clientId: String?, parts: [D365BatchLogPart],
        dropped: Bool = false
    ) {
        logSequence += 1
        requestLog.append(
            LogEntry(
                sequence: logSequence, time: D365Date(seconds: Int64(now)).iso, system: system, method: method,
                url: url, status: status, clientId: clientId, parts: parts, dropped: dropped))
        if requestLog.count > 20_000 { requestLog.removeFirst(requestLog.count - 20_000) }
    }

    // MARK: /data

    private func caller(for request: SimRequest) -> (D365Caller?, String?) {
        guard let auth = request.headers["authorization"], auth.count > 7, auth.prefix(7).lowercased() == "bearer " else {
            return (nil, nil)
        }
        let token = auth.dropFirst(7).trimmingCharacters(in: .whitespaces)
        guard let info = tokens[token], info.expiresAt > now else { return (nil, token) }
        guard let registration = seed.registrations.first(where: { $0.clientId.caseInsensitiveCompare(info.clientId) == .orderedSame }),
            let user = seed.users.first(where: { $0.userId.caseInsensitiveCompare(registration.userId) == .orderedSame }),
            user.enabled
        else { return (nil, token) }
        return (D365Caller(clientId: info.clientId, userId: user.userId, companies: user.companies, defaultCompany: user.defaultCompany), token)
    }

    /// Sliding-window user-based limit; Retry-After doubles while a client keeps sending after a 429.
    private func checkThrottle(_ clientId: String) -> SimResponse? {
        let t = now
        var state = throttle[clientId] ?? ThrottleState()
        let window = Double(settings.windowSeconds)
        state.accepted.removeAll { $0 <= t - window }
        if state.accepted.count >= settings.requestsPerWindow, let oldest = state.accepted.first {
            state.strikes += 1
            let base = max(1, Int((oldest + window - t).rounded(.up)))
            let retryAfter = min(base << min(state.strikes - 1, 10), 3600)
            throttle[clientId] = state
            return D365FaultRule.tooMany(D365FaultRule.throttleMessage(settings), retryAfter: retryAfter)
        }
        state.strikes = 0
        state.accepted.append(t)
        throttle[clientId] = state
        return nil
    }

    /// The triggered fault rule's answer, or `.drop` for a drop rule (process the request, then close the connection).
    private enum InjectedFault {
        case respond(SimResponse)
        case drop
    }

    private func injectedFault(_ request: SimRequest, token: String?) -> InjectedFault? {
        let entitySet = D365Route.entitySetName(request.path)
        var taken = D365FaultRule.take(&faults, method: request.method, entitySet: entitySet, insideBatch: false)
        if taken == nil, var random = randomFaults {
            switch random.draw(method: request.method, entitySet: entitySet) {
            case .pass: break
            case .status(let status): taken = random.rule(status: status)
            case .drop: taken = D365FaultRule(remaining: 1, status: 0, drop: true)
            }
            randomFaults = random
        }
        guard let rule = taken else { return nil }
        if rule.drop { return .drop }
        // A 401 fault behaves as if the token expired: it stops working.
        if rule.status == 401, let token { tokens[token]?.expiresAt = now - 1 }
        return .respond(rule.response(settings))
    }

    private func data(_ request: SimRequest) -> SimResponse {
        let (caller, token) = caller(for: request)
        var clientId = caller?.clientId
        if clientId == nil, let token { clientId = tokens[token]?.clientId }
        var response: SimResponse
        var parts: [D365BatchLogPart] = []
        let fault = injectedFault(request, token: token)
        if case .respond(let faultResponse)? = fault {
            response = faultResponse
        } else if let caller {
            if let throttled = checkThrottle(caller.clientId) {
                response = throttled
            } else {
                let service = D365DataService(
                    ctx: D365WriteContext(
                        caller: caller, settings: settings, companies: seed.companies,
                        now: D365Date(seconds: Int64(now)), ieee754: false),
                    baseURL: request.baseURL)
                let r = ODataRequest(
                    method: request.method, rawPath: request.path, rawQuery: request.query, headers: request.headers,
                    body: request.body)
                if case .batch? = D365Route.parse(request.path) {
                    (response, parts) = service.batch(r, store: &store, faults: &faults)
                } else {
                    response = service.handle(r, store: &store)
                }
            }
        } else {
            response = D365Responses.unauthorized()
        }
        if case .drop? = fault { response.dropConnection = true }
        log(
            system: "d365", method: request.method, url: redacted(request), status: response.status, clientId: clientId, parts: parts,
            dropped: response.dropConnection)
        return response
    }

    // MARK: Control routes

    private func controlError(_ status: Int, _ message: String) -> SimResponse {
        D365Responses.plain(status, D365Responses.obj([("error", .string(message))]))
    }

    private func bodyObject(_ request: SimRequest) -> Result<D365JSONObject, D365Failure> {
        if request.body.isEmpty { return .success(D365JSONObject()) }
        do {
            guard let o = try D365JSONParser.parse(request.body).objectValue else {
                return .failure(D365Failure(controlError(400, "body must be a JSON object")))
            }
            return .success(o)
        } catch {
            return .failure(D365Failure(controlError(400, "invalid JSON: \(error)")))
        }
    }

    private func control(_ request: SimRequest) -> SimResponse {
        switch (request.method, request.path) {
        case ("POST", "/_sandbox/d365/reset"):
            do {
                let fresh = try D365Seed.load(seedFile)
                seed = fresh
                settings = fresh.settings
                store = fresh.store
                throttle = [:]
                faults = []
                randomFaults = nil
                requestLog = []
                clockOffset = 0
                return D365Responses.plain(200, D365Responses.obj([("status", .string("reset"))]))
            } catch {
                return controlError(500, "seed could not be loaded: \(error)")
            }
        case ("GET", "/_sandbox/d365/settings"), ("GET", "/_sandbox/entra/settings"):
            return D365Responses.plain(200, settings.json)
        case ("POST", "/_sandbox/d365/settings"), ("PATCH", "/_sandbox/d365/settings"):
            switch bodyObject(request) {
            case .failure(let f): return f.response
            case .success(let o):
                var s = settings
                do { try s.apply(o) } catch { return controlError(400, "\(error)") }
                settings = s
                return D365Responses.plain(200, settings.json)
            }
        case ("POST", "/_sandbox/entra/settings"):
            var lifetime = request.queryValue("tokenLifetime").flatMap { Int($0) }
            if lifetime == nil, case .success(let o) = bodyObject(request) {
                lifetime = (o["tokenLifetime"] ?? o["tokenLifetimeSeconds"])?.intValue
            }
            guard let lifetime, lifetime >= 0 else { return controlError(400, "tokenLifetime (seconds, >= 0) is required") }
            settings.tokenLifetimeSeconds = lifetime
            return D365Responses.plain(200, D365Responses.obj([("tokenLifetimeSeconds", .int(lifetime))]))
        case ("POST", "/_sandbox/entra/revoke"):
            let n = tokens.count
            tokens = [:]
            return D365Responses.plain(200, D365Responses.obj([("revoked", .int(n))]))
        case ("GET", "/_sandbox/d365/clock"):
            return clockJSON()
        case ("POST", "/_sandbox/d365/clock"):
            guard let s = request.queryValue("advanceSeconds"), let seconds = Double(s), seconds.isFinite else {
                return controlError(400, "advanceSeconds is required")
            }
            clockOffset += seconds
            return clockJSON()
        case ("GET", "/_sandbox/d365/faults"):
            return faultsJSON()
        case ("DELETE", "/_sandbox/d365/faults"):
            faults = []
            randomFaults = nil
            return faultsJSON()
        case ("POST", "/_sandbox/d365/faults"):
            return addFault(request)
        case ("GET", "/_sandbox/d365/requests"):
            return requestsJSON()
        case ("DELETE", "/_sandbox/d365/requests"):
            requestLog = []
            return D365Responses.plain(200, D365Responses.obj([("requests", .array([]))]))
        case ("POST", "/_sandbox/d365/post"):
            return post(request)
        case ("GET", "/_sandbox/d365/invoices"):
            return invoicesJSON(request)
        case ("POST", "/_sandbox/d365/invoices/alter"):
            return alterInvoiceLine(request)
        case ("POST", "/_sandbox/d365/invoices/delete"):
            return deleteInvoice(request)
        case ("PATCH", "/_sandbox/d365/vendors"), ("POST", "/_sandbox/d365/vendors"):
            return editVendor(request)
        case ("PATCH", "/_sandbox/d365/mainAccounts"), ("POST", "/_sandbox/d365/mainAccounts"):
            return editMainAccount(request)
        case ("POST", "/_sandbox/d365/mainAccounts/generate"):
            return generateMainAccounts(request)
        case ("PATCH", "/_sandbox/d365/workers"):
            return editWorker(request)
        case ("POST", "/_sandbox/d365/workers/terminate"):
            return terminateWorker(request)
        default:
            return controlError(404, "unknown sandbox control route \(request.method) \(request.path)")
        }
    }

    private func clockJSON() -> SimResponse {
        D365Responses.plain(
            200,
            D365Responses.obj([
                ("now", .string(D365Date(seconds: Int64(now)).iso)), ("offsetSeconds", .number(String(Int64(clockOffset)))),
            ]))
    }

    private func addFault(_ request: SimRequest) -> SimResponse {
        let o: D365JSONObject
        switch bodyObject(request) {
        case .failure(let f): return f.response
        case .success(let b): o = b
        }
        if o["probability"] != nil {
            switch D365RandomFaults.parse(o) {
            case .failure(let error): return controlError(400, error.description)
            case .success(let random):
                if let entitySet = random.entitySet, entitySet != "$batch", D365Schema.entitySet(entitySet) == nil {
                    return controlError(400, "unknown entitySet '\(entitySet)'")
                }
                randomFaults = random
                return faultsJSON()
            }
        }
        guard let count = o["count"]?.intValue, count > 0 else { return controlError(400, "count (> 0) is required") }
        let drop = o["drop"]?.boolValue ?? false
        if drop, o["status"] != nil { return controlError(400, "a drop fault sends no answer, so it takes no status") }
        guard drop || (o["status"]?.intValue).map({ (400...599).contains($0) }) == true else {
            return controlError(400, "status (for example 429, 401, 500 or 503) or \"drop\": true is required")
        }
        let status = o["status"]?.intValue ?? 0
        let entitySet = o["entitySet"]?.stringValue
        if let entitySet, entitySet != "$batch", entitySet != "$metadata", D365Schema.entitySet(entitySet) == nil {
            return controlError(400, "unknown entitySet '\(entitySet)'")
        }
        let after = o["after"]?.intValue ?? 0
        guard after >= 0, o["after"] == nil || o["after"]?.intValue != nil else {
            return controlError(400, "after must be a number of requests (0 or more)")
        }
        let rule = D365FaultRule(
            remaining: count, status: status, retryAfter: o["retryAfter"]?.intValue,
            method: o["method"]?.stringValue?.uppercased(), entitySet: entitySet, message: o["message"]?.stringValue,
            drop: drop, after: after)
        faults.append(rule)
        return faultsJSON()
    }

    /// The count rules, and the random mode with its counters when one is set.
    private func faultsJSON() -> SimResponse {
        var pairs: [(String, D365JSON)] = [("faults", .array(faults.map(\.json)))]
        if let randomFaults { pairs.append(("random", randomFaults.json)) }
        return D365Responses.plain(200, D365Responses.obj(pairs))
    }

    private func requestsJSON() -> SimResponse {
        let entries = requestLog.map { e -> D365JSON in
            var o = D365JSONObject()
            o["sequence"] = .int(e.sequence)
            o["time"] = .string(e.time)
            o["system"] = .string(e.system)
            o["method"] = .string(e.method)
            o["url"] = .string(e.url)
            o["status"] = .int(e.status)
            if let c = e.clientId { o["clientId"] = .string(c) }
            if e.dropped { o["dropped"] = .bool(true) }
            if !e.parts.isEmpty {
                o["parts"] = .array(
                    e.parts.map { p in
                        var po = D365JSONObject()
                        if let id = p.contentId { po["contentId"] = .string(id) }
                        po["method"] = .string(p.method)
                        po["url"] = .string(p.url)
                        po["status"] = .int(p.status)
                        return .object(po)
                    })
            }
            return .object(o)
        }
        return D365Responses.plain(200, D365Responses.obj([("requests", .array(entries))]))
    }

    private func entityJSON(_ schema: D365EntitySchema, _ row: D365Row) -> D365JSONObject {
        var o = D365JSONObject()
        for p in schema.properties { o[p.name] = row[p.name].json() }
        return o
    }

    private func invoiceJSON(header: D365Row, lines: [D365Row], posted: D365PostedInvoice?) -> D365JSON {
        var o = D365JSONObject()
        o["posted"] = .bool(posted != nil)
        if let posted {
            o["voucher"] = .string(posted.voucher)
            o["postedAt"] = .string(posted.postedAt.iso)
        }
        for (k, v) in entityJSON(D365Schema.vendorInvoiceHeaders, header).pairs { o[k] = v }
        let total = lines.reduce(Decimal(0)) { $0 + $1.decimal("NetAmount") }
        o["lineTotal"] = .decimal(total)
        o["lines"] = .array(lines.map { .object(entityJSON(D365Schema.vendorInvoiceLines, $0)) })
        return .object(o)
    }

    private func invoicesJSON(_ request: SimRequest) -> SimResponse {
        let company = request.queryValue("dataAreaId")?.lowercased()
        let postedFilter = request.queryValue("posted").map { $0.lowercased() == "true" }
        var items: [(String, String, D365JSON)] = []
        if postedFilter != true {
            for h in store.rows(D365Schema.vendorInvoiceHeaders.setName) where company == nil || h.string("dataAreaId") == company {
                let lines = store.lines(company: h.string("dataAreaId"), reference: h.string("HeaderReference"))
                items.append((h.string("dataAreaId"), h.string("HeaderReference"), invoiceJSON(header: h, lines: lines, posted: nil)))
            }
        }
        if postedFilter != false {
            for p in store.posted.values where company == nil || p.header.string("dataAreaId") == company {
                items.append(
                    (
                        p.header.string("dataAreaId"), p.header.string("HeaderReference"),
                        invoiceJSON(header: p.header, lines: p.lines, posted: p)
                    ))
            }
        }
        items.sort { ($0.0, $0.1) < ($1.0, $1.1) }
        return D365Responses.plain(200, D365Responses.obj([("invoices", .array(items.map(\.2)))]))
    }

    /// Posts a pending invoice: it leaves VendorInvoiceHeaders/Lines and is kept (locked) in the posted store.
    private func post(_ request: SimRequest) -> SimResponse {
        guard let company = request.queryValue("dataAreaId")?.lowercased(), let ref = request.queryValue("HeaderReference") else {
            return controlError(400, "dataAreaId and HeaderReference are required")
        }
        if store.postedInvoice(company: company, reference: ref) != nil {
            return controlError(409, "invoice \(company)/\(ref) is already posted")
        }
        guard let header = store.header(company: company, reference: ref) else {
            return controlError(404, "no pending invoice \(company)/\(ref)")
        }
        let lines = store.lines(company: company, reference: ref)
        guard !lines.isEmpty else { return controlError(400, "pending invoice \(company)/\(ref) has no lines and cannot be posted") }
        let voucher = "APIN" + String(format: "%06d", store.voucherNext)
        store.voucherNext += 1
        let posted = D365PostedInvoice(header: header, lines: lines, voucher: voucher, postedAt: D365Date(seconds: Int64(now)))
        for line in lines { store.remove(D365Schema.vendorInvoiceLines, key: line.values) }
        store.remove(D365Schema.vendorInvoiceHeaders, key: header.values)
        store.addPosted(posted)
        addPostedBiRows(header: header, lines: lines, voucher: voucher)
        return D365Responses.plain(200, invoiceJSON(header: header, lines: lines, posted: posted))
    }

    /// The posted invoice as F&O's BI entities show it: one `VendInvoiceJourBiEntities` row, one
    /// `VendInvoiceTransBiEntities` row per line (keyed by the source rows' RecIds).
    private func addPostedBiRows(header: D365Row, lines: [D365Row], voucher: String) {
        let company = header.string("dataAreaId")
        let currency = header.string("Currency")
        let total = lines.reduce(Decimal(0)) { $0 + $1.decimal("NetAmount") }
        _ = store.insert(
            D365Schema.vendInvoiceJourBiEntities,
            [
                "dataAreaId": .string(company), "SourceKey": .int(header.recId), "InvoiceId": .string(header.string("InvoiceNumber")),
                "InternalInvoiceId": .string(voucher), "InvoiceAccount": .string(header.string("InvoiceAccount")),
                "OrderAccount": .string(header.string("VendorAccount")), "InvoiceDate": .date(header.date("InvoiceDate")),
                "LedgerVoucher": .string(voucher), "CurrencyCode": .string(currency), "InvoiceAmount": .decimal(total),
                "SumTax": .decimal(0), "Qty": .decimal(Decimal(lines.count)),
            ])
        for line in lines {
            let account = line.string("MainAccountDisplayValue")
            let json = D365Responses.obj([("MainAccount", .string(mainAccountSegment(account)))])
            let lineCurrency = line.string("Currency").isEmpty ? currency : line.string("Currency")
            _ = store.insert(
                D365Schema.vendInvoiceTransBiEntities,
                [
                    "dataAreaId": .string(company), "SourceKey": .int(line.recId), "InvoiceId": .string(header.string("InvoiceNumber")),
                    "InternalInvoiceId": .string(voucher), "InvoiceDate": .date(header.date("InvoiceDate")),
                    "LineNum": .decimal(line.decimal("InvoiceLineNumber")), "Name": .string(line.string("LineDescription")),
                    "Description": .string(line.string("LineDescription")), "Qty": .decimal(line.decimal("ReceiveNow")),
                    "PurchPrice": .decimal(line.decimal("UnitPrice")), "LineAmount": .decimal(line.decimal("NetAmount")),
                    "CurrencyCode": .string(lineCurrency), "LedgerDimensionValuesJson": .string(D365JSONWriter.string(json)),
                ])
        }
    }

    /// The main account of a ledger display value: its first segment.
    private func mainAccountSegment(_ displayValue: String) -> String {
        let delimiter = D365Dimensions(store: store, settings: settings).delimiter
        return D365Dimensions.split(displayValue, delimiter: delimiter).first ?? displayValue
    }

    /// The pending header a control names by `dataAreaId` and `HeaderReference` or `InvoiceNumber`; a failure response
    /// (400 missing, 409 posted, 404 unknown) otherwise.
    private func pendingHeader(_ request: SimRequest) -> Result<D365Row, D365Failure> {
        guard let company = request.queryValue("dataAreaId")?.lowercased() else {
            return .failure(D365Failure(controlError(400, "dataAreaId and HeaderReference (or InvoiceNumber) are required")))
        }
        var reference = request.queryValue("HeaderReference")
        if reference == nil, let number = request.queryValue("InvoiceNumber") {
            if let posted = store.posted.values.first(where: {
                $0.header.string("dataAreaId") == company && D365Text.equal($0.header.string("InvoiceNumber"), number)
            }) {
                return .failure(D365Failure(controlError(409, D365Writes.postedMessage(posted))))
            }
            reference = store.rows(D365Schema.vendorInvoiceHeaders.setName, where: "InvoiceNumber", equals: number)
                .first { $0.string("dataAreaId") == company }?.string("HeaderReference")
            if reference == nil { return .failure(D365Failure(controlError(404, "no pending invoice \(company)/\(number)"))) }
        }
        guard let reference else {
            return .failure(D365Failure(controlError(400, "dataAreaId and HeaderReference (or InvoiceNumber) are required")))
        }
        if let posted = store.postedInvoice(company: company, reference: reference) {
            return .failure(D365Failure(controlError(409, D365Writes.postedMessage(posted))))
        }
        guard let header = store.header(company: company, reference: reference) else {
            return .failure(D365Failure(controlError(404, "no pending invoice \(company)/\(reference)")))
        }
        return .success(header)
    }

    /// Changes one pending line's amount and/or main account, as a person editing the pending invoice would.
    private func alterInvoiceLine(_ request: SimRequest) -> SimResponse {
        let header: D365Row
        switch pendingHeader(request) {
        case .failure(let f): return f.response
        case .success(let h): header = h
        }
        let body: D365JSONObject
        switch bodyObject(request) {
        case .failure(let f): return f.response
        case .success(let b): body = b
        }
        guard let number = request.queryValue("InvoiceLineNumber").flatMap({ Decimal(string: $0, locale: Locale(identifier: "en_US_POSIX")) }) else {
            return controlError(400, "InvoiceLineNumber is required")
        }
        let company = header.string("dataAreaId")
        let reference = header.string("HeaderReference")
        guard var line = store.lines(company: company, reference: reference).first(where: { $0.decimal("InvoiceLineNumber") == number }) else {
            return controlError(404, "pending invoice \(company)/\(reference) has no line \(number)")
        }
        let schema = D365Schema.vendorInvoiceLines
        var changed = false
        if let amount = body["NetAmount"] {
            guard let p = schema.property("NetAmount"), case .success(let value) = D365Convert.value(amount, for: p, ieee754: true) else {
                return controlError(400, "NetAmount must be a decimal number")
            }
            for name in ["NetAmount", "UnitPrice", "Amount"] { line.values[name] = value }
            line.values["ReceiveNow"] = .decimal(1)
            changed = true
        }
        if let account = body["MainAccountDisplayValue"] {
            guard let text = account.stringValue, !text.isEmpty else { return controlError(400, "MainAccountDisplayValue must be a string") }
            line.values["MainAccountDisplayValue"] = .string(text)
            changed = true
        }
        guard changed else { return controlError(400, "give NetAmount and/or MainAccountDisplayValue") }
        line.version += 1
        store.replace(schema, line)
        return D365Responses.plain(200, invoiceJSON(header: header, lines: store.lines(company: company, reference: reference), posted: nil))
    }

    /// Deletes a pending invoice and its lines, as a person discarding it in F&O would.
    private func deleteInvoice(_ request: SimRequest) -> SimResponse {
        let header: D365Row
        switch pendingHeader(request) {
        case .failure(let f): return f.response
        case .success(let h): header = h
        }
        let lines = store.lines(company: header.string("dataAreaId"), reference: header.string("HeaderReference"))
        for line in lines { store.remove(D365Schema.vendorInvoiceLines, key: line.values) }
        store.remove(D365Schema.vendorInvoiceHeaders, key: header.values)
        return D365Responses.plain(
            200,
            D365Responses.obj([
                ("deleted", .string(header.string("HeaderReference"))), ("InvoiceNumber", .string(header.string("InvoiceNumber"))),
                ("lines", .int(lines.count)),
            ]))
    }

    /// Edits (PATCH) or creates (POST) a vendor: `?dataAreaId=usmf&VendorAccountNumber=EMP-0003` + JSON fields.
    private func editVendor(_ request: SimRequest) -> SimResponse {
        let schema = D365Schema.vendorsV2
        let o: D365JSONObject
        switch bodyObject(request) {
        case .failure(let f): return f.response
        case .success(let b): o = b
        }
        let company = (request.queryValue("dataAreaId") ?? o["dataAreaId"]?.stringValue)?.lowercased()
        let account = request.queryValue("VendorAccountNumber") ?? o["VendorAccountNumber"]?.stringValue
        guard let company, let account, !company.isEmpty, !account.isEmpty else {
            return controlError(400, "dataAreaId and VendorAccountNumber are required")
        }
        var provided: [String: D365Value] = [:]
        for (k, v) in o.pairs {
            guard let p = schema.property(k) else { return controlError(400, "unknown VendorsV2 property '\(k)'") }
            switch D365Convert.value(v, for: p, ieee754: true) {
            case .success(let value): provided[k] = value
            case .failure(let e): return controlError(400, "\(k): \(e.message)")
            }
        }
        let existing = store.vendor(company: company, account: account)
        var row: D365Row
        if request.method == "PATCH" {
            guard let existing else { return controlError(404, "no vendor \(company)/\(account)") }
            row = existing
            for (k, v) in provided where !schema.keys.contains(k) { row.values[k] = v }
            row.version += 1
            store.replace(schema, row)
        } else {
            guard existing == nil else { return controlError(409, "vendor \(company)/\(account) already exists") }
            guard seed.companies.contains(where: { $0.dataAreaId == company }) else { return controlError(400, "unknown company \(company)") }
            var values: [String: D365Value] = [:]
            for p in schema.properties { values[p.name] = p.defaultValue }
            for (k, v) in provided { values[k] = v }
            values["dataAreaId"] = .string(company)
            values["VendorAccountNumber"] = .string(account)
            row = store.insert(schema, values)
        }
        return D365Responses.plain(request.method == "POST" ? 201 : 200, .object(entityJSON(schema, row)))
    }

    /// Edits (PATCH) or creates (POST) a main account: `?ChartOfAccounts=Shared&MainAccountId=600199` + JSON fields.
    private func editMainAccount(_ request: SimRequest) -> SimResponse {
        let schema = D365Schema.mainAccounts
        let o: D365JSONObject
        switch bodyObject(request) {
        case .failure(let f): return f.response
        case .success(let b): o = b
        }
        let chart = request.queryValue("ChartOfAccounts") ?? o["ChartOfAccounts"]?.stringValue
        let id = request.queryValue("MainAccountId") ?? o["MainAccountId"]?.stringValue
        guard let chart, let id, !chart.isEmpty, !id.isEmpty else { return controlError(400, "ChartOfAccounts and MainAccountId are required") }
        var provided: [String: D365Value] = [:]
        for (k, v) in o.pairs {
            guard let p = schema.property(k) else { return controlError(400, "unknown MainAccounts property '\(k)'") }
            switch D365Convert.value(v, for: p, ieee754: true) {
            case .success(let value): provided[k] = value
            case .failure(let e): return controlError(400, "\(k): \(e.message)")
            }
        }
        let key: [String: D365Value] = ["ChartOfAccounts": .string(chart), "MainAccountId": .string(id)]
        let existing = store.row(schema, key: key)
        var row: D365Row
        if request.method == "PATCH" {
            guard let existing else { return controlError(404, "no main account \(chart)/\(id)") }
            row = existing
            for (k, v) in provided where !schema.keys.contains(k) { row.values[k] = v }
            row.version += 1
            store.replace(schema, row)
        } else {
            guard existing == nil else { return controlError(409, "main account \(chart)/\(id) already exists") }
            var values: [String: D365Value] = [:]
            for p in schema.properties { values[p.name] = p.defaultValue }
            for (k, v) in provided { values[k] = v }
            for (k, v) in key { values[k] = v }
            row = store.insert(schema, values)
        }
        return D365Responses.plain(request.method == "POST" ? 201 : 200, .object(entityJSON(schema, row)))
    }

    /// Adds `count` active expense accounts to a chart (`{"count":10000,"chartOfAccounts":"Shared","prefix":"9"}`).
    private func generateMainAccounts(_ request: SimRequest) -> SimResponse {
        let schema = D365Schema.mainAccounts
        let o: D365JSONObject
        switch bodyObject(request) {
        case .failure(let f): return f.response
        case .success(let b): o = b
        }
        guard let count = o["count"]?.intValue, (1...200_000).contains(count) else { return controlError(400, "count must be 1 to 200000") }
        let chart = o["chartOfAccounts"]?.stringValue ?? "Shared"
        let prefix = o["prefix"]?.stringValue ?? "9"
        let digits = o["digits"]?.intValue ?? 7
        guard (1...12).contains(digits), count <= Int(pow(10.0, Double(digits))) else { return controlError(400, "digits too small for count") }
        var created = 0
        for n in 0..<count {
            let number = String(n)
            let id = prefix + String(repeating: "0", count: max(0, digits - number.count)) + number
            let key: [String: D365Value] = ["ChartOfAccounts": .string(chart), "MainAccountId": .string(id)]
            guard store.row(schema, key: key) == nil else { continue }
            var values: [String: D365Value] = [:]
            for p in schema.properties { values[p.name] = p.defaultValue }
            for (k, v) in key { values[k] = v }
            values["Name"] = .string("Generated account \(id)")
            values["MainAccountType"] = .enumMember("Expense")
            _ = store.insert(schema, values)
            created += 1
        }
        let total = store.rows(schema.setName).count
        return D365Responses.plain(200, D365Responses.obj([("created", .int(created)), ("mainAccounts", .int(total))]))
    }

    /// Edits a worker (PATCH): `?PersonnelNumber=NW-0003` + JSON fields of `Workers`.
    private func editWorker(_ request: SimRequest) -> SimResponse {
        let schema = D365Schema.workers
        let o: D365JSONObject
        switch bodyObject(request) {
        case .failure(let f): return f.response
        case .success(let b): o = b
        }
        guard let number = request.queryValue("PersonnelNumber"), !number.isEmpty else {
            return controlError(400, "PersonnelNumber is required")
        }
        guard var row = store.row(schema, key: ["PersonnelNumber": .string(number)]) else { return controlError(404, "no worker \(number)") }
        for (k, v) in o.pairs {
            guard let p = schema.property(k), !schema.keys.contains(k) else { return controlError(400, "unknown or key Workers property '\(k)'") }
            switch D365Convert.value(v, for: p, ieee754: true) {
            case .success(let value): row.values[k] = value
            case .failure(let e): return controlError(400, "\(k): \(e.message)")
            }
        }
        row.version += 1
        store.replace(schema, row)
        return D365Responses.plain(200, .object(entityJSON(schema, row)))
    }

    /// Terminates a worker: `WorkerStatus` `Terminated`, and every employment without an end date ends on `endDate`
    /// (`yyyy-MM-dd`, default the simulated yesterday).
    private func terminateWorker(_ request: SimRequest) -> SimResponse {
        guard let number = request.queryValue("PersonnelNumber"), !number.isEmpty else {
            return controlError(400, "PersonnelNumber is required")
        }
        guard var worker = store.row(D365Schema.workers, key: ["PersonnelNumber": .string(number)]) else {
            return controlError(404, "no worker \(number)")
        }
        let end: D365Date
        if let text = request.queryValue("endDate") {
            guard let parsed = D365Date.parse(text + "T12:00:00Z") else { return controlError(400, "endDate must be yyyy-MM-dd") }
            end = parsed
        } else {
            end = D365Date(seconds: (Int64(now) / 86_400 - 1) * 86_400 + 43_200)
        }
        worker.values["WorkerStatus"] = .enumMember("Terminated")
        worker.version += 1
        store.replace(D365Schema.workers, worker)
        var ended = 0
        for var employment in store.rows(D365Schema.employeesV2.setName)
        where D365Text.fold(employment.string("PersonnelNumber")) == D365Text.fold(number) {
            guard employment.date("EmploymentEndDate") == .unset else { continue }
            employment.values["EmploymentEndDate"] = .date(end)
            employment.version += 1
            store.replace(D365Schema.employeesV2, employment)
            ended += 1
        }
        return D365Responses.plain(
            200,
            D365Responses.obj([("PersonnelNumber", .string(number)), ("WorkerStatus", .string("Terminated")), ("employmentsEnded", .int(ended))]))
    }
}
