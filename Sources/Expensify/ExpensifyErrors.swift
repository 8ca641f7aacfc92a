import ConnectorCore
import Foundation

/// Expensify's error codes that code decides on (`expensify.<responseCode>` and a few of the connector's own).
public enum ExpensifyErrors {
    /// Rate-limited (`responseCode` or HTTP 429): transient, and the one Expensify answer the client retries itself.
    public static let rateLimited = "expensify.rate_limited"
    /// responseCode 404: a policy (or file) the account cannot see.
    public static let notFound = "expensify.404"
    /// responseCode 410: a request Expensify refuses as such (e.g. a policy the partner may not read).
    public static let refused = "expensify.410"

    /// A policy getter failure that concerns one unreadable policy, not the whole run.
    public static func isUnreadablePolicy(_ e: ConnectorError) -> Bool { [notFound, refused].contains(e.code) }
}
