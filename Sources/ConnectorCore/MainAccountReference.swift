import Foundation

/// One main account with what makes it unusable, so an expense coded to a closed account is held, not refused by the ERP.
public struct MainAccountReference: Sendable, Hashable, Codable {
    /// The account number lines carry (`MainAccountDisplayValue` on F&O).
    public var id: String
    /// The account's name, for messages.
    public var name: String
    /// A suspended account cannot be posted to.
    public var isSuspended: Bool
    /// An account closed to manual entry refuses vendor invoice lines.
    public var doNotAllowManualEntry: Bool
    /// `yyyy-MM-dd` or nil when open-ended.
    public var activeFrom: String?
    /// Last day the account may be used (`yyyy-MM-dd`), or nil when open-ended.
    public var activeTo: String?
    /// Why the target says the account cannot take expense lines, in words (BC/NAV: blocked, not a Posting account,
    /// no Direct Posting); nil when nothing stops it.
    public var problem: String?

    /// Memberwise, for targets building master data and for tests.
    public init(
        id: String, name: String, isSuspended: Bool, doNotAllowManualEntry: Bool, activeFrom: String?, activeTo: String?, problem: String? = nil
    ) {
        self.id = id
        self.name = name
        self.isSuspended = isSuspended
        self.doNotAllowManualEntry = doNotAllowManualEntry
        self.activeFrom = activeFrom
        self.activeTo = activeTo
        self.problem = problem
    }
}
