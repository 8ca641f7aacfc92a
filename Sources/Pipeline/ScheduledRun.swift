import ConnectorCore
import Foundation
import Logging

/// One run of `ml-connector schedule`: what happened, in the shape of its summary log line.
public struct ScheduledRun: Sendable, Codable {
    /// How the run ended.
    public enum Outcome: String, Sendable, Codable {
        /// Extract, transform, load and commit finished; every document loaded.
        case succeeded
        /// Finished, but some documents failed to load (`run` would exit 3); they are retried next run.
        case partial
        /// A stage failed (or the configuration could not be read); retried at the next tick.
        case failed
        /// Another process (`ml-connector run` from cron, a stage by hand) held the ledger; nothing was done.
        case locked
        /// SIGTERM or SIGINT during the run: the stage was recorded `interrupted`, the ledger released.
        case interrupted
    }

    /// 1 for the first run of this process.
    public var run: Int
    /// How it ended.
    public var outcome: Outcome
    /// The batch it made, when it got that far.
    public var batch: String?
    /// When it started (UTC).
    public var startedAt: String
    /// Wall time in seconds, one decimal.
    public var seconds: String
    /// Reports extracted.
    public var reports: Int?
    /// Reports held with exceptions.
    public var held: Int?
    /// Documents created in the target (completed ones included).
    public var created: Int?
    /// Documents that failed to load.
    public var failed: Int?
    /// The error's stable code and its message (one line), when the run did not finish.
    public var errorCode: String?
    public var error: String?
    /// Review required: the batch stopped after transform for finance's sign-off.
    public var awaitingReview: Bool?
    /// Review required: batches finance had signed off, loaded by this run before its own batch.
    public var approvedBatchesLoaded: [String]?
    /// Reconciliation after load: true at zero variance; nil when not checked.
    public var reconciled: Bool?
    public var variances: Int?
    /// Ticks that came while the run was still going, skipped.
    public var ticksSkipped: Int
    /// When the next run starts (UTC); nil when this was the last.
    public var nextRun: String?

    /// The one summary line's level: notice when all went well, warning when something waits for the next run, error
    /// when the run failed.
    var level: Logger.Level {
        switch outcome {
        case .succeeded: return .notice
        case .partial, .locked, .interrupted: return .warning
        case .failed: return .error
        }
    }

    /// The summary line's metadata (`batch.id`, `run.outcome`, `documents.created`, … `schedule.next_run`).
    var metadata: Logger.Metadata {
        var m: Logger.Metadata = [
            "schedule.run": "\(run)", "run.outcome": "\(outcome.rawValue)", "batch.id": "\(batch ?? "-")",
            "run.seconds": "\(seconds)", "schedule.next_run": "\(nextRun ?? "-")",
        ]
        if let reports { m["reports.found"] = "\(reports)" }
        if let held { m["reports.held"] = "\(held)" }
        if let created { m["documents.created"] = "\(created)" }
        if let failed { m["documents.failed"] = "\(failed)" }
        if let errorCode { m["error.code"] = "\(errorCode)" }
        if let error { m["error"] = "\(error)" }
        if awaitingReview == true { m["review.awaiting"] = "true" }
        if let approvedBatchesLoaded, !approvedBatchesLoaded.isEmpty {
            m["review.loaded_batches"] = "\(approvedBatchesLoaded.joined(separator: ","))"
        }
        if let reconciled { m["reconcile.reconciled"] = "\(reconciled)" }
        if let variances, variances > 0 { m["reconcile.variances"] = "\(variances)" }
        if ticksSkipped > 0 { m["schedule.ticks_skipped"] = "\(ticksSkipped)" }
        return m
    }

    static func timestamp(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: false))
    }
}

/// How `schedule` ended: its runs and the signal that stopped it, if one did.
public struct ScheduleResult: Sendable {
    /// Every run, in order.
    public var runs: [ScheduledRun]
    /// SIGTERM or SIGINT, when a signal stopped the schedule (between runs, or during the last one).
    public var signal: Int32?

    /// The last run.
    public var last: ScheduledRun? { runs.last }
}
