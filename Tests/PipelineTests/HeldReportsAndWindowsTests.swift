import ConnectorCore
import ConnectorLedger
import Foundation
import XCTest

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The nightly job never locks itself out: held and failed reports are re-fetched by ID while the watermark
/// keeps moving, long ranges are split into windows of under a year, an operator can drop a report, and the
/// shape Expensify uses for unset fields does not change what is posted. End to end through the real CLI
/// binary, over HTTP to the sandbox, with a real SQLite ledger.
final class HeldReportsAndWindowsTests: XCTestCase {
    var harnesses: [Harness] = []

    override func tearDown() async throws {
        for h in harnesses { h.stop() }
    }

    func harness(_ edit: @escaping (inout [String: Any]) -> Void = { _ in }) async throws -> Harness {
        let h = try await Harness(configEdit: edit)
        harnesses.append(h)
        return h
    }

    func ledger(_ h: Harness) throws -> Ledger { try Ledger(path: h.dir.appendingPathComponent("ledger.sqlite").path) }

    /// Both clocks: the sandbox's "today" (the one-year rule) and the connector's.
    func setToday(_ h: Harness, _ day: String) async throws -> [String: String] {
        _ = try await h.control("POST", "/_sandbox/expensify/today", body: ["today": day])
        return ["ML_CONNECTOR_TODAY": day]
    }

    func invoices(_ h: Harness) async throws -> [String: [String: Any]] {
        let any = try await h.control("GET", "/_sandbox/d365/invoices")
        let list = ((any as? [String: Any])?["invoices"] as? [[String: Any]]) ?? []
        var out: [String: [String: Any]] = [:]
        for inv in list { if let n = inv["InvoiceNumber"] as? String { out[n] = inv } }
        return out
    }

    static func total(_ inv: [String: Any]?) -> Decimal {
        ((inv?["lines"] as? [[String: Any]]) ?? []).reduce(Decimal(0)) { $0 + dec($1["NetAmount"]) }
    }

    /// What was posted, without what the ERP assigns (references, record IDs, timestamps): one canonical text.
    func postedContent(_ h: Harness) async throws -> String {
        func clean(_ v: Any) -> Any {
            if let o = v as? [String: Any] {
                var c: [String: Any] = [:]
                for (k, x) in o where !k.contains("Reference") && !k.contains("RecId") && !k.hasSuffix("DateTime") && !k.hasPrefix("@odata") {
                    c[k] = clean(x)
                }
                return c
            }
            if let a = v as? [Any] { return a.map(clean) }
            return v
        }
        let all = try await invoices(h)
        let data = try JSONSerialization.data(withJSONObject: all.keys.sorted().map { clean(all[$0]!) }, options: [.sortedKeys, .prettyPrinted])
        return String(decoding: data, as: UTF8.self)
    }

    func expensifyJobs(_ h: Harness) async throws -> [[String: Any]] {
        (try await h.control("GET", "/_sandbox/expensify/jobs") as? [[String: Any]]) ?? []
    }

    static func filters(_ job: [String: Any]) -> [String: Any] {
        ((job["inputSettings"] as? [String: Any])?["filters"] as? [String: Any]) ?? [:]
    }

    /// Export jobs of the run (labelling jobs have a `.txt` output and an onFinish action).
    static func exportJobs(_ jobs: [[String: Any]]) -> [[String: Any]] {
        jobs.filter { $0["type"] as? String == "file" && $0["onFinish"] == nil }
    }

    func seedReport(
        _ id: String, email: String, approved: String, created: String, submitted: String, policy: String = "A1B2C3D4E5F60001",
        amount: Int = 4200, transactionID: String
    ) -> [String: Any] {
        [
            "reportID": id, "policyID": policy, "state": "APPROVED", "labels": [String](), "reportName": "Report \(id)",
            "accountEmail": email, "created": created, "submitted": submitted, "approved": approved,
            "transactionList": [
                [
                    "transactionID": transactionID, "amount": amount, "currency": "USD", "convertedAmount": amount, "currencyConversionRate": 1,
                    "merchant": "Diner", "created": String(created.prefix(10)), "category": "Meals", "tag": "Sales:West",
                    "comment": "team dinner", "reimbursable": true, "billable": false, "receiptObject": [String: Any](), "type": "cash",
                ]
            ],
        ]
    }

