import ArgumentParser
import Foundation
import Pipeline

extension MLConnector {
    struct Run: ConnectorCommand {
        static let configuration = CommandConfiguration(
            commandName: "run", abstract: "The nightly job: extract, transform, load and commit a new batch.")
        @OptionGroup var global: GlobalOptions
        func run(_ c: PipelineContext) async throws -> (text: String, json: Data, exitCode: Int32) {
            let s = try await c.run()
            return (s.text, encoded(s), s.load.failed + s.approvedBatchesLoaded.reduce(0) { $0 + $1.load.failed } > 0 ? Exit.partial : 0)
        }
    }
}
