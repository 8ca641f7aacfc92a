import ArgumentParser
import ConnectorCore
import Foundation
import Logging
import Pipeline

/// Exit codes (stable): 0 done; 1 a stage failed; 2 configuration or usage error; 3 finished, but some
/// documents failed to load and stay unlabelled for the next run; 4 another run holds the ledger; 5 a report or batch
/// named on the command line is not in the ledger; 130 interrupted by SIGINT, 143 interrupted by SIGTERM (128 + the
/// signal number: the stage is recorded `interrupted`, the ledger released, what was confirmed stays recorded).
enum Exit {
    static let stageFailed: Int32 = 1
    static let configuration: Int32 = 2
    static let partial: Int32 = 3
    /// Another run holds the ledger; nothing was done.
    static let locked: Int32 = 4
    /// The report or batch asked for (`status --report`, `audit`, `replay`, `drop`, `--batch`) is not in the ledger.
    static let notFound: Int32 = 5
    /// Stopped by SIGINT (Ctrl-C) before the work finished.
    static let interruptedBySIGINT: Int32 = 130
    /// Stopped by SIGTERM before the work finished.
    static let interruptedBySIGTERM: Int32 = 143

    /// 128 + the signal number, as a shell reports a process ended by that signal.
    static func interrupted(by signal: Int32) -> Int32 {
        switch signal {
        case SIGINT: return interruptedBySIGINT
        case SIGTERM: return interruptedBySIGTERM
        default: return 128 + signal
        }
    }

    static func code(for e: ConnectorError) -> Int32 {
        if ErrorCode.isConfiguration(e.code) || e.code == ErrorCode.ledgerEmpty { return configuration }
        if e.code == ErrorCode.ledgerLocked { return locked }
        if e.code == ErrorCode.reportUnknown || e.code == ErrorCode.batchUnknown || e.code == "drop.unknown_report" { return notFound }
        return stageFailed
    }
}

struct GlobalOptions: ParsableArguments {
    @Option(name: .shortAndLong, help: "Configuration file (JSON). Default: $ML_CONNECTOR_CONFIG or ml-connector.json.")
    var config: String?

    @Flag(name: .shortAndLong, help: "Log every request and decision (debug level).") var verbose = false
    @Flag(name: .shortAndLong, help: "Log warnings and errors only.") var quiet = false
    @Flag(help: "Print the result as JSON instead of text.") var json = false
    @Flag(name: .customLong("allow-plaintext-http"),
          help: "DANGEROUS: accept http:// endpoints on hosts other than loopback; secrets then travel in clear text.")
    var allowPlaintextHTTP = false

    @Flag(help: "Accept an existing empty ledger file as a new ledger (otherwise refused: it may have been truncated).")
    var newLedger = false

    var checkOptions: ConfigCheckOptions { ConfigCheckOptions(allowPlaintextHTTP: allowPlaintextHTTP) }

    var configPath: String {
        config ?? ProcessInfo.processInfo.environment["ML_CONNECTOR_CONFIG"] ?? "ml-connector.json"
    }

    func makeLogger() -> Logger {
        var logger = Logger(label: "ml-connector")
        logger.logLevel = verbose ? .debug : (quiet ? .warning : .info)
        return logger
    }
}

struct BatchOption: ParsableArguments {
    @Option(help: "Batch ID to work on (default: the newest batch).") var batch: String?
}

/// Shared plumbing: bootstrap logging once, build the context, map errors to exit codes.
protocol ConnectorCommand: AsyncParsableCommand {
    var global: GlobalOptions { get }
    /// Whether the command writes to the ledger and so takes its run lock (default true).
    static var exclusive: Bool { get }
    func run(_ context: PipelineContext) async throws -> (text: String, json: Data, exitCode: Int32)
}

extension ConnectorCommand {
    static var exclusive: Bool { true }

    func run() async throws {
        umask(0o077)  // ledger, staged files and folders are personal data: owner-only
        LoggingSystem.bootstrap(StreamLogHandler.standardError)
        let logger = global.makeLogger()
        // SIGINT/SIGTERM cancel the work's task: the request in flight is abandoned, the stage recorded `interrupted`, the
        // lock released; a second signal exits at once.
        let canceller = WorkCanceller()
        let trap = SignalTrap { signal in
            logger.warning("interrupted: stopping cleanly; a second signal exits at once", metadata: ["signal": "\(SignalTrap.name(signal))"])
            canceller.cancel()
        }
        let command = Unchecked(self)
        let (configPath, options, newLedger) = (global.configPath, global.checkOptions, global.newLedger)
        let name = Self.configuration.commandName ?? "run"
        let work = Task { () async throws -> (text: String, json: Data, exitCode: Int32) in
            let context = try PipelineContext.load(configPath: configPath, logger: logger, command: name,
                                                   options: options, exclusive: Self.exclusive, newLedger: newLedger)
            defer { context.lock?.release() }
            return try await command.value.run(context)
        }
        canceller.set(work)
        switch await work.result {
        case .success(let (text, json, code)):
            if global.json { FileHandle.standardOutput.write(json); print("") } else { print(text, terminator: "") }
            if code != 0 { throw ExitCode(code) }
        case .failure(let error):
            if let signal = trap.receivedSignal {
                FileHandle.standardError.write(Data("error: interrupted by \(SignalTrap.name(signal)): the stage was recorded as interrupted and the ledger released; what was confirmed stays recorded, and documents in flight are looked up on the next run. Rerun the stage, or 'ml-connector run'.\n".utf8))
                throw ExitCode(Exit.interrupted(by: signal))
            }
            if let e = error as? ConnectorError {
                FileHandle.standardError.write(Data("error: \(e.description)\n".utf8))
                throw ExitCode(Exit.code(for: e))
            }
            throw error
        }
    }
}

/// The task doing a command's work, cancelled by the first SIGINT/SIGTERM (also when the signal came before the task
/// was handed over).
final class WorkCanceller: @unchecked Sendable {
    private let lock = NSLock()
    private var task: Task<(text: String, json: Data, exitCode: Int32), any Error>?
    private var cancelled = false

    func set(_ task: Task<(text: String, json: Data, exitCode: Int32), any Error>) {
        lock.lock()
        self.task = task
        let cancel = cancelled
        lock.unlock()
        if cancel { task.cancel() }
    }

    func cancel() {
        lock.lock()
        cancelled = true
        let task = self.task
        lock.unlock()
        task?.cancel()
    }
}

/// A command value handed to the task that runs it (commands are parsed once and only read).
struct Unchecked<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

func encoded<T: Encodable>(_ v: T) -> Data {
    let enc = JSONEncoder()
    enc.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
    return (try? enc.encode(v)) ?? Data()
}
