import ConnectorCore
import Foundation
import GRDB

/// One run of one stage: when, how it ended, its counts and the hashes of the files it wrote.
public struct StageRunRecord: Sendable, Equatable, Codable, FetchableRecord {
    /// Increasing: a later run has a larger ID.
    public var id: Int64
    /// The batch it belongs to.
    public var batchID: String
    /// Which stage ran.
    public var stage: Stage
    /// When it started.
    public var startedAt: String
    /// When it ended; nil while running or after a crash.
    public var finishedAt: String?
    /// How it ended.
    public var outcome: StageOutcome
    /// What it counted (reports, documents, exceptions…), for `status`.
    public var counts: [String: Int]
    /// SHA-256 of each staged file it wrote, by name: what the next stage verifies.
    public var files: [String: String]
    /// The error that ended it, when it failed.
    public var error: String?

    /// Reads the record from its table row.
    public init(row: Row) {
        id = row["id"]
        batchID = row["batch_id"]
        startedAt = row["started_at"]
        // The table's CHECK constraints admit only known values.
        stage = Stage(rawValue: row["stage"]) ?? .extract
        outcome = StageOutcome(rawValue: row["outcome"]) ?? .failed
        finishedAt = row["finished_at"]
        error = row["error"]
        counts = (try? JSONDecoder().decode([String: Int].self, from: Data((row["counts"] as String? ?? "{}").utf8))) ?? [:]
        files = (try? JSONDecoder().decode([String: String].self, from: Data((row["files"] as String? ?? "{}").utf8))) ?? [:]
    }
}
