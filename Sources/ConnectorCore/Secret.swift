import Foundation

/// A secret value (partner secret, client secret, token) that never prints.
///
/// `description`, `debugDescription` and `Encodable` all yield a redaction marker, so a secret cannot
/// leak through string interpolation, logging metadata, staged files or error messages by accident.
/// Only `reveal()` returns the value, and only transports call it, at the moment of sending.
public struct Secret: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible, Encodable {
    private let value: String

    /// Wraps a value read from the environment, the credential store or a token response.
    public init(_ value: String) { self.value = value }

    /// The raw value. Call only where it goes on the wire.
    public func reveal() -> String { value }

    /// Whether the value is empty, without revealing it.
    public var isEmpty: Bool { value.isEmpty }
    /// Always the redaction marker, so interpolation cannot leak the value.
    public var description: String { "<redacted>" }
    /// Always the redaction marker, so `dump` and debuggers cannot leak the value.
    public var debugDescription: String { "<redacted>" }

    /// Encodes the redaction marker, so a secret in an encoded value never reaches a file.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode("<redacted>")
    }

    /// Reads a secret from the environment; a missing, empty or blank variable is a configuration error naming the variable.
    public static func fromEnvironment(_ name: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Secret {
        guard let v = environment[name], !v.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw ConnectorError(
                "config.secret_missing", "Environment variable \(name) is not set; it must hold the secret.", context: ["variable": name])
        }
        return Secret(v)
    }
}
