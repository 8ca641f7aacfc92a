import Foundation

/// Which reports an export job selects (expensify-api.md §3.1). Empty lists and nil values are left out of
/// the job. Dates are `yyyy-MM-dd`.
public struct ExportFilter: Sendable, Hashable {
    /// Subset of `OPEN, SUBMITTED, APPROVED, REIMBURSED, ARCHIVED`, sent as a comma string.
    public var reportStates: [String]
    /// Keeps reports approved strictly after this date.
    public var approvedAfter: String?
    /// Drops reports already labelled with exactly this label.
    public var markedAsExported: String?
    /// Restricts the export to these policies (`policyIDList`); empty for every policy.
    public var policyIDs: [String]
    /// Exactly these reports (`reportIDList`), to re-fetch held and failed ones.
    public var reportIDs: [String]
    /// Maximum number of reports, sent as a string.
    public var limit: Int?
    /// `yyyy-MM-dd`: drops reports whose later of created and submitted is after this day (inclusive). Needed
    /// when the range from `approvedAfter` would exceed a year (410 "Date range exceeds one year").
    public var endDate: String?

    /// Approved and reimbursed reports unless told otherwise; every other filter off.
    public init(
        reportStates: [String] = ["APPROVED", "REIMBURSED"], approvedAfter: String? = nil, endDate: String? = nil,
        markedAsExported: String? = nil, policyIDs: [String] = [], reportIDs: [String] = [], limit: Int? = nil
    ) {
        self.reportStates = reportStates
        self.approvedAfter = approvedAfter
        self.endDate = endDate
        self.markedAsExported = markedAsExported
        self.policyIDs = policyIDs
        self.reportIDs = reportIDs
        self.limit = limit
    }
}