    // MARK: - Unset fields as "" or 0

    func testUnsetFieldsAsEmptyStringsOrZeroPostTheSameInvoicesAsAbsentFields() async throws {
        var posted: [String: String] = [:]
        var staged: [String: [Data]] = [:]
        let names = ["invoices.json", "invoice-lines.csv", "exceptions.csv", "control-totals.csv", "reports.csv"]
        for shape in ["absent", "empty", "zero"] {
            let h = try await harness()
            let s = try await h.control("POST", "/_sandbox/expensify/settings", body: ["unsetFields": shape])
            XCTAssertEqual((s as? [String: Any])?["unsetFields"] as? String, shape)
            try h.cli(["run"])
            posted[shape] = try await postedContent(h)
            let batch = try h.latestBatch()
            staged[shape] = try names.map { try Data(contentsOf: batch.appendingPathComponent("transform/\($0)")) }
            if shape != "absent" {
                // The model really had "" (and 0) for the unset fields: the export shows null, not a missing key.
                let export = try JSONValue.parse(try Data(contentsOf: batch.appendingPathComponent("extract/export.json")))
                let e = try XCTUnwrap(export.arrayValue?.first { $0["reportID"]?.stringValue == "90000001" }?["transactionList"]?.arrayValue?.first)
                XCTAssertEqual(e["modifiedAmount"], shape == "zero" ? .number("0") : .null, shape)
                XCTAssertEqual(e["modifiedMerchant"], .null, shape)
            }
        }
        XCTAssertTrue(posted["absent"]?.contains("EXP90000001") ?? false)
        XCTAssertEqual(posted["empty"], posted["absent"], "\"\" for unset fields posts the same invoices")
        XCTAssertEqual(posted["zero"], posted["absent"], "0 for an unmodified amount posts the same invoices")
        for (i, name) in names.enumerated() {
            XCTAssertEqual(staged["empty"]?[i], staged["absent"]?[i], "transform/\(name) is byte-identical")
            XCTAssertEqual(staged["zero"]?[i], staged["absent"]?[i], "transform/\(name) is byte-identical")
        }
    }

    // MARK: - Held thirteen months

