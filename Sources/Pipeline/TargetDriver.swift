import ConnectorCore
import ConnectorHTTP
import Dynamics365
import Foundation
import Logging

/// One supported `target.type`: how its settings are checked, which secrets it needs, how it writes dimensions,
/// and how it is built. The only place that knows which targets exist.
struct TargetDriver: Sendable {
    var type: String
    /// Problems of the `target` object, each naming its JSON path.
    var problems: @Sendable (JSONValue, ConfigCheckOptions) -> [String]
    /// Environment variables holding its secrets.
    var secretVariables: @Sendable (JSONValue) -> [String]
    /// One line for `check-config`, secrets redacted.
    var summary: @Sendable (JSONValue) -> String
    var dimensionFormatter: @Sendable (ConnectorConfig) -> any DimensionFormatter
    /// What the target cannot take on the configured path, checked per document at transform.
    var documentRules: @Sendable (ConnectorConfig) -> (any DocumentRules)? = { _ in nil }
    var make: @Sendable (ConnectorConfig, TargetBuildContext) throws -> any TargetSystem
}
