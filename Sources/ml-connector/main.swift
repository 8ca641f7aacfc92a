import ArgumentParser
import ConnectorCore
import Foundation
import Logging
import Pipeline

/// Exit codes (stable): 0 done; 1 a stage failed; 2 configuration or usage error; 3 finished, but some
/// documents failed to load and stay unlabelled for the next run.
enum Exit {
    static let stageFailed: Int32 = 1
    static let configuration: Int32 = 2
    static let partial: Int32 = 3
}

struct GlobalOptions: ParsableArguments {
    @Option(name: .shortAndLong, help: "Configuration file (JSON). Default: $ML_CONNECTOR_CONFIG or ml-connector.json.")
    var config: String?

    @Flag(name: .shortAndLong, help: "Log every request and decision (debug level).") var verbose = false
    @Flag(name: .shortAndLong, help: "Log warnings and errors only.") var quiet = false
    @Flag(help: "Print the result as JSON instead of text.") var json = false

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
    func run(_ context: PipelineContext) async throws -> (text: String, json: Data, exitCode: Int32)
}

extension ConnectorCommand {
    func run() async throws {
        LoggingSystem.bootstrap(StreamLogHandler.standardError)
        let logger = global.makeLogger()
        do {
            let context = try PipelineContext.load(configPath: global.configPath, logger: logger, command: Self.configuration.commandName ?? "run")
            let (text, json, code) = try await run(context)
            if global.json { FileHandle.standardOutput.write(json); print("") } else { print(text, terminator: "") }
            if code != 0 { throw ExitCode(code) }
        } catch let e as ConnectorError {
            FileHandle.standardError.write(Data("error: \(e.description)\n".utf8))
            throw ExitCode(e.code.hasPrefix("config.") ? Exit.configuration : Exit.stageFailed)
        }
    }
}

func encoded<T: Encodable>(_ v: T) -> Data {
    let enc = JSONEncoder()
    enc.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
    return (try? enc.encode(v)) ?? Data()
}

@main
struct MLConnector: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ml-connector",
        abstract: "Approved Expensify reports → Dynamics 365 F&O pending vendor invoices, in rerunnable stages.",
        discussion: "Stages write staging/<batch>/{extract,transform,load,commit}/ and record every step in the SQLite ledger.",
        subcommands: [Run.self, Extract.self, Transform.self, Load.self, Commit.self, Status.self, Drop.self, CheckConfig.self])
}

extension MLConnector {
    struct Run: ConnectorCommand {
        static let configuration = CommandConfiguration(commandName: "run", abstract: "The nightly job: extract, transform, load and commit a new batch.")
        @OptionGroup var global: GlobalOptions
        func run(_ c: PipelineContext) async throws -> (text: String, json: Data, exitCode: Int32) {
            let s = try await c.run()
            return (s.text, encoded(s), s.load.failed > 0 ? Exit.partial : 0)
        }
    }

    struct Extract: ConnectorCommand {
        static let configuration = CommandConfiguration(commandName: "extract", abstract: "Pull approved reports, policies and target master data into a new batch (or re-extract --batch).")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var batch: BatchOption
        func run(_ c: PipelineContext) async throws -> (text: String, json: Data, exitCode: Int32) {
            let s = try await c.extract(batchID: batch.batch)
            return ("Batch \(s.batchID): \(s.reports) report(s) approved after \(s.approvedAfter), \(s.policies) policy(ies), \(s.companies) company(ies)\n", encoded(s), 0)
        }
    }

    struct Transform: ConnectorCommand {
        static let configuration = CommandConfiguration(commandName: "transform", abstract: "Map a batch's reports to invoices and write the review files.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var batch: BatchOption
        func run(_ c: PipelineContext) async throws -> (text: String, json: Data, exitCode: Int32) {
            let s = try await c.transform(batchID: batch.batch)
            var text = "Batch \(s.batchID): \(s.reports) report(s): \(s.ready) ready, \(s.held) held, \(s.empty) nothing to post; \(s.documents) document(s), \(s.exceptions) exception(s)\n"
            for t in s.totals { text += "  \(t.company) \(t.currency): \(t.documents) document(s), \(t.lines) line(s), \(t.amount)\n" }
            return (text, encoded(s), 0)
        }
    }

    struct Load: ConnectorCommand {
        static let configuration = CommandConfiguration(commandName: "load", abstract: "Create the batch's documents in the target (never twice).")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var batch: BatchOption
        func run(_ c: PipelineContext) async throws -> (text: String, json: Data, exitCode: Int32) {
            let s = try await c.load(batchID: batch.batch)
            let text = "Batch \(s.batchID): \(s.created) created, \(s.completed) completed, \(s.alreadyPresent + s.skippedLoaded) already in the target, \(s.failed) failed, \(s.locked) locked; \(s.httpRequests) HTTP request(s)\n"
            return (text, encoded(s), s.failed > 0 ? Exit.partial : 0)
        }
    }

    struct Commit: ConnectorCommand {
        static let configuration = CommandConfiguration(commandName: "commit", abstract: "Label confirmed reports exported in Expensify and advance the watermark.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var batch: BatchOption
        func run(_ c: PipelineContext) async throws -> (text: String, json: Data, exitCode: Int32) {
            let s = try await c.commit(batchID: batch.batch)
            return ("Batch \(s.batchID): \(s.labelled) report(s) labelled, \(s.notLabelled) still open; watermark \(s.watermark ?? "-")\n", encoded(s), 0)
        }
    }

    struct Status: ConnectorCommand {
        static let configuration = CommandConfiguration(commandName: "status", abstract: "Batches, stage runs and report states from the ledger.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var batch: BatchOption
        @Option(help: "Show one report's documents and audit trail.") var report: String?
        func run(_ c: PipelineContext) async throws -> (text: String, json: Data, exitCode: Int32) {
            let text = try c.status(batchID: batch.batch, reportID: report)
            return (text, encoded(["status": text]), 0)
        }
    }

    struct Drop: ConnectorCommand {
        static let configuration = CommandConfiguration(commandName: "drop", abstract: "Stop retrying a held or failed report (audited; it stays in the ledger).")
        @OptionGroup var global: GlobalOptions
        @Option(help: "The Expensify report ID to drop.") var report: String
        @Option(help: "Why (goes to the audit trail).") var reason: String
        func run(_ c: PipelineContext) async throws -> (text: String, json: Data, exitCode: Int32) {
            let s = try c.drop(reportID: report, reason: reason)
            return (s.text, encoded(s), 0)
        }
    }

    struct CheckConfig: ConnectorCommand {
        static let configuration = CommandConfiguration(commandName: "check-config", abstract: "Validate the configuration file and the secrets' presence, without network calls.")
        @OptionGroup var global: GlobalOptions
        func run(_ c: PipelineContext) async throws -> (text: String, json: Data, exitCode: Int32) {
            let text = try c.checkConfiguration()
            return (text, encoded(["result": text]), 0)
        }
    }
}
