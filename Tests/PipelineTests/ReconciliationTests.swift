import ConnectorCore
import ConnectorLedger
import Foundation
import XCTest

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Three-way reconciliation end to end: the real CLI, the D365 sandbox over HTTP, a real SQLite ledger.
final class ReconciliationTests: XCTestCase {
    var h: Harness!

    override func setUp() async throws {
        h = try await Harness()
    }

    override func tearDown() async throws {
        h?.stop()
    }

    func ledger() throws -> Ledger { try Ledger(path: h.dir.appendingPathComponent("ledger.sqlite").path) }

    /// `reconcile --json` as a JSON tree.
    func reconcile(expect: Int32) throws -> JSONValue {
        let r = try h.cli(["reconcile", "--json"], expect: expect)
        return try JSONValue.parse(Data(r.stdout.utf8))
    }

    func totals(_ summary: JSONValue) -> [String: JSONValue] {
        var out: [String: JSONValue] = [:]
        for t in summary["result"]?["totals"]?.arrayValue ?? [] {
            let key = ["company", "currency", "account"].map { t[$0]?.stringValue ?? "" }.joined(separator: "|")
            out[key] = t
        }
        return out
    }

    func variances(_ summary: JSONValue) -> [JSONValue] { summary["result"]?["variances"]?.arrayValue ?? [] }

    /// The HeaderReference of a pending invoice in the sandbox, by invoice number.
    func headerReference(_ company: String, _ invoiceNumber: String) async throws -> String {
        let any = try await h.control("GET", "/_sandbox/d365/invoices?dataAreaId=\(company)&posted=false")
        let list = (any as? [String: Any])?["invoices"] as? [[String: Any]] ?? []
        let found = list.first { ($0["InvoiceNumber"] as? String) == invoiceNumber }
        return try XCTUnwrap(found?["HeaderReference"] as? String, "no pending \(invoiceNumber) in \(company)")
    }

    /// Requests the sandbox D365 logged since the last clear.
    func d365Requests() async throws -> [[String: Any]] {
        let any = try await h.control("GET", "/_sandbox/d365/requests")
        return (any as? [String: Any])?["requests"] as? [[String: Any]] ?? []
    }

    /// What Expensify approved per company and currency for the reports the batch staged: each ready report's total,
    /// less the company-card spend transform leaves out (review lines without an invoice number), read from the files.
    func expensifyApproved(_ batch: URL) throws -> [String: Decimal] {
        let cards = try h.csv("transform/invoice-lines.csv", batch: batch).filter {
            ($0["invoice_number"] ?? "").isEmpty && $0["reimbursable"] == "no"
        }
        var out: [String: Decimal] = [:]
        for r in try h.csv("transform/reports.csv", batch: batch) where r["status"] == "ready" {
            let card = cards.filter { $0["report_id"] == r["report_id"] }.reduce(Decimal(0)) { $0 + dec($1["amount"] ?? "") }
            out["\(r["company"] ?? "")|\(r["currency"] ?? "")", default: 0] += dec(r["expensify_total"] ?? "") - card
        }
        return out
    }

