import ArgumentParser
import ConnectorCore
import Foundation
import Logging
import Pipeline

struct GlobalOptions: ParsableArguments {
    @Option(name: .shortAndLong, help: "Configuration file (JSON). Default: $ML_CONNECTOR_CONFIG or ml-connector.json.")
    var config: String?

    @Flag(name: .shortAndLong, help: "Log every request and decision (debug level).") var verbose = false
    @Flag(name: .shortAndLong, help: "Log warnings and errors only.") var quiet = false
    @Flag(help: "Print the result as JSON instead of text.") var json = false
    @Flag(
        name: .customLong("allow-plaintext-http"),
        help: "DANGEROUS: accept http:// endpoints on hosts other than loopback; secrets then travel in clear text.")
    var allowPlaintextHTTP = false

    @Flag(help: "Accept an existing empty ledger file as a new ledger (otherwise refused: it may have been truncated).")
    var newLedger = false

    var checkOptions: ConfigCheckOptions { ConfigCheckOptions(allowPlaintextHTTP: allowPlaintextHTTP) }

    var configPath: String {
        config ?? ProcessInfo.processInfo.environment["ML_CONNECTOR_CONFIG"] ?? "ml-connector.json"
    }

    func makeLogger() -> Logger {
        var logger = Logger(label: "ml-connector")
        logger.logLevel = verbose ? .debug : (quiet ? .warning : .info)
        return logger
    }
}