    func testAReportHeldThirteenMonthsIsRefetchedByIDWhileNewReportsKeepComingAndPostsOnceItsVendorExists() async throws {
        let h = try await harness()
        // Zoe has no vendor in D365: her report is held.
        _ = try await h.control(
            "POST", "/_sandbox/expensify/reports",
            body: [
                seedReport(
                    "90000061", email: "zoe.king@northwind.example", approved: "2026-11-20 16:00:00", created: "2026-11-17 09:00:00",
                    submitted: "2026-11-18 10:00:00", transactionID: "6721006100000001")
            ])
        var env = try await setToday(h, "2026-11-21")
        try h.cli(["run"], env: env)
        let l = try ledger(h)
        XCTAssertEqual(try l.report("90000061")?.state, .held)
        let held = try l.report("90000061")
        XCTAssertTrue(held?.reason?.contains("vendor") ?? false, "\(String(describing: held))")
        XCTAssertEqual(try l.watermark(), "2026-11-19", "the watermark passes the held report (approved 2026-11-20… and 90000003 of 2026-11-04)")
        XCTAssertTrue(try l.reportsToRefetch().contains("90000061"))
        XCTAssertTrue(try l.reportsToRefetch().contains("90000003"))

        // Thirteen months later (no run in between): a new report, and Zoe still has no vendor.
        env = try await setToday(h, "2027-12-22")
        _ = try await h.control(
            "POST", "/_sandbox/expensify/reports",
            body: [
                seedReport(
                    "90000071", email: "alice.nguyen@northwind.example", approved: "2027-12-20 11:00:00", created: "2027-12-14 09:00:00",
                    submitted: "2027-12-15 10:00:00", amount: 5150, transactionID: "6721007100000001")
            ])
        _ = try await h.control("DELETE", "/_sandbox/expensify/jobs")
        let second = try h.cli(["run", "--json"], env: env)
        let v = try JSONValue.parse(second.stdout)
        XCTAssertEqual(v["extract"]?["windows"]?.int64Value, 2, "2026-11-19 → 2027-12-22 is more than a year: two windows")
        var posted = try await invoices(h)
        XCTAssertEqual(Self.total(posted["EXP90000071"]), dec("51.50"), "the new report is exported and posted")
        XCTAssertNil(posted["EXP90000061"])
        XCTAssertEqual(try l.report("90000061")?.state, .held)
        XCTAssertEqual(try l.report("90000061")?.lastBatchID, v["extract"]?["batchID"]?.stringValue, "seen again this run")

        // The Integration Server saw no range over a year, got endDate on every window, and was asked for the held
        // reports by ID; none of its answers was an error.
        let jobs = Self.exportJobs(try await expensifyJobs(h))
        XCTAssertTrue(jobs.allSatisfy { ($0["responseCode"] as? Int) == 200 || $0["result"] != nil }, "\(jobs)")
        let windows = jobs.filter { Self.filters($0)["approvedAfter"] != nil }
        XCTAssertEqual(windows.map { Self.filters($0)["approvedAfter"] as? String }, ["2026-11-19", "2027-11-18"])
        XCTAssertEqual(windows.map { Self.filters($0)["endDate"] as? String }, ["2027-11-18", "2027-12-22"])
        let byID = jobs.filter { Self.filters($0)["reportIDList"] != nil }
        XCTAssertEqual(byID.count, 1)
        let asked = (Self.filters(byID[0])["reportIDList"] as? String ?? "").split(separator: ",").map(String.init)
        XCTAssertTrue(asked.contains("90000061") && asked.contains("90000003"), "\(asked)")
        XCTAssertNil(Self.filters(byID[0])["approvedAfter"], "re-fetch by ID is independent of the watermark")
        // 90000061 (approved 2026-11-20) is also in the first window: once in the batch all the same.
        let batch = try h.latestBatch()
        let export = try XCTUnwrap(try JSONValue.parse(try Data(contentsOf: batch.appendingPathComponent("extract/export.json"))).arrayValue)
        let ids = export.compactMap { $0["reportID"]?.stringValue }
        XCTAssertEqual(ids.filter { $0 == "90000061" }.count, 1)
        XCTAssertEqual(Set(ids).count, ids.count, "every report once")
        XCTAssertGreaterThan(v["extract"]?["duplicates"]?.int64Value ?? 0, 0)
        XCTAssertEqual(try l.watermark(), "2027-12-19", "the watermark follows the new report, not the held ones")

        // Zoe gets her vendor; the next night posts her report (asked for by ID), once.
        _ = try await h.control(
            "POST", "/_sandbox/d365/vendors",
            body: [
                "dataAreaId": "usmf", "VendorAccountNumber": "EMP-0061", "VendorOrganizationName": "Zoe King", "VendorGroupId": "EMP",
                "CurrencyCode": "USD", "OnHoldStatus": "No", "PrimaryEmailAddress": "zoe.king@northwind.example",
            ])
        env = try await setToday(h, "2027-12-23")
        let third = try h.cli(["run", "--json"], env: env)
        let t = try JSONValue.parse(third.stdout)
        XCTAssertEqual(t["extract"]?["approvedAfter"]?.stringValue, "2027-12-19", "the window stays small")
        XCTAssertEqual(t["extract"]?["windows"]?.int64Value, 1)
        posted = try await invoices(h)
        XCTAssertEqual(posted["EXP90000061"]?["InvoiceAccount"] as? String, "EMP-0061")
        XCTAssertEqual(Self.total(posted["EXP90000061"]), dec("42.00"))
        XCTAssertEqual(try l.report("90000061")?.state, .committed)
        XCTAssertFalse(try l.reportsToRefetch().contains("90000061"), "posted and labelled: no longer asked for")
        let labels =
            (try await h.control("GET", "/_sandbox/expensify/reports") as? [[String: Any]] ?? [])
            .first { $0["reportID"] as? String == "90000061" }?["labels"] as? [String]
        XCTAssertEqual(labels, ["ml-connector"])
        let fourth = try JSONValue.parse(try h.cli(["run", "--json"], env: env).stdout)
        XCTAssertEqual(fourth["load"]?["created"]?.int64Value, 0, "never twice")
    }

