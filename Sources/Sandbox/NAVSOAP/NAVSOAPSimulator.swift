import Foundation

/// What the SOAP front end needs from the sandbox's one NAV/BC database (the store shared with the BC API and NAV
/// OData front ends).
protocol NAVSOAPDatabase: Sendable {
    /// The company names (exact, e.g. `Northwind Traders & Sons Ltd.`).
    func companyNames() async -> [String]
    /// Runs one call inside the database's isolation; `body` may change the backend (a copy is a snapshot).
    func withBackend(
        _ body: @Sendable (inout any NAVSOAPBackend) -> Result<String, NAVSOAPFault>
    ) async -> Result<String, NAVSOAPFault>
}

/// What the NAV front ends share beyond the data: fault injection (`/_sandbox/nav/faults` with `"api":"soap"`),
/// throttling and the concurrency cap (`admit`), and the request log (`complete`, `/_sandbox/nav/requests`).
public struct NAVSOAPHooks: Sendable {
    /// Decides before processing: `.respond` (401, injected fault, 429, 503) or `.proceed` (with `drop`: process,
    /// then close the connection). The user is nil when the Basic credentials are wrong or missing.
    public var admit: @Sendable (_ request: SimRequest, _ user: String?) async -> NAVAdmission
    /// Called exactly once per request with its answer (releases an admitted request's slot, logs, marks a drop).
    public var complete:
        @Sendable (_ request: SimRequest, _ response: SimResponse, _ user: String?, _ drop: Bool, _ admitted: Bool) async -> SimResponse

    public init(
        admit: @escaping @Sendable (_ request: SimRequest, _ user: String?) async -> NAVAdmission,
        complete:
            @escaping @Sendable (_ request: SimRequest, _ response: SimResponse, _ user: String?, _ drop: Bool, _ admitted: Bool)
            async -> SimResponse
    ) {
        self.admit = admit
        self.complete = complete
    }

    /// No faults, no throttling, no log: only the 401 for bad credentials.
    public static let standalone = NAVSOAPHooks(
        admit: { _, user in user.map { .proceed(user: $0, drop: false) } ?? .respond(NAVSOAPResponse.unauthorized) },
        complete: { _, response, _, drop, _ in
            var r = response
            if drop { r.dropConnection = true }
            return r
        })

    /// The NAV simulator's fault rules, token bucket, concurrency cap and request log, as api `soap`.
    public static func shared(with nav: NAVSimulator) -> NAVSOAPHooks {
        NAVSOAPHooks(
            admit: { request, user in await nav.admit(api: "soap", request: request, user: user) },
            complete: { request, response, user, drop, admitted in
                await nav.complete(
                    api: "soap", request: request, response: response, user: user, drop: drop, batchOperations: nil, admitted: admitted)
            })
    }
}

extension NAVStore: NAVSOAPDatabase {
    func companyNames() async -> [String] { companies().map(\.name) }

    /// One SOAP call is one transaction: the database is replaced only when the call succeeded.
    func withBackend(
        _ body: @Sendable (inout any NAVSOAPBackend) -> Result<String, NAVSOAPFault>
    ) async -> Result<String, NAVSOAPFault> {
        var copy: any NAVSOAPBackend = db
        let result = body(&copy)
        if case .success = result, let changed = copy as? NAVDatabase { replace(changed) }
        return result
    }
}

/// NAV SOAP web services (nav-bc-api.md §5; NAV-SPEC.md): `/{Instance}/WS/{Company}/Page/{Service}` and
/// `/{Instance}/WS/{Company}/Codeunit/{Service}` (POST = call, GET = WSDL) and `GET /{Instance}/WS/{Company}/services`
/// (disco list), Basic auth (user + web service access key; anything else 401 with an empty body).
///
/// Requests are read by namespace, never by prefix; any SOAPAction form is accepted and dispatch is on the body
/// element. A DTD, malformed XML, a body over `maxMessageBytes`, the wrong envelope or operation namespace, an
/// unknown operation, parameter or field are each answered with a SOAP fault; nothing is ever expanded or fetched.
public struct NAVSOAPSimulator: SimulatorHandler {
    public static let instance = "DynamicsNAV110"
    public static let user = "EXPENSEAPI"
    public static let accessKey = "c2FuZGJveC1vbmx5LW5hdi1hY2Nlc3Mta2V5LTAwMDE="

