import ConnectorLedger
import ConnectorStaging
import Foundation
import XCTest

@testable import Pipeline

/// `staging/<batch>/report.html` rendered by a real headless browser (Debian's `chromium`): a batch run end to end
/// through the real binary against the sandbox, with a merchant whose name is a script tag.
final class BatchReportTests: XCTestCase {
    static let hostileMerchant = "<script>alert(1)</script>"

    /// The browser: `CHROMIUM` if set, else `chromium` or `chromium-browser` on the usual paths.
    static func chromium() throws -> URL {
        let env = ProcessInfo.processInfo.environment["CHROMIUM"].map { [$0] } ?? []
        for path in env + ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/local/bin/chromium", "/snap/bin/chromium"]
        where FileManager.default.isExecutableFile(atPath: path) {
            return URL(fileURLWithPath: path)
        }
        throw XCTSkip(
            "chromium is not installed (Debian package 'chromium'; scripts/install-test-deps.sh installs it, CI does): the batch report cannot be checked in a browser"
        )
    }

    /// Runs headless chromium on `page` with `arguments` (a throwaway profile, no network services), at most 90 s.
    static func browse(_ page: URL, _ arguments: [String], profile: URL) throws -> String {
        let p = Process()
        p.executableURL = try chromium()
        p.arguments =
            [
                "--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=\(profile.path)", "--no-first-run",
                "--no-default-browser-check", "--disable-extensions", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-dev-shm-usage",
            ] + arguments + [page.absoluteString]
        let out = Pipe()
        let err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let deadline = Date().addingTimeInterval(90)
        let reader = Task.detached { out.fileHandleForReading.readDataToEndOfFile() }
        let errReader = Task.detached { err.fileHandleForReading.readDataToEndOfFile() }
        while p.isRunning && Date() < deadline { usleep(50_000) }
        if p.isRunning {
            p.terminate()
            XCTFail("chromium did not finish within 90 s: \(arguments)")
        }
        p.waitUntilExit()
        let semaphore = DispatchSemaphore(value: 0)
        let box = Box()
        Task {
            box.stdout = await reader.value
            box.stderr = await errReader.value
            semaphore.signal()
        }
        semaphore.wait()
        XCTAssertEqual(p.terminationStatus, 0, "chromium \(arguments) failed: \(String(decoding: box.stderr, as: UTF8.self))")
        return String(decoding: box.stdout, as: UTF8.self)
    }

    final class Box: @unchecked Sendable {
        var stdout = Data()
        var stderr = Data()
    }

    /// The attributes of every start tag that carries `marker`, in document order (the report marks its figures with
    /// `data-*` attributes for this).
    static func tags(with marker: String, in html: String) -> [[String: String]] {
        let tag = try! NSRegularExpression(pattern: "<[a-zA-Z]+\\s[^>]*\\b\(marker)(=\"[^\"]*\")?[^>]*>")
        let attribute = try! NSRegularExpression(pattern: "([a-zA-Z_:][-a-zA-Z0-9_:.]*)(?:=\"([^\"]*)\")?")
        let ns = html as NSString
        return tag.matches(in: html, range: NSRange(location: 0, length: ns.length)).map { m in
            let text = ns.substring(with: m.range)
            var out: [String: String] = [:]
            let t = text as NSString
            for a in attribute.matches(in: text, range: NSRange(location: 0, length: t.length)).dropFirst() {
                let name = t.substring(with: a.range(at: 1))
                out[name] = a.range(at: 2).location == NSNotFound ? "" : unescape(t.substring(with: a.range(at: 2)))
            }
            return out
        }
    }