    // MARK: - drop

    func testDropRemovesAHeldReportFromTheNightlyRetryAndKeepsItInTheAuditTrail() async throws {
        let h = try await harness()
        var env = try await setToday(h, "2026-11-21")
        try h.cli(["run"], env: env)
        let l = try ledger(h)
        XCTAssertEqual(try l.report("90000003")?.state, .held)

        let r = try h.cli(["drop", "--report", "90000003", "--reason", "Carol left; reimbursed by hand (ticket FIN-2211)"], env: env)
        XCTAssertTrue(r.stdout.contains("Report 90000003 dropped from the nightly retry (it was held"), r.stdout)
        XCTAssertFalse(try l.reportsToRefetch().contains("90000003"))
        XCTAssertEqual(try l.drop("90000003")?.reason, "Carol left; reimbursed by hand (ticket FIN-2211)")
        XCTAssertEqual(try l.report("90000003")?.state, .held, "the report stays in the ledger as it was")

        // Refusals, each with a clear message: twice, a report already done, an unknown one, no reason.
        XCTAssertTrue(try h.cli(["drop", "--report", "90000003", "--reason", "again"], expect: 1, env: env).stderr.contains("already dropped"))
        XCTAssertTrue(try h.cli(["drop", "--report", "90000001", "--reason", "x"], expect: 1, env: env).stderr.contains("done"))
        XCTAssertTrue(try h.cli(["drop", "--report", "12345", "--reason", "x"], expect: 5, env: env).stderr.contains("not in the ledger"))
        XCTAssertTrue(try h.cli(["drop", "--report", "90000007", "--reason", "  "], expect: 1, env: env).stderr.contains("reason"))

        // The vendor is released and the report re-approved in Expensify: still never asked for, never posted.
        _ = try await h.control("PATCH", "/_sandbox/d365/vendors?dataAreaId=usmf&VendorAccountNumber=EMP-0003", body: ["OnHoldStatus": "No"])
        let seed =
            try JSONSerialization.jsonObject(with: Data(contentsOf: Harness.repo.appendingPathComponent("samples/sandbox/expensify.json")))
            as! [String: Any]
        var report = (seed["reports"] as! [[String: Any]]).first { $0["reportID"] as? String == "90000003" }!
        report["approved"] = "2026-11-21 08:00:00"
        _ = try await h.control("POST", "/_sandbox/expensify/reports", body: [report])
        _ = try await h.control("DELETE", "/_sandbox/expensify/jobs")
        env = try await setToday(h, "2026-11-22")
        let second = try JSONValue.parse(try h.cli(["run", "--json"], env: env).stdout)
        XCTAssertEqual(second["extract"]?["droppedSkipped"]?.int64Value, 1)
        for job in Self.exportJobs(try await expensifyJobs(h)) {
            XCTAssertFalse((Self.filters(job)["reportIDList"] as? String ?? "").contains("90000003"), "a dropped report is not asked for")
        }
        let afterDrop = try await invoices(h)
        XCTAssertNil(afterDrop["EXP90000003"])
        let export = try String(contentsOf: try h.latestBatch().appendingPathComponent("extract/export.json"), encoding: .utf8)
        XCTAssertFalse(export.contains("90000003"))

        // status shows it, with the audit trail from extraction to the drop.
        let status = try h.cli(["status"], env: env).stdout
        XCTAssertTrue(status.contains("Dropped by an operator (no longer retried): 1"), status)
        XCTAssertTrue(status.contains("90000003  was held"), status)
        let one = try h.cli(["status", "--report", "90000003"], env: env).stdout
        XCTAssertTrue(one.contains("DROPPED from the nightly retry"), one)
        XCTAssertTrue(one.contains("Carol left; reimbursed by hand (ticket FIN-2211)"), one)
        let events = try l.auditEvents(entityID: "90000003").map(\.event)
        XCTAssertEqual(events.first, "report.extracted")
        XCTAssertTrue(events.contains("report.held"))
        XCTAssertTrue(events.contains("report.dropped"))
        XCTAssertEqual(events.last, "report.skipped_dropped")
    }

