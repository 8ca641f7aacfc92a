import ArgumentParser
import Foundation
import Pipeline

extension MLConnector {
    struct Status: ConnectorCommand {
        static let configuration = CommandConfiguration(
            commandName: "status",
            abstract:
                "What needs a person, the last runs, the review queue, failed documents, then watermark, open and dropped reports, batches, stage runs; --report for one report."
        )
        static var exclusive: Bool { false }
        @OptionGroup var global: GlobalOptions
        @OptionGroup var batch: BatchOption
        @Option(help: "Show one report's documents and audit trail (exit code 5 when the ledger does not know it).") var report: String?
        func run(_ c: PipelineContext) async throws -> (text: String, json: Data, exitCode: Int32) {
            if let report {
                let s = try c.status(reportID: report)
                return (s.text, encoded(s), 0)
            }
            let s = try c.status(batchID: batch.batch)
            return (s.text, encoded(s), 0)
        }
    }
}
