import ArgumentParser
import Foundation
import Pipeline

extension MLConnector {
    struct Load: ConnectorCommand {
        static let configuration = CommandConfiguration(commandName: "load", abstract: "Create the batch's documents in the target (never twice).")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var batch: BatchOption
        func run(_ c: PipelineContext) async throws -> (text: String, json: Data, exitCode: Int32) {
            let s = try await c.load(batchID: batch.batch)
            return (s.text, encoded(s), s.failed > 0 ? Exit.partial : 0)
        }
    }
}
