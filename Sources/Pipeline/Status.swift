import ConnectorCore
import ConnectorLedger
import Foundation

extension ErrorCode {
    /// A report named on the command line is not in the ledger (`status --report`, `audit`, `replay --report`).
    public static let reportUnknown = "report.unknown"
    /// A batch named on the command line is not in the ledger.
    public static let batchUnknown = "batch.unknown"
}

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
    var openReportCount: Int
    var openReports: [OpenReport]
    var openByReason: [ReasonGroup]
    var drops: [DropRecord]
    var batches: [BatchLine]
    /// The batch asked for (`--batch`), else the newest; nil when there is none.
    var batch: BatchDetail?

    /// Every key is present in the JSON, `null` when there is no value (no watermark yet, no run holding the ledger).
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(ledger, forKey: .ledger)
        try c.encode(watermark, forKey: .watermark)
        try c.encode(startDate, forKey: .startDate)
        try c.encode(ledgerHeld, forKey: .ledgerHeld)
        try c.encode(runInProgress, forKey: .runInProgress)
        try c.encode(reportStates, forKey: .reportStates)
        try c.encode(openReportCount, forKey: .openReportCount)
        try c.encode(openReports, forKey: .openReports)
        try c.encode(openByReason, forKey: .openByReason)
        try c.encode(drops, forKey: .drops)
        try c.encode(batches, forKey: .batches)
        try c.encode(batch, forKey: .batch)
    }

    /// The text `status` prints.
    public var text: String {
        var s = "Watermark (approvedAfter): \(watermark ?? "none yet (start date \(startDate))")\n"
        if let h = runInProgress {
            s += "Ledger held by a running \(h.command) (\(h.summary))\n"
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

/// One report as `status --report` shows it: its record, drop, documents and audit trail.
public struct ReportStatus: Sendable, Codable {
    var report: ReportRecord
    var drop: DropRecord?
    var documents: [DocumentRecord]
    var auditTrail: [AuditEvent]

    /// The operator's view at a glance: watermark, what is open and why, recent batches, one batch's stages.
    public var text: String {
        let r = report
        var s = "Report \(r.reportID): \(r.state)\(r.reason.map { " — \($0)" } ?? "")\n"
        if let d = drop {
            s += "  DROPPED from the nightly retry at \(d.droppedAt) by \(d.actor): \(d.reason)\n"
        } else if r.state != .committed {
            s += "  open: asked for by ID on every run until it posts or is dropped ('ml-connector drop --report \(r.reportID) --reason …')\n"
        }
        s += "  policy \(r.policyID ?? "-"), submitter \(r.submitter ?? "-"), approved \(r.approved ?? "-"), total \(r.total ?? "-") \(r.currency ?? "")\n"
        s += "  first batch \(r.firstBatchID), last batch \(r.lastBatchID)\n"
        for d in documents {
            s += "  document \(d.key): \(d.state) \(d.company) \(d.vendor) \(d.total) \(d.currency) ref=\(d.erpReference ?? "-")\(d.error.map { " error: \($0)" } ?? "")\n"
        }
        s += "  audit trail:\n"
        for ev in auditTrail {
            s += "    \(ev.at) \(ev.event) [\(ev.stage ?? "-")] \(ev.detail)\n"
        }
        s += "  (the whole trail with files, map entries and HTTP: 'ml-connector audit \(r.reportID)')\n"
        return s
    }
}

extension PipelineContext {
    /// The ledger's state: watermark, whether a run holds the ledger, open reports (also grouped by reason), drops,
    /// recent batches, and the stage runs and reports of one batch (`batchID`, else the newest).
    ///
    /// A stage run recorded `running` is shown as running only while the ledger's lock holder is alive and works on
    /// its batch; otherwise its process is gone and it shows as `interrupted (process gone)` (the next stage that
    /// takes the lock records it so).
    /// - Throws: `batch.unknown` for a batch not in the ledger.
    public func status(batchID requested: String? = nil) throws -> LedgerStatus {
        let holder = LedgerLock.currentHolder(ledgerPath: config.ledgerPath)
        let open = try ledger.openReports(limit: 10_000)
        var groups: [String: LedgerStatus.ReasonGroup] = [:]
        var order: [String] = []
        for r in open {
            let reason = r.reason ?? "(no reason recorded)"
            let key = r.state.rawValue + "\u{1}" + reason
            if groups[key] == nil {
                groups[key] = LedgerStatus.ReasonGroup(state: r.state.rawValue, reason: reason, count: 0, reports: [])
                order.append(key)
            }
            groups[key]!.count += 1
            groups[key]!.reports.append(r.reportID)
        }
        let byReason = order.compactMap { groups[$0] }.sorted { ($0.count, $1.state, $1.reason) > ($1.count, $0.state, $0.reason) }

        var batches: [LedgerStatus.BatchLine] = []
        for b in try ledger.batches(limit: 10) {
            batches.append(LedgerStatus.BatchLine(id: b.id, createdAt: b.createdAt, approvedAfter: b.approvedAfter, exportUntil: b.exportUntil,
                                                  replayOf: b.replayOf, replayedBy: try ledger.replays(of: b.id).map(\.id),
                                                  reportStates: try ledger.reportCounts(lastBatchID: b.id)))
        }
        var detail: LedgerStatus.BatchDetail?
        if requested != nil || !batches.isEmpty {
            let batchID = try resolveBatch(requested)
            let runs = try ledger.stageRuns(batchID: batchID)
            let liveRun = runs.last { $0.outcome == .running }.flatMap { run in holder?.batch == batchID ? run.id : nil }
            detail = LedgerStatus.BatchDetail(
                id: batchID, replayOf: try ledger.batch(batchID)?.replayOf,
                stageRuns: runs.map { r in
                    let status: String
                    if r.outcome == .running {
                        status = r.id == liveRun ? "running" : "interrupted (process gone)"
                    } else {
                        status = r.outcome.rawValue
                    }
                    return LedgerStatus.StageRunLine(id: r.id, stage: r.stage.rawValue, outcome: r.outcome.rawValue, status: status,
                                                     startedAt: r.startedAt, finishedAt: r.finishedAt, counts: r.counts, files: r.files, error: r.error)
                },
                reports: try ledger.reports(lastBatchID: batchID).map {
                    LedgerStatus.ReportLine(reportID: $0.reportID, state: $0.state.rawValue, total: $0.total, currency: $0.currency, reason: $0.reason)
                })
        }
        return LedgerStatus(
            ledger: config.ledgerPath, watermark: try ledger.watermark(), startDate: config.expensify.startDate,
            ledgerHeld: holder != nil, runInProgress: holder, reportStates: try ledger.reportStateCounts(),
            openReportCount: try ledger.openReportCount(),
            openReports: open.map { LedgerStatus.OpenReport(reportID: $0.reportID, state: $0.state.rawValue, approved: $0.approved,
                                                             lastBatchID: $0.lastBatchID, reason: $0.reason) },
            openByReason: byReason, drops: try ledger.drops(), batches: batches, batch: detail)
    }

    /// One report's record, drop, documents and audit trail.
    /// - Throws: `report.unknown` when the ledger does not know it.
    public func status(reportID: String) throws -> ReportStatus {
        guard let r = try ledger.report(reportID) else {
            throw ConnectorError(ErrorCode.reportUnknown, "Report \(reportID) is not in the ledger (see 'ml-connector status' for the reports it knows).",
                                 context: ["report": reportID])
        }
        return ReportStatus(report: r, drop: try ledger.drop(reportID), documents: try ledger.documents(reportID: reportID),
                            auditTrail: try ledger.auditEvents(entityID: reportID))
    }
}
