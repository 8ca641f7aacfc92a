import ConnectorCore
import ConnectorLedger
import ConnectorStaging
import Foundation
import Logging
import Mustache

extension BatchLayout {
    /// The batch's self-contained HTML report, beside the stage folders (not under `transform/`, whose files finance
    /// signs off by hash).
    var reportFile: URL { batchDirectory.appendingPathComponent("report.html") }
    /// The report's sums of `transform/invoices.json`, with that file's SHA-256, so the reports written after load,
    /// commit, review and reconciliation need not decode the documents again (`BatchReportAmounts.cached`).
    var reportAmountsFile: URL { batchDirectory.appendingPathComponent("report-amounts.json") }
}

extension PipelineContext {
    /// Writes `staging/<batch>/report.html` from the ledger and the staged files (see `batchReport(batchID:)`) and
    /// returns its location. Called at the end of transform, load and commit, and by whatever changes what the report
    /// shows (a review decision, a reconciliation); `ml-connector report` regenerates it.
    /// - Throws: `batch.unknown`; `staging.*` when a staged file cannot be read or the report cannot be written.
    @discardableResult
    public func writeBatchReport(batchID: String) throws -> URL { try writeBatchReport(batchID: batchID, amounts: nil) }

    @discardableResult
    func writeBatchReport(batchID: String, amounts: BatchReportAmounts?) throws -> URL {
        let html = try BatchReportPage.render(try batchReport(batchID: batchID, amounts: amounts))
        let url = layout(batchID).reportFile
        try StagedFile.write(Data(html.utf8), to: url)
        return url
    }

    /// `ml-connector report`: the batch given (or the newest) and its report written again.
    /// - Throws: `batch.unknown` / `batch.none`, and what `writeBatchReport` throws.
    public func regenerateBatchReport(batchID requested: String?) throws -> (batchID: String, url: URL) {
        let batchID = try resolveBatch(requested)
        return (batchID, try writeBatchReport(batchID: batchID))
    }

    /// `writeBatchReport` for the end of a stage: a report that cannot be written is logged as a warning and never
    /// fails the stage.
    func writeBatchReportAfterStage(_ batchID: String, amounts: BatchReportAmounts? = nil) {
        do {
            try writeBatchReport(batchID: batchID, amounts: amounts)
        } catch {
            logger.warning(
                "the batch report could not be written; 'ml-connector report --batch <id>' writes it again",
                metadata: ["batch.id": "\(batchID)", "error": "\((error as? ConnectorError)?.description ?? "\(error)")"])
        }
    }
}

/// The batch report as HTML: `BatchReport` turned into display text and chart geometry, rendered by the Mustache
/// template in `BatchReportTemplate` (every value through `{{ }}`, which escapes HTML).
enum BatchReportPage {
    static let template = Result { try MustacheTemplate(string: BatchReportTemplate.html) }

    static func render(_ report: BatchReport) throws -> String {
        let template: MustacheTemplate
        do { template = try Self.template.get() } catch {
            throw ConnectorError("report.template", "The batch report template cannot be parsed: \(error)")
        }
        return template.render(View(report))
    }

    // MARK: View model (stored properties only: Mustache reads them by reflection)

    struct Fact {
        var label: String
        var value: String
    }

    struct Figure {
        var label: String
        var value: String
        var note: String
        var tone: String
    }

    struct NameCount {
        var name: String
        var count: String
    }

    struct Status {
        var status: String
        var label: String
        var count: Int
        var reports: [BatchReport.ReportRow]
        var more: Int
        var hasMore: Bool
    }

    struct Exceptions {
        var field: String
        var reason: String
        var count: Int
        var records: [BatchReport.ExceptionRecord]
        var more: Int
        var hasMore: Bool
    }

    struct Review {
        var state: String
        var headline: String
        var tone: String
        var signed: Bool
        var signedBy: String
        var signedAt: String
        var signedFiles: [SignedFile]
        var signedTotals: [SignedTotal]
        var hasOverrides: Bool
        var overrides: [Override]
    }

    struct SignedFile {
        var name: String
        var sha256: String
        var now: String
        var tone: String
    }

    struct SignedTotal {
        var company: String
        var currency: String
        var amount: String
    }

    struct Override {
        var documentKey: String
        var lineNumber: Int
        var field: String
        var oldValue: String
        var newValue: String
        var by: String
        var at: String
    }

