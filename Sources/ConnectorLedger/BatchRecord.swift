import ConnectorCore
import Foundation
import GRDB

/// One batch as the ledger keeps it: when, for which target, and the window it exported.
public struct BatchRecord: Sendable, Equatable, Codable, FetchableRecord {
    /// The batch ID, also its folder under the staging root.
    public var id: String
    /// When the batch was created (ISO 8601, UTC).
    public var createdAt: String
    /// The `target.type` the batch was made for.
    public var target: String
    /// The watermark its export started from.
    public var approvedAfter: String?
    /// The label its reports get once the ERP confirmed them.
    public var exportLabel: String
    /// The day the batch's export ran up to ("today" then; the last window's endDate when it was split).
    public var exportUntil: String?
    /// The batch whose held or failed reports this one re-runs (`ml-connector replay`); nil for a nightly batch.
    public var replayOf: String?

    /// Reads the record from its table row.
    public init(row: Row) {
        id = row["id"]
        createdAt = row["created_at"]
        target = row["target"]
        approvedAfter = row["approved_after"]
        exportLabel = row["export_label"]
        exportUntil = row["export_until"]
        replayOf = row["replay_of"]
    }
}
