import ConnectorCore

/// Integration Server partner credentials (expensify-api.md §1.2). The secret is a `Secret`: it is revealed
/// only into the job description at the moment of sending.
public struct ExpensifyCredentials: Sendable {
    public var partnerUserID: String
    public var partnerUserSecret: Secret

    public init(partnerUserID: String, partnerUserSecret: Secret) {
        self.partnerUserID = partnerUserID
        self.partnerUserSecret = partnerUserSecret
    }
}

/// Which reports an export job selects (expensify-api.md §3.1). Empty lists and nil values are left out of
/// the job. Dates are `yyyy-MM-dd`.
public struct ExportFilter: Sendable, Hashable {
    /// Subset of `OPEN, SUBMITTED, APPROVED, REIMBURSED, ARCHIVED`, sent as a comma string.
    public var reportStates: [String]
    /// Keeps reports approved strictly after this date.
    public var approvedAfter: String?
    /// Drops reports already labelled with exactly this label.
    public var markedAsExported: String?
    public var policyIDs: [String]
    public var reportIDs: [String]
    /// Maximum number of reports, sent as a string.
    public var limit: Int?
    /// `yyyy-MM-dd`: drops reports whose later of created and submitted is after this day (inclusive). Needed
    /// when the range from `approvedAfter` would exceed a year (410 "Date range exceeds one year").
    public var endDate: String?

    public init(reportStates: [String] = ["APPROVED", "REIMBURSED"], approvedAfter: String? = nil, endDate: String? = nil,
                markedAsExported: String? = nil, policyIDs: [String] = [], reportIDs: [String] = [], limit: Int? = nil) {
        self.reportStates = reportStates
        self.approvedAfter = approvedAfter
        self.endDate = endDate
        self.markedAsExported = markedAsExported
        self.policyIDs = policyIDs
        self.reportIDs = reportIDs
        self.limit = limit
    }
}

/// Expensify's error codes that code decides on (`expensify.<responseCode>` and a few of the connector's own).
public enum ExpensifyErrors {
    public static let rateLimited = "expensify.rate_limited"
    /// responseCode 404: a policy (or file) the account cannot see.
    public static let notFound = "expensify.404"
    /// responseCode 410: a request Expensify refuses as such (e.g. a policy the partner may not read).
    public static let refused = "expensify.410"

    /// A policy getter failure that concerns one unreadable policy, not the whole run.
    public static func isUnreadablePolicy(_ e: ConnectorError) -> Bool { [notFound, refused].contains(e.code) }
}
