import Foundation

/// An error with a stable, documented code and a human message.
///
/// Codes are dotted, lower-case and stable (`config.invalid`, `expensify.auth`, `d365.validation`, ...);
/// messages are for people and may change. `context` carries identifiers (never secrets) that help an
/// operator find the record: report IDs, entity sets, HTTP statuses.
public struct ConnectorError: Error, Sendable, Equatable, CustomStringConvertible, LocalizedError {
    /// The stable dotted code that scripts, exit statuses and retries decide on.
    public var code: String
    /// The sentence for people; may change between versions, so nothing matches on it.
    public var message: String
    /// Identifiers that locate the problem (report ID, entity set, HTTP status), never secrets.
    public var context: [String: String]
    /// Whether trying the same operation again later may succeed (throttling, network, 5xx).
    public var isTransient: Bool

    /// Positional code and message, so a throw site reads like the error it raises.
    public init(_ code: String, _ message: String, context: [String: String] = [:], isTransient: Bool = false) {
        self.code = code
        self.message = message
        self.context = context
        self.isTransient = isTransient
    }

    /// `[code] message (key=value …)`, context sorted, so logs and test output are stable.
    public var description: String {
        if context.isEmpty { return "[\(code)] \(message)" }
        let ctx = context.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        return "[\(code)] \(message) (\(ctx))"
    }

    /// The same text for `localizedDescription`, so Foundation callers do not lose the code.
    public var errorDescription: String? { description }
}
