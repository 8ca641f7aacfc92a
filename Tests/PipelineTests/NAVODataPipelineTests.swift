import ConnectorCore
import Foundation
import XCTest

/// `nav-odata` end to end: the real CLI against the sandbox's NAV OData v4 pages over loopback HTTP, checked with
/// `GET /_sandbox/nav/documents`.
final class NAVODataPipelineTests: XCTestCase {
    static let companies = ["Northwind Traders & Sons Ltd.", "Northwind UK Ltd.", "Northwind K.K."]

    func documents(_ h: Harness, _ company: String) async throws -> [String: Any] {
        let q = company.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? company
        return (try await h.control("GET", "/_sandbox/nav/documents?company=\(q)") as? [String: Any]) ?? [:]
    }

    func testPurchaseInvoicesReconcileAndARerunCreatesNothing() async throws {
        let h = try await Harness(sample: "samples/config-nav-odata.json")
        defer { h.stop() }
        let first = try h.cli(["run", "--json"])
        XCTAssertEqual(try JSONValue.parse(first.stdout)["load"]?["created"]?.int64Value, 7, first.stdout)
        var totals: [String: Decimal] = [:]
        var keys: [String] = []
        for company in Self.companies {
            for inv in (try await documents(h, company)["purchaseInvoices"] as? [[String: Any]]) ?? [] {
                keys.append(inv["vendorInvoiceNumber"] as? String ?? "")
                let sum = ((inv["lines"] as? [[String: Any]]) ?? []).reduce(Decimal(0)) { $0 + dec($1["amount"]) }
                totals["\(company.lowercased())|\(inv["currencyCode"] as? String ?? "")", default: 0] += sum
            }
        }
        XCTAssertEqual(keys.sorted(), ["EXP90000001", "EXP90000002", "EXP90000005", "EXP90000006", "EXP90000021", "EXP90000031", "EXP90000041"])
        for t in try h.csv("transform/control-totals.csv") where t["main_account"] == "(all)" {
            XCTAssertEqual(totals["\((t["company"] ?? "").lowercased())|\(t["currency"] ?? "")"], dec(t["amount"] ?? ""), "control total \(t)")
        }
        let second = try h.cli(["run", "--json"])
        XCTAssertEqual(try JSONValue.parse(second.stdout)["load"]?["created"]?.int64Value, 0, second.stdout)
    }

    func testALostAnswerToAJournalLineIsSettledByLookupNeverDoubled() async throws {
        let h = try await Harness(sample: "samples/config-nav-odata.json") { c in
            var t = c["target"] as! [String: Any]
            t["document"] = "generalJournal"
            c["target"] = t
        }
        defer { h.stop() }
        _ = try await h.control(
            "POST", "/_sandbox/nav/faults", body: ["count": 1, "method": "POST", "pathContains": "ExpenseJournal", "api": "odata", "drop": true])
        let run = try h.cli(["run", "--json"])
        XCTAssertEqual(try JSONValue.parse(run.stdout)["load"]?["created"]?.int64Value, 8, run.stdout)
        let lines = (try await documents(h, "Northwind Traders & Sons Ltd.")["journalLines"] as? [[String: Any]]) ?? []
        let byDocument = Dictionary(grouping: lines) { $0["documentNumber"] as? String ?? "" }
        XCTAssertEqual(byDocument["EXP90000001"]?.count, 4, "three expenses and the balancing line, the dropped one once")
        for (key, l) in byDocument {
            XCTAssertEqual(l.reduce(Decimal(0)) { $0 + dec($1["amount"]) }, 0, "\(key) balances")
            XCTAssertTrue(l.allSatisfy { $0["template"] as? String == "GENERAL" && $0["batch"] as? String == "EXPENSES" })
        }
    }
}
