import Foundation

/// The stable error codes that code decides on (retry, exit status, fallback), named once so no decision is made by
/// matching a string literal. Codes only shown to people stay at their throw site.
public enum ErrorCode {
    /// No answer at all (connection refused, reset, closed without a response, timed out): transient.
    public static let httpNetwork = "http.network"
    /// A request that is not safe to repeat failed in a way that may or may not have applied it.
    public static let httpAmbiguous = "http.ambiguous"
    /// Another run holds the ledger.
    public static let ledgerLocked = "ledger.locked"
    /// The ledger file exists but is empty.
    public static let ledgerEmpty = "ledger.empty"
    /// Prefix of every configuration problem.
    public static let configPrefix = "config."
    /// A secret that no source has.
    public static let secretMissing = "config.secret_missing"
    /// A posted document whose report Expensify changed afterwards (never reposted).
    public static let changedAfterLoad = "document.changed_after_load"

    /// Whether `code` is a configuration problem (exit status 2).
    public static func isConfiguration(_ code: String) -> Bool { code.hasPrefix(configPrefix) }
}
