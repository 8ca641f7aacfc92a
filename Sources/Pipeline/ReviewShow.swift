import ConnectorCore
import ConnectorLedger
import ConnectorStaging
import Foundation

/// What `review show` prints: the batch's control totals, its exceptions grouped by reason, where its review stands and
/// what changed since the last sign-off.
public struct ReviewReport: Sendable, Codable {
    /// One row of `control-totals.csv`.
    public struct TotalRow: Sendable, Codable, Hashable {
        public var company: String
        public var currency: String
        public var mainAccount: String
        public var lines: String
        public var amount: String
    }

    /// Exceptions with the same field and reason.
    public struct ExceptionGroup: Sendable, Codable, Hashable {
        public var field: String
        public var reason: String
        public var count: Int
        /// The records (report/expense) it holds, sorted.
        public var records: [String]
    }

    public var batchID: String
    /// Whether the configuration requires a sign-off (`review: required`).
    public var reviewRequired: Bool
    /// `awaiting`, `approved`, `rejected`, or `not under review` when no decision was recorded and review is optional.
    public var state: String
    /// The newest decision, if any.
    public var decision: ReviewDecision?
    /// The newest sign-off, even when a later decision superseded it.
    public var lastSignOff: ReviewSignOff?
    /// Whether load already ran for the batch (then nothing can be reviewed any more).
    public var loadRan: Bool
    public var controlTotals: [TotalRow]
    public var exceptions: [ExceptionGroup]
    /// Staged files and totals that differ from the last sign-off.
    public var changedSinceSignOff: [ReviewChange]
    /// Spreadsheet edits recorded after the last sign-off (all of them when there is none).
    public var overridesSinceSignOff: [LineOverride]
    /// What to run next.
    public var next: [String]

    /// Tables for a terminal.
    public var text: String {
        var s = "Batch \(batchID): review \(state)"
        if let d = decision {
            s += " (\(d.by.map { "by \($0), " } ?? "")\(d.at)\(d.reason.map { ": \($0)" } ?? ""))"
        }
        s += reviewRequired ? "; review is required before load\n" : "\n"
        if let so = lastSignOff { s += "Last sign-off: \(so.approver) at \(so.approvedAt), \(so.files.count) file(s)\n" }
        if loadRan { s += "Load already ran for this batch: it can no longer be signed off or edited.\n" }
        s += "\nControl totals (transform/control-totals.csv)\n"
        s += TextTable.render(
            ["company", "currency", "main account", "lines", "amount"],
            controlTotals.map { [$0.company, $0.currency, $0.mainAccount, $0.lines, $0.amount] }, rightAligned: [3, 4])
        s += "\nExceptions (transform/exceptions.csv), by reason\n"
        if exceptions.isEmpty {
            s += "  none\n"
        } else {
            s += TextTable.render(
                ["count", "field", "reason", "records"],
                exceptions.map { g in
                    [String(g.count), g.field, g.reason, g.records.prefix(3).joined(separator: " ") + (g.records.count > 3 ? " …" : "")]
                }, rightAligned: [0], width: 110)
        }
        s += "\nChanges since the last sign-off\n"
        if lastSignOff == nil { s += "  no sign-off yet\n" }
        if changedSinceSignOff.isEmpty && lastSignOff != nil { s += "  staged files and totals: unchanged\n" }
        for c in changedSinceSignOff { s += "  \(c.description)\n" }
        if !overridesSinceSignOff.isEmpty {
            s += TextTable.render(
                ["line", "expense", "field", "old", "new", "by", "at", "file"],
                overridesSinceSignOff.map {
                    ["\($0.documentKey) \($0.lineNumber)", $0.transactionID, $0.field, $0.oldValue, $0.newValue, $0.by, $0.at, $0.sourceFile ?? ""]
                })
        }
        if !next.isEmpty {
            s += "\nNext:\n"
            for c in next { s += "  \(c)\n" }
        }
        return s
    }
}

