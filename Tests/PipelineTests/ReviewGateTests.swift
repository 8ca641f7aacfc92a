import ConnectorCore
import ConnectorLedger
import Foundation
import XCTest

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Finance's review gate end to end: the real CLI binary with `samples/config-finance.json` (`review: required`), real
/// HTTP to the sandbox, the real SQLite ledger.
final class ReviewGateTests: XCTestCase {
    var h: Harness!

    override func setUp() async throws {
        h = try await Harness(sample: "config-finance.json")
    }

    override func tearDown() async throws {
        h?.stop()
    }

    /// Runs `run`, which must stop for review, and returns the batch ID.
    func runToReview() throws -> String {
        let r = try h.cli(["run", "--json"])
        let json = try JSONValue.parse(Data(r.stdout.utf8))
        XCTAssertEqual(json["awaitingReview"]?.boolValue, true, r.stdout)
        XCTAssertEqual(json["load"]?["documents"]?.int64Value, 0, "nothing loaded: \(r.stdout)")
        let batch = try XCTUnwrap(json["extract"]?["batchID"]?.stringValue)
        XCTAssertTrue(
            (json["reviewCommands"]?.arrayValue ?? []).contains { $0.stringValue == "ml-connector review approve --batch \(batch) --by NAME" },
            r.stdout)
        return batch
    }

    func ledger() throws -> Ledger { try Ledger(path: h.dir.appendingPathComponent("ledger.sqlite").path) }

    /// Every invoice the sandbox D365 holds, by InvoiceNumber (Harness).
    func d365Invoices() async throws -> [String: JSONValue] { try await h.d365Invoices() }

