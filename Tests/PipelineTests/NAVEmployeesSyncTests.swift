import ConnectorLedger
import Foundation
import XCTest

/// `employees sync` with the real binary against the sandbox's NAV page web services (`nav-odata`, `nav-soap`): the
/// Employee Card (page 5200) → Expensify's advanced employee updater; and `maps check` through the protocol for BC.
final class NAVEmployeesSyncTests: XCTestCase {
    static let us = "Northwind Traders & Sons Ltd."
    static let uk = "Northwind UK Ltd."
    static let usPolicy = "A1B2C3D4E5F60001"
    static let ukPolicy = "A1B2C3D4E5F60002"
    static let today = ["ML_CONNECTOR_TODAY": "2026-11-20"]

    private func harness(_ sample: String) async throws -> Harness {
        try await Harness(sample: sample) { config in
            config["employees"] = [
                "policyByCompany": [Self.us: Self.usPolicy, Self.uk: Self.ukPolicy, "Northwind K.K.": "A1B2C3D4E5F60004"]
            ]
        }
    }

    /// The policy's employee e-mails as the sandbox holds them now (Harness).
    private func policyEmails(_ h: Harness, _ policy: String) async throws -> Set<String> { try await h.policyEmails(policy) }

    private func json(_ r: Harness.CLIResult) throws -> [String: Any] {
        try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], r.stdout)
    }

    private func emails(_ list: Any?) -> [String] {
        (list as? [[String: Any]] ?? []).compactMap { ($0["email"] as? String)?.lowercased() }.sorted()
    }

    private func entry(_ out: [String: Any], _ email: String) -> [String: Any]? {
        for list in ["added", "changed", "unchanged", "terminated"] {
            if let e = (out[list] as? [[String: Any]] ?? []).first(where: { ($0["email"] as? String)?.lowercased() == email }) { return e }
        }
        return nil
    }

    /// Changes an employee on the NAV side (`POST /_sandbox/nav/update`, table `employee`).
    private func updateEmployee(_ h: Harness, _ company: String, _ number: String, _ fields: [String: String]) async throws {
        _ = try await h.control("POST", "/_sandbox/nav/update", body: ["company": company, "table": "employee", "key": number, "fields": fields])
    }

    /// Dry run lists the diff and sends nothing; apply removes the leaver, gives Frank his manager from `Manager_No`,
    /// and a second apply has nothing to send.
    private func terminatedEmployeeLeavesThePolicy(_ sample: String, terminate: [String: String]) async throws {
        let h = try await harness(sample)
        defer { h.stop() }
        try await updateEmployee(h, Self.us, "EMP-0002", terminate)
        let before = try await policyEmails(h, Self.usPolicy)
        XCTAssertTrue(before.contains("bob.martin@northwind.example"))

        let dry = try json(try h.cli(["employees", "sync", "--dry-run", "--json"], env: Self.today))
        XCTAssertEqual(dry["mode"] as? String, "dry-run")
        XCTAssertEqual(dry["workers"] as? Int, 7, "every employee of the three companies")
        XCTAssertEqual(emails(dry["terminated"]), ["bob.martin@northwind.example"])
        XCTAssertEqual(dry["sent"] as? Int, 0)
        XCTAssertEqual((dry["exceptions"] as? [Any])?.count, 0, "\(dry["exceptions"] ?? "")")
        let frank = try XCTUnwrap(entry(dry, "frank.weber@northwind.example"), "\(dry)")
        XCTAssertEqual(frank["managerEmail"] as? String, "dave.okafor@northwind.example", "Manager_No EMP-1001 resolved to Dave's e-mail")
        XCTAssertEqual(entry(dry, "carol.diaz@northwind.example")?["managerEmail"] as? String, "alice.nguyen@northwind.example")
        let afterDry = try await policyEmails(h, Self.usPolicy)
        XCTAssertEqual(afterDry, before, "a dry run sends nothing")

        let applied = try json(try h.cli(["employees", "sync", "--apply", "--json"], env: Self.today))
        let expectedSent = (dry["added"] as? [Any] ?? []).count + (dry["changed"] as? [Any] ?? []).count + 1
        XCTAssertEqual(applied["sent"] as? Int, expectedSent)
        XCTAssertEqual((applied["exceptions"] as? [Any])?.count, 0)
        let now = try await policyEmails(h, Self.usPolicy)
        XCTAssertFalse(now.contains("bob.martin@northwind.example"), "the employee terminated in NAV is gone from the policy")
        XCTAssertTrue(now.contains("alice.nguyen@northwind.example"))
        let uk = try await policyEmails(h, Self.ukPolicy)
        XCTAssertTrue(uk.contains("frank.weber@northwind.example"))

        let again = try json(try h.cli(["employees", "sync", "--apply", "--json"], env: Self.today))
        XCTAssertEqual(again["sent"] as? Int, 0, "a second apply has nothing to send")
        XCTAssertEqual(emails(again["added"]) + emails(again["changed"]) + emails(again["terminated"]), [])
    }

    func testNAVODataEmployeeTerminatedInNAVIsRemovedFromThePolicy() async throws {
        try await terminatedEmployeeLeavesThePolicy(
            "samples/config-nav-odata.json", terminate: ["status": "Terminated", "terminationDate": "2026-11-30"])
    }

    /// With the server's page size at 2, every employee of every company is read, one request per page (OData
    /// `@odata.nextLink`), never one per employee.
    func testNAVODataReadsEveryEmployeePageInBoundedRequests() async throws {
        let h = try await harness("samples/config-nav-odata.json")
        defer { h.stop() }
        let extra = 5
        for n in 1...extra {
            try await updateEmployee(
                h, Self.us, "EMP-010\(n)",
                [
                    "givenName": "Temp\(n)", "surname": "Staff", "email": "temp\(n).staff@northwind.example",
                    "managerNumber": "EMP-0001",
                ])
        }
        _ = try await h.control("POST", "/_sandbox/nav/settings", body: ["pageSize": 2])
        _ = try await h.control("DELETE", "/_sandbox/nav/requests")
        let out = try json(try h.cli(["employees", "sync", "--dry-run", "--json"], env: Self.today))
        let perCompany = [3 + extra, 3, 1]
        XCTAssertEqual(out["workers"] as? Int, perCompany.reduce(0, +), "\(out)")
        XCTAssertEqual(emails(out["added"]).filter { $0.hasPrefix("temp") }.count, extra)
        let log = try await h.control("GET", "/_sandbox/nav/requests")
        let requests = ((log as? [String: Any])?["requests"] as? [[String: Any]]) ?? (log as? [[String: Any]] ?? [])
        let reads = requests.filter { ($0["path"] as? String ?? "").contains("EmployeeCard") }
        XCTAssertEqual(reads.count, perCompany.map { ($0 + 1) / 2 }.reduce(0, +), "\(reads.map { $0["path"] ?? "" })")
    }

    /// Over SOAP the leaver is still `Active` but the termination date has passed.
    func testNAVSOAPEmployeeWhoseTerminationDatePassedIsRemovedFromThePolicy() async throws {
        try await terminatedEmployeeLeavesThePolicy("samples/config-nav-soap.json", terminate: ["terminationDate": "2026-11-15"])
    }

    /// `Inactive` (an absence) is left alone, a termination date still to come too, and the service name is configurable.
    func testInactiveAndFutureLeaversAreLeftAloneAndTheServiceNameIsConfigurable() async throws {
        let h = try await Harness(sample: "samples/config-nav-soap.json") { config in
            config["employees"] = ["policyByCompany": [Self.us: Self.usPolicy, Self.uk: Self.ukPolicy]]
            var t = config["target"] as! [String: Any]
            t["services"] = ["employees": "StaffCard"]
            config["target"] = t
        }
        defer { h.stop() }
        try await updateEmployee(h, Self.us, "EMP-0002", ["status": "Inactive"])
        try await updateEmployee(h, Self.uk, "EMP-1002", ["terminationDate": "2026-12-31"])
        let missing = try h.cli(["employees", "sync", "--dry-run", "--json"], expect: nil, env: Self.today)
        XCTAssertNotEqual(missing.code, 0, "StaffCard is not published")
        XCTAssertTrue((missing.stdout + missing.stderr).contains("StaffCard"), missing.stdout + missing.stderr)

        let h2 = try await harness("samples/config-nav-soap.json")
        defer { h2.stop() }
        try await updateEmployee(h2, Self.us, "EMP-0002", ["status": "Inactive"])
        try await updateEmployee(h2, Self.uk, "EMP-1002", ["terminationDate": "2026-12-31"])
        let out = try json(try h2.cli(["employees", "sync", "--dry-run", "--json"], env: Self.today))
        XCTAssertEqual(emails(out["terminated"]), [], "inactive and a future termination date are no leavers")
        XCTAssertNotNil(entry(out, "erin.walsh@northwind.example"))
    }

    /// `maps check` against Business Central goes through the target protocol: a map entry to a blocked G/L account
    /// (600199, seeded) and one to an account BC does not have are found, and the exit code is 1.
    func testMapsCheckAgainstBusinessCentralFindsABlockedAndAMissingAccount() async throws {
        let h = try await Harness(sample: "config-bc.json") { config in
            var accounts = config["accounts"] as? [String: String] ?? [:]
            accounts["6098"] = "600198"
            config["accounts"] = accounts
        }
        defer { h.stop() }
        let r = try h.cli(["maps", "check", "--json"], expect: 1, env: Self.today)
        let out = try json(r)
        XCTAssertEqual(out["wouldHold"] as? Bool, true)
        let findings = out["findings"] as? [[String: Any]] ?? []
        func finding(_ kind: String, _ item: String) -> [String: Any]? {
            findings.first { $0["kind"] as? String == kind && $0["item"] as? String == item }
        }
        let blocked = try XCTUnwrap(finding("map.account_inactive", "accounts.6099 → 600199"), "\(findings)")
        XCTAssertEqual(blocked["blocking"] as? Bool, true)
        XCTAssertTrue((blocked["problem"] as? String ?? "").lowercased().contains("blocked"), "\(blocked)")
        let missing = try XCTUnwrap(finding("map.account_missing", "accounts.6098 → 600198"), "\(findings)")
        XCTAssertEqual(missing["blocking"] as? Bool, true)
        XCTAssertFalse(r.stdout.contains("unsupported"), r.stdout)
    }
}
