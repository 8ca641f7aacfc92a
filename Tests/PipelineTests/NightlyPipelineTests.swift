import ConnectorCore
import ConnectorLedger
import Foundation
import XCTest

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// End to end through the real CLI binary, over real HTTP to the sandbox, with a real SQLite ledger.
final class NightlyPipelineTests: XCTestCase {
    var h: Harness!

    override func setUp() async throws {
        h = try await Harness()
    }

    override func tearDown() async throws {
        h?.stop()
    }

    /// Every invoice the sandbox D365 holds, keyed by InvoiceNumber (Harness).
    func d365Invoices() async throws -> [String: JSONValue] { try await h.d365Invoices() }

    static func lines(_ inv: JSONValue) -> [JSONValue] {
        inv["lines"]?.arrayValue ?? inv["VendorInvoiceLine"]?.arrayValue ?? []
    }

    static func header(_ inv: JSONValue) -> JSONValue { inv["header"] ?? inv }

    static func lineAmount(_ l: JSONValue) -> Decimal {
        l["NetAmount"]?.decimalValue ?? l["amount"]?.decimalValue ?? .nan
    }

    func expensifyLabels() async throws -> [String: [String]] {
        let any = try await h.control("GET", "/_sandbox/expensify/reports")
        let list = (any as? [[String: Any]]) ?? ((any as? [String: Any])?["reports"] as? [[String: Any]]) ?? []
        var out: [String: [String]] = [:]
        for r in list {
            if let id = r["reportID"] as? String { out[id] = (r["labels"] as? [String]) ?? [] }
        }
        return out
    }

