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
