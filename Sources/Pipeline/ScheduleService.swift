import ConnectorCore
import ConnectorLedger
import Foundation
import Logging
import ServiceLifecycle
import UnixSignals

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What `ml-connector schedule` was asked for.
public struct ScheduleRequest: Sendable {
    /// The configuration file, read again for every run (an edit applies from the next run; the timing does not change).
    public var configPath: String
    /// Checks the operator loosened on the command line.
    public var options: ConfigCheckOptions
    /// Accept an existing empty ledger file as new (`--new-ledger`).
    public var newLedger: Bool
    /// `--every`, `--cron`, `--time-zone`: replace the configured `schedule`.
    public var every: String?
    public var cron: String?
    public var timeZone: String?
    /// Stop after this many runs (tests, one-shots); nil: until a signal.
    public var maxRuns: Int?
    /// The process environment (secrets, `ML_CONNECTOR_TODAY`).
    public var environment: [String: String]

    public init(
        configPath: String, options: ConfigCheckOptions = ConfigCheckOptions(), newLedger: Bool = false, every: String? = nil,
        cron: String? = nil, timeZone: String? = nil, maxRuns: Int? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) {
        self.configPath = configPath
        self.options = options
        self.newLedger = newLedger
        self.every = every
        self.cron = cron
        self.timeZone = timeZone
        self.maxRuns = maxRuns
        self.environment = environment
    }
}

/// `ml-connector schedule`: the pipeline (exactly `ml-connector run`, its ledger lock taken per run) at every tick of an
/// interval or a cron expression, in the foreground, until SIGTERM or SIGINT.
///
/// - Runs never overlap: they run one after the other in one loop; a tick that comes while a run is still going is
///   skipped (counted in the run's summary line), and another process holding the ledger (`ml-connector run` from
///   cron) makes the run `locked`: logged, nothing done, the next tick tries again.
/// - A run that fails is logged and tried again at the next tick, never at once.
/// - One summary line per run (`scheduled run finished`, with the batch, outcome, counts, duration and next run).
/// - Signals: swift-service-lifecycle runs the loop and a signal watcher in one `ServiceGroup`; the watcher takes
///   SIGTERM and SIGINT (`UnixSignalsSequence`, the only handler in the process) and triggers the group's graceful
///   shutdown. Idle, the wait ends at once; during a run, the run's task is cancelled (`cancelWhenGracefulShutdown`)
///   and stops as `run` does on SIGTERM: between documents, the stage recorded `interrupted`, the documents in flight
///   left `loading` for the next run to look up, the lock released. A second signal exits at once (128 + signal).
///   The group's own `gracefulShutdownSignals` are not used: they do not tell which signal came (the exit code is 143
///   for SIGTERM, 130 for SIGINT) and ignore a second one; the watcher is the same `UnixSignalsSequence` they use.
public enum Scheduler {
    /// Runs the schedule until a signal or `maxRuns`; `onRun` gets each run as it ends (for `--json`).
    /// - Throws: `config.*` when the configuration or the timing is not usable (before the first run).
    public static func run(
        _ request: ScheduleRequest, logger: Logger, progress: (any ProgressSink)? = nil,
        onRun: @escaping @Sendable (ScheduledRun) -> Void = { _ in }
    ) async throws -> ScheduleResult {
        let data = try ConfigurationCheck.read(request.configPath)
        let config = try ConnectorConfig.load(
            data, source: request.configPath, options: request.options, validateTarget: TargetRegistry.problems)
        let timing = try ScheduleTiming.resolve(config.schedule, every: request.every, cron: request.cron, timeZone: request.timeZone)
        if let max = request.maxRuns, max < 1 {
            throw ConnectorError("config.schedule", "--max-runs must be at least 1 (it is \(max))")
        }
        let start = Date()
        let state = ScheduleState()
        let loop = ScheduleLoop(
            timing: timing, start: start, request: request, logger: logger, progress: progress, state: state, onRun: onRun)
        let holder = GroupHolder()
        // Trapped before the first run can start, so no signal finds the default disposition (which would kill).
        let signals = await UnixSignalsSequence(trapping: .sigterm, .sigint)
        let watcher = SignalWatcher(signals: signals, state: state, holder: holder, logger: logger)
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [
                    // Shut down in reverse order: the loop first, while the watcher still listens for a second signal.
                    .init(service: watcher, serviceName: "signals"),
                    .init(service: loop, successTerminationBehavior: .gracefullyShutdownGroup, serviceName: "schedule"),
                ],
                logger: logger))
        holder.set(group)
        logger.info(
            "schedule started",
            metadata: [
                "schedule": "\(timing)", "schedule.first_run": "\(ScheduledRun.timestamp(timing.first(start: start)))",
                "schedule.max_runs": "\(request.maxRuns.map(String.init) ?? "-")",
            ])
        try await group.run()
        let result = state.result
        logger.info(
            "schedule stopped",
            metadata: ["schedule.runs": "\(result.runs.count)", "signal": "\(result.signal.map(signalName) ?? "-")"])
        return result
    }

    /// `SIGTERM`, `SIGINT`.
    public static func signalName(_ sig: Int32) -> String {
        switch sig {
        case SIGINT: return "SIGINT"
        case SIGTERM: return "SIGTERM"
        default: return "signal \(sig)"
        }
    }
}

/// The runs so far and the signal received, shared by the loop and the watcher.
final class ScheduleState: @unchecked Sendable {
    private let lock = NSLock()
    private var runs: [ScheduledRun] = []
    private var signal: Int32?

