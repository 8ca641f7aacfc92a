import ConnectorCore
import Foundation
import XCTest

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Business Central (API v2.0) end to end: the real CLI over loopback HTTP to the sandbox's BC simulator, purchase
/// invoices and general journal lines, reruns, lost answers, refusals that must leave nothing behind, read-back.
final class BCPipelineTests: XCTestCase {
    static let companies = ["Northwind Traders & Sons Ltd.", "Northwind UK Ltd.", "Northwind K.K."]
    var h: Harness!

    override func tearDown() async throws { h?.stop() }

    func start(journal: Bool = false, edit: @escaping (inout [String: Any]) -> Void = { _ in }) async throws {
        h = try await Harness(sample: "config-bc.json") { config in
            if journal {
                var t = config["target"] as! [String: Any]
                t["document"] = "generalJournal"
                config["target"] = t
            }
            edit(&config)
        }
    }

    /// The sandbox's documents of every company: purchase invoices (draft and posted) and journal lines.
    func documents() async throws -> (invoices: [String: [String: Any]], journal: [[String: Any]], company: [String: String]) {
        var invoices: [String: [String: Any]] = [:]
        var journal: [[String: Any]] = []
        var company: [String: String] = [:]
        for c in Self.companies {
            let q = c.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? c
            let d = try await h.control("GET", "/_sandbox/nav/documents?company=" + q) as? [String: Any] ?? [:]
            for inv in (d["purchaseInvoices"] as? [[String: Any]] ?? []) + (d["postedPurchaseInvoices"] as? [[String: Any]] ?? []) {
                guard let key = inv["vendorInvoiceNumber"] as? String else { continue }
                XCTAssertNil(invoices[key], "\(key) exists twice")
                invoices[key] = inv
                company[key] = c
            }
            for l in d["journalLines"] as? [[String: Any]] ?? [] {
                var line = l
                line["company"] = c
                journal.append(line)
            }
        }
        return (invoices, journal, company)
    }

    static func amount(_ v: Any?) -> Decimal {
        if let s = v as? String { return Decimal(string: s) ?? .nan }
        if let n = v as? NSNumber { return Decimal(string: n.stringValue) ?? .nan }
        return .nan
    }

    static func lines(_ inv: [String: Any]) -> [[String: Any]] { inv["lines"] as? [[String: Any]] ?? [] }

    func requests() async throws -> [[String: Any]] {
        let any = try await h.control("GET", "/_sandbox/nav/requests")
        return (any as? [[String: Any]]) ?? ((any as? [String: Any])?["requests"] as? [[String: Any]]) ?? []
    }

