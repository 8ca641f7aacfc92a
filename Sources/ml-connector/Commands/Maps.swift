import ArgumentParser
import Foundation
import Pipeline

extension MLConnector {
    struct Maps: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "maps",
            abstract: "Check the configuration's maps against the Expensify policies and the ERP's master data before the night.",
            subcommands: [Check.self])

        struct Check: ConnectorCommand {
            static let configuration = CommandConfiguration(
                commandName: "check",
                abstract:
                    "Categories and tags no map covers, map entries to missing or inactive ERP values, employees without a usable vendor, ERP values nobody maps to.",
                discussion:
                    "Posts nothing and exports no report. The ERP's master data comes from the ledger's cache while it is younger than masterData.maxAgeMinutes. Exit 0 when nothing would hold a report tonight, 1 when something would."
            )
            @OptionGroup var global: GlobalOptions
            @Flag(help: "Read the ERP's master data now instead of using the ledger's cache.") var refresh = false

            func run(_ c: PipelineContext) async throws -> (text: String, json: Data, exitCode: Int32) {
                let r = try await c.mapsCheck(refresh: refresh)
                return (r.text, encoded(r), r.wouldHold ? Exit.stageFailed : 0)
            }
        }
    }
}
