import Foundation

/// Where a named secret comes from at run time (environment variable, encrypted credential store), so targets ask
/// for a name and never learn where secrets live.
public protocol SecretSource: Sendable {
    /// The secret named `name` (the variable name the configuration gives); `config.secret_missing` naming it when
    /// no source has it, or it is blank.
    func secret(_ name: String) throws -> Secret
    /// Whether `secret(name)` would succeed, without revealing anything.
    func has(_ name: String) -> Bool
}

/// Secrets from environment variables only.
public struct EnvironmentSecrets: SecretSource {
    public let environment: [String: String]
    public init(_ environment: [String: String] = ProcessInfo.processInfo.environment) { self.environment = environment }

    public func secret(_ name: String) throws -> Secret { try Secret.fromEnvironment(name, environment: environment) }

    public func has(_ name: String) -> Bool {
        !(environment[name]?.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ?? true)
    }
}
