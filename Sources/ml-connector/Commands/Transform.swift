import ArgumentParser
import Foundation
import Pipeline

extension MLConnector {
    struct Transform: ConnectorCommand {
        static let configuration = CommandConfiguration(
            commandName: "transform", abstract: "Map a batch's reports to invoices and write the review files.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var batch: BatchOption
        func run(_ c: PipelineContext) async throws -> (text: String, json: Data, exitCode: Int32) {
            let s = try await c.transform(batchID: batch.batch)
            return (s.text, encoded(s), 0)
        }
    }
}
