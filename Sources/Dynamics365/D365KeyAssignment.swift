import ConnectorCore
import Foundation
import OData

/// Who chooses a new pending invoice's `HeaderReference` (config key `target.keyAssignment`).
public enum D365KeyAssignment: String, Sendable, CaseIterable {
    /// The environment's number sequence assigns it; the connector reads it from each header's 201 answer.
    case server
    /// The connector sends a reference derived from the stable key (`VendorInvoicePayload.clientHeaderReference`),
    /// so a header and its lines travel in one changeset. Needs a number sequence that allows manual numbers.
    case client
}