    /// The staged invoice-lines.csv as a spreadsheet in a European locale saves it: BOM, CRLF, `;`, every field
    /// quoted, decimal comma, the columns reordered (amount first, keys last) and a column of finance's own.
    func spreadsheet(_ rows: [[String: String]], edit: (Int, inout [String: String]) -> Void = { _, _ in }) -> Data {
        let columns = [
            "amount", "main_account", "dimensions", "merchant", "company", "currency", "vendor", "invoice_number", "report_id", "transaction_id",
        ]
        func q(_ s: String) -> String { "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
        var text = "\u{FEFF}" + (columns.map { $0.uppercased() } + ["Checked by"]).map(q).joined(separator: ";") + "\r\n"
        for (i, var row) in rows.enumerated() {
            row["amount"] = (row["amount"] ?? "").replacingOccurrences(of: ".", with: ",")
            edit(i, &row)
            text += (columns.map { q(row[$0] ?? "") } + [q("Ana ✓")]).joined(separator: ";") + "\r\n"
        }
        return Data(text.utf8)
    }

    // (a) run stops for review; load refuses until the sign-off; a staged file edited after it is named; restored, it loads.
    func testSignOffBindsTheStagedFiles() async throws {
        let batch = try runToReview()
        XCTAssertEqual(try ledger().reviewDecision(batchID: batch)?.decision, .awaiting)
        let invoicesBefore = try await d365Invoices()

        let refused = try h.cli(["load", "--batch", batch], expect: 1)
        XCTAssertTrue(refused.stderr.contains("review.required"), refused.stderr)
        XCTAssertTrue(refused.stderr.contains("review approve --batch \(batch) --by NAME"), refused.stderr)

        let shown = try h.cli(["review", "show", "--batch", batch])
        XCTAssertTrue(shown.stdout.contains("Control totals"), shown.stdout)
        XCTAssertTrue(shown.stdout.contains("review awaiting"), shown.stdout)
        let shownJSON = try JSONValue.parse(Data(try h.cli(["review", "show", "--batch", batch, "--json"]).stdout.utf8))
        let controlRows = try h.csv("transform/control-totals.csv")
        XCTAssertEqual(shownJSON["controlTotals"]?.arrayValue?.count, controlRows.count)
        XCTAssertFalse((shownJSON["exceptions"]?.arrayValue ?? []).isEmpty, "the sample batch holds reports")

        let approved = try h.cli(["review", "approve", "--batch", batch, "--by", "Ana Lopez", "--json"])
        let signOff = try XCTUnwrap(try ledger().latestSignOff(batchID: batch))
        XCTAssertEqual(signOff.approver, "Ana Lopez", approved.stdout)
        XCTAssertEqual(
            Set(signOff.files.keys), ["invoices.json", "invoice-lines.csv", "exceptions.csv", "reports.csv", "control-totals.csv"])
        // The signed totals are the control totals' "(all)" rows, per company and currency.
        for row in controlRows where row["main_account"] == "(all)" {
            XCTAssertEqual(signOff.totals["\(row["company"] ?? "")|\(row["currency"] ?? "")"].map(dec), dec(row["amount"] ?? ""), "\(row)")
        }

        // Finance's "small fix" straight in the staged CSV after the sign-off: load names the file and sends nothing.
        let linesURL = try h.latestBatch().appendingPathComponent("transform/invoice-lines.csv")
        let original = try Data(contentsOf: linesURL)
        try (original + Data("\n".utf8)).write(to: linesURL)
        let changed = try h.cli(["load", "--batch", batch], expect: 1)
        XCTAssertTrue(changed.stderr.contains("review.changed"), changed.stderr)
        XCTAssertTrue(changed.stderr.contains("transform/invoice-lines.csv changed after the sign-off by Ana Lopez"), changed.stderr)
        let invoicesAfterRefusal = try await d365Invoices()
        XCTAssertEqual(invoicesAfterRefusal.count, invoicesBefore.count, "nothing posted while refused")
        let show = try JSONValue.parse(Data(try h.cli(["review", "show", "--batch", batch, "--json"]).stdout.utf8))
        XCTAssertEqual(show["changedSinceSignOff"]?.arrayValue?.first?["file"]?.stringValue, "transform/invoice-lines.csv")

        // Restored byte for byte: the sign-off holds again and the batch posts.
        try original.write(to: linesURL)
        let loaded = try h.cli(["load", "--batch", batch, "--json"])
        let summary = try JSONValue.parse(Data(loaded.stdout.utf8))
        XCTAssertGreaterThan(summary["created"]?.int64Value ?? 0, 0, loaded.stdout)
        let invoicesAfter = try await d365Invoices()
        XCTAssertEqual(invoicesAfter.count, invoicesBefore.count + Int(summary["created"]?.int64Value ?? 0))
        try h.cli(["commit", "--batch", batch])

        // A loaded batch cannot be signed off again.
        let late = try h.cli(["review", "approve", "--batch", batch, "--by", "Ana Lopez"], expect: 1)
        XCTAssertTrue(late.stderr.contains("review.loaded"), late.stderr)
        try h.cli(["review", "approve", "--batch", "19990101T000000Z-nope", "--by", "Ana"], expect: 5)
    }

    // (b) A spreadsheet re-save with one account changed: imported, audited, re-signed, posted to the new account.
    func testSpreadsheetEditIsImportedAuditedAndPostedToTheNewAccount() async throws {
        let batch = try runToReview()
        try h.cli(["review", "approve", "--batch", batch, "--by", "Ana Lopez"])
        let rows = try h.csv("transform/invoice-lines.csv")
        let target = try XCTUnwrap(rows.firstIndex { $0["status"] == "to post" && $0["currency"] == "USD" && !($0["main_account"] ?? "").isEmpty })
        let old = rows[target]["main_account"] ?? ""
        let new = ["600150", "600140"].first { $0 != old }!
        let key = rows[target]["invoice_number"] ?? ""
        let amount = rows[target]["amount"] ?? ""

        let file = h.dir.appendingPathComponent("invoice-lines (Ana).csv")
        try spreadsheet(rows) { i, row in if i == target { row["main_account"] = new } }.write(to: file)
        let imported = try h.cli(["review", "import", "--batch", batch, "--by", "Ana Lopez", file.path, "--json"])
        let result = try JSONValue.parse(Data(imported.stdout.utf8))
        XCTAssertEqual(result["applied"]?.boolValue, true, imported.stdout)
        XCTAssertEqual(result["separator"]?.stringValue, ";")
        XCTAssertEqual(result["overrides"]?.arrayValue?.count, 1, imported.stdout)

        // Audited: the override (who, old, new, file) in the ledger and in the report's audit trail.
        let l = try ledger()
        let overrides = try l.overrides(batchID: batch)
        XCTAssertEqual(overrides.count, 1)
        XCTAssertEqual(overrides.first?.oldValue, old)
        XCTAssertEqual(overrides.first?.newValue, new)
        XCTAssertEqual(overrides.first?.by, "Ana Lopez")
        XCTAssertEqual(overrides.first?.sourceFile, "invoice-lines (Ana).csv")
        let trail = try h.cli(["audit", rows[target]["report_id"] ?? ""])
        XCTAssertTrue(trail.stdout.contains("review.override"), trail.stdout)
        XCTAssertTrue(trail.stdout.contains("'\(old)' -> '\(new)'"), trail.stdout)

        // The staged files were rebuilt with the edit, and a new sign-off is required.
        let rebuilt = try h.csv("transform/invoice-lines.csv")
        XCTAssertEqual(rebuilt[target]["main_account"], new)
        XCTAssertEqual(rebuilt.count, rows.count)
        let decision = try l.reviewDecision(batchID: batch)
        XCTAssertEqual(decision?.decision, .awaiting)
        XCTAssertTrue(
            decision?.reason?.contains("edited by import of invoice-lines (Ana).csv by Ana Lopez") ?? false, "\(String(describing: decision))")
        let refused = try h.cli(["load", "--batch", batch], expect: 1)
        XCTAssertTrue(refused.stderr.contains("review.required"), refused.stderr)

        // Importing the same file again changes nothing.
        let again = try h.cli(["review", "import", "--batch", batch, "--by", "Ana Lopez", file.path])
        XCTAssertTrue(again.stdout.contains("no change"), again.stdout)
        XCTAssertEqual(try l.overrides(batchID: batch).count, 1)

        try h.cli(["review", "approve", "--batch", batch, "--by", "Ana Lopez"])
        try h.cli(["load", "--batch", batch])
        let posted = try await d365Invoices()
        let invoice = try XCTUnwrap(posted[key], "\(key) posted")
        let lines = invoice["lines"]?.arrayValue ?? invoice["VendorInvoiceLine"]?.arrayValue ?? []
        let number = Int(rebuilt[target]["line"] ?? "") ?? 0
        let line = try XCTUnwrap(lines.first { $0["InvoiceLineNumber"]?.int64Value == Int64(number) } ?? lines.dropFirst(number - 1).first)
        XCTAssertEqual(line["MainAccountDisplayValue"]?.stringValue, new, "\(line)")
        XCTAssertEqual(line["NetAmount"]?.decimalValue, dec(amount))
    }

    // (c) An edited amount is rejected with its line number, and nothing is applied.
    func testEditedAmountIsRejectedWithItsLine() async throws {
        let batch = try runToReview()
        let rows = try h.csv("transform/invoice-lines.csv")
        let target = try XCTUnwrap(rows.firstIndex { $0["status"] == "to post" })
        let accountEdit = try XCTUnwrap(rows.indices.last { $0 != target && rows[$0]["status"] == "to post" })
        let before = try Data(contentsOf: try h.latestBatch().appendingPathComponent("transform/invoices.json"))
        let file = h.dir.appendingPathComponent("edited.csv")
        try spreadsheet(rows) { i, row in
            if i == target { row["amount"] = "1.234,56" }
            if i == accountEdit { row["main_account"] = rows[i]["main_account"] == "600150" ? "600140" : "600150" }
        }.write(to: file)
        let r = try h.cli(["review", "import", "--batch", batch, file.path], expect: 1)
        XCTAssertTrue(r.stdout.contains("REJECTED"), r.stdout)
        XCTAssertTrue(r.stdout.contains("line \(target + 2), amount: '1.234,56' differs"), r.stdout)
        XCTAssertTrue(try ledger().overrides(batchID: batch).isEmpty, "all or nothing: the valid account edit is not applied either")
        XCTAssertEqual(try Data(contentsOf: try h.latestBatch().appendingPathComponent("transform/invoices.json")), before)
        XCTAssertEqual(try ledger().reviewDecision(batchID: batch)?.reason, "review required: run stopped after transform")
    }

    // (d) An unknown account and a suspended one are rejected, naming the line and the account.
    func testUnknownOrSuspendedAccountIsRejectedNamingLineAndAccount() async throws {
        let batch = try runToReview()
        let rows = try h.csv("transform/invoice-lines.csv")
        let posting = rows.indices.filter { rows[$0]["status"] == "to post" }
        XCTAssertGreaterThanOrEqual(posting.count, 2)
        let file = h.dir.appendingPathComponent("accounts.csv")
        try spreadsheet(rows) { i, row in
            if i == posting[0] { row["main_account"] = "999999" }
            if i == posting[1] { row["main_account"] = "600199" }
        }.write(to: file)
        let r = try h.cli(["review", "import", "--batch", batch, file.path, "--json"], expect: 1)
        let json = try JSONValue.parse(Data(r.stdout.utf8))
        let problems = (json["rejected"]?.arrayValue ?? []).map {
            (Int($0["line"]?.int64Value ?? 0), $0["column"]?.stringValue ?? "", $0["message"]?.stringValue ?? "")
        }
        XCTAssertTrue(
            problems.contains {
                $0.0 == posting[0] + 2 && $0.1 == "main_account" && $0.2.contains("main account 999999") && $0.2.contains("does not exist")
            },
            r.stdout)
        XCTAssertTrue(
            problems.contains { $0.0 == posting[1] + 2 && $0.1 == "main_account" && $0.2.contains("600199") && $0.2.contains("suspended") }, r.stdout)
        XCTAssertEqual(json["applied"]?.boolValue, false)
        XCTAssertTrue(try ledger().overrides(batchID: batch).isEmpty)
    }
}

extension ReviewGateTests {
    // A tab-separated save over the staged file itself, editing dimensions: a rejected import leaves the file as finance
    // left it; corrected, the dimensions reach invoices.json and the control totals stay as signed.
    func testDimensionEditInPlaceWithTabs() async throws {
        let batch = try runToReview()
        let rows = try h.csv("transform/invoice-lines.csv")
        let target = try XCTUnwrap(rows.firstIndex { $0["status"] == "to post" && $0["company"] == "usmf" })
        let staged = try h.latestBatch().appendingPathComponent("transform/invoice-lines.csv")
        let header = ["report_id", "transaction_id", "amount", "dimensions", "main_account"]
        func save(_ dimensions: String) throws {
            var text = header.joined(separator: "\t") + "\r\n"
            for (i, r) in rows.enumerated() {
                let dims = i == target ? dimensions : (r["dimensions"] ?? "")
                text +=
                    [r["report_id"] ?? "", r["transaction_id"] ?? "", r["amount"] ?? "", dims, r["main_account"] ?? ""].joined(separator: "\t")
                    + "\r\n"
            }
            try Data(text.utf8).write(to: staged)
        }
        let totalsBefore = try h.csv("transform/control-totals.csv")
        try save("020-OLD1-")
        let saved = try Data(contentsOf: staged)
        let rejected = try h.cli(["review", "import", "--batch", batch, staged.path, "--json"], expect: 1)
        let json = try JSONValue.parse(Data(rejected.stdout.utf8))
        XCTAssertEqual(json["separator"]?.stringValue, "tab")
        let problem = try XCTUnwrap(json["rejected"]?.arrayValue?.first)
        XCTAssertEqual(problem["line"]?.int64Value, Int64(target + 2))
        XCTAssertEqual(problem["column"]?.stringValue, "dimensions")
        XCTAssertTrue(problem["message"]?.stringValue?.contains("'OLD1'") ?? false, rejected.stdout)
        XCTAssertEqual(try Data(contentsOf: staged), saved, "a rejected import leaves the edited file alone")

        try save("020-E01-001")
        try h.cli(["review", "import", "--batch", batch, staged.path, "--by", "Ana Lopez"])
        let rebuilt = try h.csv("transform/invoice-lines.csv")
        XCTAssertEqual(rebuilt[target]["dimensions"], "020-E01-001")
        let invoices = try JSONValue.parse(Data(contentsOf: try h.latestBatch().appendingPathComponent("transform/invoices.json")))
        let doc = try XCTUnwrap(invoices.arrayValue?.first { $0["key"]?.stringValue == rows[target]["invoice_number"] })
        let line = try XCTUnwrap(doc["lines"]?.arrayValue?.first { $0["transactionID"]?.stringValue == rows[target]["transaction_id"] })
        XCTAssertEqual(line["dimensionDisplayValue"]?.stringValue, "020-E01-001")
        XCTAssertEqual(line["dimensions"]?["BusinessUnit"]?.stringValue, "001")
        XCTAssertEqual(line["dimensions"]?["CostCenter"]?.stringValue, "E01")
        XCTAssertEqual(try h.csv("transform/control-totals.csv"), totalsBefore, "a dimension edit moves no money")
        try h.cli(["review", "approve", "--batch", batch, "--by", "Ana Lopez"])
        try h.cli(["load", "--batch", batch])
        let posted = try await d365Invoices()
        let invoice = try XCTUnwrap(posted[rows[target]["invoice_number"] ?? ""])
        let number = Int64(rebuilt[target]["line"] ?? "") ?? 0
        let postedLine = try XCTUnwrap((invoice["lines"]?.arrayValue ?? []).first { $0["InvoiceLineNumber"]?.int64Value == number }, "\(invoice)")
        XCTAssertEqual(postedLine["DimensionDisplayValue"]?.stringValue, "020-E01-001", "\(postedLine)")
    }
}

extension ReviewGateTests {
    // With review optional, a decision still binds: a rejected batch is not loaded, a signed-off one is.
    func testADecisionBindsWhenReviewIsOptional() async throws {
        let optional = try await Harness()
        defer { optional.stop() }
        try optional.cli(["extract"])
        try optional.cli(["transform"])
        let batch = try optional.latestBatch().lastPathComponent
        let shown = try JSONValue.parse(Data(try optional.cli(["review", "show", "--batch", batch, "--json"]).stdout.utf8))
        XCTAssertEqual(shown["state"]?.stringValue, "not under review")
        try optional.cli(["review", "reject", "--batch", batch, "--reason", "card spend not checked yet", "--by", "Bo"])
        let refused = try optional.cli(["load", "--batch", batch], expect: 1)
        XCTAssertTrue(refused.stderr.contains("review.rejected"), refused.stderr)
        XCTAssertTrue(refused.stderr.contains("rejected by Bo"), refused.stderr)
        XCTAssertTrue(refused.stderr.contains("card spend not checked yet"), refused.stderr)
        try optional.cli(["review", "approve", "--batch", batch, "--by", "Ana Lopez"])
        let loaded = try JSONValue.parse(Data(try optional.cli(["load", "--batch", batch, "--json"]).stdout.utf8))
        XCTAssertGreaterThan(loaded["created"]?.int64Value ?? 0, 0)
    }
}

/// The unattended side of the review gate: what the nightly `run` (or `schedule`) does around batches finance has not
/// signed off yet, and with the ones it has.
final class ReviewedRunTests: XCTestCase {
    var h: Harness!

