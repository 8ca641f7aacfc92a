import Foundation

/// The `target.journal` object: where journal lines go and how they balance.
public struct NAVJournalSettings: Sendable, Codable, Equatable {
    /// The general journal template (default `GENERAL`).
    public var template: String?
    /// The journal batch the lines go to (a dedicated batch without a number series is best).
    public var batch: String
    /// The G/L account that balances the expenses (e.g. employee expense payables).
    public var balancingAccount: String
    /// `perReport` (default) or `perLine`.
    public var balancing: String?

    /// `template` with its default.
    public var templateName: String { template ?? "GENERAL" }
    /// `balancing` with its default.
    public var balancingMode: NAVBalancing { balancing.flatMap(NAVBalancing.init(rawValue:)) ?? .perReport }
}
