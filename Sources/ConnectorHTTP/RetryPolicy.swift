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
    public var baseDelay: TimeInterval
    public var maxDelay: TimeInterval
    public var jitter: Double

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
    public func delay(afterAttempt attempt: Int, retryAfter: TimeInterval?,
                      using generator: inout some RandomNumberGenerator) -> TimeInterval {
        let spread = jitter > 0 ? Double.random(in: 0...jitter, using: &generator) : 0
        if let retryAfter, retryAfter >= 0 {
            return min(maxDelay, retryAfter * (1 + spread))
        }
        let exponent = Double(max(0, min(attempt - 1, 30)))
        let raw = min(maxDelay, baseDelay * pow(2, exponent))
        return raw * (1 - spread)
    }

    public func delay(afterAttempt attempt: Int, retryAfter: TimeInterval?) -> TimeInterval {
        var generator = SystemRandomNumberGenerator()
        return delay(afterAttempt: attempt, retryAfter: retryAfter, using: &generator)
    }
}

/// Parsing of the `Retry-After` header (RFC 9110 §10.2.3): delay-seconds or an HTTP-date.
public enum RetryAfter {
    /// Seconds to wait, or nil when the value is neither a non-negative number nor an HTTP-date.
    /// A date in the past gives 0. Fractional seconds (not standard, but seen) are accepted.
    public static func seconds(_ value: String, now: Date = Date()) -> TimeInterval? {
        let text = value.trimmingCharacters(in: .whitespaces)
        guard !text.isEmpty else { return nil }
        if text.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }) {
            guard let v = Double(text), v.isFinite, v >= 0 else { return nil }
            return v
        }
        guard let date = httpDate(text) else { return nil }
        return max(0, date.timeIntervalSince(now))
    }

    /// IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), and the obsolete RFC 850 and asctime forms.
    public static func httpDate(_ text: String) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(secondsFromGMT: 0)
        for format in ["EEE, dd MMM yyyy HH:mm:ss zzz", "EEEE, dd-MMM-yy HH:mm:ss zzz", "EEE MMM d HH:mm:ss yyyy"] {
            formatter.dateFormat = format
            if let d = formatter.date(from: text) { return d }
        }
        return nil
    }
}
