import ArgumentParser
import Foundation
import Pipeline

extension MLConnector {
    struct CheckConfig: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check-config",
            abstract: "Validate the configuration file and the secrets' presence, listing every problem, without network calls.")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let report = ConfigurationCheck.run(configPath: global.configPath, options: global.checkOptions)
            if global.json {
                FileHandle.standardOutput.write(encoded(report))
                print("")
            } else {
                print(report.text, terminator: "")
            }
            if !report.ok { throw ExitCode(Exit.configuration) }
        }
    }
}
