import ConnectorCore
import ConnectorHTTP
import Dynamics365
import Foundation
import Logging

/// What the pipeline needs to build a target: the HTTP client factory, secrets and a logger.
struct TargetBuildContext: Sendable {
    var secrets: any SecretSource
    var logger: Logger
    /// A retrying HTTP client for the given system name (audited, on the configured transport).
    var http: @Sendable (_ system: String) -> HTTPClient
}
