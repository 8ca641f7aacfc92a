import ArgumentParser
import ConnectorCore
import Foundation
import Logging
import Pipeline

/// A command value handed to the task that runs it (commands are parsed once and only read).
struct Unchecked<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