    func testNightlyRunPostsEachReportToItsCompanyWithCentExactTotals() async throws {
        let r = try h.cli(["run"])
        XCTAssertTrue(r.stdout.contains("Reports found"), r.stdout)
        let invoices = try await d365Invoices()

        // Each ready report lands in its company, in its report currency, with the vendor it resolves to.
        let expected: [(String, String, String, String, String)] = [
            ("EXP90000001", "usmf", "USD", "EMP-0001", "657.14"),
            ("EXP90000002", "usmf", "USD", "EMP-0002", "45.01"),  // vendor e-mail differs only in case
            ("EXP90000005", "usmf", "USD", "EMP-0002", "42.75"),  // card expense left out
            ("EXP90000006", "usmf", "USD", "V-IVAN-01", "89.99"),  // e-mail → vendor override
            ("EXP90000021", "gbsi", "GBP", "EMP-1001", "467.45"),
            ("EXP90000031", "gbsi", "EUR", "EMP-1003", "401.36"),  // EUR report in a GBP company
            ("EXP90000041", "jpmf", "JPY", "EMP-2001", "21300"),  // ¥: Expensify hundredths / 100, no decimals
        ]
        for (key, company, currency, vendor, total) in expected {
            guard let inv = invoices[key] else {
                XCTFail("\(key) was not created; have \(invoices.keys.sorted())")
                continue
            }
            let head = Self.header(inv)
            XCTAssertEqual(head["dataAreaId"]?.stringValue, company, key)
            XCTAssertEqual(head["Currency"]?.stringValue, currency, key)
            XCTAssertEqual(head["InvoiceAccount"]?.stringValue, vendor, key)
            let sum = Self.lines(inv).reduce(Decimal(0)) { $0 + Self.lineAmount($1) }
            XCTAssertEqual(sum, dec(total), "\(key) line total")
        }
        // Held, empty and unmapped reports create nothing.
        for key in [
            "EXP90000003", "EXP90000004", "EXP90000007", "EXP90000008", "EXP90000009", "EXP90000010",
            "EXP90000011", "EXP90000012", "EXP90000013", "EXP90000022", "EXP90000051", "EXP90000004-CC",
        ] {
            XCTAssertNil(invoices[key], "\(key) must not be posted")
        }

        // Exceptions name the record, the field and the reason.
        let exceptions = try h.csv("transform/exceptions.csv")
        func reason(_ report: String, _ field: String) -> String? {
            exceptions.first { $0["report_id"] == report && $0["field"] == field }?["reason"]
        }
        XCTAssertTrue(reason("90000003", "accountEmail")?.contains("on hold") ?? false, "\(exceptions)")
        XCTAssertTrue(reason("90000007", "categoryGlCode")?.contains("Miscellaneous") ?? false, "\(exceptions)")
        XCTAssertTrue(reason("90000008", "tag")?.contains("Marketing:Brand") ?? false, "\(exceptions)")
        XCTAssertTrue(reason("90000009", "currency")?.contains("missing") ?? false, "\(exceptions)")
        XCTAssertTrue(reason("90000011", "categoryGlCode")?.contains("suspended") ?? false, "\(exceptions)")
        XCTAssertTrue(reason("90000022", "tag")?.contains("OLD1") ?? false, "\(exceptions)")
        XCTAssertTrue(reason("90000051", "policyID")?.contains("not mapped") ?? false, "\(exceptions)")

        // Control totals reconcile to the cent with what the sandbox stored, per company and currency.
        let totals = try h.csv("transform/control-totals.csv").filter { $0["main_account"] == "(all)" }
        XCTAssertFalse(totals.isEmpty)
        for t in totals {
            let stored = invoices.values.filter {
                Self.header($0)["dataAreaId"]?.stringValue == t["company"] && Self.header($0)["Currency"]?.stringValue == t["currency"]
            }.flatMap(Self.lines).reduce(Decimal(0)) { $0 + Self.lineAmount($1) }
            XCTAssertEqual(stored, dec(t["amount"] ?? ""), "control total \(t)")
        }
        // Per main account too.
        let perAccount = try h.csv("transform/control-totals.csv").filter { $0["main_account"] != "(all)" }
        for t in perAccount {
            let stored = invoices.values.filter {
                Self.header($0)["dataAreaId"]?.stringValue == t["company"] && Self.header($0)["Currency"]?.stringValue == t["currency"]
            }.flatMap(Self.lines).filter { $0["MainAccountDisplayValue"]?.stringValue == t["main_account"] }
                .reduce(Decimal(0)) { $0 + Self.lineAmount($1) }
            XCTAssertEqual(stored, dec(t["amount"] ?? ""), "control total \(t)")
        }

        // Master data is read once per company and page, not per report: usmf has 17 vendors (4 pages of 5),
        // gbsi 4 and jpmf 2 (one page each), whatever the number of reports.
        let any = try await h.control("GET", "/_sandbox/d365/requests")
        let log = (any as? [[String: Any]]) ?? ((any as? [String: Any])?["requests"] as? [[String: Any]]) ?? []
        let vendorReads = log.filter { ($0["method"] as? String) == "GET" && (($0["url"] as? String) ?? "").contains("/data/VendorsV2") }
        XCTAssertEqual(vendorReads.count, 6, "\(vendorReads)")
        XCTAssertTrue(vendorReads.allSatisfy { (($0["url"] as? String) ?? "").contains("cross-company=true") })

        // Card spend never reaches an employee's invoice.
        let lines = try h.csv("transform/invoice-lines.csv")
        for l in lines where l["reimbursable"] == "no" {
            XCTAssertEqual(l["status"], "company card, not posted", "\(l)")
            XCTAssertEqual(l["invoice_number"], "", "\(l)")
        }
        // Foreign-currency expenses keep their original amount and currency for finance.
        let eur = lines.first { $0["report_id"] == "90000001" && $0["original_currency"] == "EUR" }
        XCTAssertEqual(eur?["original_amount"], "200.00")
        XCTAssertEqual(eur?["amount"], "217.34")

        // Confirmed and empty reports are labelled; held ones are not.
        let labels = try await expensifyLabels()
        XCTAssertTrue(labels["90000001"]?.contains("ml-connector") ?? false)
        XCTAssertTrue(labels["90000010"]?.contains("ml-connector") ?? false, "nothing to post is still labelled")
        XCTAssertFalse(labels["90000003"]?.contains("ml-connector") ?? true)
        XCTAssertFalse(labels["90000051"]?.contains("ml-connector") ?? true)
    }

    func testSecondRunCreatesNothingNew() async throws {
        try h.cli(["run"])
        let first = try await d365Invoices()
        XCTAssertGreaterThan(first.count, 0)
        let second = try h.cli(["run", "--json"])
        let v = try JSONValue.parse(second.stdout)
        XCTAssertEqual(v["load"]?["created"]?.int64Value, 0, second.stdout)
        let after = try await d365Invoices()
        XCTAssertEqual(after.count, first.count)
        // Load cannot be rerun by hand on the first batch once it was committed: that is a new batch's work.
        let batches = try FileManager.default.contentsOfDirectory(atPath: h.stagingRoot.path).filter { $0.hasPrefix("2") }.sorted()
        let again = try h.cli(["load", "--batch", batches[0]], expect: 1)
        XCTAssertTrue(again.stderr.contains("stage.order") && again.stderr.contains("'commit' already ran"), again.stderr)
        let final = try await d365Invoices()
        XCTAssertEqual(final.count, first.count)
    }

