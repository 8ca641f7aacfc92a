import ConnectorCore
import ConnectorLedger
import ConnectorStaging
import Foundation

extension PipelineContext {
    /// The batch report's content: the ledger's batch, stage runs, review decisions and newest reconciliation, and the
    /// batch's staged transform files (`control-totals.csv`, `reports.csv`, `exceptions.csv`, `invoices.json`), read in
    /// flat memory. Files a stage has not written yet are listed in `missingFiles`, not an error.
    /// - Throws: `batch.unknown` when the ledger does not know the batch; `staging.*` when a staged file cannot be read.
    public func batchReport(batchID: String) throws -> BatchReport { try batchReport(batchID: batchID, amounts: nil) }

    /// The same, with the sums of `invoices.json` already made (transform makes them while writing the file).
    func batchReport(batchID: String, amounts: BatchReportAmounts?) throws -> BatchReport {
        guard let b = try ledger.batch(batchID) else {
            throw ConnectorError("batch.unknown", "Batch \(batchID) is not in the ledger (see 'ml-connector status').", context: ["batch": batchID])
        }
        let layout = self.layout(batchID)
        var missing: [String] = []
        func present(_ url: URL) -> Bool {
            if FileManager.default.fileExists(atPath: url.path) { return true }
            missing.append("transform/" + url.lastPathComponent)
            return false
        }

        let documents = try present(layout.invoicesFile) ? (amounts ?? stagedAmounts(layout, batchID: batchID)) : BatchReportAmounts()
        let (totals, accounts) = try present(layout.controlTotalsCSV) ? Self.controlTotals(layout.controlTotalsCSV, documents: documents) : ([], [])
        let reports = try present(layout.reportsCSV) ? Self.reportsByStatus(layout.reportsCSV) : []
        let (exceptionCount, exceptions) = try present(layout.exceptionsCSV) ? Self.exceptionGroups(layout.exceptionsCSV) : (0, [])

        let (loadOutcomes, loadProblems) = try Self.loadResults(layout.resultsCSV)
        let runs = try ledger.stageRuns(batchID: batchID)
        let stages = runs.map(Self.timing)
        var requests: [String: Int] = [:]
        for s in stages { for (system, n) in s.requests { requests[system, default: 0] += n } }
        let decisions = try ledger.reviewDecisions(batchID: batchID)
        let review = try self.review(decisions, layout: layout, batchID: batchID)
        let reconciliation = try ledger.latestReconciliation(batchID: batchID)?.result

        var times = [b.createdAt]
        times += runs.flatMap { [$0.startedAt, $0.finishedAt].compactMap { $0 } }
        times += decisions.map(\.at)
        if let r = reconciliation { times.append(r.checkedAt) }
        let asOf = times.max { (BatchReportTime.date($0) ?? .distantPast) < (BatchReportTime.date($1) ?? .distantPast) } ?? b.createdAt

        return BatchReport(
            batch: .init(
                id: b.id, target: b.target, createdAt: b.createdAt, approvedAfter: b.approvedAfter, exportUntil: b.exportUntil,
                exportLabel: b.exportLabel, replayOf: b.replayOf),
            asOf: asOf, missingFiles: missing.sorted(), totals: totals, accountTotals: accounts, reportsByStatus: reports,
            reportStates: try ledger.reportCounts(lastBatchID: batchID), loadOutcomes: loadOutcomes, loadProblems: loadProblems,
            exceptionCount: exceptionCount, exceptions: exceptions,
            review: review, reconciliation: reconciliation, stages: stages, requests: requests, charts: documents.series(),
            merchants: documents.merchantTotals())
    }

