import ConnectorCore
import ConnectorStaging
import Expensify
import Foundation
import Logging

/// What `extract` did.
public struct ExtractSummary: Sendable, Codable {
    /// The batch extracted.
    public var batchID: String
    /// The watermark the export started from (reports approved strictly after it).
    public var approvedAfter: String
    /// "Today" of the export: the range's end (the last window's `endDate` when the range was split).
    public var exportUntil: String?
    /// Date windows (more than one when the range from `approvedAfter` exceeds `expensify.maxRangeDays`).
    public var windows: Int?
    /// Reports in `export.json` (each once).
    public var reports: Int
    /// Held or failed reports of earlier batches asked for by ID, how many came back, and which did not.
    public var refetchRequested: Int?
    /// How many of the reports asked for by ID came back.
    public var refetchReturned: Int?
    /// Reports asked for by ID that did not come back (asked again next run).
    public var notReturned: [String]?
    /// Copies of a report already in the batch (same report in a window and in the re-fetch), left out.
    public var duplicates: Int?
    /// Reports an operator dropped that came back in an export, left out.
    public var droppedSkipped: Int?
    /// Policies read with the policy getter.
    public var policies: Int
    /// ERP companies whose master data was read.
    public var companies: Int
    /// Expensify's file name of the first job (kept for compatibility); every job is in `jobs`.
    public var exportFile: String
    /// Every export job of the batch, in order.
    public var jobs: [ExportJobSummary]?
    /// The batch whose held or failed reports this one re-runs (`replay`): no date window, only those reports by ID.
    public var replayOf: String?

    /// One line for the operator, and one more when held reports were asked for again by ID.
    public var text: String {
        if let replayOf {
            return
                "Batch \(batchID) (replay of batch \(replayOf)): \(reports) of \(refetchRequested ?? 0) report(s) returned by ID, \(policies) policy(ies), \(companies) company(ies)\n"
        }
        var s = "Batch \(batchID): \(reports) report(s) approved after \(approvedAfter)"
        if let windows, windows > 1 { s += " in \(windows) windows up to \(exportUntil ?? "-")" }
        s += ", \(policies) policy(ies), \(companies) company(ies)\n"
        if let requested = refetchRequested, requested > 0 {
            s += "  Re-fetched by ID: \(refetchReturned ?? 0) of \(requested) held or failed report(s)\n"
        }
        return s
    }
}
