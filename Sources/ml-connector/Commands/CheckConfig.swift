import ArgumentParser
import Foundation
import Pipeline

extension MLConnector {
    struct CheckConfig: ConnectorCommand {
        static let configuration = CommandConfiguration(commandName: "check-config", abstract: "Validate the configuration file and the secrets' presence, without network calls.")
        @OptionGroup var global: GlobalOptions
        func run(_ c: PipelineContext) async throws -> (text: String, json: Data, exitCode: Int32) {
            let text = try c.checkConfiguration()
            return (text, encoded(["result": text]), 0)
        }
    }
}
