import ConnectorCore
import ConnectorLedger
import Foundation
import Logging

/// The nightly job's outcome, printed for the operator.
public struct RunSummary: Sendable, Codable {
    public var extract: ExtractSummary
    public var transform: TransformSummary
    public var load: LoadSummary
    public var commit: CommitSummary
    public var stagingDirectory: String
    public var peakMemoryMB: Int?

    /// A short human summary: found, created, exceptions, where the review files are.
    public var text: String {
        var s = "Batch \(extract.batchID) (reports approved after \(extract.approvedAfter)"
        if let until = extract.exportUntil, let w = extract.windows, w > 1 { s += " up to \(until), in \(w) windows of under a year" }
        s += ")\n"
        s += "  Reports found:      \(extract.reports)"
        if let asked = extract.refetchRequested, asked > 0 {
            s += " (re-fetched by ID: \(extract.refetchReturned ?? 0) of \(asked) held or failed earlier"
            if let missing = extract.notReturned, !missing.isEmpty { s += "; not returned: \(missing.count)" }
            s += ")"
        }
        if let d = extract.droppedSkipped, d > 0 { s += "; dropped by an operator, skipped: \(d)" }
        s += "\n"
        s += "  Ready / held / nothing to post: \(transform.ready) / \(transform.held) / \(transform.empty)  (exceptions: \(transform.exceptions))\n"
        s += "  Invoices created:   \(load.created)" + (load.completed > 0 ? " (+\(load.completed) completed)" : "")
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
        s += "  Staged files:       \(stagingDirectory)/{extract,transform,load,commit}\n"
        s += "  Review: transform/invoice-lines.csv, transform/exceptions.csv, transform/control-totals.csv\n"
        return s
    }
}

/// What `drop` did: the ledger's record of the drop, and how many reports are still retried.
public struct DropSummary: Sendable, Codable {
    public var drop: DropRecord
    /// Reports still retried every night after this drop.
    public var stillRetried: Int

    public var text: String {
        "Report \(drop.reportID) dropped from the nightly retry (it was \(drop.stateAtDrop)\(drop.reasonAtDrop.map { ": \($0)" } ?? "")).\n"
            + "  Reason: \(drop.reason)\n  By \(drop.actor) at \(drop.droppedAt). The report and its audit trail stay in the ledger; the connector will not post it.\n"
            + "  Reports still retried every night: \(stillRetried)\n"
    }
}

extension PipelineContext {
    /// Stops retrying a held or failed report: from the next extract it is no longer asked for by ID, and a copy
    /// that comes back in an export is skipped. Audited; final.
    public func drop(reportID: String, reason: String) throws -> DropSummary {
        let d = try ledger.dropReport(reportID, reason: reason, audit: audit(nil, nil))
        logger.info("report dropped", metadata: ["expensify.report": "\(reportID)", "report.state": "\(d.stateAtDrop)"])
        return DropSummary(drop: d, stillRetried: try ledger.openReportCount())
    }

    /// extract → transform → load → commit, stopping at the first stage that fails.
    public func run() async throws -> RunSummary {
        let e = try await extract()
        let t = try await transform(batchID: e.batchID)
        let l = try await load(batchID: e.batchID)
        let c = try await commit(batchID: e.batchID)
        return RunSummary(extract: e, transform: t, load: l, commit: c,
                          stagingDirectory: layout(e.batchID).batchDirectory.path, peakMemoryMB: PeakMemory.megabytes())
    }

    /// Batches, stage runs and per-report states, as text for the operator.
    public func status(batchID requested: String? = nil, reportID: String? = nil) throws -> String {
        var s = ""
        if let reportID {
            guard let r = try ledger.report(reportID) else { return "Report \(reportID) is not in the ledger.\n" }
            s += "Report \(r.reportID): \(r.state)\(r.reason.map { " — \($0)" } ?? "")\n"
            if let d = try ledger.drop(reportID) {
                s += "  DROPPED from the nightly retry at \(d.droppedAt) by \(d.actor): \(d.reason)\n"
            } else if r.state != .committed {
                s += "  open: asked for by ID on every run until it posts or is dropped ('ml-connector drop --report \(r.reportID) --reason …')\n"
            }
            s += "  policy \(r.policyID ?? "-"), submitter \(r.submitter ?? "-"), approved \(r.approved ?? "-"), total \(r.total ?? "-") \(r.currency ?? "")\n"
            s += "  first batch \(r.firstBatchID), last batch \(r.lastBatchID)\n"
            for d in try ledger.documents(reportID: reportID) {
                s += "  document \(d.key): \(d.state) \(d.company) \(d.vendor) \(d.total) \(d.currency) ref=\(d.erpReference ?? "-")\(d.error.map { " error: \($0)" } ?? "")\n"
            }
            s += "  audit trail:\n"
            for ev in try ledger.auditEvents(entityID: reportID) {
                s += "    \(ev.at) \(ev.event) [\(ev.stage ?? "-")] \(ev.detail)\n"
            }
            return s
        }
        s += "Watermark (approvedAfter): \(try ledger.watermark() ?? "none yet (start date \(config.expensify.startDate))")\n"
        let open = try ledger.openReports(limit: 50)
        let openCount = try ledger.openReportCount()
        s += "Open reports, re-fetched by ID every run until they post or are dropped: \(openCount)\n"
        for r in open {
            s += "  \(r.reportID)  \(r.state.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0)) approved \(r.approved ?? "-")  last batch \(r.lastBatchID)  \(r.reason ?? "")\n"
        }
        if openCount > open.count { s += "  … and \(openCount - open.count) more\n" }
        let drops = try ledger.drops()
        if !drops.isEmpty {
            s += "Dropped by an operator (no longer retried): \(drops.count)\n"
            for d in drops.suffix(50) {
                s += "  \(d.reportID)  was \(d.stateAtDrop)  dropped \(d.droppedAt) by \(d.actor): \(d.reason)\n"
            }
        }
        let batches = try ledger.batches(limit: 10)
        if batches.isEmpty { return s + "No batches yet.\n" }
        s += "Recent batches:\n"
        for b in batches {
            let counts = try ledger.reportCounts(lastBatchID: b.id)
            s += "  \(b.id)  approvedAfter \(b.approvedAfter ?? "-")\(b.exportUntil.map { " until \($0)" } ?? "")  " + counts.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ") + "\n"
        }
        let batchID = try resolveBatch(requested)
        s += "Batch \(batchID) stage runs:\n"
        for r in try ledger.stageRuns(batchID: batchID) {
            s += "  \(r.stage.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0)) \(r.outcome.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0)) \(r.startedAt) → \(r.finishedAt ?? "-")  "
            s += r.counts.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            if let e = r.error { s += "  error: \(e)" }
            s += "\n"
        }
        s += "Reports in batch \(batchID):\n"
        for r in try ledger.reports(lastBatchID: batchID) {
            s += "  \(r.reportID)  \(r.state.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0)) \(r.total ?? "") \(r.currency ?? "")  \(r.reason ?? "")\n"
        }
        return s
    }
}

/// Peak resident memory of this process (Linux `VmHWM`), for run summaries and benchmarks.
public enum PeakMemory {
    public static func megabytes() -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let kb = line.split(separator: " ").compactMap { Int($0) }.first
            return kb.map { $0 / 1024 }
        }
        return nil
    }
}
