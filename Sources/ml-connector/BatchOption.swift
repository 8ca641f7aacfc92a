import ArgumentParser
import ConnectorCore
import Foundation
import Logging
import Pipeline

struct BatchOption: ParsableArguments {
    @Option(help: "Batch ID to work on (default: the newest batch).") var batch: String?
}
