import ConnectorCore
import ConnectorLedger
import Foundation

extension LedgerStatus {
    /// One recent run (batch) at a glance: how far it got and how it ended.
    struct RunLine: Sendable, Codable {
        var batchID: String
        var startedAt: String
        var finishedAt: String?
        /// The last stage that ran and how it ended (`commit succeeded`, `load failed`, `transform interrupted`).
        var lastStage: String?
        var outcome: String?
        /// Documents created and failed by its load, reports held by its transform.
        var created: Int
        var failed: Int
        var held: Int
        /// Review state: nil when the batch never needed review, else `awaiting`, `approved`, `rejected`.
        var review: String?
        /// Reconciliation: nil when not reconciled yet, else true at zero variance.
        var reconciled: Bool?
        var variances: Int?
    }

    /// A batch waiting for finance or held by finance.
    struct ReviewLine: Sendable, Codable {
        var batchID: String
        var decision: String
        var by: String?
        var at: String
        var reason: String?
    }

    /// A document that did not load (failed or locked), with the ERP's message.
    struct FailedDocument: Sendable, Codable {
        var key: String
        var reportID: String
        var company: String
        var batchID: String
        var state: String
        var error: String?
    }

    /// Held reports sharing what is wrong with them (the field their reason names).
    struct HeldGroup: Sendable, Codable {
        var field: String
        var count: Int
        var reports: [HeldReport]
    }

    struct HeldReport: Sendable, Codable {
        var reportID: String
        var reason: String
    }

    /// Something only a person can resolve, with what to do.
    struct Attention: Sendable, Codable {
        /// Stable word: `review`, `rejected`, `held`, `failed`, `interrupted`, `variance`, `deletedInERP`.
        var kind: String
        var subject: String
        var detail: String
        var action: String
    }
}

