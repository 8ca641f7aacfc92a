import ConnectorCore
import ConnectorLedger
import Foundation
import Logging

/// What `drop` did: the ledger's record of the drop, and how many reports are still retried.
public struct DropSummary: Sendable, Codable {
    /// The drop as the ledger recorded it.
    public var drop: DropRecord
    /// Reports still retried every night after this drop.
    public var stillRetried: Int

    /// The operator's summary.
    public var text: String {
        "Report \(drop.reportID) dropped from the nightly retry (it was \(drop.stateAtDrop)\(drop.reasonAtDrop.map { ": \($0)" } ?? "")).\n"
            + "  Reason: \(drop.reason)\n  By \(drop.actor) at \(drop.droppedAt). The report and its audit trail stay in the ledger; the connector will not post it.\n"
            + "  Reports still retried every night: \(stillRetried)\n"
    }
}
