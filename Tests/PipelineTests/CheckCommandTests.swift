import Foundation
import XCTest

/// `ml-connector check` through the real binary over loopback HTTP: every failure the sandbox can play is explained
/// with its stable problem word, and the exit code is 0 only when everything passed.
final class CheckCommandTests: XCTestCase {
    struct Row {
        var system, item: String
        var ok: Bool
        var problem: String?
        var detail: String
    }

    /// Runs `check --json` and returns the report's rows (and fails the test on another exit code than `expect`).
    func check(_ h: Harness, expect: Int32, env: [String: String] = [:], file: StaticString = #filePath, line: UInt = #line) throws -> [Row] {
        let r = try h.cli(["check", "--json"], expect: expect, env: env, file: file, line: line)
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], r.stdout, file: file, line: line)
        XCTAssertEqual(json["ok"] as? Bool, expect == 0, file: file, line: line)
        for secret in Harness.secrets.values + ["sandbox-only-unregistered-secret-3Hn8", "wrong-secret-Zq9"] {
            XCTAssertFalse(r.stdout.contains(secret) || r.stderr.contains(secret), "a secret leaked", file: file, line: line)
        }
        return (json["checks"] as? [[String: Any]] ?? []).map {
            Row(
                system: $0["system"] as? String ?? "", item: $0["item"] as? String ?? "", ok: $0["ok"] as? Bool ?? false,
                problem: $0["problem"] as? String, detail: $0["detail"] as? String ?? "")
        }
    }

    func row(_ rows: [Row], _ system: String, _ item: String, file: StaticString = #filePath, line: UInt = #line) throws -> Row {
        try XCTUnwrap(
            rows.first { $0.system == system && $0.item == item }, "\(system) \(item) in \(rows.map { "\($0.system)/\($0.item)" })",
            file: file, line: line)
    }

    func testEverythingConfiguredAnswersAndTheTableSaysSo() async throws {
        let h = try await Harness()
        defer { h.stop() }
        let rows = try check(h, expect: 0)
        XCTAssertEqual(
            Set(rows.map { "\($0.system) \($0.item)" }),
            [
                "expensify policy A1B2C3D4E5F60001", "expensify policy A1B2C3D4E5F60002", "expensify policy A1B2C3D4E5F60003",
                "expensify policy A1B2C3D4E5F60004", "entra token", "d365 company usmf", "d365 company gbsi", "d365 company jpmf", "clock time",
            ])
        XCTAssertTrue(rows.allSatisfy(\.ok))
        let text = try h.cli(["check"])
        XCTAssertTrue(text.stdout.contains("SYSTEM") && text.stdout.contains("All 9 checks passed."), text.stdout)
        // Nothing was written: no batch, no invoice.
        let invoices = try await h.control("GET", "/_sandbox/d365/invoices") as? [String: Any]
        XCTAssertEqual((invoices?["invoices"] as? [Any])?.count, 0)
    }

    func testAWrongClientSecretIsCalledAWrongSecret() async throws {
        let h = try await Harness()
        defer { h.stop() }
        let rows = try check(h, expect: 1, env: ["D365_CLIENT_SECRET": "wrong-secret-Zq9"])
        let token = try row(rows, "entra", "token")
        XCTAssertEqual(token.problem, "wrongSecret")
        XCTAssertTrue(token.detail.contains("AADSTS7000215") && token.detail.contains("client secret"), token.detail)
        XCTAssertTrue(try row(rows, "expensify", "policy A1B2C3D4E5F60001").ok, "Expensify is checked independently")
        XCTAssertFalse(rows.contains { $0.system == "d365" }, "no read without a token")
        let text = try h.cli(["check"], expect: 1, env: ["D365_CLIENT_SECRET": "wrong-secret-Zq9"])
        XCTAssertTrue(text.stdout.contains("FAILED: wrongSecret") && text.stdout.contains("1 of 5 checks FAILED."), text.stdout)
    }

    func testATokenThatD365RefusesMeansTheAppIsNotRegistered() async throws {
        let h = try await Harness { c in
            var t = c["target"] as! [String: Any]
            t["clientID"] = "9d2e6b13-5a7c-4f08-8e21-c4b7a9f0d356"  // in Entra, not in F&O's Entra ID applications
            c["target"] = t
        }
        defer { h.stop() }
        let rows = try check(h, expect: 1, env: ["D365_CLIENT_SECRET": "sandbox-only-unregistered-secret-3Hn8"])
        XCTAssertTrue(try row(rows, "entra", "token").ok)
        let refused = rows.filter { $0.system == "d365" }
        XCTAssertEqual(refused.count, 1, "said once, not per company")
        XCTAssertEqual(refused.first?.problem, "appNotRegistered")
        XCTAssertTrue(refused.first?.detail.contains("not registered in F&O") ?? false, refused.first?.detail ?? "")
    }

    func testAnUnknownCompanyAndAnUnknownPolicyAreNamed() async throws {
        let h = try await Harness { c in
            var companies = c["companies"] as! [String: Any]
            companies["FFFF000000000099"] = "zzzz"
            c["companies"] = companies
        }
        defer { h.stop() }
        let rows = try check(h, expect: 1)
        let company = try row(rows, "d365", "company zzzz")
        XCTAssertEqual(company.problem, "notFound")
        XCTAssertTrue(company.detail.contains("does not exist in D365"), company.detail)
        XCTAssertTrue(try row(rows, "d365", "company usmf").ok)
        let policy = try row(rows, "expensify", "policy FFFF000000000099")
        XCTAssertEqual(policy.problem, "notFound")
        XCTAssertTrue(try row(rows, "expensify", "policy A1B2C3D4E5F60001").ok, "the readable policies are named as readable")
    }

    func testClockSkewIsExplained() async throws {
        let h = try await Harness()
        defer { h.stop() }
        // The simulated Entra ID and D365 run an hour ahead of this machine: this machine's clock is an hour behind.
        _ = try await h.control("POST", "/_sandbox/d365/clock?advanceSeconds=3600")
        let rows = try check(h, expect: 1)
        let clock = try row(rows, "clock", "time")
        XCTAssertEqual(clock.problem, "clockSkew")
        XCTAssertTrue(clock.detail.contains("behind") && clock.detail.contains("NTP"), clock.detail)
        XCTAssertTrue(try row(rows, "d365", "company usmf").ok, "the servers agree with each other, so reads work")

        _ = try await h.control("POST", "/_sandbox/d365/clock?advanceSeconds=-10800")  // now two hours behind this machine
        let ahead = try row(try check(h, expect: 1), "clock", "time")
        XCTAssertTrue(ahead.problem == "clockSkew" && ahead.detail.contains("ahead"), ahead.detail)
    }

    func testWrongExpensifyPartnerCredentialsAsResponseCode401Or407() async throws {
        let h = try await Harness()
        defer { h.stop() }
        for code in [401, 407] {
            _ = try await h.control("POST", "/_sandbox/expensify/settings", body: ["authFailureCode": code])
            let rows = try check(h, expect: 1, env: ["EXPENSIFY_PARTNER_USER_SECRET": "wrong-secret-Zq9"])
            let failed = rows.filter { $0.system == "expensify" }
            XCTAssertEqual(failed.count, 1)
            XCTAssertEqual(failed.first?.problem, "wrongCredentials")
            XCTAssertTrue(failed.first?.detail.contains("EXPENSIFY_PARTNER_USER_SECRET") ?? false, failed.first?.detail ?? "")
            XCTAssertTrue(failed.first?.detail.contains("\(code)") ?? false, failed.first?.detail ?? "")
            XCTAssertTrue(try row(rows, "entra", "token").ok)
        }
    }

    func testUnreachableHostsAndMissingSecrets() async throws {
        // Port 1 on loopback: nothing listens, the connection is refused at once.
        let h = try await Harness { c in
            var e = c["expensify"] as! [String: Any]
            e["endpoint"] = "http://127.0.0.1:1/Integration-Server/ExpensifyIntegrations"
            c["expensify"] = e
            var t = c["target"] as! [String: Any]
            t["authorityURL"] = "http://127.0.0.1:1"
            c["target"] = t
        }
        defer { h.stop() }
        let rows = try check(h, expect: 1)
        XCTAssertEqual(try row(rows, "expensify", "credentials").problem, "unreachable")
        let token = try row(rows, "entra", "token")
        XCTAssertEqual(token.problem, "unreachable")
        XCTAssertTrue(token.detail.contains("127.0.0.1") && token.detail.contains("did not answer"), token.detail)

        let missing = try check(h, expect: 1, env: ["D365_CLIENT_SECRET": " ", "EXPENSIFY_PARTNER_USER_ID": ""])
        XCTAssertEqual(try row(missing, "expensify", "credentials").problem, "secretMissing")
        let target = try row(missing, "d365fo", "credentials")
        XCTAssertEqual(target.problem, "secretMissing")
        XCTAssertTrue(target.detail.contains("D365_CLIENT_SECRET"), target.detail)
    }
}