    func testReportChangedAfterPostingIsFlaggedNeverReposted() async throws {
        try h.cli(["run"])
        // Someone edits report 90000001 in Expensify after it was posted, it is re-approved and loses the label.
        let seed =
            try JSONSerialization.jsonObject(with: Data(contentsOf: Harness.repo.appendingPathComponent("samples/sandbox/expensify.json")))
            as! [String: Any]
        var report = (seed["reports"] as! [[String: Any]]).first { $0["reportID"] as? String == "90000001" }!
        var expenses = report["transactionList"] as! [[String: Any]]
        expenses[0]["amount"] = 55230
        expenses[0]["convertedAmount"] = 55230
        report["transactionList"] = expenses
        report["labels"] = [String]()
        report["approved"] = "2026-11-21 08:00:00"
        _ = try await h.control("POST", "/_sandbox/expensify/reports", body: [report])
        let second = try h.cli(["run", "--json"])
        let v = try JSONValue.parse(second.stdout)
        XCTAssertEqual(v["load"]?["created"]?.int64Value, 0, second.stdout)
        XCTAssertEqual(v["load"]?["changedAfterLoad"]?.int64Value, 1, second.stdout)
        let row = try h.csv("load/results.csv").first { $0["invoice_number"] == "EXP90000001" }
        XCTAssertEqual(row?["status"], "changedAfterLoad")
        XCTAssertTrue(row?["error"]?.contains("757.14") ?? false, "\(String(describing: row))")
        let invoices = try await d365Invoices()
        XCTAssertEqual(Self.lines(invoices["EXP90000001"] ?? .null).reduce(Decimal(0)) { $0 + Self.lineAmount($1) }, dec("657.14"))
    }

    func testAPolicyTheAccountCannotReadDoesNotStopTheRun() async throws {
        // The policy getter refuses the list, then the first policy on its own (410, as for an unknown policy).
        _ = try await h.control("POST", "/_sandbox/expensify/faults", body: ["count": 2, "httpStatus": 200, "responseCode": 410, "jobType": "get"])
        try h.cli(["run"])
        let ledger = try Ledger(path: h.dir.appendingPathComponent("ledger.sqlite").path)
        XCTAssertEqual(try ledger.auditEvents(entityID: "A1B2C3D4E5F60001").map(\.event), ["policy.unreadable"])
        // Its reports are still checked against the export's own GL codes and tags, and the rest posts.
        let invoices = try await d365Invoices()
        XCTAssertNotNil(invoices["EXP90000001"])
        XCTAssertNotNil(invoices["EXP90000021"])
        XCTAssertNil(invoices["EXP90000008"], "an unknown tag still holds its report")
        let policies = try JSONValue.parse(try Data(contentsOf: try h.latestBatch().appendingPathComponent("extract/policies.json")))
        XCTAssertEqual(policies.objectValue?.keys.sorted(), ["A1B2C3D4E5F60002", "A1B2C3D4E5F60003", "A1B2C3D4E5F60004", "A1B2C3D4E5F60005"])
    }

    func testTransformRerunIsByteIdentical() async throws {
        try h.cli(["extract"])
        try h.cli(["transform"])
        let batch = try h.latestBatch()
        let names = ["invoices.json", "invoice-lines.csv", "exceptions.csv", "control-totals.csv", "reports.csv"]
        let before = try names.map { try Data(contentsOf: batch.appendingPathComponent("transform/\($0)")) }
        try h.cli(["transform", "--batch", batch.lastPathComponent])
        let after = try names.map { try Data(contentsOf: batch.appendingPathComponent("transform/\($0)")) }
        XCTAssertEqual(before, after)
        XCTAssertGreaterThan(before[0].count, 100)
    }

    func testFailedLoadLeavesReportUnlabelledAndNextRunPostsIt() async throws {
        // The per-request path (batchSize 0): the first header POSTs fail with a server error, and a POST that
        // may have committed is never repeated in the run, so those reports must stay unlabelled.
        h.stop()
        h = try await Harness { c in
            var t = c["target"] as! [String: Any]
            t["batchSize"] = 0
            c["target"] = t
        }
        _ = try await h.control(
            "POST", "/_sandbox/d365/faults", body: ["count": 2, "status": 500, "method": "POST", "entitySet": "VendorInvoiceHeaders"])
        let first = try h.cli(["run"], expect: 3)
        XCTAssertTrue(first.stdout.contains("FAILED: 2"), first.stdout)
        let results = try h.csv("load/results.csv")
        let failed = results.filter { $0["status"] == "failed" }.compactMap { $0["report_id"] }
        XCTAssertEqual(failed.count, 2)
        let labels = try await expensifyLabels()
        for id in failed { XCTAssertFalse(labels[id]?.contains("ml-connector") ?? true, "failed report \(id) must stay unlabelled") }
        // Every HTTP error is in the audit trail, with the document failures.
        let ledger = try Ledger(path: h.dir.appendingPathComponent("ledger.sqlite").path)
        let events = try ledger.auditEvents(batchID: try XCTUnwrap(try ledger.latestBatch()).id)
        XCTAssertEqual(
            events.filter { $0.event == "http.error" && $0.detail.contains("VendorInvoiceHeaders → 500") }.count, 2, "\(events.map(\.detail))")
        XCTAssertEqual(events.filter { $0.event == "document.failed" }.count, 2)

        let second = try h.cli(["run", "--json"])
        let v = try JSONValue.parse(second.stdout)
        XCTAssertEqual(v["load"]?["created"]?.int64Value, 2, second.stdout)
        let invoices = try await d365Invoices()
        for id in failed { XCTAssertNotNil(invoices["EXP" + id]) }
        let labels2 = try await expensifyLabels()
        for id in failed { XCTAssertTrue(labels2[id]?.contains("ml-connector") ?? false) }
    }

