import ArgumentParser
import Foundation
import Pipeline

extension MLConnector {
    struct Align: ConnectorCommand {
        static let configuration = CommandConfiguration(
            commandName: "align",
            abstract:
                "Push the ERP's main accounts (categories) or dimension values (tags) into the Expensify policies: --dry-run prints the diff, --apply writes it (audited)."
        )
        @OptionGroup var global: GlobalOptions
        @Argument(help: "What to align: categories or tags.") var kind: String
        @Flag(help: "Print the diff (added, renamed, disabled, unchanged, left alone); change nothing.") var dryRun = false
        @Flag(help: "Write the diff through the Expensify policy updater and record it in the ledger.") var apply = false
        @Option(help: "Align only this policy (one of the configuration's companies).") var policy: String?
        @Option(
            help: "Also disable this category or tag although ml-connector did not create it, when the ERP no longer has it (repeatable)."
        )
        var disable: [String] = []

        func validate() throws {
            guard ["categories", "tags"].contains(kind) else { throw ValidationError("align takes 'categories' or 'tags', not '\(kind)'") }
            guard dryRun != apply else { throw ValidationError("give exactly one of --dry-run or --apply") }
        }

        func run(_ c: PipelineContext) async throws -> (text: String, json: Data, exitCode: Int32) {
            let s = try await c.align(kind: kind, apply: apply, policy: policy, disable: disable)
            return (s.text, encoded(s), s.exitCode)
        }
    }
}