/// Plain text tables: a header, a rule, columns padded to their widest cell (cells cut at `width` characters).
enum TextTable {
    static func render(_ header: [String], _ rows: [[String]], rightAligned: Set<Int> = [], width: Int = 60) -> String {
        let clip = { (s: String) -> String in
            let flat = s.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
            return flat.count > width ? String(flat.prefix(width - 1)) + "…" : flat
        }
        let cells = ([header] + rows).map { $0.map(clip) }
        var widths = Array(repeating: 0, count: header.count)
        for r in cells { for (i, c) in r.enumerated() where i < widths.count { widths[i] = max(widths[i], c.count) } }
        func line(_ r: [String]) -> String {
            var parts: [String] = []
            for i in widths.indices {
                let c = i < r.count ? r[i] : ""
                let pad = String(repeating: " ", count: widths[i] - c.count)
                parts.append(rightAligned.contains(i) ? pad + c : (i == widths.count - 1 ? c : c + pad))
            }
            return "  " + parts.joined(separator: "  ") + "\n"
        }
        var out = line(cells[0])
        out += "  " + widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ") + "\n"
        for r in cells.dropFirst() { out += line(r) }
        return out
    }
}

extension PipelineContext {
    /// `review show`: control totals, exceptions grouped by reason, the review state and the changes since the last
    /// sign-off (staged files whose hash differs, totals that differ, spreadsheet edits recorded after it).
    public func reviewShow(batchID requested: String) throws -> ReviewReport {
        let batchID = try reviewBatch(requested)
        let layout = self.layout(batchID)
        _ = try requireStage(.transform, batchID: batchID, before: .load)
        let decisions = try ledger.reviewDecisions(batchID: batchID)
        let newest = decisions.last
        let signOff = decisions.last(where: { $0.decision == .approved })?.signOff
        let loadRan = try ledger.stageRuns(batchID: batchID).contains { $0.stage >= .load }

        try layout.require(layout.controlTotalsCSV, producedBy: .transform)
        let totals = CSVReader.rows(try Data(contentsOf: layout.controlTotalsCSV)).map {
            ReviewReport.TotalRow(
                company: $0["company"] ?? "", currency: $0["currency"] ?? "", mainAccount: $0["main_account"] ?? "", lines: $0["lines"] ?? "",
                amount: $0["amount"] ?? "")
        }
        var groups: [String: ReviewReport.ExceptionGroup] = [:]
        if FileManager.default.fileExists(atPath: layout.exceptionsCSV.path) {
            for row in CSVReader.rows(try Data(contentsOf: layout.exceptionsCSV)) {
                let field = row["field"] ?? ""
                let reason = row["reason"] ?? ""
                let key = field + "\u{1F}" + reason
                var g = groups[key] ?? ReviewReport.ExceptionGroup(field: field, reason: reason, count: 0, records: [])
                g.count += 1
                g.records.append(row["record"] ?? "")
                groups[key] = g
            }
        }
        let exceptions = groups.values.map { g -> ReviewReport.ExceptionGroup in
            var g = g
            g.records.sort()
            return g
        }.sorted { ($0.count, $1.field, $1.reason) > ($1.count, $0.field, $0.reason) }

        let changes = try signOff.map { try changesSince($0, layout: layout) } ?? []
        let overrides = try ledger.overrides(batchID: batchID).filter { o in signOff.map { o.at > $0.approvedAt } ?? true }
        var next: [String] = []
        if !loadRan {
            let commands = Self.reviewCommands(batchID)
            switch newest?.decision {
            case .approved where changes.isEmpty: next = Array(commands.suffix(2))
            case nil where !config.reviewRequired: next = []
            default: next = Array(commands.dropFirst())
            }
        }
        return ReviewReport(
            batchID: batchID, reviewRequired: config.reviewRequired,
            state: newest?.decision.rawValue ?? (config.reviewRequired ? "awaiting" : "not under review"), decision: newest,
            lastSignOff: signOff, loadRan: loadRan, controlTotals: totals, exceptions: exceptions, changedSinceSignOff: changes,
            overridesSinceSignOff: overrides, next: next)
    }
}