    /// The `(all)` rows (with the documents counted in `invoices.json`) and the account rows of `control-totals.csv`,
    /// sorted by company, currency (and account).
    /// The sums of the batch's `invoices.json`: from `report-amounts.json` when it was made from the same bytes (its
    /// SHA-256 matches), else read from the documents and stored there for the next report.
    func stagedAmounts(_ layout: BatchLayout, batchID: String) throws -> BatchReportAmounts {
        let sha = try StagedFile.sha256(of: layout.invoicesFile)
        if let cached = BatchReportAmounts.cached(layout.reportAmountsFile, invoicesSha256: sha) { return cached }
        let amounts = try BatchReportAmounts.read(layout.invoicesFile, batchID: batchID)
        storeReportAmounts(amounts, layout: layout, invoicesSha256: sha)
        return amounts
    }

    /// Writes `report-amounts.json`; a cache that cannot be written only costs the next report a read of invoices.json.
    func storeReportAmounts(_ amounts: BatchReportAmounts, layout: BatchLayout, invoicesSha256: String) {
        do {
            try StagedFile.write(amounts.cacheData(invoicesSha256: invoicesSha256), to: layout.reportAmountsFile)
        } catch {
            logger.warning(
                "the batch report's sums could not be cached",
                metadata: ["batch.id": "\(layout.batchID)", "error": "\((error as? ConnectorError)?.description ?? "\(error)")"])
        }
    }

    static func controlTotals(_ url: URL, documents: BatchReportAmounts) throws -> ([BatchReport.CurrencyTotal], [BatchReport.AccountTotal]) {
        guard var csv = try BatchReportCSV(url) else { return ([], []) }
        defer { csv.close() }
        var totals: [BatchReport.CurrencyTotal] = []
        var accounts: [BatchReport.AccountTotal] = []
        while let row = csv.nextRow() {
            let company = row["company"] ?? ""
            let currency = row["currency"] ?? ""
            let account = row["main_account"] ?? ""
            let lines = Int(row["lines"] ?? "") ?? 0
            let amount = row["amount"] ?? ""
            if account == "(all)" {
                totals.append(
                    .init(
                        company: company, currency: currency, documents: documents.documents["\(company)|\(currency)"] ?? 0, lines: lines,
                        amount: amount))
            } else {
                accounts.append(.init(company: company, currency: currency, account: account, lines: lines, amount: amount))
            }
        }
        totals.sort { ($0.company, $0.currency) < ($1.company, $1.currency) }
        accounts.sort { ($0.company, $0.currency, $0.account) < ($1.company, $1.currency, $1.account) }
        return (totals, accounts)
    }

    /// `reports.csv` by status: `held` first (what needs finance), then `ready`, `empty` and any other, each list by
    /// report ID and cut at `listLimit`.
    static func reportsByStatus(_ url: URL) throws -> [BatchReport.StatusGroup] {
        guard var csv = try BatchReportCSV(url) else { return [] }
        defer { csv.close() }
        var groups: [String: BatchReport.StatusGroup] = [:]
        while let row = csv.nextRow() {
            let status = row["status"] ?? ""
            var g = groups[status] ?? .init(status: status, count: 0, reports: [])
            g.count += 1
            g.reports.append(
                .init(
                    reportID: row["report_id"] ?? "", company: row["company"] ?? "", employee: row["employee"] ?? "",
                    currency: row["currency"] ?? "", expensifyTotal: row["expensify_total"] ?? "", reason: row["reason"] ?? ""))
            // Keep memory flat on a large batch: sort and cut whenever the list grows well past the limit.
            if g.reports.count >= BatchReport.listLimit * 4 {
                g.reports.sort { $0.reportID < $1.reportID }
                g.reports.removeLast(g.reports.count - BatchReport.listLimit)
            }
            groups[status] = g
        }
        let order = ["held": 0, "ready": 1, "empty": 2]
        return groups.values.map { g in
            var g = g
            g.reports.sort { $0.reportID < $1.reportID }
            if g.reports.count > BatchReport.listLimit { g.reports.removeLast(g.reports.count - BatchReport.listLimit) }
            return g
        }.sorted { (order[$0.status] ?? 3, $0.status) < (order[$1.status] ?? 3, $1.status) }
    }

