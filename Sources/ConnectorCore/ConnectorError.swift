import Foundation

/// An error with a stable, documented code and a human message.
///
/// Codes are dotted, lower-case and stable (`config.invalid`, `expensify.auth`, `d365.validation`, ...);
/// messages are for people and may change. `context` carries identifiers (never secrets) that help an
/// operator find the record: report IDs, entity sets, HTTP statuses.
public struct ConnectorError: Error, Sendable, Equatable, CustomStringConvertible, LocalizedError {
    public var code: String
    public var message: String
    public var context: [String: String]
    /// Whether trying the same operation again later may succeed (throttling, network, 5xx).
    public var isTransient: Bool

    public init(_ code: String, _ message: String, context: [String: String] = [:], isTransient: Bool = false) {
        self.code = code
        self.message = message
        self.context = context
        self.isTransient = isTransient
    }

    public var description: String {
        if context.isEmpty { return "[\(code)] \(message)" }
        let ctx = context.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        return "[\(code)] \(message) (\(ctx))"
    }

    public var errorDescription: String? { description }
}
