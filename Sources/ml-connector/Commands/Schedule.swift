import ArgumentParser
import ConnectorCore
import Foundation
import Logging
import Pipeline

extension MLConnector {
    struct Schedule: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "schedule",
            abstract: "Run the pipeline (as 'run') at an interval or cron schedule in the foreground, until SIGTERM or SIGINT.",
            discussion:
                "One summary line per run on standard error. Runs never overlap; a failing run is tried again at the next tick. SIGTERM while idle exits 0; during a run, the run stops between documents (recorded interrupted) and the exit code is 143 (130 for SIGINT)."
        )
        @OptionGroup var global: GlobalOptions
        @Option(help: "Run every interval, from now: 90s, 15m, 1h, 1d (replaces the configured schedule).") var every: String?
        @Option(help: "Run at the times of a five-field cron expression, e.g. \"15 2 * * *\" (replaces the configured schedule).")
        var cron: String?
        @Option(name: .customLong("time-zone"), help: "IANA time zone the cron expression is read in (default: schedule.timeZone, else UTC).")
        var timeZone: String?
        @Option(name: .customLong("max-runs"), help: "Stop after this many runs; the exit code is then the last run's, as 'run' gives it.")
        var maxRuns: Int?

        func run() async throws {
            umask(0o077)  // ledger, staged files and folders are personal data: owner-only
            let progress = TerminalProgress.standardError(quiet: global.quiet, json: global.json)
            LoggingSystem.bootstrap { ProgressAwareLogHandler(StreamLogHandler.standardError(label: $0), progress: progress) }
            let logger = global.makeLogger()
            let json = global.json
            let request = ScheduleRequest(
                configPath: global.configPath, options: global.checkOptions, newLedger: global.newLedger, every: every, cron: cron,
                timeZone: timeZone, maxRuns: maxRuns)
            let result: ScheduleResult
            do {
                // Signals are the schedule's own (swift-service-lifecycle); no SignalTrap here.
                result = try await Scheduler.run(request, logger: logger, progress: progress) { run in
                    if json { FileHandle.standardOutput.write(encodedLine(run)) }
                }
            } catch let e as ConnectorError {
                FileHandle.standardError.write(Data("error: \(e.description)\n".utf8))
                throw ExitCode(Exit.code(for: e))
            }
            if let signal = result.signal {
                guard result.last?.outcome == .interrupted else { return }  // stopped while idle: a clean stop
                FileHandle.standardError.write(
                    Data(
                        "error: interrupted by \(Scheduler.signalName(signal)): the stage was recorded as interrupted and the ledger released; documents in flight are looked up on the next run.\n"
                            .utf8))
                throw ExitCode(Exit.interrupted(by: signal))
            }
            guard let last = result.last else { return }
            switch last.outcome {
            case .succeeded: return
            case .partial: throw ExitCode(Exit.partial)
            case .locked: throw ExitCode(Exit.locked)
            case .failed, .interrupted:
                throw ExitCode(Exit.code(for: ConnectorError(last.errorCode ?? "run.failed", last.error ?? "")))
            }
        }
    }
}

/// One compact JSON object and a newline (JSON Lines).
func encodedLine<T: Encodable>(_ v: T) -> Data {
    let enc = JSONEncoder()
    enc.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return ((try? enc.encode(v)) ?? Data()) + Data("\n".utf8)
}