    func testOnHoldVendorIsHeldThenPostsAfterRelease() async throws {
        try h.cli(["run"])
        var invoices = try await d365Invoices()
        XCTAssertNil(invoices["EXP90000003"])
        _ = try await h.control("PATCH", "/_sandbox/d365/vendors?dataAreaId=usmf&VendorAccountNumber=EMP-0003", body: ["OnHoldStatus": "No"])
        try h.cli(["run"])
        invoices = try await d365Invoices()
        XCTAssertEqual(Self.header(invoices["EXP90000003"] ?? .null)["InvoiceAccount"]?.stringValue, "EMP-0003")
        XCTAssertEqual(Self.lines(invoices["EXP90000003"] ?? .null).reduce(Decimal(0)) { $0 + Self.lineAmount($1) }, dec("612.00"))
    }

    func testMalformedRecordIsAnExceptionAndTheRestPosts() async throws {
        // The server sends one report's element as broken JSON, and another report without its reimbursable flag.
        _ = try await h.control("POST", "/_sandbox/expensify/settings", body: ["corruptReportIDs": ["90000002"]])
        let seed = try await h.control("GET", "/_sandbox/expensify/reports?format=seed")
        var reports = (seed as? [[String: Any]]) ?? ((seed as? [String: Any])?["reports"] as? [[String: Any]]) ?? []
        let i = try XCTUnwrap(reports.firstIndex { $0["reportID"] as? String == "90000021" })
        var expenses = try XCTUnwrap(reports[i]["transactionList"] as? [[String: Any]])
        expenses[0].removeValue(forKey: "reimbursable")
        reports[i]["transactionList"] = expenses
        _ = try await h.control("POST", "/_sandbox/expensify/reports", body: [reports[i]])
        try h.cli(["extract"])
        try h.cli(["transform"])
        try h.cli(["load"])
        let exceptions = try h.csv("transform/exceptions.csv")
        XCTAssertTrue(
            exceptions.contains { $0["report_id"] == "90000021" && $0["field"] == "reimbursable" && ($0["reason"] ?? "").contains("card") },
            "\(exceptions)")
        // The broken element is named by its place in the export, never by a guess at its ID.
        let broken = exceptions.filter { $0["field"] == "(json)" }
        XCTAssertEqual(broken.count, 1, "\(exceptions)")
        XCTAssertTrue(broken.first?["record"]?.hasPrefix("export[") ?? false, "\(broken)")
        XCTAssertTrue((broken.first?["reason"] ?? "").contains("line"), "\(broken)")
        let invoices = try await d365Invoices()
        XCTAssertNil(invoices["EXP90000021"])
        XCTAssertNil(invoices["EXP90000002"])
        XCTAssertNotNil(invoices["EXP90000001"])
        XCTAssertNotNil(invoices["EXP90000041"])
        // Fixed at the source, both post on a later night (neither was labelled).
        _ = try await h.control("POST", "/_sandbox/expensify/settings", body: ["corruptReportIDs": [String]()])
        try h.cli(["run"])
        let later = try await d365Invoices()
        XCTAssertNotNil(later["EXP90000002"])
    }

    func testHandEditedInvoicesAreRefusedByLoad() async throws {
        try h.cli(["extract"])
        try h.cli(["transform"])
        let file = try h.latestBatch().appendingPathComponent("transform/invoices.json")
        let text = try String(contentsOf: file, encoding: .utf8).replacingOccurrences(of: "657.14", with: "757.14")
        try text.write(to: file, atomically: true, encoding: .utf8)
        let r = try h.cli(["load"], expect: 1)
        XCTAssertTrue(r.stderr.contains("transform/invoices.json") && r.stderr.contains("changed after 'transform'"), r.stderr)
        let invoices = try await d365Invoices()
        XCTAssertTrue(invoices.isEmpty)
    }

