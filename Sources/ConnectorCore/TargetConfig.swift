import Foundation

/// The configuration's `target` object as Core sees it: which target, how many documents at once, and the rest
/// as written, because each target owns and decodes its own settings (Core knows no ERP).
public struct TargetConfig: Sendable, Codable, Equatable {
    /// The registry key of the target (see the README's target table).
    public var type: String
    /// Documents written at the same time (lines of one document always go in order).
    public var concurrency: Int?
    /// The whole `target` object exactly as written (numbers as their text), for the target to decode.
    public var settings: JSONValue = .object([:])

    enum CodingKeys: String, CodingKey { case type, concurrency }

    /// Memberwise, for tests and for code that builds a configuration.
    public init(type: String, concurrency: Int? = nil, settings: JSONValue = .object([:])) {
        self.type = type
        self.concurrency = concurrency
        self.settings = settings
    }
}