    struct Reconciliation {
        var headline: String
        var tone: String
        var totals: [ReconciliationTotal]
        var hasVariances: Bool
        var variances: [ReconciliationVariance]
    }

    struct ReconciliationTotal {
        var company: String
        var currency: String
        var account: String
        var isTotal: Bool
        var expensify: String
        var staged: String
        var erp: String
        var difference: String
        var differs: Bool
    }

    struct StageRow {
        var stage: String
        var started: String
        var finished: String
        var duration: String
        var outcome: String
        var tone: String
        var counts: String
        var requests: String
        var error: String
        var hasError: Bool
    }

    struct Bar {
        var label: String
        var key: String
        var amount: String
        var negative: Bool
        var noValue: Bool
        var labelY: String
        var barY: String
        var width: String
        var amountX: String
        var amountY: String
    }

    struct Chart {
        var kind: String
        var title: String
        var currency: String
        var height: String
        var bars: [Bar]
        var others: String
        var hasOthers: Bool
    }

    struct CurrencyCharts {
        var currency: String
        var charts: [Chart]
    }

    struct Merchants {
        var currency: String
        var merchants: [BatchReport.Merchant]
        var others: String
        var hasOthers: Bool
    }

    struct View {
        var batchID: String
        var facts: [Fact]
        var asOf: String
        var figures: [Figure]
        var hasMissing: Bool
        var missingFiles: [String]
        var hasTotals: Bool
        var totals: [BatchReport.CurrencyTotal]
        var accountTotals: [BatchReport.AccountTotal]
        var hasReports: Bool
        var statuses: [Status]
        var reportStates: [NameCount]
        var hasReportStates: Bool
        var hasLoad: Bool
        var loadOutcomes: [NameCount]
        var loadProblems: [BatchReport.LoadProblem]
        var hasLoadProblems: Bool
        var loadProblemsMore: Int
        var hasLoadProblemsMore: Bool
        var exceptionCount: Int
        var hasExceptions: Bool
        var exceptions: [Exceptions]
        var review: Review
        var reconciliation: Reconciliation?
        var stages: [StageRow]
        var hasStages: Bool
        var requests: [NameCount]
        var hasRequests: Bool
        var currencies: [CurrencyCharts]
        var hasCharts: Bool
        var merchants: [Merchants]
        var chartWidth: String
        var amountColumn: String

