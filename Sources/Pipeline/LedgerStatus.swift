import ConnectorCore
import ConnectorLedger
import Foundation

/// What `status` shows: the ledger's state as data (`--json` prints it as is) and as text for the operator.
public struct LedgerStatus: Sendable, Codable {
    /// An open report (not yet labelled, not dropped), re-fetched by ID every run.
    struct OpenReport: Sendable, Codable {
        var reportID: String
        var state: String
        var approved: String?
        var lastBatchID: String
        var reason: String?
    }

    /// Open reports sharing one state and reason (e.g. every report held for the same unknown GL code).
    struct ReasonGroup: Sendable, Codable {
        var state: String
        var reason: String
        var count: Int
        var reports: [String]
    }

    struct BatchLine: Sendable, Codable {
        var id: String
        var createdAt: String
        var approvedAfter: String?
        var exportUntil: String?
        /// The batch whose held or failed reports this one re-ran (`replay`).
        var replayOf: String?
        /// Replay batches of this batch, newest first.
        var replayedBy: [String]
        /// Reports whose latest batch this is, by state.
        var reportStates: [String: Int]
    }

    struct StageRunLine: Sendable, Codable {
        var id: Int64
        var stage: String
        /// As recorded in the ledger.
        var outcome: String
        /// What it means now: a `running` run whose process is gone shows as `interrupted (process gone)`.
        var status: String
        var startedAt: String
        var finishedAt: String?
        var counts: [String: Int]
        var files: [String: String]
        var error: String?
    }

    struct ReportLine: Sendable, Codable {
        var reportID: String
        var state: String
        var total: String?
        var currency: String?
        var reason: String?
    }

    struct BatchDetail: Sendable, Codable {
        var id: String
        var replayOf: String?
        var stageRuns: [StageRunLine]
        var reports: [ReportLine]
    }

    var ledger: String
    /// `approvedAfter` of the next nightly export; nil before the first commit (the start date applies).
    var watermark: String?
    var startDate: String
    /// Whether a live process holds the ledger's run lock now, and which.
    var ledgerHeld: Bool
    var runInProgress: LedgerLock.Holder?
    /// Every report in the ledger, by state.
    var reportStates: [String: Int]
    /// Loaded documents by where they stand inside the ERP (`draft`, `posted`, `deleted`, `unknown`), as load and
    /// the read-back of later runs found them.
    var documentsInERP: [String: Int]
    var openReportCount: Int
    var openReports: [OpenReport]
    var openByReason: [ReasonGroup]
    var drops: [DropRecord]
    var batches: [BatchLine]
    /// The batch asked for (`--batch`), else the newest; nil when there is none.
    var batch: BatchDetail?
    /// The last runs (batches), newest first, with how far each got, its review and reconciliation.
    var lastRuns: [RunLine] = []
    /// Batches waiting for finance's sign-off, and batches finance held.
    var awaitingReview: [ReviewLine] = []
    var rejected: [ReviewLine] = []
    /// Documents that did not load (failed, locked), with the ERP's message.
    var failedToLoad: [FailedDocument] = []
    /// Held reports grouped by what is wrong with them.
    var heldByReason: [HeldGroup] = []
    /// What only a person can resolve, each with what to do; empty when all is well.
    var needsAttention: [Attention] = []

