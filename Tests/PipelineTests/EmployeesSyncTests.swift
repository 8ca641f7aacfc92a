import ConnectorLedger
import Foundation
import XCTest

/// `employees sync` with the real binary against the sandbox: D365 workers → Expensify's advanced employee updater.
final class EmployeesSyncTests: XCTestCase {
    static let usPolicy = "A1B2C3D4E5F60001"

    private func harness() async throws -> Harness {
        try await Harness { config in
            config["employees"] = [
                "policyByCompany": ["usmf": "A1B2C3D4E5F60001", "gbsi": "A1B2C3D4E5F60002", "jpmf": "A1B2C3D4E5F60004"]
            ]
        }
    }

    /// The policy's employee e-mails as the sandbox holds them now (Harness).
    private func policyEmails(_ h: Harness, _ policy: String) async throws -> Set<String> { try await h.policyEmails(policy) }

    private func json(_ r: Harness.CLIResult) throws -> [String: Any] {
        try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], r.stdout)
    }

    private func emails(_ list: Any?) -> [String] { (list as? [[String: Any]] ?? []).compactMap { $0["email"] as? String }.sorted() }

    func testTerminatedWorkerLeavesThePolicyOnApplyNotOnDryRunAndApplyIsIdempotent() async throws {
        let h = try await harness()
        defer { h.stop() }
        _ = try await h.control("POST", "/_sandbox/d365/workers/terminate?PersonnelNumber=NW-0002&endDate=2026-11-30")
        let before = try await policyEmails(h, Self.usPolicy)
        XCTAssertTrue(before.contains("bob.martin@northwind.example"))

        let dry = try json(try h.cli(["employees", "sync", "--dry-run", "--json"]))
        XCTAssertEqual(dry["mode"] as? String, "dry-run")
        XCTAssertEqual(emails(dry["terminated"]), ["bob.martin@northwind.example"])
        XCTAssertEqual(dry["sent"] as? Int, 0)
        XCTAssertTrue(emails(dry["added"]).contains("grace.kim@northwind.example"), "a worker Expensify lacks is added")
        XCTAssertFalse(emails(dry["added"]).contains("henry.adams@northwind.example"), "a leaver not in the policy is left alone")
        XCTAssertFalse(emails(dry["added"]).contains("isabel.cruz@northwind.example"), "a pending worker is left alone")
        let carol = (dry["changed"] as? [[String: Any]] ?? []).first { $0["email"] as? String == "carol.diaz@northwind.example" }
        XCTAssertEqual(carol?["managerEmail"] as? String, "alice.nguyen@northwind.example", "the manager comes from the position hierarchy")
        let afterDry = try await policyEmails(h, Self.usPolicy)
        XCTAssertEqual(afterDry, before, "a dry run sends nothing")
        let jobList = try await h.control("GET", "/_sandbox/expensify/jobs")
        let jobs = try XCTUnwrap(jobList as? [[String: Any]])
        XCTAssertFalse(jobs.contains { ($0["inputSettings"] as? [String: Any])?["type"] as? String == "employees" })

        let applied = try json(try h.cli(["employees", "sync", "--apply", "--json"]))
        let expectedSent = (dry["added"] as? [Any] ?? []).count + (dry["changed"] as? [Any] ?? []).count + 1
        XCTAssertEqual(applied["sent"] as? Int, expectedSent)
        XCTAssertEqual((applied["exceptions"] as? [Any])?.count, 0)
        let now = try await policyEmails(h, Self.usPolicy)
        XCTAssertFalse(now.contains("bob.martin@northwind.example"), "the terminated worker is gone from the policy")
        XCTAssertTrue(now.contains("grace.kim@northwind.example"))

        let again = try json(try h.cli(["employees", "sync", "--apply", "--json"]))
        XCTAssertEqual(again["sent"] as? Int, 0, "a second apply has nothing to send")
        XCTAssertEqual(emails(again["added"]) + emails(again["changed"]) + emails(again["terminated"]), [])
        let afterAgain = try await policyEmails(h, Self.usPolicy)
        XCTAssertEqual(afterAgain, now)

        let ledger = try Ledger(path: h.dir.appendingPathComponent("ledger.sqlite").path)
        let applies = try ledger.auditEvents(entityID: "expensify").filter { $0.event == "employees.applied" }
        XCTAssertEqual(applies.count, 2, "every apply is audited, the one with nothing to send too")
        XCTAssertTrue(applies.contains { $0.detail.hasPrefix("sent \(expectedSent) ") }, "\(applies.map(\.detail))")
    }

    func testPositionEntitiesThatAreMissingOrRefuseTheQueryLeaveManagersAsTheyAre() async throws {
        for status in [404, 400] {
            let h = try await Harness { config in
                config["employees"] = [
                    "policyByCompany": ["usmf": Self.usPolicy, "gbsi": "A1B2C3D4E5F60002", "jpmf": "A1B2C3D4E5F60004"],
                    "defaultManager": "finance@northwind.example",
                ]
            }
            defer { h.stop() }
            _ = try await h.control(
                "POST", "/_sandbox/d365/faults",
                body: ["count": 1, "status": status, "entitySet": status == 404 ? "PositionWorkerAssignments" : "PositionHierarchies"])
            let r = try h.cli(["employees", "sync", "--dry-run", "--json"])
            let dry = try json(r)
            XCTAssertEqual((dry["exceptions"] as? [Any])?.count, 0, "\(status): \(r.stdout)")
            XCTAssertFalse(
                emails(dry["changed"]).contains("carol.diaz@northwind.example"), "\(status): her approver in Expensify is kept")
            let grace = (dry["added"] as? [[String: Any]] ?? []).first { $0["email"] as? String == "grace.kim@northwind.example" }
            XCTAssertEqual(grace?["managerEmail"] as? String, "finance@northwind.example", "\(status): employees.defaultManager")
            XCTAssertEqual(emails(dry["terminated"]), [], "\(status)")
            XCTAssertTrue(r.stderr.contains("without managers"), "\(status): the operator is told why: \(r.stderr)")
        }
    }

    func testSkippedEmployeeInTheAnswerIsAnExceptionWithNonZeroExit() async throws {
        let h = try await harness()
        defer { h.stop() }
        // Alice's e-mail in the ERP loses its top-level domain: she manages Carol, so both are refused by Expensify.
        _ = try await h.control("PATCH", "/_sandbox/d365/workers?PersonnelNumber=NW-0001", body: ["PrimaryContactEmail": "alice.nguyen@northwind"])
        let r = try h.cli(["employees", "sync", "--apply", "--json"], expect: 1)
        let out = try json(r)
        XCTAssertEqual(out["exitCode"] as? Int, 1)
        let exceptions = try XCTUnwrap(out["exceptions"] as? [[String: Any]])
        let carol = try XCTUnwrap(exceptions.first { $0["email"] as? String == "carol.diaz@northwind.example" })
        XCTAssertEqual(carol["source"] as? String, "expensify")
        XCTAssertEqual(carol["reason"] as? String, "Invalid manager email address 'alice.nguyen@northwind'")
        XCTAssertEqual(carol["policyID"] as? String, Self.usPolicy)
        let files = try XCTUnwrap(out["files"] as? [String: String])
        let rows = CSVRows.parse(try Data(contentsOf: URL(fileURLWithPath: try XCTUnwrap(files["exceptions.csv"]))))
        XCTAssertTrue(rows.contains { $0["email"] == "carol.diaz@northwind.example" && $0["source"] == "expensify" }, "\(rows)")

        let text = try h.cli(["employees", "sync", "--apply"], expect: 1)
        XCTAssertTrue(text.stdout.contains("Invalid manager email address"), text.stdout)
        let ledger = try Ledger(path: h.dir.appendingPathComponent("ledger.sqlite").path)
        XCTAssertTrue(try ledger.auditEvents(entityID: "carol.diaz@northwind.example").contains { $0.event == "employees.exception" })
    }

    func testVendorsMissingCSVListsAnEmployeeWithExpensesAndNoVendor() async throws {
        let h = try await harness()
        defer { h.stop() }
        try h.cli(["extract"])
        // Erin's vendor no longer carries her e-mail: she has expenses and no vendor.
        _ = try await h.control(
            "PATCH", "/_sandbox/d365/vendors?dataAreaId=gbsi&VendorAccountNumber=EMP-1002", body: ["PrimaryEmailAddress": "ap.uk@northwind.example"])
        let out = try json(try h.cli(["employees", "sync", "--dry-run", "--json"]))
        let folder = try XCTUnwrap(out["folder"] as? String)
        XCTAssertTrue(folder.hasPrefix(h.stagingRoot.appendingPathComponent("employees").path), folder)
        let rows = CSVRows.parse(try Data(contentsOf: URL(fileURLWithPath: folder).appendingPathComponent("vendors-missing.csv")))
        let erin = try XCTUnwrap(rows.first { $0["email"] == "erin.walsh@northwind.example" }, "\(rows)")
        XCTAssertEqual(erin["company"], "gbsi")
        XCTAssertEqual(erin["reports"], "1")
        XCTAssertTrue(erin["reason"]?.contains("no vendor") == true, erin["reason"] ?? "")
        XCTAssertNil(rows.first { $0["email"] == "alice.nguyen@northwind.example" }, "an employee with a vendor is not listed")
        XCTAssertNil(rows.first { $0["email"] == "ivan.petrov@northwind.example" }, "vendors.byEmail gives Ivan his vendor")
        XCTAssertEqual(rows.first { $0["email"] == "carol.diaz@northwind.example" }?["reason"]?.contains("on hold"), true)
    }

    func testFailedPolicyInTheAnswerIsAnExceptionAndItsEmployeesStayAsTheyWere() async throws {
        let h = try await harness()
        defer { h.stop() }
        _ = try await h.control("POST", "/_sandbox/d365/workers/terminate?PersonnelNumber=NW-0002")
        _ = try await h.control("POST", "/_sandbox/expensify/settings", body: ["failEmployeePolicies": [Self.usPolicy]])
        let r = try h.cli(["employees", "sync", "--apply"], expect: 1)
        XCTAssertTrue(r.stdout.contains("terminated:\n  bob.martin@northwind.example (NW-0002, usmf → policy \(Self.usPolicy))"), r.stdout)
        XCTAssertTrue(r.stdout.contains("[expensify] - policy \(Self.usPolicy): Expensify reported the policy as failed"), r.stdout)
        let emails = try await policyEmails(h, Self.usPolicy)
        XCTAssertTrue(emails.contains("bob.martin@northwind.example"), "nothing of a failed policy changes")
    }

    func testBusinessCentralEmployeesAreReadWithoutManagersAndKeepTheirApprover() async throws {
        let h = try await Harness(sample: "config-bc.json") { config in
            config["employees"] = [
                "policyByCompany": [
                    "Northwind Traders & Sons Ltd.": "A1B2C3D4E5F60001", "Northwind UK Ltd.": "A1B2C3D4E5F60002",
                    "Northwind K.K.": "A1B2C3D4E5F60004",
                ]
            ]
        }
        defer { h.stop() }
        // Frank is new to the UK policy and BC names no manager: without employees.defaultManager he is an exception.
        let out = try json(try h.cli(["employees", "sync", "--dry-run", "--json"], expect: 1))
        XCTAssertEqual(out["workers"] as? Int, 7)
        let exceptions = out["exceptions"] as? [[String: Any]] ?? []
        XCTAssertEqual(exceptions.compactMap { $0["email"] as? String }, ["frank.weber@northwind.example"])
        XCTAssertEqual(exceptions.first?["reason"] as? String, "no manager: the ERP names none and employees.defaultManager is not set")
        XCTAssertEqual((out["terminated"] as? [Any])?.count, 0)
        // BC names no manager: Bob keeps the approver Expensify has; only his employee ID (BC's number) differs.
        let bob = (out["changed"] as? [[String: Any]] ?? []).first { ($0["email"] as? String)?.lowercased() == "bob.martin@northwind.example" }
        XCTAssertEqual(bob?["managerEmail"] as? String, "finance@northwind.example")
        XCTAssertEqual(bob?["detail"] as? String, "employeeID NW-0002 → EMP-0002")
    }
}
