import ConnectorCore
import Foundation
import XCTest

/// `align categories` by account type through the target protocol for Business Central (`accounts.category`) and NAV
/// (`Account_Category` of the G/L Account Card, OData and SOAP): the real binary against the sandbox.
final class AlignBCNAVTests: XCTestCase {
    static let usPolicy = "A1B2C3D4E5F60001"

    private func dryRun(_ sample: String) async throws -> JSONValue {
        let h = try await Harness(sample: sample) { config in
            config["align"] = ["categories": ["accountTypes": ["Expense"]]]
        }
        defer { h.stop() }
        let r = try h.cli(["align", "categories", "--dry-run", "--policy", Self.usPolicy, "--json"])
        return try XCTUnwrap(try JSONValue.parse(Data(r.stdout.utf8))["policies"]?.arrayValue?.first, r.stdout)
    }

    private static func sources(_ v: JSONValue?) -> [String] { (v?.arrayValue ?? []).compactMap { $0["source"]?.stringValue } }

    func testExpenseAccountsBecomeCategoriesAndPayablesDoNot() async throws {
        for sample in ["config-bc.json", "config-nav-odata.json", "config-nav-soap.json"] {
            let p = try await dryRun(sample)
            let all =
                Self.sources(p["added"]) + Self.sources(p["unchanged"]) + Self.sources(p["renamed"])
                + Self.sources(p["disabled"]) + Self.sources(p["leftAlone"])
            // 6xxxxx accounts are Expense in the seed; 200100 and 200200 (payables) are Liabilities.
            XCTAssertEqual(
                Self.sources(p["unchanged"]),
                [
                    "main account 600100", "main account 600110", "main account 600120", "main account 600130", "main account 600140",
                    "main account 600150",
                ],
                "\(sample): \(p)")
            // Blocked, and closed to direct posting: in scope, but not to be used (left alone: the connector did not create it).
            let entertainment = (p["leftAlone"]?.arrayValue ?? []).first { $0["source"]?.stringValue == "main account 600199" }
            XCTAssertEqual(entertainment?["reason"]?.stringValue?.hasPrefix("is blocked, but ml-connector did not create"), true, "\(sample): \(p)")
            XCTAssertEqual(Self.sources(p["added"]), [], "\(sample): Training (600160) does not allow direct posting, so it is not added")
            XCTAssertFalse(all.contains { $0.hasPrefix("main account 2") }, "\(sample): no balance sheet account: \(all)")
        }
    }

    func testAccountCategoriesAreRefusedForBusinessCentral() async throws {
        let h = try await Harness(sample: "config-bc.json") { config in
            config["align"] = ["categories": ["accountCategories": ["Travel"]]]
        }
        defer { h.stop() }
        let r = try h.cli(["check-config"], expect: nil)
        XCTAssertNotEqual(r.code, 0)
        XCTAssertTrue((r.stdout + r.stderr).contains("align.categories.accountCategories cannot be used with target bc"), r.stdout + r.stderr)
    }
}
