import ConnectorCore
import Foundation
import GRDB

/// One entry of the append-only audit trail.
public struct AuditEvent: Sendable, Equatable, Codable, FetchableRecord {
    /// Increasing: a later event has a larger ID.
    public var id: Int64
    /// When it happened.
    public var at: String
    /// Who acted.
    public var actor: String
    /// The batch it belongs to.
    public var batchID: String?
    /// The stage that acted, when a stage did.
    public var stage: String?
    /// What it concerns: `report`, `document`, `batch`, `http`, …
    public var entityType: String
    /// Which one (report ID, document key, …).
    public var entityID: String
    /// What happened (`report.held`, `document.loaded`, `http.error`, …).
    public var event: String
    /// The reason or values, never a secret.
    public var detail: String

    /// Reads the record from its table row.
    public init(row: Row) {
        id = row["id"]
        at = row["at"]
        actor = row["actor"]
        batchID = row["batch_id"]
        stage = row["stage"]
        entityType = row["entity_type"]
        entityID = row["entity_id"]
        event = row["event"]
        detail = row["detail"]
    }
}