    /// The HTML character references a serialised attribute or text may hold.
    static func unescape(_ s: String) -> String {
        s.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">").replacingOccurrences(of: "&quot;", with: "\"")
            .replacingOccurrences(of: "&#39;", with: "'").replacingOccurrences(of: "&amp;", with: "&")
    }

    func testTheBatchReportRendersInAHeadlessBrowserWithTheControlTotalsAndEscapedText() async throws {
        _ = try Self.chromium()
        let h = try await Harness()
        defer { h.stop() }
        // Report 90000001's first expense gets a merchant that is a script tag.
        let seed = try await h.control("GET", "/_sandbox/expensify/reports?format=seed")
        var reports = (seed as? [[String: Any]]) ?? ((seed as? [String: Any])?["reports"] as? [[String: Any]]) ?? []
        let i = try XCTUnwrap(reports.firstIndex { $0["reportID"] as? String == "90000001" })
        var expenses = try XCTUnwrap(reports[i]["transactionList"] as? [[String: Any]])
        expenses[0]["merchant"] = Self.hostileMerchant
        reports[i]["transactionList"] = expenses
        _ = try await h.control("POST", "/_sandbox/expensify/reports", body: [reports[i]])

        try h.cli(["run"])
        let batch = try h.latestBatch()
        let page = batch.appendingPathComponent("report.html")
        let source = try String(contentsOf: page, encoding: .utf8)

        // Self-contained and inert: nothing that fetches, no script anywhere, the merchant escaped in the source.
        for forbidden in ["<script", "http:", "https:", "src=", "@import", "url(", "<link", "<img", "<iframe", "<object", "<embed", "href="] {
            XCTAssertFalse(
                source.lowercased().replacingOccurrences(of: "&lt;script&gt;", with: "").contains(forbidden), "report.html contains \(forbidden)")
        }
        XCTAssertTrue(source.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "the merchant is escaped in the source")

        // The real browser's DOM.
        let profile = FileManager.default.temporaryDirectory.appendingPathComponent("mlc-chromium-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: profile) }
        let dom = try Self.browse(page, ["--dump-dom"], profile: profile)
        XCTAssertTrue(dom.contains("data-total-company"), "the DOM has the control totals: \(dom.prefix(500))")
        XCTAssertFalse(dom.lowercased().contains("<script"), "no script element in the DOM")
        let merchants = Self.tags(with: "data-merchant", in: dom)
        XCTAssertFalse(merchants.isEmpty)
        let merchantCells = try NSRegularExpression(pattern: "<td [^>]*data-merchant(?:=\"\")?[^>]*>([^<]*)</td>")
        let names = merchantCells.matches(in: dom, range: NSRange(location: 0, length: (dom as NSString).length)).map {
            Self.unescape((dom as NSString).substring(with: $0.range(at: 1)))
        }
        XCTAssertTrue(names.contains(Self.hostileMerchant), "the merchant appears as text: \(names)")

        // The totals in the DOM are control-totals.csv's, per company and currency, exactly.
        let control = try h.csv("transform/control-totals.csv", batch: batch)
        let expected = Set(
            control.filter { $0["main_account"] == "(all)" }.map { "\($0["company"]!)|\($0["currency"]!)|\($0["lines"]!)|\($0["amount"]!)" })
        let shown = Set(
            Self.tags(with: "data-total-company", in: dom).map {
                "\($0["data-total-company"] ?? "")|\($0["data-total-currency"] ?? "")|\($0["data-total-lines"] ?? "")|\($0["data-total-amount"] ?? "")"
            })
        XCTAssertFalse(expected.isEmpty)
        XCTAssertEqual(shown, expected)
        // Documents per company and currency are invoices.json's.
        let invoices = try XCTUnwrap(
            JSONSerialization.jsonObject(with: Data(contentsOf: batch.appendingPathComponent("transform/invoices.json"))) as? [[String: Any]])
        for row in Self.tags(with: "data-total-company", in: dom) {
            let n = invoices.filter {
                $0["company"] as? String == row["data-total-company"] && $0["currency"] as? String == row["data-total-currency"]
            }.count
            XCTAssertEqual(row["data-total-documents"], "\(n)", "\(row)")
        }

        // One bar per main account in each currency's chart, labelled with the exact sum of that account's lines.
        var accounts: [String: [String: Decimal]] = [:]
        for r in control where r["main_account"] != "(all)" {
            accounts[r["currency"]!, default: [:]][r["main_account"]!, default: 0] += dec(r["amount"]!)
        }
        let bars = Self.tags(with: "data-bar-kind", in: dom).filter { $0["data-bar-kind"] == "mainAccount" }
        XCTAssertTrue(dom.contains("<svg"), "the chart is inline SVG")
        for (currency, sums) in accounts {
            let mine = bars.filter { $0["data-bar-currency"] == currency }
            XCTAssertEqual(mine.map { $0["data-bar-key"] ?? "" }.sorted(), sums.keys.sorted(), currency)
            for b in mine {
                XCTAssertEqual(dec(b["data-bar-amount"] ?? ""), sums[b["data-bar-key"] ?? ""], "\(currency) \(b)")
                XCTAssertGreaterThan(dec(b["width"] ?? ""), 0, "every bar is drawn: \(b)")
                XCTAssertTrue(dom.contains(">\(b["data-bar-amount"] ?? "-")</text>"), "the bar is labelled with its amount: \(b)")
            }
        }
        XCTAssertEqual(Set(bars.compactMap { $0["data-bar-currency"] }), Set(accounts.keys))

        // HTTP requests per system are the ledger's stage counts, summed over the batch's stage runs.
        let ledger = try Ledger(path: h.dir.appendingPathComponent("ledger.sqlite").path)
        var requests: [String: Int] = [:]
        for run in try ledger.stageRuns(batchID: batch.lastPathComponent) {
            for (k, n) in run.counts where k.hasPrefix("requests.") { requests[String(k.dropFirst(9)), default: 0] += n }
        }
        XCTAssertGreaterThan(requests["expensify"] ?? 0, 0, "\(requests)")
        XCTAssertGreaterThan(requests["d365fo"] ?? 0, 0, "\(requests)")
        let shownRequests = Dictionary(
            uniqueKeysWithValues: Self.tags(with: "data-requests-system", in: dom).map {
                ($0["data-requests-system"] ?? "", Int($0["data-requests"] ?? "") ?? -1)
            })
        XCTAssertEqual(shownRequests, requests)
        XCTAssertEqual(Set(Self.tags(with: "data-stage", in: dom).compactMap { $0["data-stage"] }), ["extract", "transform", "load", "commit"])
        XCTAssertEqual(Self.tags(with: "data-review-state", in: dom).first?["data-review-state"], "not required")
        let results = Dictionary(grouping: try h.csv("load/results.csv", batch: batch), by: { $0["status"] ?? "" }).mapValues { "\($0.count)" }
        let outcomes = Self.tags(with: "data-load-outcome", in: dom).map { ($0["data-load-outcome"] ?? "", $0["data-load-count"] ?? "") }
        XCTAssertEqual(Dictionary(uniqueKeysWithValues: outcomes), results)
        // `run` reconciles after load: the sandbox holds exactly what was staged.
        let reconciliation = try XCTUnwrap(try ledger.latestReconciliation(batchID: batch.lastPathComponent))
        XCTAssertTrue(reconciliation.reconciled)
        XCTAssertEqual(Self.tags(with: "data-reconciled", in: dom).first?["data-reconciled"], "ok")

        // A screenshot renders (kept in the temporary folder for a person to look at).
        let shot = FileManager.default.temporaryDirectory.appendingPathComponent("ml-connector-batch-report.png")
        try? FileManager.default.removeItem(at: shot)
        _ = try Self.browse(page, ["--screenshot=\(shot.path)", "--window-size=1280,2000", "--hide-scrollbars"], profile: profile)
        let png = try Data(contentsOf: shot)
        XCTAssertEqual(Array(png.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], "a PNG")
        XCTAssertGreaterThan(png.count, 20_000, "the screenshot shows a rendered page")

        // `report` writes the same bytes again and prints the path; an unknown batch is exit 5.
        let again = try h.cli(["report", "--batch", batch.lastPathComponent, "--open-path"])
        XCTAssertEqual(again.stdout, page.path + "\n")
        XCTAssertEqual(try String(contentsOf: page, encoding: .utf8), source, "the report is deterministic")
        try h.cli(["report", "--batch", "19990101-000000"], expect: 5)
    }

    /// A sign-off, a later edit of a staged file, a rejection and a reconciliation with a variance, all recorded in the
    /// real ledger, then `ml-connector report`: the page says who rejected and why, which signed file changed, and
    /// lists the variance; the approver's and the ERP's words are text, never markup.
    func testTheReviewStateAndTheReconciliationShowInTheReport() async throws {
        _ = try Self.chromium()
        let h = try await Harness()
        defer { h.stop() }
        try h.cli(["run"])
        let batch = try h.latestBatch()
        let id = batch.lastPathComponent
        let ledger = try Ledger(path: h.dir.appendingPathComponent("ledger.sqlite").path)
        let audit = AuditContext(actor: "BatchReportTests", batchID: id, stage: nil)
        let signed = try XCTUnwrap(ledger.lastSucceededStage(batchID: id, stage: .transform)?.files)
        XCTAssertEqual(signed.count, 5, "\(signed)")
        let approver = "Dana \"><img src=x onerror=alert(1)>"
        try ledger.recordSignOff(
            ReviewSignOff(batchID: id, approver: approver, approvedAt: "2026-12-01T10:00:00.000Z", files: signed, totals: ["usmf|USD": "834.89"]),
            audit: audit)
        // Someone edits a staged file after the sign-off; finance then holds the batch.
        let reports = batch.appendingPathComponent("transform/reports.csv")
        try (try Data(contentsOf: reports) + Data("edited,by,hand\n".utf8)).write(to: reports)
        try ledger.recordRejection(batchID: id, by: "Erin", reason: "wrong <cost centre> on 90000001", audit: audit)
        let variance = ReconciliationVariance(
            kind: "amountDiffers", company: "usmf", reportID: "90000001", documentKey: "EXP90000001",
            detail: "line 2: staged 217.34 on 600110, ERP holds <b>200.00</b>")
        _ = try ledger.recordReconciliation(
            ReconciliationResult(
                batchID: id, checkedAt: "2026-12-02T08:00:00.000Z", reconciled: false,
                totals: [
                    ReconciliationTotal(
                        company: "usmf", currency: "USD", account: "", expensify: "834.89", staged: "834.89", erp: "817.55", difference: "-17.34")
                ], variances: [variance]), audit: audit)

        let written = try h.cli(["report", "--batch", id, "--json"])
        XCTAssertTrue(written.stdout.contains("\"path\""), written.stdout)
        let page = batch.appendingPathComponent("report.html")
        let source = try String(contentsOf: page, encoding: .utf8)
        XCTAssertFalse(source.contains("<img"), "the approver's name is text")
        XCTAssertFalse(source.contains("<b>"), "the ERP's words are text")

        let profile = FileManager.default.temporaryDirectory.appendingPathComponent("mlc-chromium-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: profile) }
        let dom = try Self.browse(page, ["--dump-dom"], profile: profile)
        XCTAssertFalse(dom.contains("<img"), "no image element in the DOM")
        XCTAssertFalse(dom.contains("<b>"), "no markup from the ERP in the DOM")
        let review = try XCTUnwrap(
            try NSRegularExpression(pattern: "<p [^>]*data-review-state=\"rejected\"[^>]*>([^<]*)</p>").firstMatch(
                in: dom, range: NSRange(location: 0, length: (dom as NSString).length)))
        let headline = Self.unescape((dom as NSString).substring(with: review.range(at: 1)))
        XCTAssertTrue(headline.hasPrefix("Rejected by Erin on "), headline)
        XCTAssertTrue(headline.hasSuffix("because wrong <cost centre> on 90000001"), headline)
        XCTAssertTrue(
            dom.contains(
                "Newest sign-off: "
                    + approver.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(
                        of: ">", with: "&gt;")), "the approver as text")
        let files = Dictionary(
            uniqueKeysWithValues: Self.tags(with: "data-signed-file", in: dom).map { ($0["data-signed-file"] ?? "", $0["data-signed-now"] ?? "") })
        XCTAssertEqual(files["reports.csv"], "changed")
        XCTAssertEqual(Set(files.keys), Set(signed.keys))
        XCTAssertEqual(files.filter { $0.value == "unchanged" }.count, signed.count - 1, "\(files)")

        XCTAssertEqual(Self.tags(with: "data-reconciled", in: dom).first?["data-reconciled"], "bad")
        XCTAssertEqual(Self.tags(with: "data-variance", in: dom).map { $0["data-variance"] }, ["amountDiffers"])
        XCTAssertTrue(dom.contains(">line 2: staged 217.34 on 600110, ERP holds &lt;b&gt;200.00&lt;/b&gt;</td>"), "the variance's words as text")
        XCTAssertTrue(dom.contains(">-17.34</td>"))
    }

    /// A report that cannot be written (its path is taken by a folder) is a warning; the stage still succeeds.
    func testAReportThatCannotBeWrittenNeverFailsTheStage() async throws {
        let h = try await Harness()
        defer { h.stop() }
        try h.cli(["extract"])
        let batch = try h.latestBatch()
        try FileManager.default.createDirectory(at: batch.appendingPathComponent("report.html/taken"), withIntermediateDirectories: true)
        let r = try h.cli(["transform"])
        XCTAssertTrue(r.stderr.contains("the batch report could not be written"), r.stderr)
        let ledger = try Ledger(path: h.dir.appendingPathComponent("ledger.sqlite").path)
        XCTAssertNotNil(try ledger.lastSucceededStage(batchID: batch.lastPathComponent, stage: .transform))
        // Once the path is free, `report` writes it.
        try FileManager.default.removeItem(at: batch.appendingPathComponent("report.html"))
        try h.cli(["report"])
        XCTAssertTrue(FileManager.default.fileExists(atPath: batch.appendingPathComponent("report.html").path))
    }

    /// Extract and transform through the CLI: the batch folder, its report page and sums cache, and the page as written.
    func transformedBatch(_ h: Harness) throws -> (batch: URL, page: URL, cache: URL, written: Data) {
        try h.cli(["extract"])
        try h.cli(["transform"])
        let batch = try h.latestBatch()
        let page = batch.appendingPathComponent("report.html")
        return (batch, page, batch.appendingPathComponent("report-amounts.json"), try Data(contentsOf: page))
    }

    /// Transform hands the report the sums it made while writing invoices.json; read back from the file, they are the
    /// same: the page transform wrote and the one `report` writes from the files are byte-identical.
    func testTheSumsTransformMakesEqualTheSumsReadFromTheStagedFile() async throws {
        let h = try await Harness()
        defer { h.stop() }
        let (_, page, cache, written) = try transformedBatch(h)
        XCTAssertTrue(String(decoding: written, as: UTF8.self).contains("data-bar-amount"), "the page has its charts")
        let fromTransform = try Data(contentsOf: cache)
        // Without the cache, `report` reads invoices.json: the same page, and the same cache bytes.
        try FileManager.default.removeItem(at: cache)
        try h.cli(["report"])
        XCTAssertEqual(try Data(contentsOf: page), written)
        XCTAssertEqual(try Data(contentsOf: cache), fromTransform)
        try h.cli(["report"])
        XCTAssertEqual(try Data(contentsOf: page), written, "from the cache: the same page")
    }

    /// `report-amounts.json` is used only for the invoices.json it was made from (its SHA-256): a cache for other bytes
    /// is ignored and replaced; one for these bytes is what the page shows.
    func testTheReportSumsCacheIsUsedOnlyForTheBytesItWasMadeFrom() async throws {
        let h = try await Harness()
        defer { h.stop() }
        let (batch, page, cache, written) = try transformedBatch(h)
        var object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: cache)) as? [String: Any])
        let sha = try XCTUnwrap(object["invoicesSha256"] as? String)
        XCTAssertEqual(sha, StagedFile.sha256(try Data(contentsOf: batch.appendingPathComponent("transform/invoices.json"))))
        var byAccount = try XCTUnwrap(object["byAccount"] as? [String: [String: String]])
        let currency = try XCTUnwrap(byAccount.keys.sorted().first)
        let account = try XCTUnwrap(byAccount[currency]?.keys.sorted().first)
        byAccount[currency]?[account] = "987654.32"
        object["byAccount"] = byAccount

        object["invoicesSha256"] = String(repeating: "0", count: 64)
        try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]).write(to: cache)
        try h.cli(["report"])
        XCTAssertEqual(try Data(contentsOf: page), written, "a cache for other bytes is ignored")
        XCTAssertFalse(String(decoding: try Data(contentsOf: cache), as: UTF8.self).contains("987654.32"), "and replaced")

        object["invoicesSha256"] = sha
        try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]).write(to: cache)
        try h.cli(["report"])
        let shown = String(decoding: try Data(contentsOf: page), as: UTF8.self)
        XCTAssertTrue(shown.contains("987654.32"), "the cache of these bytes is read")
    }

    /// Bars: exact sums, lengths proportional to |amount| (the largest is the full length), credits and lines without
    /// a value marked, and beyond the limit the smallest keys summed exactly into one line.
    func testChartBarsAreScaledFromExactSums() throws {
        let sums: [String: Decimal] = ["A": dec("100.10"), "B": dec("-50.05"), "": dec("25.5")]
        let series = BatchReportAmounts.series(currency: "USD", kind: "dimension", title: "CostCenter", sums: sums)
        XCTAssertEqual(series.bars.map(\.key), ["", "A", "B"])
        XCTAssertEqual(series.bars.map(\.amount), ["25.50", "100.10", "-50.05"], "exact, with the currency's minor digits")
        let chart = BarGeometry.chart(series)
        let width = Dictionary(uniqueKeysWithValues: chart.bars.map { ($0.key, dec($0.width)) })
        XCTAssertEqual(width["A"], Decimal(BarGeometry.barMax))
        XCTAssertEqual(width["B"], Decimal(BarGeometry.barMax) / 2)
        XCTAssertEqual(chart.bars.first { $0.key == "B" }?.negative, true)
        XCTAssertEqual(chart.bars.first { $0.key == "" }?.noValue, true)
        XCTAssertEqual(chart.bars.first { $0.key == "" }?.label, "(no value)")

        var many: [String: Decimal] = [:]
        for n in 1...(BatchReport.barLimit + 5) { many[String(format: "K%02d", n)] = Decimal(n) + dec("0.01") }
        let cut = BatchReportAmounts.series(currency: "USD", kind: "mainAccount", title: "Main account", sums: many)
        XCTAssertEqual(cut.bars.count, BatchReport.barLimit - 1)
        XCTAssertEqual(cut.othersCount, many.count - cut.bars.count)
        let kept = Set(cut.bars.map(\.key))
        let rest = many.filter { !kept.contains($0.key) }
        XCTAssertTrue(rest.values.allSatisfy { r in cut.bars.allSatisfy { dec($0.amount) > r } }, "the smallest are summed")
        XCTAssertEqual(dec(cut.othersAmount ?? ""), rest.values.reduce(0, +))
    }
}
