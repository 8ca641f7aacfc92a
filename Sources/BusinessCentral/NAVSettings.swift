import ConnectorCore
import Foundation

/// The runtime settings of a Business Central or NAV target: the configuration plus its secret.
public struct NAVSettings: Sendable {
    /// The Business Central API host.
    public static let defaultAPI = "https://api.businesscentral.dynamics.com"
    /// The Entra authority host.
    public static let defaultAuthority = "https://login.microsoftonline.com"
    /// Operations per JSON `$batch` when not configured (BC's limit).
    public static let defaultBatchSize = 100

    /// What the operator wrote.
    public let configuration: NAVTargetConfiguration
    /// The client secret (bc) or the web service access key (NAV).
    public let secret: Secret

    /// Memberwise.
    public init(configuration: NAVTargetConfiguration, secret: Secret) {
        self.configuration = configuration
        self.secret = secret
    }

    /// `apiURL` with its default, no trailing slash.
    public var apiBase: String { Self.trimmed(configuration.apiURL ?? Self.defaultAPI) }
    /// `authorityURL` with its default.
    public var authority: String { Self.trimmed(configuration.authorityURL ?? Self.defaultAuthority) }
    /// `scope` with its default.
    public var scope: String { configuration.scope ?? "https://api.businesscentral.dynamics.com/.default" }
    /// `batchSize` with its default.
    public var batchSize: Int { min(100, max(1, configuration.batchSize ?? Self.defaultBatchSize)) }
    /// The environment's path below the API host: `/v2.0/{tenant}/{environment}`.
    public var environmentPath: String { "/v2.0/\(configuration.tenant ?? "")/\(configuration.environment ?? "")" }
    /// The NAV instance URL, no trailing slash.
    public var serviceBase: String { Self.trimmed(configuration.serviceURL ?? "") }

    static func trimmed(_ s: String) -> String {
        var t = s
        while t.hasSuffix("/") { t.removeLast() }
        return t
    }
}
