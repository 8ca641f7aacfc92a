import ArgumentParser
import ConnectorCore
import Foundation
import Logging
import Pipeline

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
        // The progress line of long stages, on a terminal only (never into a pipe or file); log lines move it aside.
        let progress = TerminalProgress.standardError(quiet: global.quiet, json: global.json)
        LoggingSystem.bootstrap { ProgressAwareLogHandler(StreamLogHandler.standardError(label: $0), progress: progress) }
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
            var context = try PipelineContext.load(
                configPath: configPath, logger: logger, command: name,
                options: options, exclusive: Self.exclusive, newLedger: newLedger)
            defer { context.lock?.release() }
            context.progress = progress
            return try await command.value.run(context)
        }
        canceller.set(work)
        switch await work.result {
        case .success(let (text, json, code)):
            if global.json {
                FileHandle.standardOutput.write(json)
                print("")
            } else {
                print(text, terminator: "")
            }
            if code != 0 { throw ExitCode(code) }
        case .failure(let error):
            if let signal = trap.receivedSignal {
                FileHandle.standardError.write(
                    Data(
                        "error: interrupted by \(SignalTrap.name(signal)): the stage was recorded as interrupted and the ledger released; what was confirmed stays recorded, and documents in flight are looked up on the next run. Rerun the stage, or 'ml-connector run'.\n"
                            .utf8))
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

func encoded<T: Encodable>(_ v: T) -> Data {
    let enc = JSONEncoder()
    enc.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
    return (try? enc.encode(v)) ?? Data()
}