    func testACleanRunReconcilesThenAlteredAndDeletedInvoicesAreReportedAndAPostedOneStillReconciles() async throws {
        let run = try h.cli(["run"])
        XCTAssertTrue(run.stdout.contains("Reconciliation:     reconciled"), run.stdout)
        let batch = try h.latestBatch()
        let batchID = batch.lastPathComponent

        // Clean: zero variance; every company/currency total equals Expensify's to the cent, staged and ERP alike.
        let clean = try reconcile(expect: 0)
        XCTAssertEqual(clean["result"]?["reconciled"], .bool(true))
        XCTAssertEqual(variances(clean).count, 0)
        let t = totals(clean)
        let approved = try expensifyApproved(batch)
        XCTAssertFalse(approved.isEmpty)
        XCTAssertNotNil(approved["jpmf|JPY"], "the sample has a zero-decimal currency")
        for (key, amount) in approved {
            let row = try XCTUnwrap(t[key + "|"], "no total row for \(key)")
            XCTAssertEqual(dec(row["expensify"]?.stringValue ?? ""), amount, key)
            XCTAssertEqual(dec(row["staged"]?.stringValue ?? ""), amount, key)
            XCTAssertEqual(dec(row["erp"]?.stringValue ?? ""), amount, key)
            XCTAssertEqual(row["difference"]?.stringValue, "0", key)
        }
        // Per account, staged equals the control totals transform wrote, and the ERP holds the same.
        let control = try h.csv("transform/control-totals.csv", batch: batch).filter { $0["main_account"] != "(all)" }
        XCTAssertFalse(control.isEmpty)
        for c in control {
            let key = "\(c["company"] ?? "")|\(c["currency"] ?? "")|\(c["main_account"] ?? "")"
            let row = try XCTUnwrap(t[key], key)
            XCTAssertEqual(row["staged"]?.stringValue, c["amount"], key)
            XCTAssertEqual(row["erp"]?.stringValue, c["amount"], key)
        }
        XCTAssertEqual(t["jpmf|JPY|"]?["erp"]?.stringValue.map { $0.contains(".") }, false, "yen totals carry no decimals")
        let files = batch.appendingPathComponent("reconcile")
        XCTAssertTrue(FileManager.default.fileExists(atPath: files.appendingPathComponent("reconciliation.json").path))
        XCTAssertEqual(try h.csv("reconcile/variances.csv", batch: batch).count, 0)

        // Posted in F&O without changes: read back from the posted-invoice entities, still reconciled.
        let yen = try await headerReference("jpmf", "EXP90000041")
        _ = try await h.control("POST", "/_sandbox/d365/post?dataAreaId=jpmf&HeaderReference=\(yen)")
        let afterPosting = try reconcile(expect: 0)
        XCTAssertEqual(afterPosting["result"]?["reconciled"], .bool(true), "\(variances(afterPosting))")
        XCTAssertEqual(totals(afterPosting)["jpmf|JPY|"]?["difference"]?.stringValue, "0")

        // A person changes a line's amount and deletes another invoice.
        _ = try await h.control(
            "POST", "/_sandbox/d365/invoices/alter?dataAreaId=usmf&InvoiceNumber=EXP90000001&InvoiceLineNumber=2", body: ["NetAmount": 200])
        _ = try await h.control("POST", "/_sandbox/d365/invoices/delete?dataAreaId=gbsi&InvoiceNumber=EXP90000021")
        _ = try await h.control("DELETE", "/_sandbox/d365/requests")

        let changed = try reconcile(expect: 1)
        XCTAssertEqual(changed["result"]?["reconciled"], .bool(false))
        let found = variances(changed)
        let amount = found.filter { $0["kind"]?.stringValue == "amountDiffers" }
        XCTAssertEqual(amount.count, 1, "\(found)")
        XCTAssertEqual(amount.first?["reportID"]?.stringValue, "90000001")
        XCTAssertEqual(amount.first?["documentKey"]?.stringValue, "EXP90000001")
        let detail = amount.first?["detail"]?.stringValue ?? ""
        XCTAssertTrue(detail.contains("line 2") && detail.contains("217.34") && detail.contains("200.00"), detail)
        let missing = found.filter { $0["kind"]?.stringValue == "missing" }
        XCTAssertEqual(missing.map { $0["documentKey"]?.stringValue }, ["EXP90000021"], "\(found)")
        XCTAssertEqual(missing.first?["reportID"]?.stringValue, "90000021")
        XCTAssertEqual(found.count, 2, "\(found)")
        XCTAssertFalse(found.contains { $0["documentKey"]?.stringValue == "EXP90000041" }, "the posted invoice is unchanged")

        let t2 = totals(changed)
        XCTAssertEqual(t2["usmf|USD|600110"]?["difference"]?.stringValue, "-17.34")
        XCTAssertEqual(t2["gbsi|GBP|"]?["erp"]?.stringValue, "0.00")
        XCTAssertEqual(t2["gbsi|GBP|"]?["difference"]?.stringValue, "-467.45")
        XCTAssertEqual(t2["gbsi|EUR|"]?["difference"]?.stringValue, "0")

        // Bounded reads: far fewer requests than documents (batched `or` filters in `$batch`, not one per document).
        let documents = try XCTUnwrap(changed["documents"]?.int64Value)
        let requests = try await d365Requests().filter { ($0["url"] as? String ?? "").contains("/data/") }
        XCTAssertGreaterThan(documents, 5)
        XCTAssertLessThan(Int64(requests.count), documents, "\(requests.map { $0["url"] ?? "" })")

        // The files, the ledger and the audit trail say the same.
        let csv = try h.csv("reconcile/variances.csv", batch: batch)
        XCTAssertEqual(csv.map { $0["kind"] ?? "" }.sorted(), ["amountDiffers", "missing"])
        let l = try ledger()
        let stored = try XCTUnwrap(try l.latestReconciliation(batchID: batchID))
        XCTAssertFalse(stored.reconciled)
        XCTAssertEqual(stored.varianceCount, 2)
        let events = try l.auditEvents(entityID: "90000001").map(\.event)
        XCTAssertTrue(events.contains("reconcile.amountDiffers"), "\(events)")

        // The terminal table names the report and the document; exit 1.
        let text = try h.cli(["reconcile", "--batch", batchID], expect: 1)
        XCTAssertTrue(text.stdout.contains("amountDiffers") && text.stdout.contains("EXP90000001"), text.stdout)
        XCTAssertTrue(text.stdout.contains("expensify") && text.stdout.contains("difference"), text.stdout)
    }