        init(_ r: BatchReport) {
            batchID = r.batch.id
            asOf = BatchReportTime.display(r.asOf)
            var facts = [
                Fact(label: "Batch", value: r.batch.id), Fact(label: "Target", value: r.batch.target),
                Fact(label: "Created", value: BatchReportTime.display(r.batch.createdAt)),
            ]
            if let source = r.batch.replayOf {
                facts.append(Fact(label: "Replay of", value: source))
            } else {
                facts.append(
                    Fact(label: "Export window", value: "approved after \(r.batch.approvedAfter ?? "-") up to \(r.batch.exportUntil ?? "-")"))
            }
            facts.append(Fact(label: "Export label", value: r.batch.exportLabel))
            self.facts = facts
            hasMissing = !r.missingFiles.isEmpty
            missingFiles = r.missingFiles
            totals = r.totals
            accountTotals = r.accountTotals
            hasTotals = !r.totals.isEmpty
            statuses = r.reportsByStatus.map { g in
                Status(
                    status: g.status, label: g.status.isEmpty ? "(no status)" : g.status, count: g.count, reports: g.reports,
                    more: g.count - g.reports.count, hasMore: g.count > g.reports.count)
            }
            hasReports = !statuses.isEmpty
            reportStates = r.reportStates.keys.sorted().map { NameCount(name: $0, count: "\(r.reportStates[$0] ?? 0)") }
            hasReportStates = !reportStates.isEmpty
            hasLoad = !r.loadOutcomes.isEmpty
            loadOutcomes = r.loadOutcomes.keys.sorted().map { NameCount(name: $0, count: "\(r.loadOutcomes[$0] ?? 0)") }
            loadProblems = r.loadProblems
            hasLoadProblems = !r.loadProblems.isEmpty
            let unconfirmed = r.loadOutcomes.filter { !["created", "completed", "alreadyPresent"].contains($0.key) }.values.reduce(0, +)
            loadProblemsMore = unconfirmed - r.loadProblems.count
            hasLoadProblemsMore = loadProblemsMore > 0
            exceptionCount = r.exceptionCount
            hasExceptions = r.exceptionCount > 0
            exceptions = r.exceptions.map { g in
                Exceptions(
                    field: g.field, reason: g.reason, count: g.count, records: g.records, more: g.count - g.records.count,
                    hasMore: g.count > g.records.count)
            }
            review = Self.review(r.review)
            reconciliation = r.reconciliation.map(Self.reconciliation)
            stages = r.stages.map(Self.stage)
            hasStages = !stages.isEmpty
            requests = r.requests.keys.sorted().map { NameCount(name: $0, count: "\(r.requests[$0] ?? 0)") }
            hasRequests = !requests.isEmpty
            chartWidth = "\(BarGeometry.width)"
            amountColumn = "\(BarGeometry.barMax + 8)"
            var currencies: [CurrencyCharts] = []
            for series in r.charts {
                let chart = BarGeometry.chart(series)
                if currencies.last?.currency == series.currency {
                    currencies[currencies.count - 1].charts.append(chart)
                } else {
                    currencies.append(CurrencyCharts(currency: series.currency, charts: [chart]))
                }
            }
            self.currencies = currencies
            hasCharts = !currencies.isEmpty
            merchants = r.merchants.map { m in
                Merchants(
                    currency: m.currency, merchants: m.merchants,
                    others: m.othersAmount.map { "\(m.othersCount) more merchant(s): \($0) \(m.currency)" } ?? "", hasOthers: m.othersCount > 0)
            }

            let reports = r.reportsByStatus.reduce(0) { $0 + $1.count }
            let held = r.reportsByStatus.first { $0.status == "held" }?.count ?? 0
            let documents = r.totals.reduce(0) { $0 + $1.documents }
            let requestTotal = r.requests.values.reduce(0, +)
            figures = [
                Figure(label: "Reports", value: "\(reports)", note: held > 0 ? "\(held) held" : "none held", tone: held > 0 ? "warn" : "ok"),
                Figure(label: "Documents", value: "\(documents)", note: "staged for load", tone: "neutral"),
                Figure(
                    label: "Exceptions", value: "\(r.exceptionCount)", note: r.exceptionCount == 0 ? "none" : "\(r.exceptions.count) kind(s)",
                    tone: r.exceptionCount > 0 ? "warn" : "ok"),
                Figure(label: "Review", value: review.state, note: review.signed ? "signed off" : "", tone: review.tone),
                Figure(
                    label: "Reconciliation", value: r.reconciliation.map { $0.reconciled ? "reconciled" : "variances" } ?? "not yet",
                    note: r.reconciliation.map { "\($0.variances.count) variance(s)" } ?? "",
                    tone: r.reconciliation.map { $0.reconciled ? "ok" : "bad" } ?? "neutral"),
                Figure(label: "HTTP requests", value: "\(requestTotal)", note: "\(r.requests.count) system(s)", tone: "neutral"),
            ]
        }