    func testPurchaseInvoicesPostCentExactWithDimensionsAndARerunCreatesNothing() async throws {
        try await start()
        let r = try h.cli(["run"], expect: nil)
        XCTAssertTrue([0, 3].contains(r.code), r.stdout + r.stderr)
        let (invoices, _, company) = try await documents()
        let expected: [(String, String, String, String)] = [
            ("EXP90000001", "Northwind Traders & Sons Ltd.", "EMP-0001", "657.14"),
            ("EXP90000002", "Northwind Traders & Sons Ltd.", "EMP-0002", "45.01"),
            ("EXP90000006", "Northwind Traders & Sons Ltd.", "V-IVAN-01", "89.99"),
            ("EXP90000021", "Northwind UK Ltd.", "EMP-1001", "467.45"),
            ("EXP90000031", "Northwind UK Ltd.", "EMP-1003", "401.36"),
            ("EXP90000041", "Northwind K.K.", "EMP-2001", "21300"),
        ]
        for (key, c, vendor, total) in expected {
            guard let inv = invoices[key] else {
                XCTFail("\(key) was not created; have \(invoices.keys.sorted())")
                continue
            }
            XCTAssertEqual(company[key], c, key)
            XCTAssertEqual(inv["vendorNumber"] as? String, vendor, key)
            XCTAssertEqual(inv["status"] as? String, "Draft", key)
            let sum = Self.lines(inv).reduce(Decimal(0)) { $0 + Self.amount($1["amount"]) }
            XCTAssertEqual(sum, Decimal(string: total), "\(key) line total")
        }
        // Dimensions travel as dimension set lines on the lines.
        let first = Self.lines(invoices["EXP90000001"] ?? [:]).first ?? [:]
        XCTAssertEqual(first["dimensions"] as? [String: String], ["DEPARTMENT": "010", "COSTCENTER": "W01"], "\(first)")
        // Held reports create nothing and say why.
        for key in ["EXP90000003", "EXP90000007", "EXP90000011", "EXP90000022", "EXP90000051"] {
            XCTAssertNil(invoices[key], "\(key) must not be posted")
        }
        let exceptions = try h.csv("transform/exceptions.csv")
        func reason(_ report: String, _ field: String) -> String {
            exceptions.first { $0["report_id"] == report && $0["field"] == field }?["reason"] ?? ""
        }
        XCTAssertTrue(reason("90000003", "accountEmail").contains("EMP-0003"), "\(exceptions)")
        XCTAssertTrue(reason("90000011", "categoryGlCode").contains("600199"), "\(exceptions)")
        XCTAssertTrue(reason("90000011", "categoryGlCode").contains("blocked"), "\(exceptions)")
        XCTAssertTrue(reason("90000022", "tag").contains("OLD1"), "\(exceptions)")

        // The staged control totals equal what Business Central holds, per company and currency.
        for t in try h.csv("transform/control-totals.csv") where t["main_account"] == "(all)" {
            let stored = invoices.filter {
                company[$0.key]?.lowercased() == t["company"]?.lowercased() && ($0.value["currencyCode"] as? String) == t["currency"]
            }
            .flatMap { Self.lines($0.value) }.reduce(Decimal(0)) { $0 + Self.amount($1["amount"]) }
            XCTAssertEqual(stored, Decimal(string: t["amount"] ?? ""), "control total \(t)")
        }
        // Few requests: JSON $batch for lookups, creates and dimensions.
        let log = try await requests().filter { ($0["api"] as? String) == "bc" }
        XCTAssertLessThanOrEqual(log.count, 40, "\(log.map { "\($0["method"] ?? "") \($0["path"] ?? "")" })")

        let again = try h.cli(["run"], expect: nil)
        XCTAssertTrue([0, 3].contains(again.code), again.stdout)
        let after = try await documents()
        XCTAssertEqual(after.invoices.keys.sorted(), invoices.keys.sorted(), "a rerun creates nothing")
        for (key, inv) in after.invoices { XCTAssertEqual(Self.lines(inv).count, Self.lines(invoices[key]!).count, key) }
    }

    func testGeneralJournalBalancesEachReportToTheConfiguredAccount() async throws {
        try await start(journal: true)
        let r = try h.cli(["run"], expect: nil)
        XCTAssertTrue([0, 3].contains(r.code), r.stdout + r.stderr)
        let (_, journal, _) = try await documents()
        let byDoc = Dictionary(grouping: journal, by: { $0["documentNumber"] as? String ?? "" })
        XCTAssertNotNil(byDoc["EXP90000001"], "\(byDoc.keys.sorted())")
        for (doc, lines) in byDoc {
            XCTAssertEqual(lines.reduce(Decimal(0)) { $0 + Self.amount($1["amount"]) }, 0, "\(doc) balances")
            XCTAssertEqual(lines.filter { ($0["accountNumber"] as? String) == "200200" }.count, 1, "\(doc) one balancing line")
        }
        let alice = byDoc["EXP90000001"] ?? []
        XCTAssertEqual(
            alice.filter { ($0["accountNumber"] as? String) != "200200" }.reduce(Decimal(0)) { $0 + Self.amount($1["amount"]) },
            Decimal(string: "657.14"))
        // A EUR report cannot go through BC's journal API (amounts in the company currency only): held, with the reason.
        XCTAssertNil(byDoc["EXP90000031"])
        let exceptions = try h.csv("transform/exceptions.csv")
        XCTAssertTrue(
            exceptions.contains { $0["report_id"] == "90000031" && $0["field"] == "currency" && ($0["reason"] ?? "").contains("GBP") },
            "\(exceptions)")
        // Vendor problems do not matter on this path: carol's blocked vendor does not hold her report.
        XCTAssertFalse(exceptions.contains { $0["report_id"] == "90000003" && $0["field"] == "accountEmail" }, "\(exceptions)")

        try h.cli(["run"], expect: nil)
        let again = try await documents().journal
        XCTAssertEqual(again.count, journal.count, "a rerun adds no journal line")
    }

