import ConnectorCore
import ConnectorStaging
import Foundation
import Logging

/// What `commit` did.
public struct CommitSummary: Sendable, Codable {
    /// The batch committed.
    public var batchID: String
    /// Reports labelled exported in the source (posted, or with nothing to post).
    public var labelled: Int
    /// Reports still open, asked for again by ID next night.
    public var notLabelled: Int
    /// The `approvedAfter` the next export starts from.
    public var watermark: String?

    /// Nothing labelled (the run stopped before commit, e.g. for review).
    static func notRun(_ batchID: String) -> CommitSummary { CommitSummary(batchID: batchID, labelled: 0, notLabelled: 0, watermark: nil) }

    /// One line for the operator.
    public var text: String {
        "Batch \(batchID): \(labelled) report(s) labelled, \(notLabelled) still open; watermark \(watermark ?? "-")\n"
    }
}
