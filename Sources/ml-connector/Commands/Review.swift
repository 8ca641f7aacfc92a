import ArgumentParser
import Foundation
import Pipeline

extension MLConnector {
    struct Review: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "review",
            abstract: "Finance's review gate: show a staged batch, sign it off or reject it, import spreadsheet edits.",
            subcommands: [Show.self, Approve.self, Reject.self, Import.self])

        struct Show: ConnectorCommand {
            static let configuration = CommandConfiguration(
                commandName: "show", abstract: "Control totals, exceptions by reason, the review state and the changes since the last sign-off.")
            static var exclusive: Bool { false }
            @OptionGroup var global: GlobalOptions
            @Option(help: "The batch to show.") var batch: String
            func run(_ c: PipelineContext) async throws -> (text: String, json: Data, exitCode: Int32) {
                let r = try c.reviewShow(batchID: batch)
                return (r.text, encoded(r), 0)
            }
        }

        struct Approve: ConnectorCommand {
            static let configuration = CommandConfiguration(
                commandName: "approve",
                abstract: "Sign the batch off: records who, when, the SHA-256 of every staged transform file and the control totals.")
            @OptionGroup var global: GlobalOptions
            @Option(help: "The batch to sign off.") var batch: String
            @Option(help: "The approver's name (goes to the ledger).") var by: String
            func run(_ c: PipelineContext) async throws -> (text: String, json: Data, exitCode: Int32) {
                let s = try c.reviewApprove(batchID: batch, by: by)
                return (s.text, encoded(s), 0)
            }
        }

        struct Reject: ConnectorCommand {
            static let configuration = CommandConfiguration(
                commandName: "reject", abstract: "Hold the batch: load refuses it until a new sign-off.")
            @OptionGroup var global: GlobalOptions
            @Option(help: "The batch to hold.") var batch: String
            @Option(help: "Why (goes to the ledger and the audit trail).") var reason: String
            @Option(help: "Who rejects it (default: the user running the command).") var by: String?
            func run(_ c: PipelineContext) async throws -> (text: String, json: Data, exitCode: Int32) {
                let s = try c.reviewReject(batchID: batch, reason: reason, by: by)
                return (s.text, encoded(s), 0)
            }
        }

        struct Import: ConnectorCommand {
            static let configuration = CommandConfiguration(
                commandName: "import",
                abstract:
                    "Apply main account and dimension edits from invoice-lines.csv as saved by a spreadsheet (all or nothing; a new sign-off is needed)."
            )
            @OptionGroup var global: GlobalOptions
            @Option(help: "The batch the file belongs to.") var batch: String
            @Option(help: "Who made the edits (default: the user running the command).") var by: String?
            @Argument(help: "The CSV file saved by the spreadsheet.") var file: String
            func run(_ c: PipelineContext) async throws -> (text: String, json: Data, exitCode: Int32) {
                let s = try await c.reviewImport(batchID: batch, file: file, by: by)
                return (s.text, encoded(s), s.rejected.isEmpty ? 0 : Exit.stageFailed)
            }
        }
    }
}
