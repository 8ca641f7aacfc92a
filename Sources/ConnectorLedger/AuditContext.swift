import ConnectorCore
import Foundation
import GRDB

/// Who did something, for the audit trail (`ml-connector/<command>` by `<os user>`).
public struct AuditContext: Sendable {
    /// Who acted (`ml-connector/<command> by <user>`), for the audit trail.
    public var actor: String
    /// The batch the event belongs to, when there is one.
    public var batchID: String?
    /// The stage that acted, when a stage did.
    public var stage: Stage?

    /// The context every ledger write records beside its event.
    public init(actor: String, batchID: String?, stage: Stage?) {
        self.actor = actor
        self.batchID = batchID
        self.stage = stage
    }
}
