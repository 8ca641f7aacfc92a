import Foundation

/// How often and how long `HTTPClient` waits before trying a request again.
///
/// Without a usable `Retry-After`, the wait after attempt *n* is `baseDelay * 2^(n-1)`, capped at `maxDelay`,
/// shortened by up to `jitter` (a fraction, 0...1) so that parallel workers do not retry in lock-step. With a
/// `Retry-After`, the wait is the server's value lengthened by up to `jitter`, capped at `maxDelay`; it is
/// never shorter than the server asked for unless the cap cuts it.
public struct RetryPolicy: Sendable, Hashable {
    /// Attempts in total, the first included (1 = never retry).
    public var maxAttempts: Int
    /// Seconds before the first retry; later waits double it.
    public var baseDelay: TimeInterval
    /// Longest single wait in seconds, also for a server's `Retry-After`.
    public var maxDelay: TimeInterval
    /// Fraction (0...1) by which waits vary, so parallel workers spread out.
    public var jitter: Double

    /// Clamps each value into its valid range, so no policy can loop forever or wait a negative time.
    public init(maxAttempts: Int, baseDelay: TimeInterval, maxDelay: TimeInterval, jitter: Double) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelay = max(0, baseDelay)
        self.maxDelay = max(0, maxDelay)
        self.jitter = min(1, max(0, jitter))
    }

    /// Six attempts, 2 s doubling to at most 120 s, 20 % jitter: about a minute of patience without
    /// `Retry-After`, enough for Expensify's 20-requests-per-minute window and D365's throttling.
    public static let standard = RetryPolicy(maxAttempts: 6, baseDelay: 2, maxDelay: 120, jitter: 0.2)

    /// One attempt, no retries.
    public static let none = RetryPolicy(maxAttempts: 1, baseDelay: 0, maxDelay: 0, jitter: 0)

    /// Seconds to wait after failed attempt number `attempt` (1-based).
    /// - Parameters:
    ///   - attempt: the attempt that just failed, 1 for the first.
    ///   - retryAfter: the server's `Retry-After` in seconds, already parsed, if any.
    ///   - generator: the source of jitter (pass a seeded generator in tests).
    public func delay(
        afterAttempt attempt: Int, retryAfter: TimeInterval?,
        using generator: inout some RandomNumberGenerator
    ) -> TimeInterval {
        let spread = jitter > 0 ? Double.random(in: 0...jitter, using: &generator) : 0
        if let retryAfter, retryAfter >= 0 {
            return min(maxDelay, retryAfter * (1 + spread))
        }
        let exponent = Double(max(0, min(attempt - 1, 30)))
        let raw = min(maxDelay, baseDelay * pow(2, exponent))
        return raw * (1 - spread)
    }

    /// The same wait with the system's random source, for production use.
    public func delay(afterAttempt attempt: Int, retryAfter: TimeInterval?) -> TimeInterval {
        var generator = SystemRandomNumberGenerator()
        return delay(afterAttempt: attempt, retryAfter: retryAfter, using: &generator)
    }
}
