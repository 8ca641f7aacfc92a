import ArgumentParser
import Foundation
import Pipeline

extension MLConnector {
    struct Report: ConnectorCommand {
        static let configuration = CommandConfiguration(
            commandName: "report",
            abstract: "Writes the batch's self-contained report.html again (from the ledger and its staged files) and prints its path.")
        static var exclusive: Bool { false }
        @OptionGroup var global: GlobalOptions
        @OptionGroup var batch: BatchOption
        @Flag(help: "Print only the report's absolute path (for 'xdg-open \"$(ml-connector report --open-path)\"').") var openPath = false

        struct Written: Encodable {
            var batchID: String
            var path: String
        }

        func run(_ c: PipelineContext) async throws -> (text: String, json: Data, exitCode: Int32) {
            let (batchID, url) = try c.regenerateBatchReport(batchID: batch.batch)
            let text = openPath ? url.path + "\n" : "Batch report of \(batchID): \(url.path)\n"
            return (text, encoded(Written(batchID: batchID, path: url.path)), 0)
        }
    }
}
