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

    public init(type: String, concurrency: Int? = nil, settings: JSONValue = .object([:])) {
        self.type = type
        self.concurrency = concurrency
        self.settings = settings
    }
}

/// How a target writes the dimension values of one line as one text, for the staged files and its payloads
/// (F&O: a display value in integration-format order). Targets that take dimensions one by one still give finance
/// one readable column.
public protocol DimensionFormatter: Sendable {
    /// `segments` are the values in `dimensions.format` order, blank where a line has none.
    func text(_ segments: [String]) -> String
}
