import Foundation

/// One finding of `ml-connector check`: whether one part of a configured system answered with the stored credentials,
/// and if not, why in plain words.
public struct CheckResult: Sendable, Codable, Hashable {
    /// Why a check failed, as a stable word for scripts (`--json`); `detail` says it for people.
    public enum Problem: String, Sendable, Codable, Hashable {
        /// The secret (Entra client secret) was refused.
        case wrongSecret
        /// The secret has expired.
        case secretExpired
        /// Expensify refused the partner user ID / secret pair.
        case wrongCredentials
        /// The identity provider does not know the application (client ID) or the tenant.
        case unknownApplication
        /// A token was issued, but the ERP refuses it: the application is not registered (or its user is disabled).
        case appNotRegistered
        /// The ERP answered, but the application's user may not read what the connector needs.
        case accessDenied
        /// A configured company (or Expensify policy) does not exist or cannot be seen.
        case notFound
        /// This machine's clock differs from the server's by more than the tolerated skew.
        case clockSkew
        /// No answer at all: DNS, TCP, TLS or a timeout.
        case unreachable
        /// The secret is not set in the environment nor in the credential store.
        case secretMissing
        /// The server kept throttling the check.
        case throttled
        /// Anything else (the detail has the server's words).
        case other
    }

    /// `expensify`, `entra`, `d365`, `clock`, …
    public var system: String
    /// What was tried, e.g. `token`, `company usmf`, `policies`.
    public var item: String
    /// Whether this check passed.
    public var ok: Bool
    /// nil when `ok`.
    public var problem: Problem?
    /// Plain words: what was found, and what to do about a failure. Never a secret.
    public var detail: String

    /// A result; a failure without a named problem counts as `other`.
    public init(system: String, item: String, ok: Bool, problem: Problem? = nil, detail: String) {
        self.system = system
        self.item = item
        self.ok = ok
        self.problem = ok ? nil : (problem ?? .other)
        self.detail = detail
    }

    /// A passed check, with what was found.
    public static func pass(_ system: String, _ item: String, _ detail: String) -> CheckResult {
        CheckResult(system: system, item: item, ok: true, detail: detail)
    }

    /// A failed check, with the problem and what to do about it.
    public static func fail(_ system: String, _ item: String, _ problem: Problem, _ detail: String) -> CheckResult {
        CheckResult(system: system, item: item, ok: false, problem: problem, detail: detail)
    }
}
