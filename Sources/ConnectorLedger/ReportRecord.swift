import ConnectorCore
import Foundation
import GRDB

/// One report's way through the connector: its state, why, and the batches that saw it.
public struct ReportRecord: Sendable, Equatable, Codable, FetchableRecord {
    /// The source's report ID.
    public var reportID: String
    /// The source policy, which decides the company.
    public var policyID: String?
    /// The submitter's e-mail.
    public var submitter: String?
    /// When the source approved it.
    public var approved: String?
    /// The report currency, once transform read it.
    public var currency: String?
    /// The total posted or to post, exact decimal text.
    public var total: String?
    /// Where it stands; `loaded` and `committed` never go back.
    public var state: ReportState
    /// Why it is held or failed, in the words of the rule that decided it.
    public var reason: String?
    /// The batch that first saw it.
    public var firstBatchID: String
    /// The batch that saw it last.
    public var lastBatchID: String
    /// When its state last changed.
    public var updatedAt: String

    /// Reads the record from its table row.
    public init(row: Row) {
        reportID = row["report_id"]
        policyID = row["policy_id"]
        submitter = row["submitter"]
        approved = row["approved"]
        currency = row["currency"]
        total = row["total"]
        state = ReportState(rawValue: row["state"]) ?? .extracted
        reason = row["reason"]
        firstBatchID = row["first_batch_id"]
        lastBatchID = row["last_batch_id"]
        updatedAt = row["updated_at"]
    }
}