    func testCardModePostsCardSpendToTheIssuerNeverToTheEmployee() async throws {
        h.stop()
        h = try await Harness { c in
            var cards = c["companyCards"] as! [String: Any]
            cards["mode"] = "separateInvoice"
            c["companyCards"] = cards
        }
        try h.cli(["run"])
        let invoices = try await d365Invoices()
        XCTAssertEqual(Self.header(invoices["EXP90000004-CC"] ?? .null)["InvoiceAccount"]?.stringValue, "AMEX-US")
        XCTAssertEqual(Self.lines(invoices["EXP90000004-CC"] ?? .null).reduce(Decimal(0)) { $0 + Self.lineAmount($1) }, dec("345.50"))
        XCTAssertNil(invoices["EXP90000004"], "a card-only report has no employee invoice")
        XCTAssertEqual(Self.lines(invoices["EXP90000005"] ?? .null).reduce(Decimal(0)) { $0 + Self.lineAmount($1) }, dec("42.75"))
        XCTAssertEqual(Self.header(invoices["EXP90000005-CC"] ?? .null)["InvoiceAccount"]?.stringValue, "AMEX-US")
        XCTAssertEqual(Self.header(invoices["EXP90000041-CC"] ?? .null)["InvoiceAccount"]?.stringValue, "JCB-JP")
        XCTAssertEqual(Self.lines(invoices["EXP90000041-CC"] ?? .null).reduce(Decimal(0)) { $0 + Self.lineAmount($1) }, dec("4200"))
        // No employee vendor ever carries a card line.
        let lines = try h.csv("transform/invoice-lines.csv")
        for l in lines where l["reimbursable"] == "no" {
            XCTAssertTrue(["AMEX-US", "AMEX-UK", "JCB-JP"].contains(l["vendor"] ?? ""), "\(l)")
        }
    }

    func testThrottlingAndExpiredTokensAreRidden() async throws {
        _ = try await h.control("POST", "/_sandbox/d365/faults", body: ["count": 3, "status": 429, "retryAfter": 1])
        _ = try await h.control("POST", "/_sandbox/entra/settings?tokenLifetime=1")
        try h.cli(["run"])
        let invoices = try await d365Invoices()
        XCTAssertNotNil(invoices["EXP90000001"])
    }

    func testSecretsNeverLeak() async throws {
        _ = try h.cli(["run", "--verbose"])
        let r = try h.cli(["status"])
        var haystack = r.stdout + r.stderr
        let enumerator = FileManager.default.enumerator(at: h.dir, includingPropertiesForKeys: nil)!
        for case let url as URL in enumerator where !url.hasDirectoryPath {
            haystack += String(decoding: (try? Data(contentsOf: url)) ?? Data(), as: UTF8.self)
        }
        let verbose = try h.cli(["run", "--verbose"])
        haystack += verbose.stdout + verbose.stderr
        for secret in [Harness.secrets["EXPENSIFY_PARTNER_USER_SECRET"]!, Harness.secrets["D365_CLIENT_SECRET"]!] {
            XCTAssertFalse(haystack.contains(secret), "a secret leaked")
        }
        XCTAssertGreaterThan(haystack.count, 1000)
    }

    func testLedgerRecordsStagesReportsAndAudit() async throws {
        try h.cli(["run"])
        let ledger = try Ledger(path: h.dir.appendingPathComponent("ledger.sqlite").path)
        let batch = try XCTUnwrap(try ledger.latestBatch())
        let stages = try ledger.stageRuns(batchID: batch.id).map(\.stage)
        XCTAssertEqual(stages, [.extract, .transform, .load, .commit])
        XCTAssertEqual(try ledger.report("90000001")?.state, .committed)
        XCTAssertEqual(try ledger.report("90000003")?.state, .held)
        XCTAssertEqual(try ledger.report("90000010")?.state, .committed)
        let events = try ledger.auditEvents(entityID: "90000003").map(\.event)
        XCTAssertTrue(events.contains("exception"))
        XCTAssertEqual(try ledger.watermark().map { $0 < "2026-11-20" }, true)
        let status = try h.cli(["status", "--report", "90000003"])
        XCTAssertTrue(status.stdout.contains("held"), status.stdout)
    }
}

/// The default `$batch` load (two-phase, server keys) and its strategies, end to end through the CLI.
final class BatchLoadPipelineTests: XCTestCase {
    static func harness(target edit: [String: Any] = [:]) async throws -> Harness {
        try await Harness { c in
            var t = c["target"] as! [String: Any]
            for (k, v) in edit { t[k] = v }
            c["target"] = t
        }
    }

    static func requestLog(_ h: Harness) async throws -> [[String: Any]] {
        let any = try await h.control("GET", "/_sandbox/d365/requests")
        return ((any as? [String: Any])?["requests"] as? [[String: Any]]) ?? []
    }

