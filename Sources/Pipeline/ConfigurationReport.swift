import ConnectorCore
import ConnectorSecrets
import Foundation

/// What `check-config` found: every problem at once (file, keys, values, missing secrets), and the effective,
/// redacted settings when there are none. Nothing is sent over the network.
public struct ConfigurationReport: Sendable, Codable {
    /// The configuration file checked.
    public var file: String
    /// True only when there is no problem at all.
    public var ok: Bool
    /// Every problem found, each naming its JSON path or variable.
    public var problems: [String]
    /// Effective settings by section, secrets redacted (only when the file decodes).
    public var settings: [String: String]

    /// The report for a terminal.
    public var text: String {
        guard ok else {
            return "\(file) has \(problems.count) problem(s):\n" + problems.map { "  - \($0)\n" }.joined()
        }
        return "Configuration OK\n" + settings.sorted { $0.key < $1.key }.map { "  \($0.key): \($0.value)\n" }.joined()
    }
}
