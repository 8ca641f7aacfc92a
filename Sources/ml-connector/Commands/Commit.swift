import ArgumentParser
import Foundation
import Pipeline

extension MLConnector {
    struct Commit: ConnectorCommand {
        static let configuration = CommandConfiguration(
            commandName: "commit", abstract: "Label confirmed reports exported in Expensify and advance the watermark.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var batch: BatchOption
        func run(_ c: PipelineContext) async throws -> (text: String, json: Data, exitCode: Int32) {
            let s = try await c.commit(batchID: batch.batch)
            return (s.text, encoded(s), 0)
        }
    }
}
