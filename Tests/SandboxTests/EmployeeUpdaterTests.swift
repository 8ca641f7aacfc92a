import Foundation
import XCTest

@testable import Sandbox

/// The advanced employee updater (expensify-api.md §7.2) and the D365 worker entities and controls (§6).
final class EmployeeUpdaterTests: XCTestCase {
    private static let job =
        #"{"type":"update","dry-run":DRY,\#(ExpensifyHarness.credentials),"dataSource":"request","inputSettings":{"type":"employees","entity":"generic"}}"#

    private func update(_ h: ExpensifyHarness, data: String, dryRun: Bool = false) async -> [String: Any] {
        let r = await h.post([("requestJobDescription", Self.job.replacingOccurrences(of: "DRY", with: dryRun ? "true" : "false")), ("data", data)])
        XCTAssertEqual(r.status, 200)
        return ExpensifyHarness.json(r)
    }

    private func employees(_ h: ExpensifyHarness, _ policy: String) async -> [[String: Any]] {
        let r = await h.job(
            #"{"type":"get",\#(ExpensifyHarness.credentials),"inputSettings":{"type":"policy","fields":["employees"],"policyIDList":["\#(policy)"]}}"#
        )
        return ((ExpensifyHarness.json(r)["policyInfo"] as? [String: Any])?[policy] as? [String: Any])?["employees"] as? [[String: Any]] ?? []
    }

    func testAddsUpdatesTerminatesAndSkipsWithResponseCode200() async throws {
        let h = try await ExpensifyHarness.make()
        let data = """
            {"Employees":[
             {"employeeEmail":"grace.kim@northwind.example","managerEmail":"finance@northwind.example","employeeID":"NW-0005","policyID":"A1B2C3D4E5F60001"},
             {"employeeEmail":"carol.diaz@northwind.example","managerEmail":"alice.nguyen@northwind.example","employeeID":"NW-0003","policyID":"A1B2C3D4E5F60001"},
             {"employeeEmail":"bob.martin@northwind.example","managerEmail":"finance@northwind.example","employeeID":"NW-0002","policyID":"A1B2C3D4E5F60001","isTerminated":true},
             {"employeeEmail":"employee7@northwind.example","managerEmail":"manager@domain ","employeeID":"X-7","policyID":"A1B2C3D4E5F60001"},
             {"employeeEmail":"employee6@northwind.example","managerEmail":"finance@northwind.example","employeeID":"X-6","policyID":"Marketing"}
            ]}
            """
        let body = await update(h, data: data)
        XCTAssertEqual(body["responseCode"] as? Int, 200)
        XCTAssertEqual(body["dry-run"] as? Bool, false)
        XCTAssertEqual(body["updatedEmployeesCount"] as? Int, 3)
        let diff = try XCTUnwrap(body["diff"] as? [String: Any])
        XCTAssertEqual((diff["diffToAdd"] as? [String: [String]])?["A1B2C3D4E5F60001"], ["grace.kim@northwind.example"])
        XCTAssertEqual((diff["diffToRemove"] as? [String: [String]])?["A1B2C3D4E5F60001"], ["bob.martin@northwind.example"])
        let skipped = try XCTUnwrap(body["skippedEmployees"] as? [[String: String]])
        XCTAssertEqual(
            skipped,
            [
                ["email": "employee7@northwind.example", "reason": "Invalid manager email address 'manager@domain '"],
                ["email": "employee6@northwind.example", "reason": "No policy found for 'Marketing'"],
            ])
        XCTAssertEqual(body["failedPolicies"] as? [String], [])

        let now = await employees(h, "A1B2C3D4E5F60001")
        let emails = now.compactMap { $0["email"] as? String }
        XCTAssertFalse(emails.contains("bob.martin@northwind.example"), "isTerminated removes the employee from the policy")
        XCTAssertTrue(emails.contains("grace.kim@northwind.example"))
        XCTAssertEqual(now.first { $0["email"] as? String == "grace.kim@northwind.example" }?["employeeID"] as? String, "NW-0005")
        XCTAssertEqual(
            now.first { $0["email"] as? String == "carol.diaz@northwind.example" }?["submitsTo"] as? String, "alice.nguyen@northwind.example")

        // The same data again changes nothing more.
        let again = await update(h, data: data)
        XCTAssertEqual(again["updatedEmployeesCount"] as? Int, 0)
        XCTAssertEqual(((again["diff"] as? [String: Any])?["diffToAdd"] as? [String: Any])?.count, 0)
    }