    override func setUp() async throws { h = try await Harness(sample: "config-finance.json") }
    override func tearDown() async throws { h?.stop() }

    func nightly() throws -> JSONValue { try JSONValue.parse(Data(try h.cli(["run", "--json"]).stdout.utf8)) }

    func testNextRunLeavesReportsUnderReviewOutThenLoadsTheBatchOnceSignedOff() async throws {
        let first = try nightly()
        XCTAssertEqual(first["awaitingReview"]?.boolValue, true)
        let batch1 = try XCTUnwrap(first["extract"]?["batchID"]?.stringValue)
        let ledger = try Ledger(path: h.dir.appendingPathComponent("ledger.sqlite").path)
        let staged = try ledger.reports(lastBatchID: batch1).filter { $0.state == .ready }.map(\.reportID)
        XCTAssertFalse(staged.isEmpty)

        // The next night, nobody signed off: the same reports come back from Expensify but are left out, audited, and
        // the new batch stages no document of them (nothing else is new), so it needs no review of its own.
        let second = try nightly()
        let batch2 = try XCTUnwrap(second["extract"]?["batchID"]?.stringValue)
        XCTAssertNotEqual(batch1, batch2)
        XCTAssertEqual(
            try ledger.lastSucceededStage(batchID: batch2, stage: .extract)?.counts["under_review_skipped"],
            try ledger.reports(lastBatchID: batch1).count)
        for id in staged { XCTAssertEqual(try ledger.report(id)?.lastBatchID, batch1, "report \(id) stays in the batch under review") }
        XCTAssertEqual(second["awaitingReview"]?.boolValue, false, "nothing staged, nothing to review")
        XCTAssertEqual(second["load"]?["created"]?.int64Value, 0)
        XCTAssertTrue(try ledger.auditEvents(batchID: batch2).contains { $0.event == "report.skipped_under_review" })

        // Finance signs batch 1 off; the next run loads and commits it before anything else.
        try h.cli(["review", "approve", "--batch", batch1, "--by", "Ana Lopez"])
        let third = try nightly()
        let approved = try XCTUnwrap(third["approvedBatchesLoaded"]?.arrayValue)
        XCTAssertEqual(approved.compactMap { $0["batchID"]?.stringValue }, [batch1])
        XCTAssertEqual(approved.first?["approvedBy"]?.stringValue, "Ana Lopez")
        XCTAssertEqual(approved.first?["load"]?["created"]?.int64Value, Int64(try ledger.documents(batchID: batch1).count))
        for id in staged { XCTAssertEqual(try ledger.report(id)?.state, .committed, "report \(id) posted and labelled") }
        XCTAssertTrue(try h.cli(["run"]).stdout.contains("AWAITING REVIEW") == false, "nothing new, nothing awaiting")
    }
}
