import ConnectorCore
import ConnectorHTTP
import ConnectorLedger
import ConnectorSecrets
import ConnectorStaging
import Expensify
import Foundation
import Logging

/// Everything a stage needs: the validated configuration, the ledger, where staged files go, how to
/// reach Expensify and the target, a logger and who is acting (for the audit trail).
public struct PipelineContext: Sendable {
    /// The validated configuration.
    public let config: ConnectorConfig
    /// The batch ledger, the source of truth for what was posted.
    public let ledger: Ledger
    /// Where batch folders are written.
    public let stagingRoot: URL
    /// Where stages log, with metadata rather than interpolated text.
    public let logger: Logger
    /// Who acts, as the audit trail records it.
    public let actor: String
    /// The process environment (secrets, `ML_CONNECTOR_TODAY`).
    public let environment: [String: String]
    /// Named secrets: the environment first, then the encrypted credential store.
    public let secrets: any SecretSource
    /// Retry policy for both sides (tests shorten it).
    public let retry: RetryPolicy
    /// The ledger's run lock, when this context writes (every stage); nil for read-only commands such as `status`.
    public let lock: LedgerLock?
    /// Where long stages report how far they are (the terminal's progress line); none by default.
    public var progress: (any ProgressSink)?
    let transport: any HTTPTransport

    /// A context over an already loaded configuration (tests build one directly).
    public init(
        config: ConnectorConfig, logger: Logger, command: String,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        retry: RetryPolicy = .standard, transport: (any HTTPTransport)? = nil, lock: LedgerLock? = nil,
        newLedger: Bool = false
    ) throws {
        self.config = config
        self.lock = lock
        self.logger = logger
        self.environment = environment
        self.secrets = StoredSecrets(environment: environment, store: try Self.credentialStore(config, environment: environment))
        self.retry = retry
        self.transport = transport ?? CurlTransport()
        self.stagingRoot = URL(fileURLWithPath: config.stagingRoot, isDirectory: true)
        self.ledger = try Ledger(path: config.ledgerPath, acceptEmpty: newLedger)
        let user = environment["USER"] ?? environment["LOGNAME"] ?? "unknown"
        self.actor = "ml-connector/\(command) by \(user)"
    }

    /// Loads and validates the configuration file, takes the ledger's run lock (unless `exclusive` is false), then
    /// opens the ledger.
    /// - Parameters:
    ///   - options: checks the operator loosened on the command line (logged when used).
    ///   - exclusive: whether this command writes (every stage does; `status` does not).
    ///   - newLedger: accept an existing empty ledger file as new (`--new-ledger`).
    /// - Throws: `ledger.locked` at once when another live run holds the ledger.
    public static func load(
        configPath: String, logger: Logger, command: String,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        options: ConfigCheckOptions = ConfigCheckOptions(), exclusive: Bool = true,
        newLedger: Bool = false
    ) throws -> PipelineContext {
        let data = try ConfigurationCheck.read(configPath)
        let config = try ConnectorConfig.load(data, source: configPath, options: options, validateTarget: TargetRegistry.problems)
        if options.allowPlaintextHTTP {
            logger.warning("plain http:// to non-loopback hosts is allowed by --allow-plaintext-http; secrets may travel in clear text")
        }
        var lock: LedgerLock?
        if exclusive {
            let taken = try LedgerLock.acquire(ledgerPath: config.ledgerPath, command: command)
            if let dead = taken.tookOverFrom {
                logger.warning(
                    "taking over the ledger lock of a run that ended without releasing it (crashed or killed)",
                    metadata: [
                        "lock.previous_pid": "\(dead.pid)", "lock.previous_batch": "\(dead.batch ?? "-")",
                        "lock.previous_since": "\(dead.since)", "lock.previous_command": "\(dead.command)",
                    ])
            }
            lock = taken
        }
        let context = try PipelineContext(
            config: config, logger: logger, command: command, environment: environment, lock: lock,
            newLedger: newLedger)
        if let lock {
            try context.closeAbandonedStageRuns(lock)
        }
        return context
    }

    func audit(_ batchID: String?, _ stage: Stage?) -> AuditContext {
        AuditContext(actor: actor, batchID: batchID, stage: stage)
    }

    func layout(_ batchID: String) -> BatchLayout { BatchLayout(root: stagingRoot, batchID: batchID) }

    /// The configuration's credential store, or nil when there is none yet.
    static func credentialStore(_ config: ConnectorConfig, environment: [String: String]) throws -> CredentialStore? {
        try StoredSecrets.Location(storePath: config.credentialStorePath, keyFilePath: config.credentialKeyPath).open(environment: environment)
    }