    func testDryRunAnswersTheDiffAndChangesNothingAndABareArrayWorks() async throws {
        let h = try await ExpensifyHarness.make()
        let before = await employees(h, "A1B2C3D4E5F60002")
        let data =
            #"[{"employeeEmail":"erin.walsh@northwind.example","managerEmail":"finance@northwind.example","employeeID":"NW-1002","policyID":"A1B2C3D4E5F60002","isTerminated":true}]"#
        let body = await update(h, data: data, dryRun: true)
        XCTAssertEqual(body["dry-run"] as? Bool, true)
        XCTAssertEqual(
            ((body["diff"] as? [String: Any])?["diffToRemove"] as? [String: [String]])?["A1B2C3D4E5F60002"], ["erin.walsh@northwind.example"])
        let after = await employees(h, "A1B2C3D4E5F60002")
        XCTAssertEqual(after.count, before.count)
    }

    func testFailedPolicyIsListedUnder200AndNothingOfItChanges() async throws {
        let h = try await ExpensifyHarness.make()
        let set = await h.control("POST", "/settings", body: #"{"failEmployeePolicies":["A1B2C3D4E5F60004"]}"#)
        XCTAssertEqual(set.status, 200)
        let data =
            #"{"Employees":[{"employeeEmail":"new.person@northwind.example","managerEmail":"finance@northwind.example","employeeID":"NW-2002","policyID":"A1B2C3D4E5F60004"}]}"#
        let body = await update(h, data: data)
        XCTAssertEqual(body["responseCode"] as? Int, 200)
        XCTAssertEqual(body["failedPolicies"] as? [String], ["A1B2C3D4E5F60004"])
        XCTAssertEqual(body["updatedEmployeesCount"] as? Int, 0)
        let emails = await employees(h, "A1B2C3D4E5F60004").compactMap { $0["email"] as? String }
        XCTAssertFalse(emails.contains("new.person@northwind.example"))
    }

    func testMissingDataIs410() async throws {
        let h = try await ExpensifyHarness.make()
        let r = await h.job(Self.job.replacingOccurrences(of: "DRY", with: "false"))
        let body = ExpensifyHarness.json(r)
        XCTAssertEqual(body["responseCode"] as? Int, 410)
        XCTAssertNotNil(body["responseMessage"] as? String)
    }

    func testD365WorkersAreServedPagedAndTheTerminateControlEndsTheEmployment() async throws {
        let h = try D365Harness()
        let token = try await h.token()
        var rows: [[String: Any]] = []
        var r = await h.send("GET", "/data/Workers", query: [("$select", "PersonnelNumber,PrimaryContactEmail,WorkerStatus")], token: token)
        while true {
            XCTAssertEqual(r.status, 200)
            rows += h.values(r)
            guard let next = h.json(r)["@odata.nextLink"] as? String else { break }
            r = await h.follow(next, token: token)
        }
        XCTAssertEqual(rows.count, 12)
        XCTAssertEqual(rows.first { $0["PersonnelNumber"] as? String == "NW-0006" }?["WorkerStatus"] as? String, "Terminated")

        let gb = await h.send(
            "GET", "/data/EmployeesV2", query: [("$filter", "EmploymentLegalEntityId eq 'gbsi'"), ("cross-company", "true")], token: token)
        XCTAssertEqual(Set(h.values(gb).compactMap { $0["PersonnelNumber"] as? String }), ["NW-1001", "NW-1002", "NW-1003"])

        let done = await h.control("POST", "/_sandbox/d365/workers/terminate", query: [("PersonnelNumber", "NW-0002"), ("endDate", "2026-11-30")])
        XCTAssertEqual(done.status, 200)
        let worker = await h.send("GET", "/data/Workers('NW-0002')", token: token)
        XCTAssertEqual(h.json(worker)["WorkerStatus"] as? String, "Terminated")
        let employment = await h.send(
            "GET", "/data/EmployeesV2", query: [("$filter", "PersonnelNumber eq 'NW-0002'"), ("$select", "EmploymentEndDate")], token: token)
        XCTAssertEqual(h.values(employment).first?["EmploymentEndDate"] as? String, "2026-11-30T12:00:00Z")
        let unknown = await h.control("POST", "/_sandbox/d365/workers/terminate", query: [("PersonnelNumber", "NW-9999")])
        XCTAssertEqual(unknown.status, 404)

        let hierarchy = await h.send("GET", "/data/PositionHierarchies", query: [("$filter", "PositionId eq 'P-0003'")], token: token)
        XCTAssertEqual(h.values(hierarchy).first?["ParentPositionId"] as? String, "P-0001")
    }
}
