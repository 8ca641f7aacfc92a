import ArgumentParser
import Foundation
import Pipeline

extension MLConnector {
    struct Check: ConnectorCommand {
        static let configuration = CommandConfiguration(
            commandName: "check",
            abstract: "Ping every configured system with the stored credentials and explain each failure in plain words.",
            discussion:
                "Expensify: the policy getter for the configured policies. The target: a token, then a one-row read in each configured company. Reads only. Exit 0 only when every check passes, else 1."
        )
        static var exclusive: Bool { false }
        @OptionGroup var global: GlobalOptions

        func run(_ c: PipelineContext) async throws -> (text: String, json: Data, exitCode: Int32) {
            let report = await c.checkConnections()
            return (report.text, encoded(report), report.ok ? 0 : Exit.stageFailed)
        }
    }
}
