import ConnectorCore
import ConnectorLedger
import Expensify
import Foundation
import XCTest

/// The pieces `maps check` builds on, without the network: the policy reader for both tag shapes, the tag-level rule it
/// shares with transform, the vendor problem kinds, and the ledger's master-data cache.
final class MapsCheckRulesTests: XCTestCase {
    func testPolicyDetailsReadBothTagShapesWithGLCodesEnabledFlagsAndMembers() throws {
        let info = try JSONValue.parse(
            Data(
                """
                {"P1": {"categories": [{"name": "Meals", "GL Code": "6012"}, {"name": "Old", "glCode": "6000", "enabled": false}],
                        "tags": [{"name": "Sales", "glCode": "010"}, {"name": "Sales:West", "glCode": "W01", "enabled": false}],
                        "employees": [{"email": "a@x.example", "role": "user"}, {"role": "user"}]},
                 "P0": {"tags": [{"name": "Department", "tags": [{"name": "Sales", "glCode": "010"}]},
                                 {"name": "Cost center", "enabled": false, "tags": [{"name": "West", "glCode": "W01"}]}]}}
                """.utf8))
        let policies = ExpensifyPolicyDetails.read(info)
        XCTAssertEqual(policies.map(\.policyID), ["P0", "P1"])
        let levels = policies[0].tags
        XCTAssertEqual(levels.map(\.level), [1, 2])
        XCTAssertEqual(levels[1].names, ["", "West"])
        XCTAssertEqual(levels.map(\.enabled), [true, false], "a disabled level disables its tags")
        let flat = policies[1]
        XCTAssertEqual(flat.categories.map(\.glCode), ["6012", "6000"])
        XCTAssertEqual(flat.categories.map(\.enabled), [true, false])
        XCTAssertEqual(flat.tags.map(\.level), [1, 2])
        XCTAssertEqual(flat.tags[1].names, ["Sales", "West"])
        XCTAssertEqual(flat.employees.map(\.email), ["a@x.example"])
    }

    func testTagLevelValueIsTransformsRule() throws {
        let byCode = try JSONDecoder().decode(
            ConnectorConfig.TagLevel.self, from: Data(#"{"level": 2, "dimension": "CostCenter", "values": {"Sales:East": "E99"}}"#.utf8))
        XCTAssertEqual(DimensionRule.value(of: byCode, name: "West", names: ["Sales", "West"], glCode: "W01"), "W01")
        XCTAssertEqual(DimensionRule.value(of: byCode, name: "East", names: ["Sales", "East"], glCode: ""), "E99", "the explicit map wins")
        XCTAssertNil(DimensionRule.value(of: byCode, name: "North", names: ["Sales", "North"], glCode: ""))
        let byName = try JSONDecoder().decode(
            ConnectorConfig.TagLevel.self, from: Data(#"{"level": 1, "dimension": "Department", "valueFrom": "name"}"#.utf8))
        XCTAssertEqual(DimensionRule.value(of: byName, name: "Sales", names: ["Sales"], glCode: ""), "Sales")
    }

    func testVendorProblemKinds() throws {
        func vendor(_ account: String, _ email: String, hold: String = "No") -> VendorReference {
            VendorReference(account: account, name: account, group: "EMP", email: email, onHold: hold, currency: nil)
        }
        let reference = ReferenceData(
            target: "t",
            companies: [
                CompanyReference(
                    id: "usmf", currency: nil,
                    vendors: [
                        vendor("E1", "a@x.example"), vendor("E2", "b@x.example"), vendor("E3", "b@x.example"),
                        vendor("E4", "c@x.example", hold: "All"),
                    ],
                    dimensionValues: [])
            ], mainAccounts: [], dimensionFormat: nil, dimensionDelimiter: nil)
        let rule = VendorRule(
            vendors: try JSONDecoder().decode(
                ConnectorConfig.VendorSettings.self, from: Data(#"{"employeeVendorGroup": "EMP", "byEmail": {"d@x.example": "NOPE"}}"#.utf8)),
            reference: reference)
        XCTAssertNil(rule.employeeVendorProblem(email: "A@x.example", company: "usmf").kind)
        XCTAssertEqual(rule.employeeVendorProblem(email: "b@x.example", company: "usmf").kind, .severalVendors)
        XCTAssertEqual(rule.employeeVendorProblem(email: "c@x.example", company: "usmf").kind, .onHold)
        XCTAssertEqual(rule.employeeVendorProblem(email: "d@x.example", company: "usmf").kind, .configuredVendor)
        XCTAssertEqual(rule.employeeVendorProblem(email: "z@x.example", company: "usmf").kind, .noVendor)
        XCTAssertEqual(
            rule.employeeVendor(email: "z@x.example", company: "usmf"), rule.employeeVendorProblem(email: "z@x.example", company: "usmf").resolution)
    }

    func testTheCacheKeepsOneRowPerKeyReplacedOnRefreshAndAudited() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mlc-md-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let ledger = try Ledger(path: dir.appendingPathComponent("ledger.sqlite").path)
        let audit = AuditContext(actor: "test", batchID: nil, stage: nil)
        let account = MainAccountReference(
            id: "600100", name: "Airfare", isSuspended: false, doNotAllowManualEntry: false, activeFrom: nil, activeTo: nil)
        var reference = ReferenceData(target: "d365fo", companies: [], mainAccounts: [account], dimensionFormat: ["A"], dimensionDelimiter: "-")
        XCTAssertNil(try ledger.cachedMasterData(identity: "env", companies: ["usmf"], vendorGroup: nil))
        let first = Date(timeIntervalSince1970: 1_800_000_000)
        try ledger.storeMasterData(reference, identity: "env", companies: ["USMF", "gbsi"], vendorGroup: nil, fetchedAt: first, audit: audit)
        let cached = try XCTUnwrap(try ledger.cachedMasterData(identity: "env", companies: ["gbsi", "usmf"], vendorGroup: nil))
        XCTAssertEqual(cached.reference, reference)
        XCTAssertEqual(cached.fetchedAt.timeIntervalSince1970, first.timeIntervalSince1970, accuracy: 0.001)
        XCTAssertEqual(cached.companies, ["gbsi", "usmf"])
        XCTAssertNil(try ledger.cachedMasterData(identity: "other", companies: ["gbsi", "usmf"], vendorGroup: nil), "per target installation")
        XCTAssertNil(try ledger.cachedMasterData(identity: "env", companies: ["gbsi", "usmf"], vendorGroup: "EMP"), "per vendor group")

        reference.mainAccounts[0].isSuspended = true
        try ledger.storeMasterData(
            reference, identity: "env", companies: ["usmf", "gbsi"], vendorGroup: nil, fetchedAt: first.addingTimeInterval(60), audit: audit)
        let replaced = try XCTUnwrap(try ledger.cachedMasterData(identity: "env", companies: ["usmf", "gbsi"], vendorGroup: nil))
        XCTAssertTrue(replaced.reference.mainAccounts[0].isSuspended)
        XCTAssertEqual(replaced.age(at: first.addingTimeInterval(120)), 60, accuracy: 0.001)
        let events = try ledger.auditEvents().filter { $0.event == "master_data.refreshed" }
        XCTAssertEqual(events.count, 2)
        XCTAssertEqual(events.map(\.entityID), Array(repeating: "env|gbsi,usmf|", count: 2))
    }
}
