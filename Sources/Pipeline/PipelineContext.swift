import ConnectorCore
import ConnectorHTTP
import ConnectorLedger
import ConnectorStaging
import Dynamics365
import Expensify
import Foundation
import Logging

/// Everything a stage needs: the validated configuration, the ledger, where staged files go, how to
/// reach Expensify and the target, a logger and who is acting (for the audit trail).
public struct PipelineContext: Sendable {
    public let config: ConnectorConfig
    public let ledger: Ledger
    public let stagingRoot: URL
    public let logger: Logger
    public let actor: String
    public let environment: [String: String]
    /// Retry policy for both sides (tests shorten it).
    public let retry: RetryPolicy
    let transport: any HTTPTransport

    public init(config: ConnectorConfig, logger: Logger, command: String,
                environment: [String: String] = ProcessInfo.processInfo.environment,
                retry: RetryPolicy = .standard, transport: (any HTTPTransport)? = nil) throws {
        self.config = config
        self.logger = logger
        self.environment = environment
        self.retry = retry
        self.transport = transport ?? URLSessionTransport()
        self.stagingRoot = URL(fileURLWithPath: config.stagingRoot, isDirectory: true)
        self.ledger = try Ledger(path: config.ledgerPath)
        let user = environment["USER"] ?? environment["LOGNAME"] ?? "unknown"
        self.actor = "ml-connector/\(command) by \(user)"
    }

    /// Loads and validates the configuration file, then opens the ledger.
    public static func load(configPath: String, logger: Logger, command: String,
                            environment: [String: String] = ProcessInfo.processInfo.environment) throws -> PipelineContext {
        guard let data = FileManager.default.contents(atPath: configPath) else {
            throw ConnectorError("config.missing", "Configuration file \(configPath) cannot be read.", context: ["file": configPath])
        }
        let config = try ConnectorConfig.load(data, source: configPath)
        return try PipelineContext(config: config, logger: logger, command: command, environment: environment)
    }

    func audit(_ batchID: String?, _ stage: String?) -> AuditContext {
        AuditContext(actor: actor, batchID: batchID, stage: stage)
    }

    func layout(_ batchID: String) -> BatchLayout { BatchLayout(root: stagingRoot, batchID: batchID) }

    // MARK: Clients

    func expensifyClient(batchID: String? = nil, stage: String? = nil) throws -> ExpensifyClient {
        let e = config.expensify
        let idVar = e.partnerUserIDEnv ?? "EXPENSIFY_PARTNER_USER_ID"
        guard let id = environment[idVar], !id.isEmpty else {
            throw ConnectorError("config.secret_missing", "Environment variable \(idVar) must hold the Expensify partnerUserID.", context: ["variable": idVar])
        }
        let secret = try Secret.fromEnvironment(e.partnerUserSecretEnv ?? "EXPENSIFY_PARTNER_USER_SECRET", environment: environment)
        guard let url = URL(string: e.endpoint) else { throw ConnectorError("config.invalid", "expensify.endpoint is not a URL") }
        let http = HTTPClient(transport: transport, retry: retry, logger: logger, system: "expensify", onFailure: auditHTTP(batchID, stage))
        return ExpensifyClient(endpoint: url, credentials: ExpensifyCredentials(partnerUserID: id, partnerUserSecret: secret), http: http, logger: logger)
    }

    /// The configured target behind the `TargetSystem` protocol; stages never see which ERP it is.
    func target(batchID: String? = nil, stage: String? = nil) throws -> any TargetSystem {
        let t = config.target
        switch t.type {
        case "d365fo":
            let secret = try Secret.fromEnvironment(t.clientSecretEnv ?? "D365_CLIENT_SECRET", environment: environment)
            guard let env = URL(string: t.environmentURL), let auth = URL(string: t.authorityURL) else {
                throw ConnectorError("config.invalid", "target URLs are not valid")
            }
            let settings = D365Settings(environmentURL: env, authorityURL: auth, tenant: t.tenant, clientID: t.clientID,
                                        clientSecret: secret, scope: t.scope, batchSize: t.batchSize ?? D365Settings.defaultBatchSize,
                                        keyAssignment: t.keyAssignment.flatMap(D365KeyAssignment.init(rawValue:)) ?? .server,
                                        batchStrategy: t.batchStrategy.flatMap(D365BatchStrategy.init(rawValue:)) ?? .twoPhase)
            let http = HTTPClient(transport: transport, retry: retry, logger: logger, system: "d365fo", onFailure: auditHTTP(batchID, stage))
            return D365Target(settings: settings, http: http, logger: logger)
        default:
            throw ConnectorError("config.invalid", "target.type '\(t.type)' is not supported")
        }
    }