    static func parts(_ entry: [String: Any]) -> [[String: Any]] { (entry["parts"] as? [[String: Any]]) ?? [] }
    static func url(_ any: [String: Any]) -> String { ((any["url"] as? String) ?? "").removingPercentEncoding ?? "" }

    /// `$batch` requests holding a write (POST or DELETE part).
    static func writeBatches(_ log: [[String: Any]]) -> [[String: Any]] {
        log.filter { url($0) == "/data/$batch" && parts($0).contains { ($0["method"] as? String) != "GET" } }
    }

    static func invoices(_ h: Harness) async throws -> [String: [String: Any]] {
        let any = try await h.control("GET", "/_sandbox/d365/invoices")
        var out: [String: [String: Any]] = [:]
        for invoice in ((any as? [String: Any])?["invoices"] as? [[String: Any]]) ?? [] {
            let number = invoice["InvoiceNumber"] as? String ?? ""
            XCTAssertNil(out[number], "\(number) is held twice")
            out[number] = invoice
        }
        return out
    }

    /// Control totals of the batch (per company and currency) equal, to the cent, what the sandbox stored.
    static func assertControlTotals(_ h: Harness, _ invoices: [String: [String: Any]], file: StaticString = #filePath, line: UInt = #line) throws {
        let totals = try h.csv("transform/control-totals.csv").filter { $0["main_account"] == "(all)" }
        XCTAssertFalse(totals.isEmpty, file: file, line: line)
        for t in totals {
            let lines = invoices.values.filter { ($0["dataAreaId"] as? String) == t["company"] && ($0["Currency"] as? String) == t["currency"] }
                .flatMap { ($0["lines"] as? [[String: Any]]) ?? [] }
            XCTAssertEqual(lines.reduce(Decimal(0)) { $0 + dec($1["NetAmount"]) }, dec(t["amount"] ?? ""), "\(t)", file: file, line: line)
        }
    }

    /// Report 90000001 of the seed as a new report (another ID, approved later, unlabelled).
    static func addReport(_ h: Harness, id: String) async throws {
        let seed =
            try JSONSerialization.jsonObject(with: Data(contentsOf: Harness.repo.appendingPathComponent("samples/sandbox/expensify.json")))
            as! [String: Any]
        var report = (seed["reports"] as! [[String: Any]]).first { $0["reportID"] as? String == "90000001" }!
        report["reportID"] = id
        report["labels"] = [String]()
        report["approved"] = "2026-11-21 08:00:00"
        var expenses = report["transactionList"] as! [[String: Any]]
        for i in expenses.indices { expenses[i]["transactionID"] = "\(id)\(i)" }
        report["transactionList"] = expenses
        _ = try await h.control("POST", "/_sandbox/expensify/reports", body: [report])
    }

    func testTheDefaultLoadIsTwoPhaseBatchesWithFarFewerRequestsAndTheSameInvoices() async throws {
        let h = try await Self.harness()
        defer { h.stop() }
        let r = try h.cli(["run", "--json"])
        let v = try JSONValue.parse(r.stdout)
        XCTAssertEqual(v["load"]?["created"]?.int64Value, 7, r.stdout)
        let requests = try XCTUnwrap(v["load"]?["httpRequests"]?.int64Value)
        let log = try await Self.requestLog(h)
        // One $batch of headers, one of their lines; nothing per document; one $batch of reads for the lookup.
        let writes = Self.writeBatches(log)
        XCTAssertEqual(writes.count, 2, "\(writes)")
        XCTAssertTrue(Self.parts(writes[0]).allSatisfy { Self.url($0) == "/data/VendorInvoiceHeaders" })
        XCTAssertTrue(Self.parts(writes[1]).allSatisfy { Self.url($0) == "/data/VendorInvoiceLines" })
        XCTAssertFalse(log.contains { Self.url($0).hasPrefix("/data/VendorInvoice") && ($0["method"] as? String) == "POST" })
        // Before the writes (reconciliation after load reads the documents back in its own few $batch requests).
        let firstWrite =
            log.firstIndex { Self.url($0) == "/data/$batch" && Self.parts($0).contains { ($0["method"] as? String) != "GET" } } ?? log.endIndex
        let lookups = log[..<firstWrite].filter { Self.url($0) == "/data/$batch" && Self.parts($0).allSatisfy { ($0["method"] as? String) == "GET" } }
        XCTAssertEqual(lookups.count, 1, "the three companies' keys are looked up in one request")
        let invoices = try await Self.invoices(h)
        XCTAssertEqual(invoices.count, 7)
        try Self.assertControlTotals(h, invoices)

        // The same night per request: same invoices, several times the requests.
        let single = try await Self.harness(target: ["batchSize": 0])
        defer { single.stop() }
        let s = try single.cli(["run", "--json"])
        let perRequest = try XCTUnwrap(try JSONValue.parse(s.stdout)["load"]?["httpRequests"]?.int64Value)
        let singleInvoices = try await Self.invoices(single)
        XCTAssertEqual(Set(singleInvoices.keys), Set(invoices.keys))
        for (key, invoice) in invoices {
            let a = (invoice["lines"] as? [[String: Any]] ?? []).map { dec($0["NetAmount"]) }
            let b = (singleInvoices[key]?["lines"] as? [[String: Any]] ?? []).map { dec($0["NetAmount"]) }
            XCTAssertEqual(a, b, key)
        }
        XCTAssertLessThan(requests * 3, perRequest, "batched \(requests), per request \(perRequest)")
    }

