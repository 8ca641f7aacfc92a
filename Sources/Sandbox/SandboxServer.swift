import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// Options for one sandbox process.
public struct SandboxOptions: Sendable {
    public var host: String
    /// 0 picks a free port.
    public var port: Int
    /// Folder holding `expensify.json` and `d365.json` seeds (normally `samples/sandbox`).
    public var seedDirectory: URL
    /// Added to every request before it is answered (benchmarks inject network latency with it).
    public var latencyMilliseconds: Int

    public init(host: String = "127.0.0.1", port: Int = 0, seedDirectory: URL, latencyMilliseconds: Int = 0) {
        self.host = host
        self.port = port
        self.seedDirectory = seedDirectory
        self.latencyMilliseconds = latencyMilliseconds
    }
}

/// Counters and settings shared by every simulator in one sandbox.
public actor SandboxStats {
    public private(set) var requests: [String: Int] = [:]
    public var latencyMilliseconds: Int

    init(latencyMilliseconds: Int) { self.latencyMilliseconds = latencyMilliseconds }

    func count(_ system: String) { requests[system, default: 0] += 1 }
    func setLatency(_ ms: Int) { latencyMilliseconds = max(0, ms) }
    func reset() { requests = [:] }
}

/// The sandbox: simulated Expensify Integration Server, Entra ID token endpoint and D365 F&O `/data`,
/// all on one loopback port, seeded from `samples/sandbox/`.
///
/// Routes: `POST /Integration-Server/ExpensifyIntegrations` (Expensify), `POST /{tenant}/oauth2/v2.0/token`
/// and `/{tenant}/oauth2/token` (Entra), `/data/...` (D365). Test-only controls live under `/_sandbox/...`.
public final class Sandbox: Sendable {
    public let options: SandboxOptions
    public let expensify: ExpensifySimulator
    public let d365: D365Simulator
    /// NAV / Business Central: BC API v2.0 and OData v4 pages over one `NAVStore` (`nav.store` for the SOAP front end).
    public let nav: NAVSimulator
    /// NAV SOAP page and codeunit services under `/{instance}/WS/`, on `nav.store` with `nav`'s faults, throttling and log.
    public let navSOAP: NAVSOAPSimulator
    public let stats: SandboxStats

    public init(options: SandboxOptions) throws {
        self.options = options
        self.expensify = try ExpensifySimulator(seedFile: options.seedDirectory.appendingPathComponent("expensify.json"))
        let d365 = try D365Simulator(seedFile: options.seedDirectory.appendingPathComponent("d365.json"))
        self.d365 = d365
        let nav = try NAVSimulator(seedFile: options.seedDirectory.appendingPathComponent("nav.json")) { token in await d365.bearer(token) }
        self.nav = nav
        self.navSOAP = NAVSOAPSimulator(database: nav.store, hooks: .shared(with: nav))
        self.stats = SandboxStats(latencyMilliseconds: options.latencyMilliseconds)
    }

    /// Answers one request (used by the HTTP server; also callable directly).
    public func handle(_ request: SimRequest) async -> SimResponse {
        if request.path.hasPrefix("/_sandbox/") {
            if let r = await control(request) { return r }
        }
        let latency = await stats.latencyMilliseconds
        if latency > 0 { try? await Task.sleep(nanoseconds: UInt64(latency) * 1_000_000) }
        let system = request.path.hasPrefix("/Integration-Server") ? "expensify" : (request.path.hasPrefix("/data") ? "d365" : "entra")
        if !request.path.hasPrefix("/_sandbox/") { await stats.count(Sandbox.navSystem(request.path) ?? system) }
        if let r = await navSOAP.handle(request) { return r }
        if let r = await expensify.handle(request) { return r }
        if let r = await d365.handle(request) { return r }
        if let r = await nav.handle(request) { return r }
        return .json(404, ["Message": "No HTTP resource was found that matches the request URI '\(request.baseURL)\(request.path)'."])
    }

    /// Stats system of a NAV/BC path: `bc` (`/v2.0/…`), `nav-odata` (`…/ODataV4/…`), `nav-soap` (`…/WS/…`).
    static func navSystem(_ path: String) -> String? {
        if path.contains("/ODataV4") { return "nav-odata" }
        if path.hasPrefix("/v2.0/") { return path.contains("/WS/") ? "nav-soap" : "bc" }
        if path.contains("/WS/") { return "nav-soap" }
        return nil
    }

    private func control(_ request: SimRequest) async -> SimResponse? {
        switch (request.method, request.path) {
        case ("GET", "/_sandbox/health"):
            return .json(200, ["status": "ok"])
        case ("GET", "/_sandbox/stats"):
            let r = await stats.requests
            return .json(200, ["requests": r, "latencyMilliseconds": await stats.latencyMilliseconds])
        case ("POST", "/_sandbox/stats/reset"):
            await stats.reset()
            return .json(200, ["status": "ok"])
        case ("POST", "/_sandbox/latency"):
            let ms = Int(request.queryValue("ms") ?? "") ?? 0
            await stats.setLatency(ms)
            return .json(200, ["latencyMilliseconds": ms])
        default:
            return nil
        }
    }

    /// Serves until cancelled. `onReady` receives the base URL (with the real port) once listening.
    public func run(handleSignals: Bool = true, onReady: @escaping @Sendable (URL) async -> Void = { _ in }) async throws {
        let sandbox = self
        let responder = CallbackResponder<SandboxRequestContext> { request, context in
            let body = try await request.body.collect(upTo: 256 * 1024 * 1024)
            var headers: [String: String] = [:]
            for field in request.headers {
                let name = field.name.canonicalName.lowercased()
                if let existing = headers[name] { headers[name] = existing + ", " + field.value } else { headers[name] = field.value }
            }
            // HTTP/1 `Host` arrives as the `:authority` pseudo-header in HTTPTypes.
            let hostHeader = request.head.authority ?? headers["host"] ?? "\(sandbox.options.host):\(sandbox.options.port)"
            let sim = SimRequest(
                method: request.method.rawValue.uppercased(),
                path: request.uri.path,
                query: request.uri.query,
                headers: headers,
                body: Data(body.readableBytesView),
                baseURL: "http://\(hostHeader)")
            let r = await sandbox.handle(sim)
            if r.dropConnection {
                // The request was processed; the client gets no byte of an answer, only the closed connection.
                try? await context.channel.close()
            }
            var fields = HTTPFields()
            for (n, v) in r.headers {
                if let name = HTTPField.Name(n) { fields.append(HTTPField(name: name, value: v)) }
            }
            return Response(status: .init(code: r.status), headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: r.body)))
        }
        var logger = Logger(label: "ml-sandbox")
        // In-process (tests) the server is stopped by cancellation, which Hummingbird reports as errors.
        logger.logLevel = handleSignals ? .warning : .critical
        let app = Application(
            responder: responder,
            configuration: .init(address: .hostname(options.host, port: options.port), serverName: "ml-sandbox"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                let url = URL(string: "http://\(sandbox.options.host):\(port)")!
                await onReady(url)
            },
            logger: logger)
        if handleSignals {
            try await app.runService()
        } else {
            try await app.runService(gracefulShutdownSignals: [])
        }
    }
}

/// Hummingbird's basic request context plus the connection's channel, so a simulator's drop fault can close the
/// TCP connection instead of answering (`SimResponse.dropConnection`).
struct SandboxRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}
