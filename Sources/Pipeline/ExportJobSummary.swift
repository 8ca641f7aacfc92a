import ConnectorCore
import ConnectorStaging
import Expensify
import Foundation
import Logging

/// One export job of a batch: a date window, or a chunk of report IDs re-fetched by `reportIDList`.
public struct ExportJobSummary: Sendable, Codable, Equatable {
    /// `window` or `reportIDs`.
    public var kind: String
    /// The window's start (exclusive); nil for a job by report IDs.
    public var approvedAfter: String?
    /// The window's end (inclusive), when the range was split.
    public var endDate: String?
    /// Report IDs asked for (`reportIDs` jobs).
    public var requested: Int
    /// Expensify's file name and the staged copy (`extract/jobs/…`).
    public var fileName: String
    /// The job's file under `extract/`.
    public var stagedFile: String
    /// Reports in the file, and how many of them an earlier job of the batch already had.
    public var reports: Int
    /// Reports of this job already in the batch from an earlier job, left out.
    public var duplicates: Int
}
