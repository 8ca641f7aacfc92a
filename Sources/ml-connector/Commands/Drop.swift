import ArgumentParser
import Foundation
import Pipeline

extension MLConnector {
    struct Drop: ConnectorCommand {
        static let configuration = CommandConfiguration(
            commandName: "drop", abstract: "Stop retrying a held or failed report (audited; it stays in the ledger).")
        @OptionGroup var global: GlobalOptions
        @Option(help: "The Expensify report ID to drop.") var report: String
        @Option(help: "Why (goes to the audit trail).") var reason: String
        func run(_ c: PipelineContext) async throws -> (text: String, json: Data, exitCode: Int32) {
            let s = try c.drop(reportID: report, reason: reason)
            return (s.text, encoded(s), 0)
        }
    }
}
