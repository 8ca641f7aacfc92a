import ArgumentParser
import Foundation
import Pipeline

extension MLConnector {
    struct Status: ConnectorCommand {
        static let configuration = CommandConfiguration(commandName: "status", abstract: "Batches, stage runs and report states from the ledger.")
        static var exclusive: Bool { false }
        @OptionGroup var global: GlobalOptions
        @OptionGroup var batch: BatchOption
        @Option(help: "Show one report's documents and audit trail.") var report: String?
        func run(_ c: PipelineContext) async throws -> (text: String, json: Data, exitCode: Int32) {
            let text = try c.status(batchID: batch.batch, reportID: report)
            return (text, encoded(["status": text]), 0)
        }
    }
}