    func testALostAnswerToTheCreatesIsSettledByReadingBackNeverBySendingAgain() async throws {
        try await start()
        _ = try await h.control(
            "POST", "/_sandbox/nav/faults", body: ["count": 1, "status": 200, "method": "POST", "pathContains": "$batch", "api": "bc", "drop": true])
        // The first POST $batch is the creates (lookups are GETs inside... a POST $batch too): whichever it is, nothing doubles.
        let r = try h.cli(["run"], expect: nil)
        XCTAssertTrue([0, 3].contains(r.code), r.stdout + r.stderr)
        let dropped = try await requests().filter { ($0["dropped"] as? Bool) == true }
        XCTAssertEqual(dropped.count, 1, "the fault must have fired: one $batch answer lost")
        try h.cli(["run"], expect: nil)
        let (invoices, _, _) = try await documents()
        XCTAssertNotNil(invoices["EXP90000001"], "\(invoices.keys.sorted())")
        for (key, inv) in invoices {
            let numbers = Self.lines(inv).compactMap { $0["sequence"] as? Int }
            XCTAssertEqual(numbers.count, Set(numbers).count, "\(key) has no doubled line")
        }
    }

    func testARefusedDimensionLeavesNoDraftBehind() async throws {
        try await start()
        try h.cli(["extract"])
        try h.cli(["transform"])
        // After transform checked it, someone deletes dimension value W01 in the Traders & Sons company.
        _ = try await h.control(
            "POST", "/_sandbox/nav/update",
            body: ["company": "Northwind Traders & Sons Ltd.", "table": "dimensionValue", "key": "COSTCENTER/W01", "fields": [:], "delete": true])
        let r = try h.cli(["load"], expect: nil)
        XCTAssertEqual(r.code, 3, r.stdout + r.stderr)
        let (invoices, _, _) = try await documents()
        XCTAssertNil(invoices["EXP90000001"], "the invoice whose dimension was refused is deleted again")
        XCTAssertNotNil(invoices["EXP90000002"], "the others are posted")
        let results = try h.csv("load/results.csv")
        let row = results.first { $0["invoice_number"] == "EXP90000001" } ?? [:]
        XCTAssertEqual(row["status"], "failed")
        XCTAssertTrue((row["error"] ?? "").contains("deleted again"), "\(row)")
    }

    func testPostingIsOptionalAndADraftPostedInTheERPIsRecordedByTheNextRun() async throws {
        try await start()
        try h.cli(["run"], expect: nil)
        let (invoices, _, _) = try await documents()
        let number = invoices["EXP90000002"]?["number"] as? String ?? ""
        XCTAssertFalse(number.isEmpty)
        let q = "Northwind Traders & Sons Ltd.".addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        _ = try await h.control("POST", "/_sandbox/nav/post?company=\(q)&purchaseInvoice=\(number)")
        try h.cli(["run"], expect: nil)
        let status = try h.cli(["status", "--json"])
        let json = try JSONValue.parse(Data(status.stdout.utf8))
        XCTAssertEqual(json["documentsInERP"]?["posted"]?.int64Value, 1, status.stdout)
        let audit = try h.cli(["audit", "90000002"])
        XCTAssertTrue(audit.stdout.contains("document.erp.posted"), audit.stdout)
    }

    func testPostTruePostsEachCompleteInvoice() async throws {
        try await start { config in
            var t = config["target"] as! [String: Any]
            t["post"] = true
            config["target"] = t
        }
        try h.cli(["run"], expect: nil)
        let (invoices, _, _) = try await documents()
        XCTAssertFalse(invoices.isEmpty)
        for (key, inv) in invoices { XCTAssertNotEqual(inv["status"] as? String, "Draft", key) }
        let status = try h.cli(["status", "--json"])
        let json = try JSONValue.parse(Data(status.stdout.utf8))
        XCTAssertEqual(json["documentsInERP"]?["posted"]?.int64Value, Int64(invoices.count), status.stdout)
    }
}

/// A D365 notion in a BC configuration: Business Central and NAV vendors carry no vendor group, so a configured
/// employee vendor group would match no vendor and hold every report. `check-config` says so before the night.
final class BCConfigurationCheckTests: XCTestCase {
    func testAnEmployeeVendorGroupIsRefusedForBusinessCentral() async throws {
        let h = try await Harness(sample: "config-bc.json") { c in
            var v = c["vendors"] as? [String: Any] ?? [:]
            v["employeeVendorGroup"] = "EMP"
            c["vendors"] = v
        }
        defer { h.stop() }
        let r = try h.cli(["check-config"], expect: 2)
        XCTAssertTrue(r.stdout.contains("vendors.employeeVendorGroup: 'EMP' cannot be used with target bc"), r.stdout)
        let plain = try await Harness(sample: "config-bc.json")
        defer { plain.stop() }
        XCTAssertFalse(try plain.cli(["check-config"]).stdout.contains("employeeVendorGroup"))
    }
}