    /// Records the signal; true for the first one.
    func received(_ sig: Int32) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard signal == nil else { return false }
        signal = sig
        return true
    }

    func add(_ run: ScheduledRun) {
        lock.lock()
        runs.append(run)
        lock.unlock()
    }

    var result: ScheduleResult {
        lock.lock()
        defer { lock.unlock() }
        return ScheduleResult(runs: runs, signal: signal)
    }
}

/// The group, for the watcher to shut down (set once, before the group runs).
final class GroupHolder: @unchecked Sendable {
    private let lock = NSLock()
    private var group: ServiceGroup?

    func set(_ g: ServiceGroup) {
        lock.lock()
        group = g
        lock.unlock()
    }

    var value: ServiceGroup? {
        lock.lock()
        defer { lock.unlock() }
        return group
    }
}

/// SIGTERM and SIGINT: the first shuts the group down gracefully, a second exits at once.
struct SignalWatcher: Service {
    let signals: UnixSignalsSequence
    let state: ScheduleState
    let holder: GroupHolder
    let logger: Logger

    func run() async throws {
        for await signal in signals.cancelOnGracefulShutdown() {
            let sig = signal.rawValue
            if state.received(sig) {
                logger.warning(
                    "stopping on a signal: no new run starts, a run in progress stops between documents (recorded interrupted); a second signal exits at once",
                    metadata: ["signal": "\(Scheduler.signalName(sig))"])
                await holder.value?.triggerGracefulShutdown()
            } else {
                FileHandle.standardError.write(
                    Data(
                        "error: \(Scheduler.signalName(sig)) again: exiting at once (\(128 + sig)); the next run records the stage as interrupted and looks up what was in flight.\n"
                            .utf8))
                _exit(128 + sig)
            }
        }
    }
}

/// The loop: wait for the tick, run, log the summary line, until a signal or `maxRuns`.
struct ScheduleLoop: Service {
    let timing: ScheduleTiming
    let start: Date
    let request: ScheduleRequest
    let logger: Logger
    let progress: (any ProgressSink)?
    let state: ScheduleState
    let onRun: @Sendable (ScheduledRun) -> Void

    func run() async throws {
        var tick = timing.first(start: start)
        var number = 0
        while true {
            let wait = tick.timeIntervalSinceNow
            if wait > 0 {
                do {
                    try await cancelWhenGracefulShutdown { try await Task.sleep(nanoseconds: UInt64(wait * 1_000_000_000)) }
                } catch {
                    return  // a signal while idle: nothing to stop
                }
            }
            if Task.isShuttingDownGracefully || Task.isCancelled { return }
            number += 1
            let (request, logger, progress, n) = (self.request, self.logger, self.progress, number)
            var run = await cancelWhenGracefulShutdown { await Self.once(n, request: request, logger: logger, progress: progress) }
            let end = Date()
            let stopping = run.outcome == .interrupted || Task.isShuttingDownGracefully || request.maxRuns.map { number >= $0 } ?? false
            run.ticksSkipped = timing.ticks(after: tick, through: end, start: start)
            let next = timing.next(after: max(end, tick), start: start)
            run.nextRun = stopping ? nil : ScheduledRun.timestamp(next)
            logger.log(level: run.level, "scheduled run finished", metadata: run.metadata)
            state.add(run)
            onRun(run)
            if stopping { return }
            tick = next
        }
    }

    /// One run, as `ml-connector run`: the lock taken (or `locked`), the pipeline, the lock released; never throws.
    static func once(_ number: Int, request: ScheduleRequest, logger: Logger, progress: (any ProgressSink)?) async -> ScheduledRun {
        let began = Date()
        var run = ScheduledRun(
            run: number, outcome: .failed, batch: nil, startedAt: ScheduledRun.timestamp(began), seconds: "0.0", reports: nil,
            held: nil, created: nil, failed: nil, errorCode: nil, error: nil, ticksSkipped: 0, nextRun: nil)
        func finish(_ outcome: ScheduledRun.Outcome, _ error: (any Error)? = nil) -> ScheduledRun {
            run.outcome = outcome
            if let error {
                let e = error as? ConnectorError
                run.errorCode = e?.code
                // One line: a configuration error lists its problems on several.
                run.error = (e?.message ?? "\(error)").split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
                    .joined(separator: " ")
            }
            run.seconds = String(format: "%.1f", Date().timeIntervalSince(began))
            return run
        }
        var context: PipelineContext
        do {
            context = try PipelineContext.load(
                configPath: request.configPath, logger: logger, command: "schedule", environment: request.environment,
                options: request.options, exclusive: true, newLedger: request.newLedger)
        } catch let e as ConnectorError where e.code == ErrorCode.ledgerLocked {
            return finish(.locked, e)
        } catch {
            return finish(.failed, error)
        }
        defer { context.lock?.release() }
        context.progress = progress
        let before = try? context.ledger.latestBatch()?.id
        do {
            try Task.checkCancellation()
            let s = try await context.run()
            run.batch = s.extract.batchID
            run.reports = s.extract.reports
            run.held = s.transform.held
            let earlier = s.approvedBatchesLoaded
            run.created = s.load.created + s.load.completed + earlier.reduce(0) { $0 + $1.load.created + $1.load.completed }
            run.failed = s.load.failed + earlier.reduce(0) { $0 + $1.load.failed }
            run.awaitingReview = s.awaitingReview ? true : nil
            run.approvedBatchesLoaded = earlier.isEmpty ? nil : earlier.map(\.batchID)
            run.reconciled = s.reconciliation?.reconciled
            run.variances = s.reconciliation?.variances
            return finish(run.failed ?? 0 > 0 ? .partial : .succeeded)
        } catch {
            if let latest = try? context.ledger.latestBatch()?.id, latest != before { run.batch = latest }
            if error is CancellationError || Task.isCancelled { return finish(.interrupted) }
            return finish(.failed, error)
        }
    }
}