    /// `exceptions.csv` grouped by field and reason, the largest group first (then by field and reason); each group's
    /// records in file order, cut at `listLimit`.
    static func exceptionGroups(_ url: URL) throws -> (Int, [BatchReport.ExceptionGroup]) {
        guard var csv = try BatchReportCSV(url) else { return (0, []) }
        defer { csv.close() }
        var groups: [String: BatchReport.ExceptionGroup] = [:]
        var count = 0
        while let row = csv.nextRow() {
            count += 1
            let field = row["field"] ?? ""
            let reason = row["reason"] ?? ""
            let key = field + "\u{0}" + reason
            var g = groups[key] ?? .init(field: field, reason: reason, count: 0, records: [])
            g.count += 1
            if g.records.count < BatchReport.listLimit {
                g.records.append(
                    .init(
                        record: row["record"] ?? "", reportID: row["report_id"] ?? "", company: row["company"] ?? "", employee: row["employee"] ?? "")
                )
            }
            groups[key] = g
        }
        let sorted = groups.values.sorted { ($1.count, $0.field, $0.reason) < ($0.count, $1.field, $1.reason) }
        return (count, sorted)
    }

    /// `load/results.csv`: documents per outcome, and those not confirmed (in file order, which is by key), cut at
    /// `listLimit`. Nothing before load.
    static func loadResults(_ url: URL) throws -> ([String: Int], [BatchReport.LoadProblem]) {
        guard var csv = try BatchReportCSV(url) else { return ([:], []) }
        defer { csv.close() }
        var outcomes: [String: Int] = [:]
        var problems: [BatchReport.LoadProblem] = []
        let confirmed: Set<String> = ["created", "completed", "alreadyPresent"]
        while let row = csv.nextRow() {
            let status = row["status"] ?? ""
            outcomes[status, default: 0] += 1
            guard !confirmed.contains(status), problems.count < BatchReport.listLimit else { continue }
            problems.append(
                .init(
                    documentKey: row["invoice_number"] ?? "", reportID: row["report_id"] ?? "", company: row["company"] ?? "",
                    currency: row["currency"] ?? "", total: row["total"] ?? "", status: status, errorCode: row["error_code"] ?? "",
                    error: row["error"] ?? ""))
        }
        return (outcomes, problems)
    }

    static func timing(_ run: StageRunRecord) -> BatchReport.StageTiming {
        var counts: [String: Int] = [:]
        var requests: [String: Int] = [:]
        for (name, n) in run.counts {
            if name.hasPrefix("requests.") { requests[String(name.dropFirst("requests.".count)), default: 0] += n } else { counts[name] = n }
        }
        var ms: Int?
        if let end = run.finishedAt.flatMap(BatchReportTime.date), let start = BatchReportTime.date(run.startedAt) {
            ms = Int((end.timeIntervalSince(start) * 1000).rounded())
        }
        return .init(
            stage: run.stage.rawValue, startedAt: run.startedAt, finishedAt: run.finishedAt, milliseconds: ms, outcome: run.outcome.rawValue,
            counts: counts, requests: requests, error: run.error)
    }

