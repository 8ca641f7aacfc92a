import ConnectorCore
import ConnectorLedger
import Foundation

extension ErrorCode {
    /// A report named on the command line is not in the ledger (`status --report`, `audit`, `replay --report`).
    public static let reportUnknown = "report.unknown"
    /// A batch named on the command line is not in the ledger.
    public static let batchUnknown = "batch.unknown"
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
            batches.append(
                LedgerStatus.BatchLine(
                    id: b.id, createdAt: b.createdAt, approvedAfter: b.approvedAfter, exportUntil: b.exportUntil,
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
                    return LedgerStatus.StageRunLine(
                        id: r.id, stage: r.stage.rawValue, outcome: r.outcome.rawValue, status: status,
                        startedAt: r.startedAt, finishedAt: r.finishedAt, counts: r.counts, files: r.files, error: r.error)
                },
                reports: try ledger.reports(lastBatchID: batchID).map {
                    LedgerStatus.ReportLine(
                        reportID: $0.reportID, state: $0.state.rawValue, total: $0.total, currency: $0.currency, reason: $0.reason)
                })
        }
        let g = try glance(holder: holder, openByReason: byReason)
        var status = LedgerStatus(
            ledger: config.ledgerPath, watermark: try ledger.watermark(), startDate: config.expensify.startDate,
            ledgerHeld: holder != nil, runInProgress: holder, reportStates: try ledger.reportStateCounts(),
            documentsInERP: try ledger.documentERPStatusCounts(), openReportCount: try ledger.openReportCount(),
            openReports: open.map {
                LedgerStatus.OpenReport(
                    reportID: $0.reportID, state: $0.state.rawValue, approved: $0.approved,
                    lastBatchID: $0.lastBatchID, reason: $0.reason)
            },
            openByReason: byReason, drops: try ledger.drops(), batches: batches, batch: detail)
        status.lastRuns = g.runs
        status.awaitingReview = g.awaiting
        status.rejected = g.rejected
        status.failedToLoad = g.failed
        status.needsAttention = g.attention
        status.heldByReason = g.held
        return status
    }

    /// One report's record, drop, documents and audit trail.
    /// - Throws: `report.unknown` when the ledger does not know it.
    public func status(reportID: String) throws -> ReportStatus {
        guard let r = try ledger.report(reportID) else {
            throw ConnectorError(
                ErrorCode.reportUnknown, "Report \(reportID) is not in the ledger (see 'ml-connector status' for the reports it knows).",
                context: ["report": reportID])
        }
        return ReportStatus(
            report: r, drop: try ledger.drop(reportID), documents: try ledger.documents(reportID: reportID),
            auditTrail: try ledger.auditEvents(entityID: reportID))
    }
}