    // MARK: - First run more than a year back

    func testAFirstRunMoreThanAYearBackIsSplitIntoWindowsOfUnderAYearInOneBatch() async throws {
        let h = try await harness { c in
            var ex = c["expensify"] as! [String: Any]
            ex["startDate"] = "2025-06-01"
            c["expensify"] = ex
        }
        // One report from last year, and one submitted in the first window but approved in the second: it is in
        // both windows' answers (endDate filters on submission, approvedAfter on approval).
        _ = try await h.control(
            "POST", "/_sandbox/expensify/reports",
            body: [
                seedReport(
                    "90000081", email: "alice.nguyen@northwind.example", approved: "2025-12-15 10:00:00", created: "2025-12-01 09:00:00",
                    submitted: "2025-12-02 09:00:00", amount: 1234, transactionID: "6721008100000001"),
                seedReport(
                    "90000082", email: "alice.nguyen@northwind.example", approved: "2026-06-10 10:00:00", created: "2026-05-01 09:00:00",
                    submitted: "2026-05-02 09:00:00", amount: 2345, transactionID: "6721008200000001"),
            ])
        let env = try await setToday(h, "2026-11-21")
        try h.cli(["extract"], env: env)
        let batch = try h.latestBatch()
        let manifest = try JSONValue.parse(try Data(contentsOf: batch.appendingPathComponent("extract/manifest.json")))
        XCTAssertEqual(manifest["windows"]?.int64Value, 2)
        let jobs = try XCTUnwrap(manifest["jobs"]?.arrayValue)
        XCTAssertEqual(jobs.map { $0["approvedAfter"]?.stringValue ?? "-" }, ["2025-05-31", "2026-05-30"])
        XCTAssertEqual(jobs.map { $0["endDate"]?.stringValue ?? "-" }, ["2026-05-30", "2026-11-21"])
        XCTAssertEqual(jobs[1]["duplicates"]?.int64Value, 1, "90000082 is in both windows")
        let exportURL = batch.appendingPathComponent("extract/export.json")
        let first = try Data(contentsOf: exportURL)
        let ids = try XCTUnwrap(try JSONValue.parse(first).arrayValue).compactMap { $0["reportID"]?.stringValue }
        XCTAssertEqual(ids.first, "90000081", "window order: last year's report first")
        XCTAssertEqual(Set(ids).count, ids.count)
        XCTAssertTrue(ids.contains("90000082") && ids.contains("90000001"))

        // Re-extracting the batch asks the same windows (and, by ID, every report not yet finished): the same file.
        try h.cli(["extract", "--batch", batch.lastPathComponent], env: env)
        XCTAssertEqual(try Data(contentsOf: exportURL), first, "byte-identical export.json")
        let again = try JSONValue.parse(try Data(contentsOf: batch.appendingPathComponent("extract/manifest.json")))
        XCTAssertEqual(again["refetchRequested"]?.int64Value, Int64(ids.count))
        XCTAssertEqual(again["refetchReturned"]?.int64Value, Int64(ids.count))

        try h.cli(["transform"], env: env)
        try h.cli(["load"], env: env)
        try h.cli(["commit"], env: env)
        let posted = try await invoices(h)
        XCTAssertEqual(Self.total(posted["EXP90000081"]), dec("12.34"))
        XCTAssertEqual(Self.total(posted["EXP90000082"]), dec("23.45"))
        XCTAssertNotNil(posted["EXP90000001"])
        XCTAssertEqual(try ledger(h).watermark(), "2026-11-19")
    }
}
