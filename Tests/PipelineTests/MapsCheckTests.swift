import ConnectorLedger
import Foundation
import XCTest

/// `ml-connector maps check` and the master-data cache through the real binary over loopback HTTP against the sandbox:
/// what would hold a report tonight is found and makes the exit code 1, a clean configuration exits 0, a second check
/// within the cache's age reads nothing from the ERP, extract shares the cache, transform reruns offline, and 10,000+
/// main accounts are read completely in a bounded number of pages.
final class MapsCheckTests: XCTestCase {
    struct Finding {
        var kind: String
        var blocking: Bool
        var policy: String?
        var company: String?
        var item: String
        var problem: String
        var validUntil: String?
        var action: String
    }

    /// Runs `maps check --json` (plus `extra`) and returns the report and its findings.
    func mapsCheck(
        _ h: Harness, _ extra: [String] = [], expect: Int32, file: StaticString = #filePath, line: UInt = #line
    ) throws -> (json: [String: Any], findings: [Finding], stderr: String) {
        let r = try h.cli(["maps", "check", "--json"] + extra, expect: expect, env: ["ML_CONNECTOR_TODAY": "2026-11-20"], file: file, line: line)
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], r.stdout, file: file, line: line)
        for secret in Harness.secrets.values {
            XCTAssertFalse(r.stdout.contains(secret) || r.stderr.contains(secret), "a secret leaked", file: file, line: line)
        }
        let findings = (json["findings"] as? [[String: Any]] ?? []).map {
            Finding(
                kind: $0["kind"] as? String ?? "", blocking: $0["blocking"] as? Bool ?? false, policy: $0["policy"] as? String,
                company: $0["company"] as? String, item: $0["item"] as? String ?? "", problem: $0["problem"] as? String ?? "",
                validUntil: $0["validUntil"] as? String, action: $0["action"] as? String ?? "")
        }
        XCTAssertEqual(json["blocking"] as? Int, findings.filter(\.blocking).count, file: file, line: line)
        XCTAssertEqual(json["informational"] as? Int, findings.filter { !$0.blocking }.count, file: file, line: line)
        XCTAssertEqual(json["wouldHold"] as? Bool, expect != 0, file: file, line: line)
        XCTAssertTrue(findings.allSatisfy { !$0.action.isEmpty && !$0.problem.isEmpty }, file: file, line: line)
        return (json, findings, r.stderr)
    }

    func find(
        _ findings: [Finding], _ kind: String, item: String, policy: String? = nil, file: StaticString = #filePath, line: UInt = #line
    ) throws -> Finding {
        try XCTUnwrap(
            findings.first { $0.kind == kind && $0.item == item && (policy == nil || $0.policy == policy) },
            "\(kind) \(item) not in \(findings.map { "\($0.kind) \($0.policy ?? "-") \($0.item)" })", file: file, line: line)
    }

    /// The sandbox's D365 request log, `/data` reads only.
    func dataRequests(_ h: Harness) async throws -> [String] {
        let any = try await h.control("GET", "/_sandbox/d365/requests")
        let log = ((any as? [String: Any])?["requests"] as? [[String: Any]]) ?? []
        return log.compactMap { $0["url"] as? String }.filter { $0.contains("/data/") }
    }

    /// Replaces one Expensify policy in the sandbox after `edit`.
    func editPolicy(_ h: Harness, _ id: String, _ edit: (inout [String: Any]) -> Void) async throws {
        let all = try await h.control("GET", "/_sandbox/expensify/policies") as? [[String: Any]] ?? []
        var p = try XCTUnwrap(all.first { ($0["id"] as? String) == id })
        edit(&p)
        _ = try await h.control("POST", "/_sandbox/expensify/policies", body: ["policies": [p]])
    }

    func testFindsAnUnmappedTagASuspendedAccountAndAnEmployeeWithoutAVendorAndExitsOne() async throws {
        let h = try await Harness()
        defer { h.stop() }
        // A tag with no GL code in the US policy; a second EMP vendor with Alice's e-mail; an account that expired and
        // one that will (the seed already suspends 600199, mapped by accounts.6099, and puts Carol's vendor on hold).
        try await editPolicy(h, "A1B2C3D4E5F60001") { p in
            p["tags"] = (p["tags"] as? [[String: Any]] ?? []) + [["name": "Marketing", "enabled": true, "glCode": ""]]
            // A new joiner, with no vendor yet.
            p["employees"] =
                (p["employees"] as? [[String: Any]] ?? []) + [
                    ["email": "dan.reed@northwind.example", "role": "user", "submitsTo": "finance@northwind.example", "employeeID": "NW-0099"]
                ]
        }
        _ = try await h.control(
            "POST", "/_sandbox/d365/vendors",
            body: [
                "dataAreaId": "usmf", "VendorAccountNumber": "EMP-0099", "VendorGroupId": "EMP",
                "PrimaryEmailAddress": "alice.nguyen@northwind.example", "OnHoldStatus": "No",
            ])
        _ = try await h.control(
            "PATCH", "/_sandbox/d365/mainAccounts?ChartOfAccounts=Shared&MainAccountId=600140", body: ["ActiveTo": "2026-10-31T12:00:00Z"])
        _ = try await h.control(
            "PATCH", "/_sandbox/d365/mainAccounts?ChartOfAccounts=Shared&MainAccountId=600150", body: ["ActiveTo": "2027-03-31T12:00:00Z"])

        let (json, findings, _) = try mapsCheck(h, expect: 1)
        XCTAssertEqual(json["checkedOn"] as? String, "2026-11-20")
        XCTAssertEqual((json["masterData"] as? [String: Any])?["source"] as? String, "erp")

        let tag = try find(findings, "tag.unmapped", item: "Marketing", policy: "A1B2C3D4E5F60001")
        XCTAssertTrue(tag.blocking)
        XCTAssertEqual(tag.company, "usmf")
        XCTAssertTrue(tag.problem.contains("Department"), tag.problem)

        let suspended = try find(findings, "map.account_inactive", item: "accounts.6099 → 600199")
        XCTAssertTrue(suspended.blocking)
        XCTAssertTrue(suspended.problem.contains("suspended"), suspended.problem)
        XCTAssertEqual(suspended.company, "gbsi,jpmf,usmf")
        let expired = try find(findings, "map.account_inactive", item: "accounts.6014 → 600140")
        XCTAssertEqual(expired.validUntil, "2026-10-31")
        XCTAssertTrue(expired.problem.contains("expired on 2026-10-31"), expired.problem)
        let expiring = try find(findings, "map.account_expiring", item: "accounts.6015 → 600150")
        XCTAssertFalse(expiring.blocking)
        XCTAssertEqual(expiring.validUntil, "2027-03-31")

        let noVendor = try find(findings, "employee.no_vendor", item: "dan.reed@northwind.example", policy: "A1B2C3D4E5F60001")
        XCTAssertTrue(noVendor.blocking)
        XCTAssertTrue(noVendor.action.contains("EMP"), noVendor.action)
        // The policy's admin (finance) has no vendor either, but holds a report only by submitting one.
        let admin = try find(findings, "employee.no_vendor", item: "finance@northwind.example", policy: "A1B2C3D4E5F60001")
        XCTAssertFalse(admin.blocking)
        XCTAssertTrue(admin.problem.contains("policy admin who has submitted no report so far"), admin.problem)
        let several = try find(findings, "employee.several_vendors", item: "alice.nguyen@northwind.example")
        XCTAssertTrue(several.problem.contains("EMP-0001") && several.problem.contains("EMP-0099"), several.problem)
        _ = try find(findings, "employee.vendor_on_hold", item: "carol.diaz@northwind.example")
        // Ivan's vendor comes from vendors.byEmail and is usable: nothing about him.
        XCTAssertFalse(findings.contains { $0.item == "ivan.petrov@northwind.example" })
        // The seed's other gaps are found too: a category without GL code and a tag on a suspended cost center.
        _ = try find(findings, "category.no_gl_code", item: "Miscellaneous", policy: "A1B2C3D4E5F60002")
        let legacy = try find(findings, "tag.value_inactive", item: "Engineering:Legacy", policy: "A1B2C3D4E5F60004")
        XCTAssertTrue(legacy.problem.contains("OLD1") && legacy.problem.contains("suspended"), legacy.problem)
        // Blocking findings come first.
        XCTAssertEqual(findings.map(\.blocking), findings.map(\.blocking).sorted { $0 && !$1 })
        // The same findings, in the same order, as a CSV for finance.
        let file = try XCTUnwrap(json["file"] as? String)
        XCTAssertTrue(file.hasPrefix(h.stagingRoot.appendingPathComponent("maps").path) && file.hasSuffix("/findings.csv"), file)
        let rows = CSVRows.parse(try Data(contentsOf: URL(fileURLWithPath: file)))
        XCTAssertEqual(rows.map { $0["kind"] ?? "" }, findings.map(\.kind))
        XCTAssertEqual(rows.map { $0["item"] ?? "" }, findings.map(\.item))
        XCTAssertEqual(rows.map { $0["blocking"] == "yes" }, findings.map(\.blocking))
        XCTAssertEqual(rows.first { $0["item"] == "accounts.6014 → 600140" }?["valid_until"], "2026-10-31")

        // The table says the same; nothing was exported or posted.
        let text = try h.cli(["maps", "check"], expect: 1, env: ["ML_CONNECTOR_TODAY": "2026-11-20"])
        XCTAssertTrue(text.stdout.contains("Would hold reports tonight"), text.stdout)
        XCTAssertTrue(text.stdout.contains("tag.unmapped") && text.stdout.contains("employee.no_vendor"), text.stdout)
        XCTAssertTrue(text.stdout.contains("from the ledger's cache"), text.stdout)
        let jobs = try await h.control("GET", "/_sandbox/expensify/jobs") as? [[String: Any]] ?? []
        XCTAssertFalse(jobs.isEmpty)
        XCTAssertTrue(jobs.allSatisfy { ($0["type"] as? String) == "get" }, "only the policy getter: \(jobs)")
        let invoices = try await h.control("GET", "/_sandbox/d365/invoices") as? [String: Any]
        XCTAssertEqual((invoices?["invoices"] as? [Any])?.count, 0)
        XCTAssertFalse(FileManager.default.fileExists(atPath: h.stagingRoot.path) && (try? h.latestBatch()) != nil, "no batch")
    }

    func testAnAdminWithoutAVendorBlocksOnceTheLedgerHasSeenThemSubmitAReport() async throws {
        let h = try await Harness()
        defer { h.stop() }
        let (_, before, _) = try mapsCheck(h, expect: 1)
        XCTAssertFalse(try find(before, "employee.no_vendor", item: "finance@northwind.example", policy: "A1B2C3D4E5F60001").blocking)

        // Finance submits an expense of their own: extract records it, and transform holds it for the missing vendor.
        _ = try await h.control(
            "POST", "/_sandbox/expensify/reports",
            body: [
                [
                    "reportID": "90000081", "policyID": "A1B2C3D4E5F60001", "state": "APPROVED", "labels": [String](),
                    "reportName": "Conference", "accountEmail": "finance@northwind.example", "created": "2026-11-16 09:00:00",
                    "submitted": "2026-11-17 10:00:00", "approved": "2026-11-18 16:00:00",
                    "transactionList": [
                        [
                            "transactionID": "6721008100000001", "amount": 4200, "currency": "USD", "convertedAmount": 4200,
                            "currencyConversionRate": 1, "merchant": "Diner", "created": "2026-11-16", "category": "Meals",
                            "tag": "Sales:West", "comment": "", "reimbursable": true, "billable": false,
                            "receiptObject": [String: Any](), "type": "cash",
                        ]
                    ],
                ]
            ])
        try h.cli(["run"], expect: nil, env: ["ML_CONNECTOR_TODAY": "2026-11-20"])
        let ledger = try Ledger(path: h.dir.appendingPathComponent("ledger.sqlite").path)
        XCTAssertEqual(try ledger.report("90000081")?.state, .held)
        XCTAssertTrue(try ledger.submitters().contains("finance@northwind.example"))

        let (_, after, _) = try mapsCheck(h, expect: 1)
        let finance = try find(after, "employee.no_vendor", item: "finance@northwind.example", policy: "A1B2C3D4E5F60001")
        XCTAssertTrue(finance.blocking)
        XCTAssertFalse(finance.problem.contains("admin"), finance.problem)
    }

    func testACleanConfigurationExitsZero() async throws {
        let h = try await Harness { config in
            config["companies"] = ["A1B2C3D4E5F60004": "jpmf"]
            var accounts = config["accounts"] as? [String: String] ?? [:]
            accounts.removeValue(forKey: "6099")
            config["accounts"] = accounts
        }
        defer { h.stop() }
        try await editPolicy(h, "A1B2C3D4E5F60004") { p in
            p["categories"] = (p["categories"] as? [[String: Any]] ?? []).filter {
                !["Entertainment", "Miscellaneous"].contains($0["name"] as? String)
            }
            p["tags"] = (p["tags"] as? [[String: Any]] ?? []).filter { ($0["name"] as? String) != "Engineering:Legacy" }
        }
        _ = try await h.control(
            "POST", "/_sandbox/d365/vendors",
            body: [
                "dataAreaId": "jpmf", "VendorAccountNumber": "EMP-2002", "VendorGroupId": "EMP",
                "PrimaryEmailAddress": "finance@northwind.example", "OnHoldStatus": "No",
            ])
        // An active account nobody maps to is reported for information only.
        _ = try await h.control(
            "POST", "/_sandbox/d365/mainAccounts",
            body: ["ChartOfAccounts": "Shared", "MainAccountId": "600160", "Name": "Training", "MainAccountType": "Expense"])

        let (json, findings, _) = try mapsCheck(h, expect: 0)
        XCTAssertEqual(json["blocking"] as? Int, 0, "\(findings)")
        let unused = try find(findings, "erp.account_unmapped", item: "600160")
        XCTAssertFalse(unused.blocking)
        XCTAssertTrue(findings.allSatisfy { !$0.blocking })
        let text = try h.cli(["maps", "check"], env: ["ML_CONNECTOR_TODAY": "2026-11-20"])
        XCTAssertTrue(text.stdout.contains("Nothing would hold a report tonight."), text.stdout)
    }

    func testASecondCheckWithinTheMaximumAgeReadsNothingFromTheERPAndRefreshDoes() async throws {
        let h = try await Harness()
        defer { h.stop() }
        let (first, _, _) = try mapsCheck(h, expect: 1)
        XCTAssertEqual((first["masterData"] as? [String: Any])?["source"] as? String, "erp")
        let firstReads = try await dataRequests(h)
        XCTAssertTrue(firstReads.contains { $0.contains("/data/MainAccounts") })

        _ = try await h.control("DELETE", "/_sandbox/d365/requests")
        let (second, findings, stderr) = try mapsCheck(h, expect: 1)
        let origin = try XCTUnwrap(second["masterData"] as? [String: Any])
        XCTAssertEqual(origin["source"] as? String, "cache")
        XCTAssertEqual(origin["maxAgeMinutes"] as? Int, 60)
        XCTAssertEqual(origin["fetchedAt"] as? String, (first["masterData"] as? [String: Any])?["fetchedAt"] as? String)
        let cachedReads = try await dataRequests(h)
        XCTAssertEqual(cachedReads, [], "no master-data request within the maximum age")
        XCTAssertTrue(stderr.contains("master data from the ledger's cache"), stderr)
        XCTAssertFalse(findings.isEmpty, "the cached master data is checked like a fresh read")

        let (third, _, _) = try mapsCheck(h, ["--refresh"], expect: 1)
        XCTAssertEqual((third["masterData"] as? [String: Any])?["source"] as? String, "erp")
        let reads = try await dataRequests(h)
        for entity in ["MainAccounts", "VendorsV2", "FinancialDimensionValues"] {
            XCTAssertTrue(reads.contains { $0.contains("/data/\(entity)") }, "\(entity) read again with --refresh: \(reads)")
        }
        // Every read of the ERP replaced the cached copy and was audited.
        let ledger = try Ledger(path: h.dir.appendingPathComponent("ledger.sqlite").path)
        let refreshes = try ledger.auditEvents().filter { $0.event == "master_data.refreshed" }
        XCTAssertEqual(refreshes.count, 2, "\(refreshes)")
        XCTAssertTrue(refreshes.allSatisfy { $0.entityType == "master_data" && $0.detail.contains("main account(s)") })
    }

    func testMaximumAgeZeroAlwaysReadsTheERP() async throws {
        let h = try await Harness { $0["masterData"] = ["maxAgeMinutes": 0] }
        defer { h.stop() }
        _ = try mapsCheck(h, expect: 1)
        _ = try await h.control("DELETE", "/_sandbox/d365/requests")
        let (again, _, _) = try mapsCheck(h, expect: 1)
        XCTAssertEqual((again["masterData"] as? [String: Any])?["source"] as? String, "erp")
        let againReads = try await dataRequests(h)
        XCTAssertTrue(againReads.contains { $0.contains("/data/MainAccounts") })
    }

    func testExtractUsesTheCacheAndTransformRerunsWithoutTheNetwork() async throws {
        let h = try await Harness()
        defer { h.stop() }
        _ = try await h.control("POST", "/_sandbox/expensify/today", body: ["today": "2026-11-20"])
        let env = ["ML_CONNECTOR_TODAY": "2026-11-20"]
        try h.cli(["extract"], env: env)
        let first = try h.latestBatch()
        let fetched = try Data(contentsOf: first.appendingPathComponent("extract/reference.json"))

        _ = try await h.control("DELETE", "/_sandbox/d365/requests")
        let second = try h.cli(["extract"], env: env)
        let batch = try h.latestBatch()
        XCTAssertNotEqual(batch.lastPathComponent, first.lastPathComponent)
        let extractReads = try await dataRequests(h)
        XCTAssertEqual(extractReads, [], "extract within the maximum age reads no master data")
        XCTAssertTrue(second.stderr.contains("master data from the ledger's cache"), second.stderr)
        let cached = try Data(contentsOf: batch.appendingPathComponent("extract/reference.json"))
        XCTAssertEqual(cached, fetched, "reference.json from the cache is byte-identical to the one read from the ERP")
        let status = try h.cli(["status", "--batch", batch.lastPathComponent, "--json"])
        XCTAssertTrue(status.stdout.contains("\"master_data_cached\" : 1"), status.stdout)

        try h.cli(["transform", "--batch", batch.lastPathComponent], env: env)
        let lines = try Data(contentsOf: batch.appendingPathComponent("transform/invoice-lines.csv"))

        // Transform held reports (Carol's vendor is on hold): they wait for a fix in the ERP, so the next extract reads
        // the ERP although the cached copy is still fresh.
        _ = try await h.control("DELETE", "/_sandbox/d365/requests")
        let third = try h.cli(["extract"], env: env)
        let heldReads = try await dataRequests(h)
        XCTAssertTrue(heldReads.contains { $0.contains("/data/VendorsV2") }, "\(heldReads)")
        XCTAssertTrue(third.stderr.contains("master data read from the target") && third.stderr.contains("reports held"), third.stderr)

        // Every endpoint now points at a closed port: transform must not need them.
        var config = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: h.configURL)) as? [String: Any])
        var ex = try XCTUnwrap(config["expensify"] as? [String: Any])
        ex["endpoint"] = "http://127.0.0.1:9/Integration-Server/ExpensifyIntegrations"
        config["expensify"] = ex
        var target = try XCTUnwrap(config["target"] as? [String: Any])
        target["environmentURL"] = "http://127.0.0.1:9"
        target["authorityURL"] = "http://127.0.0.1:9"
        config["target"] = target
        try JSONSerialization.data(withJSONObject: config, options: [.prettyPrinted, .sortedKeys]).write(to: h.configURL)
        _ = try await h.control("DELETE", "/_sandbox/d365/requests")
        let jobsBefore = (try await h.control("GET", "/_sandbox/expensify/jobs") as? [Any] ?? []).count

        try h.cli(["transform", "--batch", batch.lastPathComponent], env: env)
        XCTAssertEqual(try Data(contentsOf: batch.appendingPathComponent("transform/invoice-lines.csv")), lines)
        let offlineReads = try await dataRequests(h)
        XCTAssertEqual(offlineReads, [])
        let jobsAfter = (try await h.control("GET", "/_sandbox/expensify/jobs") as? [Any] ?? []).count
        XCTAssertEqual(jobsAfter, jobsBefore)
    }

    func testTenThousandMainAccountsAreReadCompletelyInABoundedNumberOfPages() async throws {
        let h = try await Harness()
        defer { h.stop() }
        let generated = try await h.control(
            "POST", "/_sandbox/d365/mainAccounts/generate", body: ["count": 10_000, "chartOfAccounts": "Shared", "prefix": "9"])
        let total = try XCTUnwrap((generated as? [String: Any])?["mainAccounts"] as? Int)
        XCTAssertEqual(total, 10_008)
        let pageSize = 1_000
        _ = try await h.control("POST", "/_sandbox/d365/settings", body: ["pageSize": pageSize])
        _ = try await h.control("DELETE", "/_sandbox/d365/requests")

        try h.cli(["extract"], env: ["ML_CONNECTOR_TODAY": "2026-11-20"])
        let reference = try XCTUnwrap(
            try JSONSerialization.jsonObject(with: Data(contentsOf: try h.latestBatch().appendingPathComponent("extract/reference.json")))
                as? [String: Any])
        let ids = Set(((reference["mainAccounts"] as? [[String: Any]]) ?? []).compactMap { $0["id"] as? String })
        XCTAssertEqual(ids.count, total)
        for n in stride(from: 0, to: 10_000, by: 1) where !ids.contains("9" + String(format: "%07d", n)) {
            XCTFail("account 9\(String(format: "%07d", n)) was not read")
            break
        }
        XCTAssertTrue(ids.isSuperset(of: ["600100", "600199", "200100"]))
        let reads = try await dataRequests(h).filter { $0.contains("/data/MainAccounts") }
        XCTAssertEqual(reads.count, (total + pageSize - 1) / pageSize, "one request per page of \(pageSize): \(reads.count)")
        XCTAssertEqual(Set(reads).count, reads.count, "no page read twice")
    }
}