    func testAServerRefusingReferencesIsRememberedAndTheNextRunStartsTwoPhase() async throws {
        let h = try await Self.harness(target: ["batchStrategy": "references"])
        defer { h.stop() }
        _ = try await h.control("POST", "/_sandbox/d365/settings", body: ["contentIdReferences": false])
        let first = try JSONValue.parse(try h.cli(["run", "--json"]).stdout)
        XCTAssertEqual(first["load"]?["created"]?.int64Value, 7)
        XCTAssertEqual(first["load"]?["failed"]?.int64Value, 0)
        let log = try await Self.requestLog(h)
        let writes = Self.writeBatches(log)
        XCTAssertEqual(writes.count, 3, "the refused $n batch, then headers, then lines")
        XCTAssertTrue(Self.parts(writes[0]).contains { Self.url($0).hasPrefix("$") && ($0["status"] as? Int) == 400 })
        let invoices = try await Self.invoices(h)
        XCTAssertEqual(invoices.count, 7)
        try Self.assertControlTotals(h, invoices)

        let ledger = try Ledger(path: h.dir.appendingPathComponent("ledger.sqlite").path)
        let identity = "d365fo " + h.baseURL.absoluteString
        XCTAssertEqual(try ledger.targetCapabilities(identity), ["odata.batch.contentIdReferences": "unsupported"])
        XCTAssertEqual(try ledger.auditEvents(entityID: identity).map(\.event), ["target.capability"])

        // Next night: a new report; no $n reference is ever sent again.
        try await Self.addReport(h, id: "90000901")
        _ = try await h.control("DELETE", "/_sandbox/d365/requests")
        let second = try JSONValue.parse(try h.cli(["run", "--json"]).stdout)
        XCTAssertEqual(second["load"]?["created"]?.int64Value, 1)
        let nextLog = try await Self.requestLog(h)
        let nextWrites = Self.writeBatches(nextLog)
        XCTAssertEqual(nextWrites.count, 2)
        XCTAssertFalse(nextWrites.flatMap(Self.parts).contains { Self.url($0).hasPrefix("$") || ($0["status"] as? Int) == 400 })
        XCTAssertEqual(try ledger.auditEvents(entityID: identity).count, 1, "nothing new learned")
        let after = try await Self.invoices(h)
        XCTAssertEqual(after.count, 8)
    }

    func testRefusedLinesFailTheReportWithTheServersMessageLeaveNoHeaderAndPostNextRun() async throws {
        let h = try await Self.harness()
        defer { h.stop() }
        let message = "Main account '600100' is blocked for manual entry."
        _ = try await h.control(
            "POST", "/_sandbox/d365/faults",
            body: ["count": 1, "status": 400, "method": "POST", "entitySet": "VendorInvoiceLines", "message": message])
        let first = try h.cli(["run", "--json"], expect: 3)
        let v = try JSONValue.parse(first.stdout)
        XCTAssertEqual(v["load"]?["created"]?.int64Value, 6)
        XCTAssertEqual(v["load"]?["failed"]?.int64Value, 1)
        let failed = try h.csv("load/results.csv").filter { $0["status"] == "failed" }
        XCTAssertEqual(failed.count, 1)
        let row = try XCTUnwrap(failed.first)
        XCTAssertTrue(row["error"]?.hasPrefix(message) ?? false, "\(row)")
        XCTAssertEqual(row["erp_reference"], "", "the header was deleted again")
        let invoices = try await Self.invoices(h)
        XCTAssertEqual(invoices.count, 6)
        XCTAssertNil(invoices[row["invoice_number"] ?? ""], "no empty invoice is left behind")
        let log = try await Self.requestLog(h)
        let deletes = Self.writeBatches(log).flatMap(Self.parts).filter { ($0["method"] as? String) == "DELETE" }
        XCTAssertEqual(deletes.count, 1)
        let ledger = try Ledger(path: h.dir.appendingPathComponent("ledger.sqlite").path)
        let reportID = try XCTUnwrap(row["report_id"])
        XCTAssertEqual(try ledger.report(reportID)?.state, .failed)
        XCTAssertTrue(try ledger.report(reportID)?.reason?.contains(message) ?? false)
        let labels = try await h.control("GET", "/_sandbox/expensify/reports")
        let list = (labels as? [[String: Any]]) ?? ((labels as? [String: Any])?["reports"] as? [[String: Any]]) ?? []
        XCTAssertFalse((list.first { $0["reportID"] as? String == reportID }?["labels"] as? [String] ?? []).contains("ml-connector"))

        // Next night the cause is gone: it is posted and labelled.
        let second = try JSONValue.parse(try h.cli(["run", "--json"]).stdout)
        XCTAssertEqual(second["load"]?["created"]?.int64Value, 1)
        let after = try await Self.invoices(h)
        XCTAssertEqual(after.count, 7)
        let number = try XCTUnwrap(row["invoice_number"])
        let posted = try XCTUnwrap(try h.csv("load/results.csv").first { $0["invoice_number"] == number })
        XCTAssertEqual(posted["status"], "created")
        let lines = after[number]?["lines"] as? [[String: Any]] ?? []
        XCTAssertEqual(lines.reduce(Decimal(0)) { $0 + dec($1["NetAmount"]) }, dec(posted["total"] ?? ""), "to the cent")
        XCTAssertEqual(try ledger.report(reportID)?.state, .committed)
    }