    /// Every failed HTTP attempt goes to the audit trail (method, path, status; never query, body or token).
    func auditHTTP(_ batchID: String?, _ stage: String?) -> @Sendable (HTTPFailureEvent) async -> Void {
        let ledger = self.ledger
        let actor = self.actor
        return { event in
            try? ledger.audit(AuditContext(actor: actor, batchID: batchID, stage: stage), entityType: "http", entityID: event.system,
                              event: event.status == nil ? "http.no_answer" : "http.error", detail: event.summary)
        }
    }

    // MARK: Batches

    /// The batch a stage works on: the one given, or the newest.
    func resolveBatch(_ id: String?) throws -> String {
        if let id {
            guard try ledger.batch(id) != nil else {
                throw ConnectorError("batch.unknown", "Batch \(id) is not in the ledger (see 'ml-connector status').", context: ["batch": id])
            }
            return id
        }
        guard let latest = try ledger.latestBatch() else {
            throw ConnectorError("batch.none", "There is no batch yet; run 'ml-connector extract' (or 'run') first.")
        }
        return latest.id
    }

    func requireStage(_ stage: String, batchID: String, before: String) throws -> StageRunRecord {
        guard let run = try ledger.lastSucceededStage(batchID: batchID, stage: stage) else {
            throw ConnectorError("stage.order", "'\(before)' needs a successful '\(stage)' for batch \(batchID); run '\(stage) --batch \(batchID)' first.",
                                 context: ["batch": batchID])
        }
        return run
    }

    /// Runs `body` as a recorded stage run: start, finish with counts and file hashes, or failure with the error.
    func recordStage<T>(_ stage: String, batchID: String, _ body: () async throws -> (T, counts: [String: Int], files: [String: String])) async throws -> T {
        let a = audit(batchID, stage)
        let runID = try ledger.startStage(batchID: batchID, stage: stage, audit: a)
        var log = logger
        log[metadataKey: "batch.id"] = "\(batchID)"
        log[metadataKey: "stage"] = "\(stage)"
        log.info("stage started")
        do {
            let (value, counts, files) = try await body()
            try ledger.finishStage(runID: runID, succeeded: true, counts: counts, files: files, error: nil, audit: a)
            log.info("stage finished", metadata: ["counts": "\(counts.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))"])
            return value
        } catch {
            let message = (error as? ConnectorError)?.description ?? "\(error)"
            try? ledger.finishStage(runID: runID, succeeded: false, counts: [:], files: [:], error: message, audit: a)
            log.error("stage failed", metadata: ["error": "\(message)"])
            throw error
        }
    }
}

/// `yyyy-MM-dd` arithmetic on calendar days (UTC, no time zones involved).
enum Day {
    static let calendar: Calendar = {
        var c = Calendar(identifier: .gregorian)
        c.timeZone = TimeZone(identifier: "UTC")!
        return c
    }()

    static func parse(_ s: String) -> Date? {
        let p = s.split(separator: "-").compactMap { Int($0) }
        guard p.count == 3 else { return nil }
        return calendar.date(from: DateComponents(year: p[0], month: p[1], day: p[2]))
    }

    static func format(_ d: Date) -> String {
        let c = calendar.dateComponents([.year, .month, .day], from: d)
        return String(format: "%04d-%02d-%02d", c.year ?? 0, c.month ?? 0, c.day ?? 0)
    }

    static func adding(_ days: Int, to s: String) -> String? {
        guard let d = parse(s), let n = calendar.date(byAdding: .day, value: days, to: d) else { return nil }
        return format(n)
    }
}

extension PipelineContext {
    /// Confirms the configuration loaded and every secret variable is set; prints the effective,
    /// redacted settings.
    public func checkConfiguration() throws -> String {
        _ = try expensifyClient()
        _ = try target()
        let c = config
        var s = "Configuration OK\n"
        s += "  Expensify: \(c.expensify.endpoint) label '\(c.expensify.exportLabel)' states \(c.reportStates.joined(separator: ",")) from \(c.expensify.startDate)\n"
        s += "  Target: \(c.target.type) \(c.target.environmentURL) tenant \(c.target.tenant) client \(c.target.clientID) secret <redacted>\n"
        s += "  Policies → companies: " + c.companies.sorted { $0.key < $1.key }.map { "\($0.key)→\($0.value)" }.joined(separator: ", ") + "\n"
        s += "  Card expenses: \(c.companyCards.mode)\n"
        s += "  Staging: \(c.stagingRoot); ledger: \(c.ledgerPath)\n"
        return s
    }
}