    let database: any NAVSOAPDatabase
    let hooks: NAVSOAPHooks
    /// NAV's maximum message size (65,536 KB); larger bodies get a 413 fault without being parsed.
    let maxMessageBytes: Int

    init(database: any NAVSOAPDatabase, hooks: NAVSOAPHooks = .standalone, maxMessageBytes: Int = SOAPXMLReader.defaultMaxBytes) {
        self.database = database
        self.hooks = hooks
        self.maxMessageBytes = maxMessageBytes
    }

    /// True for `/{Instance}/WS/…` (the sandbox dispatches these here).
    public static func matches(_ path: String) -> Bool {
        let parts = path.split(separator: "/", maxSplits: 2, omittingEmptySubsequences: false)
        return parts.count >= 3 && parts[0].isEmpty && parts[1].caseInsensitiveCompare(instance) == .orderedSame
            && (parts[2] == "WS" || parts[2].hasPrefix("WS/"))
    }

    enum Route {
        case services(company: String)
        case page(company: String, NAVSOAPPage)
        case codeunit(company: String, NAVSOAPCodeunit)
        case unknownService(company: String, kind: String, name: String)
    }

    /// Splits the raw path and percent-decodes each segment (company names hold `&`, `.` and spaces).
    static func route(_ path: String) -> Route? {
        let raw = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map(String.init)
        let parts = raw.map { $0.removingPercentEncoding ?? $0 }
        guard parts.count >= 3, parts[0].caseInsensitiveCompare(instance) == .orderedSame, parts[1] == "WS" else { return nil }
        let company = parts[2]
        if parts.count == 4, parts[3].caseInsensitiveCompare("services") == .orderedSame { return .services(company: company) }
        guard parts.count == 5 else { return nil }
        switch parts[3].lowercased() {
        case "page":
            if let p = NAVSOAPPages.page(parts[4]) { return .page(company: company, p) }
            return .unknownService(company: company, kind: "Page", name: parts[4])
        case "codeunit":
            if let c = NAVSOAPCodeunit.codeunit(parts[4]) { return .codeunit(company: company, c) }
            return .unknownService(company: company, kind: "Codeunit", name: parts[4])
        default:
            return nil
        }
    }

    /// The Basic user when the credentials are right (user name case-insensitive, key exact), else nil.
    static func authenticatedUser(_ request: SimRequest) -> String? {
        guard let auth = request.headers["authorization"], auth.count > 6, auth.prefix(6).lowercased() == "basic " else { return nil }
        guard let data = Data(base64Encoded: auth.dropFirst(6).trimmingCharacters(in: .whitespaces)),
            let text = String(data: data, encoding: .utf8), let colon = text.firstIndex(of: ":")
        else { return nil }
        let user = String(text[..<colon])
        let key = String(text[text.index(after: colon)...])
        guard user.caseInsensitiveCompare(NAVSOAPSimulator.user) == .orderedSame, key == NAVSOAPSimulator.accessKey else { return nil }
        return user.uppercased()
    }

    public func handle(_ request: SimRequest) async -> SimResponse? {
        guard NAVSOAPSimulator.matches(request.path) else { return nil }
        let user = NAVSOAPSimulator.authenticatedUser(request)
        switch await hooks.admit(request, user) {
        case .respond(let answer):
            return await hooks.complete(request, answer, user, false, false)
        case .proceed(let admittedUser, let drop):
            // A drop fault: the request is processed, then the connection closed without an answer.
            let response = await process(request)
            return await hooks.complete(request, response, admittedUser, drop, true)
        }
    }

