import ArgumentParser
import ConnectorCore
import Foundation
import Logging
import Pipeline

/// Exit codes (stable): 0 done; 1 a stage failed; 2 configuration or usage error; 3 finished, but some
/// documents failed to load and stay unlabelled for the next run; 4 another run holds the ledger.
enum Exit {
    static let stageFailed: Int32 = 1
    static let configuration: Int32 = 2
    static let partial: Int32 = 3
    /// Another run holds the ledger; nothing was done.
    static let locked: Int32 = 4

    static func code(for e: ConnectorError) -> Int32 {
        if ErrorCode.isConfiguration(e.code) || e.code == ErrorCode.ledgerEmpty { return configuration }
        if e.code == ErrorCode.ledgerLocked { return locked }
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
        do {
            let context = try PipelineContext.load(configPath: global.configPath, logger: logger, command: Self.configuration.commandName ?? "run",
                                                   options: global.checkOptions, exclusive: Self.exclusive, newLedger: global.newLedger)
            defer { context.lock?.release() }
            let (text, json, code) = try await run(context)
            if global.json { FileHandle.standardOutput.write(json); print("") } else { print(text, terminator: "") }
            if code != 0 { throw ExitCode(code) }
        } catch let e as ConnectorError {
            FileHandle.standardError.write(Data("error: \(e.description)\n".utf8))
            throw ExitCode(Exit.code(for: e))
        }
    }
}

func encoded<T: Encodable>(_ v: T) -> Data {
    let enc = JSONEncoder()
    enc.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
    return (try? enc.encode(v)) ?? Data()
}