    /// How review CSVs are written (`staging.csvByteOrderMark`, default on).
    var csvStyle: CSVStyle { CSVStyle(byteOrderMark: config.staging?.csvByteOrderMark ?? true) }

    // MARK: Clients

    func expensifyClient(batchID: String? = nil, stage: Stage? = nil) throws -> ExpensifyClient {
        let e = config.expensify
        let id = try secrets.secret(e.partnerUserIDEnv ?? "EXPENSIFY_PARTNER_USER_ID").reveal()
        let secret = try secrets.secret(e.partnerUserSecretEnv ?? "EXPENSIFY_PARTNER_USER_SECRET")
        guard let url = URL(string: e.endpoint) else { throw ConnectorError("config.invalid", "expensify.endpoint is not a URL") }
        let http = HTTPClient(transport: transport, retry: retry, logger: logger, system: "expensify", onFailure: auditHTTP(batchID, stage))
        return ExpensifyClient(
            endpoint: url, credentials: ExpensifyCredentials(partnerUserID: id, partnerUserSecret: secret), http: http, logger: logger)
    }

    /// The configured target behind the `TargetSystem` protocol; stages never see which ERP it is.
    func target(batchID: String? = nil, stage: Stage? = nil) throws -> any TargetSystem {
        let driver = try TargetRegistry.driver(for: config)
        let (transport, retry, logger, audit) = (self.transport, self.retry, self.logger, auditHTTP(batchID, stage))
        let context = TargetBuildContext(secrets: secrets, logger: logger) { system in
            HTTPClient(transport: transport, retry: retry, logger: logger, system: system, onFailure: audit)
        }
        return try driver.make(config, context)
    }

    /// How the configured target writes dimensions as one text (for transform, which needs no secrets).
    func dimensionFormatter() throws -> any DimensionFormatter {
        try TargetRegistry.driver(for: config).dimensionFormatter(config)
    }

    /// What the configured target cannot take on its path, checked at transform (nil: anything mapped).
    func documentRules() throws -> (any DocumentRules)? {
        try TargetRegistry.driver(for: config).documentRules(config)
    }

    /// Every failed HTTP attempt goes to the audit trail (method, path, status; never query, body or token).
    func auditHTTP(_ batchID: String?, _ stage: Stage?) -> @Sendable (HTTPFailureEvent) async -> Void {
        let ledger = self.ledger
        let actor = self.actor
        return { event in
            try? ledger.audit(
                AuditContext(actor: actor, batchID: batchID, stage: stage), entityType: "http", entityID: event.system,
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

    func requireStage(_ stage: Stage, batchID: String, before: Stage) throws -> StageRunRecord {
        guard let run = try ledger.lastSucceededStage(batchID: batchID, stage: stage) else {
            throw ConnectorError(
                "stage.order",
                "'\(before.rawValue)' needs a successful '\(stage.rawValue)' for batch \(batchID); run '\(stage.rawValue) --batch \(batchID)' first.",
                context: ["batch": batchID])
        }
        return run
    }

    /// Runs `body` as a recorded stage run: start, finish with counts and file hashes, or failure with the error.
    ///
    /// A stage whose task was cancelled (SIGINT/SIGTERM, see `ml-connector`) is recorded `interrupted`: what it confirmed
    /// before stays recorded, and no new stage starts once the task is cancelled.
    func recordStage<T>(_ stage: Stage, batchID: String, _ body: () async throws -> (T, counts: [String: Int], files: [String: String])) async throws
        -> T
    {
        try Task.checkCancellation()
        let a = audit(batchID, stage)
        lock?.update(batch: batchID)
        let runID = try ledger.startStage(batchID: batchID, stage: stage, audit: a)
        var log = logger
        log[metadataKey: "batch.id"] = "\(batchID)"
        log[metadataKey: "stage"] = "\(stage.rawValue)"
        log.info("stage started")
        do {
            let (value, counts, files) = try await body()
            try ledger.finishStage(runID: runID, outcome: .succeeded, counts: counts, files: files, error: nil, audit: a)
            log.info(
                "stage finished", metadata: ["counts": "\(counts.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))"])
            return value
        } catch {
            if error is CancellationError || Task.isCancelled {
                let message =
                    "interrupted by a signal before the stage finished; what was confirmed stays recorded, documents in flight are looked up on the next run"
                try? ledger.finishStage(runID: runID, outcome: .interrupted, counts: [:], files: [:], error: message, audit: a)
                log.warning("stage interrupted")
                throw CancellationError()
            }
            let message = (error as? ConnectorError)?.description ?? "\(error)"
            try? ledger.finishStage(runID: runID, outcome: .failed, counts: [:], files: [:], error: message, audit: a)
            log.error("stage failed", metadata: ["error": "\(message)"])
            throw error
        }
    }
}