        static func review(_ r: BatchReport.Review) -> Review {
            let headline: String
            let tone: String
            let when = BatchReportTime.display(r.at)
            switch r.state {
            case "approved":
                headline = "Approved by \(r.by ?? "?") on \(when)"
                tone = "ok"
            case "rejected":
                headline = "Rejected by \(r.by ?? "?") on \(when) because \(r.reason ?? "no reason given")"
                tone = "bad"
            case "awaiting":
                headline = "Awaiting review" + (r.reason.map { ": \($0)" } ?? "") + (r.at == nil ? "" : " (since \(when))")
                tone = "warn"
            default:
                headline = "Not required (review is optional for this connector)"
                tone = "neutral"
            }
            let state = ["notRequired": "not required"][r.state] ?? r.state
            return Review(
                state: state, headline: headline, tone: tone, signed: r.signedAt != nil, signedBy: r.signedBy ?? "",
                signedAt: BatchReportTime.display(r.signedAt),
                signedFiles: r.signedFiles.map {
                    SignedFile(name: $0.name, sha256: $0.sha256, now: $0.now, tone: $0.now == "unchanged" ? "ok" : "bad")
                },
                signedTotals: r.signedTotals.map { t in
                    let parts = t.key.split(separator: "|", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
                    return SignedTotal(company: parts[0], currency: parts.count > 1 ? parts[1] : "", amount: t.amount)
                },
                hasOverrides: !r.overrides.isEmpty,
                overrides: r.overrides.map {
                    Override(
                        documentKey: $0.documentKey, lineNumber: $0.lineNumber, field: $0.field, oldValue: $0.oldValue, newValue: $0.newValue,
                        by: $0.by, at: BatchReportTime.display($0.at))
                })
        }

        static func reconciliation(_ r: ReconciliationResult) -> Reconciliation {
            let when = BatchReportTime.display(r.checkedAt)
            return Reconciliation(
                headline: r.reconciled
                    ? "Reconciled on \(when): Expensify, the staged files and the ERP agree (zero variance)"
                    : "\(r.variances.count) variance(s) found on \(when)",
                tone: r.reconciled ? "ok" : "bad",
                totals: r.totals.map { t in
                    ReconciliationTotal(
                        company: t.company, currency: t.currency, account: t.account.isEmpty ? "(all)" : t.account, isTotal: t.account.isEmpty,
                        expensify: t.expensify ?? "", staged: t.staged, erp: t.erp, difference: t.difference,
                        differs: (DecimalText.parse(t.difference) ?? 0) != 0)
                },
                hasVariances: !r.variances.isEmpty, variances: r.variances)
        }

        static func stage(_ s: BatchReport.StageTiming) -> StageRow {
            let started = BatchReportTime.display(s.startedAt, zone: false)
            var finished = BatchReportTime.display(s.finishedAt, zone: false)
            // The finish time alone when the run ended the day it started.
            if finished.count == 19, started.prefix(11) == finished.prefix(11) { finished = String(finished.dropFirst(11)) }
            return StageRow(
                stage: s.stage, started: started, finished: finished,
                duration: BatchReportTime.duration(s.milliseconds), outcome: s.outcome,
                tone: ["succeeded": "ok", "failed": "bad", "interrupted": "warn"][s.outcome] ?? "neutral",
                counts: s.counts.keys.sorted().map { "\($0) \(s.counts[$0] ?? 0)" }.joined(separator: ", "),
                requests: s.requests.keys.sorted().map { "\($0) \(s.requests[$0] ?? 0)" }.joined(separator: ", "), error: s.error ?? "",
                hasError: !(s.error ?? "").isEmpty)
        }
    }
}

/// Bar chart geometry in SVG user units: each bar has its label on a line above it and its exact amount at its end.
/// Lengths are scaled with exact decimal arithmetic (|amount| × `barMax` ÷ the largest |amount|) and only rounded to
/// a tenth of a unit for the picture; the amounts shown are the exact sums.
enum BarGeometry {
    static let width = 520
    /// The longest bar; the rest of the width holds the amount's label.
    static let barMax = 380
    static let row = 34
    static let top = 4

    static func chart(_ s: BatchReport.AmountSeries) -> BatchReportPage.Chart {
        let amounts = s.bars.map { DecimalText.parse($0.amount) ?? 0 }
        let largest = amounts.map { abs($0) }.max() ?? 0
        var bars: [BatchReportPage.Bar] = []
        for (i, bar) in s.bars.enumerated() {
            let y = top + i * row
            let length = scaled(abs(amounts[i]), largest: largest)
            bars.append(
                BatchReportPage.Bar(
                    label: bar.key.isEmpty ? "(no value)" : bar.key, key: bar.key, amount: bar.amount, negative: amounts[i] < 0,
                    noValue: bar.key.isEmpty, labelY: "\(y + 11)", barY: "\(y + 15)", width: DecimalText.plain(length),
                    amountX: DecimalText.plain(length + 6), amountY: "\(y + 26)"))
        }
        let others = s.othersAmount.map { "\(s.othersCount) more value(s) without a bar of their own: \($0) \(s.currency)" } ?? ""
        return BatchReportPage.Chart(
            kind: s.kind, title: s.kind == "mainAccount" ? "By main account" : "By dimension \(s.title)", currency: s.currency,
            height: "\(top * 2 + s.bars.count * row)", bars: bars, others: others, hasOthers: s.othersCount > 0)
    }

    /// `value × barMax ÷ largest`, rounded to 0.1; at least 1 for a non-zero amount so every bar shows.
    static func scaled(_ value: Decimal, largest: Decimal) -> Decimal {
        guard largest > 0, value > 0 else { return 0 }
        var exact = value * Decimal(barMax) / largest
        var rounded = Decimal()
        NSDecimalRound(&rounded, &exact, 1, .plain)
        return max(rounded, 1)
    }
}
