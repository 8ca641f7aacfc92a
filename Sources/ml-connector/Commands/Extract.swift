import ArgumentParser
import Foundation
import Pipeline

extension MLConnector {
    struct Extract: ConnectorCommand {
        static let configuration = CommandConfiguration(
            commandName: "extract", abstract: "Pull approved reports, policies and target master data into a new batch (or re-extract --batch).")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var batch: BatchOption
        func run(_ c: PipelineContext) async throws -> (text: String, json: Data, exitCode: Int32) {
            let s = try await c.extract(batchID: batch.batch)
            return (s.text, encoded(s), 0)
        }
    }
}
