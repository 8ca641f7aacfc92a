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

    /// One line for the operator.
    public var text: String {
        "Batch \(batchID): \(labelled) report(s) labelled, \(notLabelled) still open; watermark \(watermark ?? "-")\n"
    }
}
