import ConnectorCore
import ConnectorLedger
import Foundation
import Logging

/// The nightly job's outcome, printed for the operator.
public struct RunSummary: Sendable, Codable {
    /// What extract did.
    public var extract: ExtractSummary
    /// What transform decided.
    public var transform: TransformSummary
    /// What load did.
    public var load: LoadSummary
    /// What commit labelled.
    public var commit: CommitSummary
    /// The batch folder, for finance to open.
    public var stagingDirectory: String
    /// Peak resident memory of the run (benchmarks).
    public var peakMemoryMB: Int?
    /// True when `review` is `required`: the run stopped after transform and the batch awaits finance's sign-off
    /// (`load` and `commit` are then empty: nothing was sent).
    public var awaitingReview: Bool = false
    /// When awaiting review: the commands that review, sign off, load and commit the batch, in order.
    public var reviewCommands: [String]?
    /// Review required: batches finance had signed off, loaded and committed at the start of this run.
    public var approvedBatchesLoaded: [ApprovedBatchLoad] = []
    /// Reconciliation after load (`reconcile.afterLoad`): reconciled, the variance count, or why not checked.
    public var reconciliation: RunReconciliation?

    /// A short human summary: found, created, exceptions, where the review files are.
    public var text: String {
        var s = ""
        for a in approvedBatchesLoaded {
            s += "Signed-off batch \(a.batchID) (approved by \(a.approvedBy ?? "-") at \(a.approvedAt)): \(a.load.created) created"
            s += (a.load.failed > 0 ? ", FAILED: \(a.load.failed)" : "") + "; labelled exported: \(a.commit.labelled)\n"
        }
        if let source = extract.replayOf {
            s += "Batch \(extract.batchID) (replay of batch \(source): its held or failed reports, by ID)\n"
        } else {
            s += "Batch \(extract.batchID) (reports approved after \(extract.approvedAfter)"
            if let until = extract.exportUntil, let w = extract.windows, w > 1 { s += " up to \(until), in \(w) windows of under a year" }
            s += ")\n"
        }
        s += "  Reports found:      \(extract.reports)"
        if let asked = extract.refetchRequested, asked > 0 {
            s += " (re-fetched by ID: \(extract.refetchReturned ?? 0) of \(asked) held or failed earlier"
            if let missing = extract.notReturned, !missing.isEmpty { s += "; not returned: \(missing.count)" }
            s += ")"
        }
        if let d = extract.droppedSkipped, d > 0 { s += "; dropped by an operator, skipped: \(d)" }
        s += "\n"
        s += "  Ready / held / nothing to post: \(transform.ready) / \(transform.held) / \(transform.empty)  (exceptions: \(transform.exceptions))\n"
        if awaitingReview {
            for t in transform.totals {
                s += "    \(t.company) \(t.currency): \(t.documents) document(s), \(t.lines) line(s), \(t.amount)\n"
            }
            s += "  AWAITING REVIEW: nothing was loaded; finance signs the batch off first (review: required).\n"
            for c in reviewCommands ?? [] { s += "    \(c)\n" }
            s += "  Staged files:       \(stagingDirectory)/{extract,transform}\n"
            s += "  Review: transform/invoice-lines.csv, transform/exceptions.csv, transform/control-totals.csv\n"
            return s
        }
        s +=
            "  Invoices created:   \(load.created)" + (load.completed > 0 ? " (+\(load.completed) completed)" : "")
            + (load.alreadyPresent + load.skippedLoaded > 0 ? ", already in the ERP: \(load.alreadyPresent + load.skippedLoaded)" : "")
            + (load.failed > 0 ? ", FAILED: \(load.failed)" : "") + (load.locked > 0 ? ", locked: \(load.locked)" : "") + "\n"
        if load.changedAfterLoad > 0 {
            s += "  CHANGED IN EXPENSIFY AFTER POSTING (not reposted, see load/results.csv): \(load.changedAfterLoad)\n"
        }
        for t in transform.totals {
            s += "    \(t.company) \(t.currency): \(t.documents) document(s), \(t.lines) line(s), \(t.amount)\n"
        }
        s += "  Labelled exported:  \(commit.labelled); still open: \(commit.notLabelled); watermark: \(commit.watermark ?? "-")\n"
        s += "  HTTP requests to the target: \(load.httpRequests)\n"
        if let reconciliation { s += "  Reconciliation:     \(reconciliation.text)\n" }
        s += "  Staged files:       \(stagingDirectory)/{extract,transform,load,commit}\n"
        s += "  Review: transform/invoice-lines.csv, transform/exceptions.csv, transform/control-totals.csv\n"
        return s
    }
}

/// A batch finance signed off, loaded and committed by `run`.
public struct ApprovedBatchLoad: Sendable, Codable {
    public var batchID: String
    public var approvedBy: String?
    public var approvedAt: String
    public var load: LoadSummary
    public var commit: CommitSummary
    public var reconciliation: RunReconciliation?
}