    /// Every key is present in the JSON, `null` when there is no value (no watermark yet, no run holding the ledger).
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(ledger, forKey: .ledger)
        try c.encode(watermark, forKey: .watermark)
        try c.encode(startDate, forKey: .startDate)
        try c.encode(ledgerHeld, forKey: .ledgerHeld)
        try c.encode(runInProgress, forKey: .runInProgress)
        try c.encode(reportStates, forKey: .reportStates)
        try c.encode(documentsInERP, forKey: .documentsInERP)
        try c.encode(openReportCount, forKey: .openReportCount)
        try c.encode(openReports, forKey: .openReports)
        try c.encode(openByReason, forKey: .openByReason)
        try c.encode(drops, forKey: .drops)
        try c.encode(batches, forKey: .batches)
        try c.encode(batch, forKey: .batch)
        try c.encode(lastRuns, forKey: .lastRuns)
        try c.encode(awaitingReview, forKey: .awaitingReview)
        try c.encode(rejected, forKey: .rejected)
        try c.encode(failedToLoad, forKey: .failedToLoad)
        try c.encode(heldByReason, forKey: .heldByReason)
        try c.encode(needsAttention, forKey: .needsAttention)
    }

    /// The glance at the top of `status`: what needs a person, the last runs, the review queue, failed documents.
    var glanceText: String {
        var s = ""
        if needsAttention.isEmpty {
            s += "Needs attention: nothing.\n"
        } else {
            s += "Needs attention (\(needsAttention.count)):\n"
            for a in needsAttention {
                s += "  [\(a.kind)] \(a.subject): \(a.detail)\n      → \(a.action)\n"
            }
        }
        if !lastRuns.isEmpty {
            s += "Last runs:\n"
            for r in lastRuns {
                s += "  \(r.batchID)  \(r.startedAt)  \(Self.pad((r.lastStage ?? "-") + " " + (r.outcome ?? ""), 20))"
                s += " created=\(r.created) failed=\(r.failed) held=\(r.held)"
                if let review = r.review { s += "  review=\(review)" }
                if let reconciled = r.reconciled { s += reconciled ? "  reconciled" : "  NOT reconciled (\(r.variances ?? 0) variance(s))" }
                s += "\n"
            }
        }
        if !awaitingReview.isEmpty {
            s += "Awaiting review: " + awaitingReview.map(\.batchID).joined(separator: ", ") + "\n"
        }
        if !rejected.isEmpty {
            s += "Held by finance:\n"
            for r in rejected { s += "  \(r.batchID)  by \(r.by ?? "-") at \(r.at): \(r.reason ?? "")\n" }
        }
        if !failedToLoad.isEmpty {
            s += "Failed to load (\(failedToLoad.count)):\n"
            for d in failedToLoad.prefix(50) {
                s += "  \(d.key)  report \(d.reportID)  \(d.company)  batch \(d.batchID)  \(d.state): \(d.error ?? "")\n"
            }
            if failedToLoad.count > 50 { s += "  … and \(failedToLoad.count - 50) more\n" }
        }
        return s
    }

    /// The text `status` prints.
    public var text: String {
        var s = glanceText
        s += "Watermark (approvedAfter): \(watermark ?? "none yet (start date \(startDate))")\n"
        if let h = runInProgress {
            s += "Ledger held by a running \(h.command) (\(h.summary))\n"
        }
        if documentsInERP.keys.contains(where: { $0 != "unknown" }) {
            s += "Loaded documents in the ERP: "
            s += documentsInERP.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            s += (documentsInERP["deleted"] ?? 0) > 0 ? "  (deleted ones were removed in the ERP by someone: check with finance)\n" : "\n"
        }
        s += "Open reports, re-fetched by ID every run until they post or are dropped: \(openReportCount)\n"
        for r in openReports.prefix(50) {
            s += "  \(r.reportID)  \(Self.pad(r.state, 9)) approved \(r.approved ?? "-")  last batch \(r.lastBatchID)  \(r.reason ?? "")\n"
        }
        if openReportCount > min(openReports.count, 50) { s += "  … and \(openReportCount - min(openReports.count, 50)) more\n" }
        if openByReason.contains(where: { $0.count > 1 }) {
            s += "Open reports by reason:\n"
            for g in openByReason.prefix(20) {
                s += "  \(g.count) \(g.state)  \(g.reason)\n"
            }
        }
        if !drops.isEmpty {
            s += "Dropped by an operator (no longer retried): \(drops.count)\n"
            for d in drops.suffix(50) {
                s += "  \(d.reportID)  was \(d.stateAtDrop)  dropped \(d.droppedAt) by \(d.actor): \(d.reason)\n"
            }
        }
        if batches.isEmpty { return s + "No batches yet.\n" }
        s += "Recent batches:\n"
        for b in batches {
            s += "  \(b.id)  "
            if let source = b.replayOf {
                s += "replay of \(source)"
            } else {
                s += "approvedAfter \(b.approvedAfter ?? "-")\(b.exportUntil.map { " until \($0)" } ?? "")"
            }
            if !b.replayedBy.isEmpty { s += "  replayed by \(b.replayedBy.joined(separator: ", "))" }
            s += "  " + b.reportStates.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ") + "\n"
        }
        guard let batch else { return s }
        s += "Batch \(batch.id)\(batch.replayOf.map { " (replay of \($0))" } ?? "") stage runs:\n"
        for r in batch.stageRuns {
            s += "  \(Self.pad(r.stage, 9)) \(Self.pad(r.status, 9)) \(r.startedAt) → \(r.finishedAt ?? "-")  "
            s += r.counts.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            if let e = r.error { s += "  error: \(e)" }
            s += "\n"
        }
        s += "Reports in batch \(batch.id):\n"
        for r in batch.reports {
            s += "  \(r.reportID)  \(Self.pad(r.state, 9)) \(r.total ?? "") \(r.currency ?? "")  \(r.reason ?? "")\n"
        }
        return s
    }

    static func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s.padding(toLength: n, withPad: " ", startingAt: 0) }
}
