import ConnectorCore
import ConnectorHTTP
import Foundation
import Logging
import NAVSOAP
import XCTest

/// `nav-soap` end to end: the real CLI against the sandbox's NAV SOAP pages over loopback HTTP. What NAV holds is
/// read back through the SOAP pages themselves (ReadMultiple), independently of the target's own lookups.
final class NAVSOAPPipelineTests: XCTestCase {
    static let companies = ["Northwind Traders & Sons Ltd.", "Northwind UK Ltd.", "Northwind K.K."]
    static let lcy = ["Northwind Traders & Sons Ltd.": "USD", "Northwind UK Ltd.": "GBP", "Northwind K.K.": "JPY"]

    func harness(_ edit: @escaping (inout [String: Any]) -> Void = { _ in }) async throws -> Harness {
        try await Harness(sample: "samples/config-nav-soap.json", configEdit: edit)
    }

    func client(_ h: Harness, _ company: String) -> NAVSOAPClient {
        let http = HTTPClient(transport: CurlTransport(), logger: Logger(label: "test"), system: "nav-soap-test")
        return NAVSOAPClient(
            soapRoot: URL(string: h.baseURL.absoluteString + "/DynamicsNAV110")!, company: company,
            authorization: BasicAuthorization(user: "EXPENSEAPI", key: Secret(Harness.secrets["NAV_ACCESS_KEY"]!)), http: http,
            logger: Logger(label: "test"))
    }

    /// Draft purchase invoices by Vendor_Invoice_No: (company, currency as the document's, total of the lines).
    func drafts(_ h: Harness) async throws -> [String: (company: String, currency: String, total: Decimal, lines: Int)] {
        var out: [String: (String, String, Decimal, Int)] = [:]
        for company in Self.companies {
            for r in try await client(h, company).readMultiple(service: "PurchaseInvoice") {
                let lines = r.part("PurchLines")
                let total = lines.reduce(Decimal(0)) { $0 + dec($1["Quantity"] ?? "") * dec($1["Direct_Unit_Cost"] ?? "") }
                let currency = (r["Currency_Code"] ?? "").isEmpty ? Self.lcy[company]! : r["Currency_Code"]!
                out[r["Vendor_Invoice_No"] ?? ""] = (company, currency, total, lines.count)
            }
        }
        return out
    }

    func testPurchaseInvoicesReconcileHoldTheRightReportsAndARerunCreatesNothing() async throws {
        let h = try await harness()
        defer { h.stop() }
        let first = try h.cli(["run", "--json"])
        let v = try JSONValue.parse(first.stdout)
        XCTAssertEqual(v["load"]?["created"]?.int64Value, 7, first.stdout)
        let stored = try await drafts(h)
        XCTAssertEqual(stored.count, 7, "\(stored.keys.sorted())")
        XCTAssertEqual(stored["EXP90000001"]?.company, "Northwind Traders & Sons Ltd.")
        XCTAssertEqual(stored["EXP90000001"]?.total, dec("657.14"))
        XCTAssertEqual(stored["EXP90000031"]?.currency, "EUR", "a EUR report in a GBP company keeps its currency")
        XCTAssertEqual(stored["EXP90000041"]?.total, dec("21300"))

        // Control totals reconcile to the cent with what NAV stored, per company and currency.
        let totals = try h.csv("transform/control-totals.csv").filter { $0["main_account"] == "(all)" }
        XCTAssertFalse(totals.isEmpty)
        for t in totals {
            let sum = stored.values.filter { $0.company.lowercased() == t["company"]?.lowercased() && $0.currency == t["currency"] }
                .reduce(Decimal(0)) { $0 + $1.total }
            XCTAssertEqual(sum, dec(t["amount"] ?? ""), "control total \(t)")
        }

        // Held with a clear reason: vendor Blocked All, blocked G/L account, blocked dimension value.
        let exceptions = try h.csv("transform/exceptions.csv")
        func reason(_ report: String, _ field: String) -> String {
            exceptions.first { $0["report_id"] == report && $0["field"] == field }?["reason"] ?? ""
        }
        XCTAssertTrue(reason("90000003", "accountEmail").contains("EMP-0003"), "\(exceptions)")
        XCTAssertTrue(reason("90000003", "accountEmail").contains("All"), "\(exceptions)")
        XCTAssertTrue(reason("90000011", "categoryGlCode").contains("600199"), "\(exceptions)")
        XCTAssertTrue(reason("90000011", "categoryGlCode").contains("blocked"), "\(exceptions)")
        XCTAssertTrue(reason("90000022", "tag").contains("OLD1"), "\(exceptions)")
        for key in ["EXP90000003", "EXP90000011", "EXP90000022"] { XCTAssertNil(stored[key], key) }

        let second = try h.cli(["run", "--json"])
        XCTAssertEqual(try JSONValue.parse(second.stdout)["load"]?["created"]?.int64Value, 0, second.stdout)
        let again = try await drafts(h)
        XCTAssertEqual(again.count, 7)
    }

    func testAMissingVendorHoldsTheReport() async throws {
        let h = try await harness { c in c["vendors"] = ["byEmail": [String: String]()] }
        defer { h.stop() }
        try h.cli(["run"])
        let exceptions = try h.csv("transform/exceptions.csv")
        let ivan = exceptions.first { $0["report_id"] == "90000006" }
        XCTAssertEqual(ivan?["field"], "accountEmail", "\(exceptions)")
        XCTAssertTrue(ivan?["reason"]?.contains("ivan.petrov@northwind.example") ?? false, "\(exceptions)")
        let stored = try await drafts(h)
        XCTAssertNil(stored["EXP90000006"])
        XCTAssertEqual(stored.count, 6)
    }

    func testJournalDocumentsBalanceInTheConfiguredBatchAndARerunCreatesNothing() async throws {
        let h = try await harness { c in
            var t = c["target"] as! [String: Any]
            t["document"] = "generalJournal"
            c["target"] = t
        }
        defer { h.stop() }
        // Journals need no vendor: Carol's report (vendor Blocked All) posts to the G/L too, so 8 documents.
        let first = try h.cli(["run", "--json"])
        XCTAssertEqual(try JSONValue.parse(first.stdout)["load"]?["created"]?.int64Value, 8, first.stdout)
        var documents: [String: [NAVRecord]] = [:]
        for company in Self.companies {
            let lines = try await client(h, company).readMultiple(service: "GeneralJournal", unbound: [("CurrentJnlBatchName", "EXPENSES")])
            for l in lines { documents[l["Document_No"] ?? "", default: []].append(l) }
        }
        XCTAssertEqual(documents.count, 8, "\(documents.keys.sorted())")
        XCTAssertNil(documents["EXP90000011"], "a blocked G/L account still holds the report")
        for (key, lines) in documents {
            XCTAssertEqual(lines.reduce(Decimal(0)) { $0 + dec($1["Amount"] ?? "") }, 0, "\(key) balances")
            XCTAssertEqual(lines.filter { $0["Account_No"] == "200200" }.count, 1, "\(key) has one balancing line")
        }
        XCTAssertEqual(documents["EXP90000001"]?.count, 4, "three expenses and the balancing line")
        XCTAssertEqual(documents["EXP90000001"]?.first { $0["Account_No"] == "200200" }?["Amount"].map(dec), dec("-657.14"))
        let second = try h.cli(["run", "--json"])
        XCTAssertEqual(try JSONValue.parse(second.stdout)["load"]?["created"]?.int64Value, 0, second.stdout)
    }
}