    private func process(_ request: SimRequest) async -> SimResponse {
        guard let route = NAVSOAPSimulator.route(request.path) else {
            return NAVSOAPFault(client: "No web service was found at '\(request.decodedPath)'.", status: 404).response
        }
        let companies = await database.companyNames()
        let company: String
        switch route {
        case .services(let c), .page(let c, _), .codeunit(let c, _), .unknownService(let c, _, _): company = c
        }
        guard let canonical = companies.first(where: { $0.caseInsensitiveCompare(company) == .orderedSame }) else {
            return NAVSOAPFault(
                "NavCompanyNotFoundException", "The company '\(company)' does not exist.", status: 404
            ).response
        }
        let location = request.baseURL + request.path
        switch route {
        case .services:
            guard request.method == "GET" else { return NAVSOAPFault(client: "Use GET for the services list.", status: 405).response }
            let companyURL = request.baseURL + "/\(NAVSOAPSimulator.instance)/WS/" + NAVSOAPSimulator.encodeSegment(canonical)
            return NAVSOAPResponse.xml(200, NAVSOAPWSDL.disco(companyURL: companyURL))
        case .unknownService(_, let kind, let name):
            return NAVSOAPFault(client: "The \(kind) web service '\(name)' is not published.", status: 404).response
        case .page(_, let page):
            if request.method == "GET" { return NAVSOAPResponse.xml(200, NAVSOAPWSDL.page(page, location: location)) }
            guard request.method == "POST" else { return NAVSOAPFault(client: "Use POST to call \(page.service).", status: 405).response }
            switch SOAPCall.read(request.body, namespace: page.namespace, soapAction: request.headers["soapaction"], maxBytes: maxMessageBytes) {
            case .failure(let fault): return fault.response
            case .success(let call):
                let ops = NAVSOAPPageOperations(page: page, company: canonical)
                let result = await database.withBackend { backend in ops.run(call, backend: &backend) }
                switch result {
                case .failure(let fault): return fault.response
                case .success(let body): return NAVSOAPResponse.envelope(body)
                }
            }
        case .codeunit(_, let codeunit):
            if request.method == "GET" { return NAVSOAPResponse.xml(200, NAVSOAPWSDL.codeunit(codeunit, location: location)) }
            guard request.method == "POST" else {
                return NAVSOAPFault(client: "Use POST to call \(codeunit.service).", status: 405).response
            }
            switch SOAPCall.read(
                request.body, namespace: codeunit.namespace, soapAction: request.headers["soapaction"], maxBytes: maxMessageBytes)
            {
            case .failure(let fault): return fault.response
            case .success(let call):
                let result = await database.withBackend { backend in
                    NAVSOAPSimulator.callCodeunit(codeunit, call, company: canonical, backend: &backend)
                }
                switch result {
                case .failure(let fault): return fault.response
                case .success(let body): return NAVSOAPResponse.envelope(body)
                }
            }
        }
    }

    /// `<{Method} xmlns="urn:…/codeunit/{Svc}"><param>…</param></{Method}>` → `<{Method}_Result><return_value>…`.
    static func callCodeunit(
        _ codeunit: NAVSOAPCodeunit, _ call: SOAPCall, company: String, backend: inout any NAVSOAPBackend
    ) -> Result<String, NAVSOAPFault> {
        guard let method = codeunit.methods.first(where: { $0.name == call.operation }) else {
            let names = codeunit.methods.map(\.name).joined(separator: ", ")
            return .failure(
                NAVSOAPFault(client: "The method '\(call.operation)' is not a method of the codeunit \(codeunit.service); methods: \(names)."))
        }
        var arguments: [String: String] = [:]
        for child in call.element.children {
            guard child.namespace == codeunit.namespace, method.parameters.contains(where: { $0.0 == child.name }) else {
                return .failure(NAVSOAPFault(client: "'\(child.name)' is not a parameter of \(codeunit.service).\(method.name)."))
            }
            arguments[child.name] = child.text.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        for (name, _) in method.parameters where arguments[name] == nil {
            return .failure(NAVSOAPFault(client: "The parameter '\(name)' of \(codeunit.service).\(method.name) is missing."))
        }
        do throws(NAVSOAPFault) {
            let value = try backend.call(codeunit, method, company: company, arguments: arguments)
            var w = SOAPXMLWriter()
            w.open(method.name + "_Result", [("xmlns", codeunit.namespace)])
            w.element("return_value", value)
            w.close(method.name + "_Result")
            return .success(w.out)
        } catch {
            return .failure(error)
        }
    }

    /// Percent-encodes a path segment (space → %20, `&` kept legal but encoded for safety).
    static func encodeSegment(_ s: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "/&?#%")
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s
    }
}
