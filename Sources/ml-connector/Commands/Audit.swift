import ArgumentParser
import Foundation
import Pipeline

extension MLConnector {
    struct Audit: ConnectorCommand {
        static let configuration = CommandConfiguration(
            commandName: "audit",
            abstract: "One report's whole trail: extractions and batches, staged files and hashes, map entries, ERP documents, HTTP failures, events."
        )
        static var exclusive: Bool { false }
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The Expensify report ID (exit code 5 when the ledger does not know it).") var reportID: String
        func run(_ c: PipelineContext) async throws -> (text: String, json: Data, exitCode: Int32) {
            let s = try c.auditTrail(reportID: reportID)
            return (s.text, encoded(s), 0)
        }
    }
}
