import ArgumentParser
import Foundation
import Pipeline

extension MLConnector {
    struct Replay: ConnectorCommand {
        static let configuration = CommandConfiguration(
            commandName: "replay",
            abstract: "Re-run a batch's held or failed reports (after the data or maps were fixed) in a new batch linked to it.",
            discussion:
                "Extracts only those reports by ID, then transform, load and commit. Reports already posted, with nothing to post, or dropped are not replayed; nothing is posted twice. Audited."
        )
        @OptionGroup var global: GlobalOptions
        @Option(help: "The batch whose held or failed reports to re-run.") var batch: String
        @Option(help: "Only this report of the batch.") var report: String?
        func run(_ c: PipelineContext) async throws -> (text: String, json: Data, exitCode: Int32) {
            let s = try await c.replay(batchID: batch, reportID: report)
            return (s.text, encoded(s), (s.run?.load.failed ?? 0) > 0 ? Exit.partial : 0)
        }
    }
}
