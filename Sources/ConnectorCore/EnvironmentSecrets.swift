import Foundation

/// Secrets from environment variables only.
public struct EnvironmentSecrets: SecretSource {
    /// The variables read, injectable so tests never touch the process environment.
    public let environment: [String: String]
    /// The process environment unless a test hands in its own.
    public init(_ environment: [String: String] = ProcessInfo.processInfo.environment) { self.environment = environment }

    /// The variable's value; `config.secret_missing` naming it when unset or blank.
    public func secret(_ name: String) throws -> Secret { try Secret.fromEnvironment(name, environment: environment) }

    /// Whether the variable is set and not blank, so `check-config` and `StoredSecrets` can ask without failing.
    public func has(_ name: String) -> Bool {
        !(environment[name]?.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ?? true)
    }
}