    func testClientKeysPostEachInvoiceInOneChangesetUnderItsOwnKey() async throws {
        let h = try await Self.harness(target: ["keyAssignment": "client"])
        defer { h.stop() }
        let v = try JSONValue.parse(try h.cli(["run", "--json"]).stdout)
        XCTAssertEqual(v["load"]?["created"]?.int64Value, 7)
        let invoices = try await Self.invoices(h)
        XCTAssertEqual(invoices.count, 7)
        for (number, invoice) in invoices { XCTAssertEqual(invoice["HeaderReference"] as? String, number) }
        try Self.assertControlTotals(h, invoices)
        let log = try await Self.requestLog(h)
        XCTAssertEqual(Self.writeBatches(log).count, 1)
        let rerun = try JSONValue.parse(try h.cli(["run", "--json"]).stdout)
        XCTAssertEqual(rerun["load"]?["created"]?.int64Value, 0)
    }

    func testANightWithNothingNewCostsAFewExpensifyCallsAndOneMasterDataReadPerCompanyAndEntity() async throws {
        let h = try await Self.harness()
        defer { h.stop() }
        try h.cli(["run"])
        _ = try await h.control("POST", "/_sandbox/stats/reset")
        _ = try await h.control("DELETE", "/_sandbox/d365/requests")
        let r = try JSONValue.parse(try h.cli(["run", "--json"]).stdout)
        XCTAssertEqual(r["load"]?["created"]?.int64Value, 0)
        let stats = try await h.control("GET", "/_sandbox/stats") as? [String: Any]
        let requests = stats?["requests"] as? [String: Int] ?? [:]
        // Export and download of the date window and the policies (3), plus export and download per chunk of 100
        // reports still open (held or failed), which are asked for by ID every night.
        let open = try Ledger(path: h.dir.appendingPathComponent("ledger.sqlite").path).openReportCount()
        XCTAssertGreaterThan(open, 0, "the sample firm keeps some reports held")
        XCTAssertLessThanOrEqual(requests["expensify"] ?? 99, 3 + 2 * ((open + 99) / 100), "\(requests), \(open) open")
        let log = try await Self.requestLog(h).filter { ($0["system"] as? String) == "d365" }
        XCTAssertEqual(log.count, requests["d365"], "every D365 request is in the log")
        XCTAssertFalse(log.contains { ($0["method"] as? String) != "GET" }, "nothing is written: \(log.map { Self.url($0) })")
        // First pages only: following @odata.nextLink is part of the same read.
        var reads: [String: Int] = [:]
        for entry in log where !Self.url(entry).contains("skiptoken") {
            let path = Self.url(entry)
            let entity = String(path.dropFirst("/data/".count).prefix { $0 != "?" })
            let company =
                path.range(of: "dataAreaId eq '").map { String(path[$0.upperBound...].prefix { $0 != "'" }) }
                ?? path.range(of: "LegalEntityId eq '").map { String(path[$0.upperBound...].prefix { $0 != "'" }) } ?? "*"
            reads[entity + " " + company, default: 0] += 1
        }
        XCTAssertFalse(reads.isEmpty)
        XCTAssertTrue(reads.values.allSatisfy { $0 == 1 }, "\(reads.sorted { $0.key < $1.key })")
        print(
            "Nothing new: Expensify \(requests["expensify"] ?? 0) calls, D365 \(requests["d365"] ?? 0) requests (\(reads.count) reads), Entra \(requests["entra"] ?? 0)"
        )
    }
}
