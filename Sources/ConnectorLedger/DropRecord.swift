import ConnectorCore
import Foundation
import GRDB

/// An operator's decision to stop retrying a report (`ml-connector drop`). Final; the report and its audit
/// trail stay in the ledger.
public struct DropRecord: Sendable, Equatable, Codable, FetchableRecord {
    /// The source's report ID.
    public var reportID: String
    /// When the operator dropped it.
    public var droppedAt: String
    /// Who acted.
    public var actor: String
    /// Why, as the operator wrote it.
    public var reason: String
    /// The report's state and reason when it was dropped (e.g. `held`, "no vendor for …").
    public var stateAtDrop: String
    /// Why the report was held or failed when it was dropped.
    public var reasonAtDrop: String?

    /// Reads the record from its table row.
    public init(row: Row) {
        reportID = row["report_id"]
        droppedAt = row["dropped_at"]
        actor = row["actor"]
        reason = row["reason"]
        stateAtDrop = row["state_at_drop"]
        reasonAtDrop = row["reason_at_drop"]
    }
}