extension PipelineContext {
    /// The "at a glance" part of `status`: last runs, review queue, failed documents and what needs a person.
    func glance(holder: LedgerLock.Holder?, openByReason: [LedgerStatus.ReasonGroup]) throws -> (
        runs: [LedgerStatus.RunLine], awaiting: [LedgerStatus.ReviewLine], rejected: [LedgerStatus.ReviewLine],
        failed: [LedgerStatus.FailedDocument], attention: [LedgerStatus.Attention], held: [LedgerStatus.HeldGroup]
    ) {
        var runs: [LedgerStatus.RunLine] = []
        var attention: [LedgerStatus.Attention] = []
        for b in try ledger.batches(limit: 10) {
            let stageRuns = try ledger.stageRuns(batchID: b.id)
            let last = stageRuns.last
            let load = stageRuns.last { $0.stage == .load }
            let transform = stageRuns.last { $0.stage == .transform }
            let review = try ledger.reviewDecision(batchID: b.id)
            let recon = try ledger.latestReconciliation(batchID: b.id)
            var outcome = last?.outcome.rawValue
            if let last, last.outcome == .running, holder?.batch != b.id {
                outcome = "interrupted (process gone)"
            }
            runs.append(
                LedgerStatus.RunLine(
                    batchID: b.id, startedAt: stageRuns.first?.startedAt ?? b.createdAt, finishedAt: last?.finishedAt,
                    lastStage: last?.stage.rawValue, outcome: outcome, created: load?.counts["created"] ?? 0,
                    failed: (load?.counts["failed"] ?? 0) + (load?.counts["locked"] ?? 0), held: transform?.counts["held"] ?? 0,
                    review: review?.decision.rawValue, reconciled: recon?.reconciled, variances: recon?.varianceCount))
            if let last, last.outcome == .failed || outcome == "interrupted (process gone)" || last.outcome == .interrupted {
                attention.append(
                    LedgerStatus.Attention(
                        kind: last.outcome == .failed ? "failed" : "interrupted", subject: "batch \(b.id)",
                        detail: "\(last.stage.rawValue) \(outcome ?? "")\(last.error.map { ": \($0)" } ?? "")",
                        action:
                            "fix the cause, then rerun 'ml-connector \(last.stage.rawValue) --batch \(b.id)' (or let the next run pick the reports up)"
                    ))
            }
            if let recon, !recon.reconciled {
                attention.append(
                    LedgerStatus.Attention(
                        kind: "variance", subject: "batch \(b.id)",
                        detail: "\(recon.varianceCount) reconciliation variance(s) at \(recon.checkedAt)",
                        action: "see 'ml-connector reconcile --batch \(b.id)' and the batch's report.html; correct the ERP or the report"))
            }
        }
        func line(_ d: ReviewDecision) -> LedgerStatus.ReviewLine {
            LedgerStatus.ReviewLine(batchID: d.batchID, decision: d.decision.rawValue, by: d.by, at: d.at, reason: d.reason)
        }
        let awaiting = try ledger.batches(inReview: .awaiting).map(line)
        let rejected = try ledger.batches(inReview: .rejected).map(line)
        for a in awaiting {
            attention.append(
                LedgerStatus.Attention(
                    kind: "review", subject: "batch \(a.batchID)",
                    detail: "awaiting finance's sign-off since \(a.at)\(a.reason.map { " (\($0))" } ?? "")",
                    action: "'ml-connector review show --batch \(a.batchID)', then 'review approve --batch \(a.batchID) --by NAME'"))
        }
        for r in rejected {
            attention.append(
                LedgerStatus.Attention(
                    kind: "rejected", subject: "batch \(r.batchID)", detail: "held by \(r.by ?? "finance") at \(r.at): \(r.reason ?? "")",
                    action: "correct the staged lines ('review import') or the data in Expensify and start a new batch"))
        }
        var heldGroups: [String: [(id: String, reason: String)]] = [:]
        for g in openByReason where g.state == ReportState.held.rawValue {
            // Grouped by what is wrong (the field the reason names: categoryGlCode, tag, currency, policyID, …).
            let field = g.reason.split(separator: ":", maxSplits: 1).first.map { String($0).trimmingCharacters(in: .whitespaces) } ?? g.reason
            for id in g.reports {
                heldGroups[field, default: []].append((id, g.reason))
            }
        }
        let held = heldGroups.map { field, reports in
            LedgerStatus.HeldGroup(
                field: field, count: reports.count,
                reports: reports.sorted { $0.id < $1.id }.map { LedgerStatus.HeldReport(reportID: $0.id, reason: $0.reason) })
        }.sorted { ($0.count, $1.field) > ($1.count, $0.field) }
        for g in held {
            let examples = g.reports.prefix(3).map {
                "\($0.reportID) (\($0.reason.split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""))"
            }
            attention.append(
                LedgerStatus.Attention(
                    kind: "held", subject: "\(g.count) report(s) held on \(g.field)",
                    detail: examples.joined(separator: "; ") + (g.count > 3 ? "; …" : ""),
                    action:
                        "fix the data in Expensify or the maps/master data; held reports are re-fetched and retried every run (or 'ml-connector drop')"
                ))
        }
        let failed = try ledger.documents(inStates: [.failed, .locked]).map {
            LedgerStatus.FailedDocument(
                key: $0.key, reportID: $0.reportID, company: $0.company, batchID: $0.batchID, state: $0.state.rawValue, error: $0.error)
        }
        if !failed.isEmpty {
            attention.append(
                LedgerStatus.Attention(
                    kind: "failed", subject: "\(failed.count) document(s)",
                    detail: "did not load: \(failed.prefix(3).map(\.key).joined(separator: ", "))\(failed.count > 3 ? ", …" : "")",
                    action: "read the ERP's message below; they are retried every run, or 'ml-connector replay --batch ID' once fixed"))
        }
        let deleted = try ledger.documentsDeletedInERP()
        if !deleted.isEmpty {
            attention.append(
                LedgerStatus.Attention(
                    kind: "deletedInERP", subject: "\(deleted.count) document(s)",
                    detail:
                        "loaded, then removed in the ERP by someone: \(deleted.prefix(3).map(\.key).joined(separator: ", "))\(deleted.count > 3 ? ", …" : "")",
                    action: "check with finance whether they are to be posted again; the connector never re-posts them by itself"))
        }
        return (runs, awaiting, rejected, failed, attention, held)
    }
}
