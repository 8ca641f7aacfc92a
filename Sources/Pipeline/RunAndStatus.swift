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

    /// A short human summary: found, created, exceptions, where the review files are.
    public var text: String {
        var s = "Batch \(extract.batchID) (reports approved after \(extract.approvedAfter)"
        if let until = extract.exportUntil, let w = extract.windows, w > 1 { s += " up to \(until), in \(w) windows of under a year" }
        s += ")\n"
        if let source = extract.replayOf { s = "Batch \(extract.batchID) (replay of batch \(source): its held or failed reports, by ID)\n" }
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
    /// The drop as the ledger recorded it.
    public var drop: DropRecord
    /// Reports still retried every night after this drop.
    public var stillRetried: Int

    /// The operator's summary.
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
        return try await finishRun(e)
    }

    /// transform → load → commit for a batch just extracted (by `run` or `replay`).
    func finishRun(_ e: ExtractSummary) async throws -> RunSummary {
        let t = try await transform(batchID: e.batchID)
        let l = try await load(batchID: e.batchID)
        let c = try await commit(batchID: e.batchID)
        return RunSummary(extract: e, transform: t, load: l, commit: c,
                          stagingDirectory: layout(e.batchID).batchDirectory.path, peakMemoryMB: PeakMemory.megabytes())
    }
}

/// Peak resident memory of this process (Linux `VmHWM`), for run summaries and benchmarks.
public enum PeakMemory {
    /// VmHWM in megabytes; nil off Linux.
    public static func megabytes() -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let kb = line.split(separator: " ").compactMap { Int($0) }.first
            return kb.map { $0 / 1024 }
        }
        return nil
    }
}
