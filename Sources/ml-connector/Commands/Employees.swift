import ArgumentParser
import Foundation
import Pipeline

extension MLConnector {
    struct Employees: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "employees",
            abstract: "Keep Expensify's employees in step with the ERP's workers.",
            subcommands: [Sync.self])

        struct Sync: ConnectorCommand {
            static let configuration = CommandConfiguration(
                commandName: "sync",
                abstract:
                    "Workers from the ERP → Expensify employees (e-mail, manager, employee ID, policy, leavers terminated); lists employees with expenses but no vendor."
            )
            @OptionGroup var global: GlobalOptions
            @Flag(help: "Print what would change; send nothing.") var dryRun = false
            @Flag(help: "Send the changes through the advanced employee updater (audited).") var apply = false

            func validate() throws {
                guard dryRun != apply else { throw ValidationError("give exactly one of --dry-run or --apply") }
            }

            func run(_ c: PipelineContext) async throws -> (text: String, json: Data, exitCode: Int32) {
                let s = try await c.employeesSync(apply: apply)
                return (s.text, encoded(s), s.exitCode)
            }
        }
    }
}