    /// The review state: the newest decision, or `notRequired` / `awaiting` (by `review`) when there is none; the
    /// newest sign-off's files checked against the staged files now.
    func review(_ decisions: [ReviewDecision], layout: BatchLayout, batchID: String) throws -> BatchReport.Review {
        var r = BatchReport.Review(
            state: config.reviewRequired ? "awaiting" : "notRequired", signedFiles: [], signedTotals: [],
            overrides: try ledger.overrides(batchID: batchID).map {
                .init(
                    documentKey: $0.documentKey, lineNumber: $0.lineNumber, field: $0.field, oldValue: $0.oldValue, newValue: $0.newValue, by: $0.by,
                    at: $0.at)
            })
        if let d = decisions.last {
            r.state = d.decision.rawValue
            r.by = d.by
            r.at = d.at
            r.reason = d.reason
        }
        if let s = decisions.last(where: { $0.decision == .approved })?.signOff {
            r.signedAt = s.approvedAt
            r.signedBy = s.approver
            r.signedTotals = s.totals.keys.sorted().map { .init(key: $0, amount: s.totals[$0] ?? "") }
            r.signedFiles = try s.files.keys.sorted().map { name in
                let url = layout.stageDirectory(.transform).appendingPathComponent(name)
                let hash = s.files[name] ?? ""
                guard FileManager.default.fileExists(atPath: url.path) else { return .init(name: name, sha256: hash, now: "missing") }
                return .init(name: name, sha256: hash, now: try StagedFile.sha256(of: url) == hash ? "unchanged" : "changed")
            }
        }
        return r
    }
}

/// Parsing the ledger's ISO 8601 times (with or without fractional seconds) and showing them as `yyyy-MM-dd HH:mm:ss UTC`.
enum BatchReportTime {
    static func date(_ text: String) -> Date? {
        if let d = try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) { return d }
        return try? Date(text, strategy: Date.ISO8601FormatStyle())
    }

    /// `2026-11-21 02:00:03 UTC` (without ` UTC` when `zone` is false); the text unchanged when it is not an ISO 8601
    /// time (e.g. a plain day).
    static func display(_ text: String?, zone: Bool = true) -> String {
        guard let text, !text.isEmpty else { return "" }
        guard let d = date(text) else { return text }
        var c = Calendar(identifier: .gregorian)
        c.timeZone = TimeZone(identifier: "UTC") ?? c.timeZone
        let p = c.dateComponents([.year, .month, .day, .hour, .minute, .second], from: d)
        func two(_ n: Int?) -> String { n.map { $0 < 10 ? "0\($0)" : "\($0)" } ?? "00" }
        return "\(p.year ?? 0)-\(two(p.month))-\(two(p.day)) \(two(p.hour)):\(two(p.minute)):\(two(p.second))" + (zone ? " UTC" : "")
    }

    /// `1.234 s`, `2 min 3.400 s`.
    static func duration(_ ms: Int?) -> String {
        guard let ms, ms >= 0 else { return "" }
        let seconds = ms / 1000
        let frac = ms % 1000
        let s = "\(seconds % 60).\(String(repeating: "0", count: 3 - String(frac).count))\(frac) s"
        return seconds >= 60 ? "\(seconds / 60) min \(s)" : s
    }
}

/// The amounts of the documents staged for load (`invoices.json`), summed exactly per currency by main account and
/// by each dimension's values, plus the documents per company and currency.
struct BatchReportAmounts {
    /// "company|currency" → documents.
    var documents: [String: Int] = [:]
    /// currency → main account → sum.
    var byAccount: [String: [String: Decimal]] = [:]
    /// currency → dimension → value → sum ("" for lines without a value in that dimension).
    var byDimension: [String: [String: [String: Decimal]]] = [:]
    /// currency → merchant → lines and sum.
    var byMerchant: [String: [String: (lines: Int, sum: Decimal)]] = [:]

    /// The line fields the charts need (decoding only these keeps a large `invoices.json` quick to read).
    private struct Document: Decodable {
        struct Line: Decodable {
            var amount: String
            var mainAccount: String
            var dimensions: [String: String]?
            var merchant: String
        }
        var company: String
        var currency: String
        var lines: [Line]
    }

    /// Per currency: the sum of every line, and per dimension the sum of the lines that have a value in it.
    private var total: [String: Decimal] = [:]
    private var valued: [String: [String: Decimal]] = [:]
    private var dimensionNames = Set<String>()

    /// Counts one staged document (its lines come through `addLine`).
    mutating func addDocument(company: String, currency: String) { documents["\(company)|\(currency)", default: 0] += 1 }