    func testRunSkipsReconciliationWhenSwitchedOff() async throws {
        h.stop()
        h = try await Harness(configEdit: { $0["reconcile"] = ["afterLoad": false] })
        let run = try h.cli(["run"])
        XCTAssertFalse(run.stdout.contains("Reconciliation:"), run.stdout)
        let batchID = try h.latestBatch().lastPathComponent
        XCTAssertNil(try ledger().latestReconciliation(batchID: batchID))
        XCTAssertFalse(FileManager.default.fileExists(atPath: try h.latestBatch().appendingPathComponent("reconcile").path))
        // On demand it still runs.
        _ = try reconcile(expect: 0)
        XCTAssertNotNil(try ledger().latestReconciliation(batchID: batchID))
    }

    func testUnknownBatchExitsFive() throws {
        _ = try h.cli(["run"])
        let r = try h.cli(["reconcile", "--batch", "19990101T000000Z"], expect: 5)
        XCTAssertTrue(r.stderr.contains("19990101T000000Z"), r.stderr)
    }

    func testReadBackOfManyDocumentsCostsAFewRequests() async throws {
        _ = try await h.control("POST", "/_sandbox/expensify/generate?reports=80&expenses=2")
        _ = try await h.control("POST", "/_sandbox/d365/settings", body: ["pageSize": 1000])
        let run = try h.cli(["run"])
        XCTAssertTrue(run.stdout.contains("Reconciliation:     reconciled"), run.stdout)
        _ = try await h.control("DELETE", "/_sandbox/d365/requests")
        let summary = try reconcile(expect: 0)
        let documents = try XCTUnwrap(summary["documents"]?.int64Value)
        XCTAssertGreaterThanOrEqual(documents, 80)
        let requests = try await d365Requests().filter { ($0["url"] as? String ?? "").contains("/data/") }
        // Round one (pending and posted headers, posted lines) and round two (pending lines): one `$batch` each.
        XCTAssertLessThanOrEqual(requests.count, 4, "\(requests.map { $0["url"] ?? "" })")
        XCTAssertEqual(summary["result"]?["reconciled"], .bool(true))
    }
}
