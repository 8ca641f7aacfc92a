import Foundation

/// An HTTP failure worth recording (status 400 and up, or no answer), without query, body or headers.
public struct HTTPFailureEvent: Sendable {
    /// The system's short name (`expensify`, `d365`, `entra`).
    public var system: String
    /// The request method.
    public var method: String
    /// The URL path only, never the query (it may carry filters with personal data).
    public var path: String
    /// nil when no answer came (network failure).
    public var status: Int?
    /// The attempt number, 1 for the first.
    public var attempt: Int
    /// Whether the client will try again.
    public var willRetry: Bool

    /// One line for the audit trail: method, path, status or "no answer", attempt.
    public var summary: String {
        "\(method) \(path) → \(status.map(String.init) ?? "no answer") (attempt \(attempt)\(willRetry ? ", retrying" : ""))"
    }
}