    /// Adds one staged line to the sums by account, dimension value and merchant.
    mutating func addLine(currency: String, amount text: String, mainAccount: String, dimensions: [String: String]?, merchant: String) {
        guard let amount = DecimalText.parse(text) else { return }
        byAccount[currency, default: [:]][mainAccount, default: 0] += amount
        total[currency, default: 0] += amount
        byMerchant[currency, default: [:]][merchant, default: (0, 0)].lines += 1
        byMerchant[currency, default: [:]][merchant, default: (0, 0)].sum += amount
        for (name, value) in dimensions ?? [:] where !value.isEmpty {
            dimensionNames.insert(name)
            byDimension[currency, default: [:]][name, default: [:]][value, default: 0] += amount
            valued[currency, default: [:]][name, default: 0] += amount
        }
    }

    /// The sums with lines without a value in a dimension counted under "" (no value), so each dimension's chart sums
    /// to the same total as the main account's.
    func finished() -> BatchReportAmounts {
        var out = self
        for (currency, sum) in total {
            for name in dimensionNames {
                let rest = sum - (valued[currency]?[name] ?? 0)
                if rest != 0 { out.byDimension[currency, default: [:]][name, default: [:]]["", default: 0] += rest }
            }
        }
        return out
    }

    /// The sums of a staged `invoices.json` (for a report written after any stage but transform, which hands over the
    /// sums it made while writing the file).
    static func read(_ url: URL, batchID: String) throws -> BatchReportAmounts {
        var out = BatchReportAmounts()
        var reader = try JSONArrayReader(url: url)
        defer { reader.close() }
        let decoder = JSONDecoder()
        while let element = try reader.next() {
            let d: Document
            do { d = try decoder.decode(Document.self, from: element) } catch {
                throw ConnectorError("staging.malformed", "invoices.json of batch \(batchID) has an unreadable document: \(error)")
            }
            out.addDocument(company: d.company, currency: d.currency)
            for l in d.lines {
                out.addLine(currency: d.currency, amount: l.amount, mainAccount: l.mainAccount, dimensions: l.dimensions, merchant: l.merchant)
            }
        }
        return out.finished()
    }

