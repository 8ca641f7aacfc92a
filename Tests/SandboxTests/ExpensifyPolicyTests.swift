import Foundation
import XCTest

@testable import Sandbox

/// Policy getter, policy list getter, policy updater and report status updater (§6, §9).
final class ExpensifyPolicyTests: XCTestCase {
    private func getPolicy(_ h: ExpensifyHarness, _ inputSettings: String) async -> SimResponse {
        await h.job(#"{"type":"get",\#(ExpensifyHarness.credentials),"inputSettings":\#(inputSettings)}"#)
    }

    func testPolicyGetterShapes() async throws {
        let h = try await ExpensifyHarness.make()
        let r = await getPolicy(
            h, #"{"type":"policy","fields":["categories","tags","reportFields","tax","employees"],"policyIDList":["A1B2C3D4E5F60001"]}"#)
        let body = ExpensifyHarness.json(r)
        XCTAssertEqual(body["responseCode"] as? Int, 200)
        let policy = try XCTUnwrap((body["policyInfo"] as? [String: Any])?["A1B2C3D4E5F60001"] as? [String: Any])
        XCTAssertEqual(Set(policy.keys), ["categories", "tags", "reportFields", "tax", "employees"])

        let categories = try XCTUnwrap(policy["categories"] as? [[String: Any]])
        XCTAssertEqual(categories.count, 8)
        XCTAssertEqual(categories.first { $0["name"] as? String == "Airfare" }?["glCode"] as? String, "6010")
        XCTAssertEqual(categories.first { $0["name"] as? String == "Miscellaneous" }?["glCode"] as? String, "")
        XCTAssertTrue(categories.allSatisfy { $0["enabled"] as? Bool == true })

        let tags = try XCTUnwrap(policy["tags"] as? [[String: Any]])
        XCTAssertEqual(
            tags.compactMap { $0["name"] as? String },
            [
                "Sales", "Sales:West", "Sales:East", "Engineering", "Engineering:Platform-Core", "Engineering:Legacy", "Operations",
                "Operations:Logistics",
            ])
        XCTAssertEqual(tags.first { $0["name"] as? String == "Engineering:Platform-Core" }?["glCode"] as? String, "PL-01")

        XCTAssertEqual((policy["reportFields"] as? [[String: Any]])?.first?["type"] as? String, "formula")
        XCTAssertEqual((policy["tax"] as? [String: Any])?.count, 0)

        let employees = try XCTUnwrap(policy["employees"] as? [[String: Any]])
        XCTAssertEqual(employees.count, 5)
        let alice = try XCTUnwrap(employees.first { $0["email"] as? String == "alice.nguyen@northwind.example" })
        XCTAssertEqual(alice["role"] as? String, "user")
        XCTAssertEqual(alice["submitsTo"] as? String, "finance@northwind.example")
        XCTAssertNil(alice["firstName"], "the getter only returns the recorded employee keys")
        let admin = try XCTUnwrap(employees.first { $0["role"] as? String == "admin" })
        XCTAssertNil(admin["employeeID"], "unset keys are omitted")
    }

    func testPolicyGetterReturnsOnlyRequestedFieldsForSeveralPolicies() async throws {
        let h = try await ExpensifyHarness.make()
        let r = await getPolicy(h, #"{"type":"policy","fields":["categories"],"policyIDList":["A1B2C3D4E5F60003","A1B2C3D4E5F60004"]}"#)
        let info = try XCTUnwrap(ExpensifyHarness.json(r)["policyInfo"] as? [String: [String: Any]])
        XCTAssertEqual(Set(info.keys), ["A1B2C3D4E5F60003", "A1B2C3D4E5F60004"])
        XCTAssertEqual(Set(info["A1B2C3D4E5F60003"]?.keys ?? [:].keys), ["categories"])
    }

    func testPolicyGetterErrors() async throws {
        let h = try await ExpensifyHarness.make()
        var e = ExpensifyHarness.envelope(await getPolicy(h, #"{"type":"policy","fields":["categories"],"policyIDList":["DEADBEEF00000000"]}"#))
        XCTAssertEqual(e.http, 200)
        XCTAssertEqual(e.code, 410)
        e = ExpensifyHarness.envelope(await getPolicy(h, #"{"type":"policy","fields":["categories"]}"#))
        XCTAssertEqual(e.code, 410)
        XCTAssertEqual(e.message, "Required parameter 'policyIDList' is missing")
        e = ExpensifyHarness.envelope(await getPolicy(h, #"{"type":"policy","fields":["categories"],"policyIDList":"A1B2C3D4E5F60001"}"#))
        XCTAssertEqual(e.code, 410, "the getter wants a JSON array, not the exporter's comma string")
        e = ExpensifyHarness.envelope(await getPolicy(h, #"{"type":"policy","policyIDList":["A1B2C3D4E5F60001"]}"#))
        XCTAssertEqual(e.message, "Required parameter 'fields' is missing")
    }

    func testPolicyListGetter() async throws {
        let h = try await ExpensifyHarness.make()
        let r = await getPolicy(h, #"{"type":"policyList","adminOnly":true}"#)
        let list = try XCTUnwrap(ExpensifyHarness.json(r)["policyList"] as? [[String: Any]])
        XCTAssertEqual(
            list.compactMap { $0["id"] as? String },
            ["A1B2C3D4E5F60001", "A1B2C3D4E5F60002", "A1B2C3D4E5F60003", "A1B2C3D4E5F60004", "A1B2C3D4E5F60005"])
        let uk = try XCTUnwrap(list.first { $0["id"] as? String == "A1B2C3D4E5F60002" })
        XCTAssertEqual(uk["outputCurrency"] as? String, "GBP")
        XCTAssertEqual(uk["name"] as? String, "Northwind UK")
        XCTAssertEqual(uk["owner"] as? String, "finance@northwind.example")
        XCTAssertEqual(uk["role"] as? String, "admin")
        XCTAssertEqual(uk["type"] as? String, "corporate")
        let asEmployee = ExpensifyHarness.json(await getPolicy(h, #"{"type":"policyList","userEmail":"dave.okafor@northwind.example"}"#))
        XCTAssertEqual((asEmployee["policyList"] as? [[String: Any]])?.compactMap { $0["id"] as? String }, ["A1B2C3D4E5F60002"])
    }

    func testPolicyUpdaterReplacesCategoriesAndRejectsUnknownPolicies() async throws {
        let h = try await ExpensifyHarness.make()
        let replace =
            #"{"type":"update",\#(ExpensifyHarness.credentials),"inputSettings":{"type":"policy","policyID":"A1B2C3D4E5F60005"},"categories":{"action":"replace","data":[{"name":"Meals","enabled":true,"glCode":"6012"}]}}"#
        let replaced = await h.job(replace)
        XCTAssertEqual(ExpensifyHarness.json(replaced)["responseCode"] as? Int, 200)
        let r = await getPolicy(h, #"{"type":"policy","fields":["categories"],"policyIDList":["A1B2C3D4E5F60005"]}"#)
        let categories =
            ((ExpensifyHarness.json(r)["policyInfo"] as? [String: Any])?["A1B2C3D4E5F60005"] as? [String: Any])?["categories"] as? [[String: Any]]
        XCTAssertEqual(categories?.compactMap { $0["name"] as? String }, ["Meals"])

        var e = ExpensifyHarness.envelope(await h.job(replace.replacingOccurrences(of: "A1B2C3D4E5F60005", with: "FFFF000000000000")))
        XCTAssertEqual(e.code, 404)
        e = ExpensifyHarness.envelope(
            await h.job(
                #"{"type":"update",\#(ExpensifyHarness.credentials),"inputSettings":{"type":"policy","policyID":"A1B2C3D4E5F60005"},"categories":{"data":"oops"}}"#
            ))
        XCTAssertEqual(e.code, 410)
        XCTAssertEqual(e.message, "'categories' object malformed")
    }

    func testPolicyUpdaterMergesCategoriesWithGLCodesAndWritesInlineTagLevels() async throws {
        let h = try await ExpensifyHarness.make()
        let policy = "A1B2C3D4E5F60005"
        func update(_ body: String) async -> SimResponse {
            await h.job(#"{"type":"update",\#(ExpensifyHarness.credentials),"inputSettings":{"type":"policy","policyID":"\#(policy)"},\#(body)}"#)
        }
        func read(_ field: String) async -> [[String: Any]] {
            let r = await getPolicy(h, #"{"type":"policy","fields":["\#(field)"],"policyIDList":["\#(policy)"]}"#)
            return ((ExpensifyHarness.json(r)["policyInfo"] as? [String: Any])?[policy] as? [String: Any])?[field] as? [[String: Any]] ?? []
        }
        // merge: named categories added or updated (glCode kept on them), the others untouched.
        var body = ExpensifyHarness.json(
            await update(
                #""categories":{"action":"merge","data":[{"name":"Parking","enabled":true,"glCode":"600170"},{"name":"Meals","enabled":false,"glCode":"6012"}]}"#
            ))
        XCTAssertEqual(body["responseCode"] as? Int, 200)
        let categories = await read("categories")
        XCTAssertEqual(categories.count, 9)
        XCTAssertEqual(categories.last?["name"] as? String, "Parking")
        XCTAssertEqual(categories.last?["glCode"] as? String, "600170")
        XCTAssertEqual(categories.first { $0["name"] as? String == "Meals" }?["enabled"] as? Bool, false)
        XCTAssertEqual(categories.first { $0["name"] as? String == "Airfare" }?["enabled"] as? Bool, true)
        // Categories require `enabled`.
        var e = ExpensifyHarness.envelope(await update(#""categories":{"action":"merge","data":[{"name":"Tolls","glCode":"6016"}]}"#))
        XCTAssertEqual(e.code, 410)
        XCTAssertEqual(e.message, "'categories' object malformed")

        // Inline tags, one level: replace everything, flat answer with GL codes and enabled as sent.
        body = ExpensifyHarness.json(
            await update(
                #""tags":{"source":"inline","data":[{"name":"Department","tags":[{"name":"Sales","glCode":"010"},{"name":"Old","enabled":false,"glCode":"099"}]}]}"#
            ))
        XCTAssertEqual(body["responseCode"] as? Int, 200)
        var tags = await read("tags")
        XCTAssertEqual(
            tags.map { "\($0["name"] as? String ?? "") \($0["enabled"] as? Bool ?? true) \($0["glCode"] as? String ?? "")" },
            ["Sales true 010", "Old false 099"])
        // Two independent levels: the levels shape, each level's GL codes, enabled ignored (true).
        body = ExpensifyHarness.json(
            await update(
                #""tags":{"data":[{"name":"Department","tags":[{"name":"Sales","glCode":"010"}]},{"name":"Cost center","tags":[{"name":"West","enabled":false,"glCode":"W01"}]}]}"#
            ))
        XCTAssertEqual(body["responseCode"] as? Int, 200)
        tags = await read("tags")
        XCTAssertEqual(tags.map { $0["name"] as? String }, ["Department", "Cost center"])
        let west = (tags.last?["tags"] as? [[String: Any]])?.first
        XCTAssertEqual(west?["name"] as? String, "West")
        XCTAssertEqual(west?["glCode"] as? String, "W01")
        XCTAssertEqual(west?["enabled"] as? Bool, true)
        // A tag without a name, or a level without tags, is malformed; an unknown policy is 404.
        e = ExpensifyHarness.envelope(await update(#""tags":{"data":[{"name":"Department","tags":[{"glCode":"010"}]}]}"#))
        XCTAssertEqual(e.code, 410)
        XCTAssertEqual(e.message, "'tags' object malformed")
        e = ExpensifyHarness.envelope(
            await h.job(
                #"{"type":"update",\#(ExpensifyHarness.credentials),"inputSettings":{"type":"policy","policyID":"FFFF000000000000"},"tags":{"data":[]}}"#
            ))
        XCTAssertEqual(e.code, 404)
    }

    func testReportStatusUpdaterOnlyMovesApprovedToReimbursed() async throws {
        let h = try await ExpensifyHarness.make()
        func update(_ status: String, _ ids: String) async -> SimResponse {
            await h.job(
                #"{"type":"update",\#(ExpensifyHarness.credentials),"inputSettings":{"type":"reportStatus","status":"\#(status)","filters":{"reportIDList":"\#(ids)"}}}"#
            )
        }
        var body = ExpensifyHarness.json(await update("REIMBURSED", "90000003"))
        XCTAssertEqual(body["responseCode"] as? Int, 200)
        XCTAssertEqual(body["reportIDs"] as? [Int], [90_000_003])
        body = ExpensifyHarness.json(await update("REIMBURSED", "90000006,90000012,90000003,12345"))
        XCTAssertEqual(body["responseCode"] as? Int, 207)
        XCTAssertEqual(body["reportIDs"] as? [Int], [90_000_006])
        let skipped = try XCTUnwrap(body["skippedReports"] as? [[String: Any]])
        XCTAssertEqual(skipped.compactMap { $0["reportID"] as? Int }, [90_000_012, 90_000_003])
        XCTAssertEqual(skipped.first?["reason"] as? String, "Report is in status 'Processing'")
        XCTAssertEqual((body["failedReports"] as? [[String: Any]])?.first?["reportID"] as? Int, 12345)
        let e = ExpensifyHarness.envelope(await update("APPROVED", "90000001"))
        XCTAssertEqual(e.code, 410)
        XCTAssertEqual(e.message, "Status 'APPROVED' is not supported")
        let statuses = Dictionary(
            uniqueKeysWithValues: ExpensifyHarness.array(await h.control("GET", "/reports")).map {
                ($0["reportID"] as? String ?? "", $0["status"] as? String ?? "")
            })
        XCTAssertEqual(statuses["90000003"], "Reimbursed")
        XCTAssertEqual(statuses["90000012"], "Processing")
    }
}
