import ArgumentParser
import Foundation
import Pipeline

extension MLConnector {
    struct Reconcile: ConnectorCommand {
        static let configuration = CommandConfiguration(
            commandName: "reconcile",
            abstract: "Compare what Expensify approved, what was staged and what the ERP holds now, per company, currency and account.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var batch: BatchOption
        func run(_ c: PipelineContext) async throws -> (text: String, json: Data, exitCode: Int32) {
            let s = try await c.reconcileSummary(batchID: batch.batch)
            return (s.text, encoded(s), s.result.reconciled ? 0 : Exit.stageFailed)
        }
    }
}