    /// The finished sums as `report-amounts.json`: sorted keys, amounts as exact decimal text, and the SHA-256 of
    /// the `invoices.json` they were made from.
    func cacheData(invoicesSha256: String) throws -> Data {
        func sums(_ d: [String: Decimal]) -> [String: String] { d.mapValues { DecimalText.plain($0) } }
        let object: [String: Any] = [
            "invoicesSha256": invoicesSha256,
            "documents": documents,
            "byAccount": byAccount.mapValues(sums),
            "byDimension": byDimension.mapValues { $0.mapValues(sums) },
            "byMerchant": byMerchant.mapValues { $0.mapValues { ["lines": $0.lines, "sum": DecimalText.plain($0.sum)] as [String: Any] } },
        ]
        return try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted])
    }

    /// The sums stored by `cacheData` when they were made from an `invoices.json` with this SHA-256; nil when the
    /// file is missing, unreadable or for other bytes.
    static func cached(_ url: URL, invoicesSha256: String) -> BatchReportAmounts? {
        guard let data = try? Data(contentsOf: url), let o = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            o["invoicesSha256"] as? String == invoicesSha256,
            let documents = o["documents"] as? [String: Int],
            let byAccount = o["byAccount"] as? [String: [String: String]],
            let byDimension = o["byDimension"] as? [String: [String: [String: String]]],
            let byMerchant = o["byMerchant"] as? [String: [String: [String: Any]]]
        else { return nil }
        func sums(_ d: [String: String]) -> [String: Decimal]? {
            var out: [String: Decimal] = [:]
            for (k, v) in d {
                guard let n = DecimalText.parse(v) else { return nil }
                out[k] = n
            }
            return out
        }
        var out = BatchReportAmounts()
        out.documents = documents
        for (currency, d) in byAccount {
            guard let s = sums(d) else { return nil }
            out.byAccount[currency] = s
        }
        for (currency, dims) in byDimension {
            for (name, d) in dims {
                guard let s = sums(d) else { return nil }
                out.byDimension[currency, default: [:]][name] = s
            }
        }
        for (currency, merchants) in byMerchant {
            for (name, m) in merchants {
                guard let lines = m["lines"] as? Int, let text = m["sum"] as? String, let sum = DecimalText.parse(text) else { return nil }
                out.byMerchant[currency, default: [:]][name] = (lines, sum)
            }
        }
        return out
    }

    /// Per currency (sorted): the main account series, then one per dimension (by name).
    func series() -> [BatchReport.AmountSeries] {
        var out: [BatchReport.AmountSeries] = []
        for currency in byAccount.keys.sorted() {
            out.append(Self.series(currency: currency, kind: "mainAccount", title: "Main account", sums: byAccount[currency] ?? [:]))
            for name in (byDimension[currency] ?? [:]).keys.sorted() where !(byDimension[currency]?[name]?.isEmpty ?? true) {
                out.append(Self.series(currency: currency, kind: "dimension", title: name, sums: byDimension[currency]?[name] ?? [:]))
            }
        }
        return out
    }

    /// Per currency (sorted), the `merchantLimit` merchants with the largest absolute amounts, the rest summed.
    func merchantTotals() -> [BatchReport.MerchantTotals] {
        byMerchant.keys.sorted().map { currency in
            let sums = byMerchant[currency] ?? [:]
            let ranked = sums.keys.sorted { (abs(sums[$1]?.sum ?? 0), $0) < (abs(sums[$0]?.sum ?? 0), $1) }
            let rest = ranked.dropFirst(BatchReport.merchantLimit)
            let others = rest.reduce(Decimal(0)) { $0 + (sums[$1]?.sum ?? 0) }
            return BatchReport.MerchantTotals(
                currency: currency,
                merchants: ranked.prefix(BatchReport.merchantLimit).map { name in
                    BatchReport.Merchant(name: name, lines: sums[name]?.lines ?? 0, amount: Self.amountText(sums[name]?.sum ?? 0, currency: currency))
                },
                othersCount: rest.count, othersAmount: rest.isEmpty ? nil : Self.amountText(others, currency: currency))
        }
    }

    /// Bars sorted by key; beyond `barLimit` keys the largest by absolute amount keep a bar and the rest are summed.
    static func series(currency: String, kind: String, title: String, sums: [String: Decimal]) -> BatchReport.AmountSeries {
        var keys = sums.keys.sorted()
        var othersCount = 0
        var others = Decimal(0)
        if keys.count > BatchReport.barLimit {
            let ranked = keys.sorted { (abs(sums[$1] ?? 0), $0) < (abs(sums[$0] ?? 0), $1) }
            let kept = Set(ranked.prefix(BatchReport.barLimit - 1))
            for k in keys where !kept.contains(k) {
                othersCount += 1
                others += sums[k] ?? 0
            }
            keys = keys.filter(kept.contains)
        }
        return .init(
            currency: currency, kind: kind, title: title,
            bars: keys.map { BatchReport.KeyAmount(key: $0, amount: amountText(sums[$0] ?? 0, currency: currency)) },
            othersCount: othersCount, othersAmount: othersCount > 0 ? amountText(others, currency: currency) : nil)
    }

    /// Exact text with the currency's minor digits (as `control-totals.csv` writes amounts).
    static func amountText(_ d: Decimal, currency: String) -> String {
        let plain = DecimalText.plain(d)
        guard let c = Currency(code: currency), let m = Money.parse(plain, currency: c) else { return plain }
        return m.amountText
    }
}
