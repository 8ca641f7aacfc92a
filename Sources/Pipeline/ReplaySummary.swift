import ConnectorCore
import ConnectorLedger
import Foundation
import Logging

/// What `replay` did: which reports of the batch it re-ran in which new batch, which it left and why, and the run.
public struct ReplaySummary: Sendable, Codable {
    /// A report of the batch that was not replayed.
    public struct Skipped: Sendable, Codable {
        var reportID: String
        var state: String
        var why: String
    }

    var sourceBatchID: String
    /// The new batch, linked to the source in the ledger (`batch.replay_of`); nil when there was nothing to replay.
    var replayBatchID: String?
    var replayed: [String]
    var skipped: [Skipped]
    /// extract (by ID), transform, load and commit of the new batch.
    /// The new batch's run, when there was anything to replay.
    public var run: RunSummary?

    /// The operator's summary: what was replayed where, what was left and why, then the new batch's run.
    public var text: String {
        guard let replayBatchID, let run else {
            var s = "Batch \(sourceBatchID) has no held or failed report to replay; no batch was created.\n"
            for k in skipped.prefix(50) { s += "  \(k.reportID)  \(LedgerStatus.pad(k.state, 9)) \(k.why)\n" }
            return s
        }
        var s =
            "Replay of batch \(sourceBatchID) in batch \(replayBatchID): \(replayed.count) report(s) \(replayed.prefix(20).joined(separator: ", "))\(replayed.count > 20 ? ", …" : "")\n"
        if !skipped.isEmpty { s += "  Not replayed: \(skipped.count) (already posted, nothing to post, or dropped)\n" }
        return s + run.text
    }
}
