import ConnectorCore
import ConnectorLedger
import Foundation
import XCTest

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `align categories|tags`: the real binary against the sandbox, with an edited copy of the D365 seed so the ERP's
/// chart of accounts can change between runs (`/_sandbox/d365/reset` reloads it).
final class AlignTests: XCTestCase {
    static let us = "A1B2C3D4E5F60001"
    static let uk = "A1B2C3D4E5F60002"
    static let de = "A1B2C3D4E5F60003"
    var h: Harness!
    var seeds: URL!

    override func setUp() async throws {
        seeds = FileManager.default.temporaryDirectory.appendingPathComponent("mlc-align-seeds-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: seeds, withIntermediateDirectories: true)
        for name in ["d365.json", "expensify.json", "nav.json"] {
            try FileManager.default.copyItem(
                at: Harness.repo.appendingPathComponent("samples/sandbox/\(name)"), to: seeds.appendingPathComponent(name))
        }
        // Before: Entertainment (600199) is still active and Training (600160) is new in the ERP.
        try editAccounts { accounts in
            Self.set(&accounts, "600199", ["IsSuspended": "No"])
            accounts.append(Self.account("600160", "Training"))
        }
        h = try await Harness(seedDirectory: seeds) { config in
            config["align"] = [
                "categories": ["accountRanges": [["600000", "699999"]]],
                "tags": [:] as [String: Any],
            ]
        }
    }

    override func tearDown() {
        h?.stop()
        if let seeds { try? FileManager.default.removeItem(at: seeds) }
    }

    // MARK: Seed helpers

    static func account(_ id: String, _ name: String) -> [String: Any] {
        [
            "ChartOfAccounts": "Shared", "MainAccountId": id, "Name": name, "MainAccountType": "Expense", "MainAccountCategory": "Travel",
            "IsSuspended": "No", "DoNotAllowManualEntry": "No", "ActiveFrom": "1900-01-01T12:00:00Z", "ActiveTo": "1900-01-01T12:00:00Z",
        ]
    }

    static func set(_ accounts: inout [[String: Any]], _ id: String, _ fields: [String: Any]) {
        guard let i = accounts.firstIndex(where: { $0["MainAccountId"] as? String == id }) else { return XCTFail("no account \(id)") }
        for (k, v) in fields { accounts[i][k] = v }
    }

    /// Rewrites the seed's MainAccounts (the sandbox reads it at start and on `/_sandbox/d365/reset`).
    func editAccounts(_ edit: (inout [[String: Any]]) -> Void) throws {
        let file = seeds.appendingPathComponent("d365.json")
        var seed = try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as! [String: Any]
        var entities = seed["entities"] as! [String: Any]
        var accounts = entities["MainAccounts"] as! [[String: Any]]
        edit(&accounts)
        entities["MainAccounts"] = accounts
        seed["entities"] = entities
        try JSONSerialization.data(withJSONObject: seed, options: [.prettyPrinted]).write(to: file)
    }

    /// A policy in the sandbox's seed format (the control route's own answer), by ID.
    func policy(_ id: String) async throws -> [String: Any] {
        let all = try await h.control("GET", "/_sandbox/expensify/policies") as! [[String: Any]]
        return try XCTUnwrap(all.first { $0["id"] as? String == id })
    }

    /// The raw bytes of the control route's policy list, for byte-for-byte comparisons.
    func policiesBytes() async throws -> Data {
        let (data, _) = try await URLSession.shared.data(from: URL(string: h.baseURL.absoluteString + "/_sandbox/expensify/policies")!)
        return data
    }

    func putPolicy(_ p: [String: Any]) async throws { _ = try await h.control("POST", "/_sandbox/expensify/policies", body: [p]) }

    /// `name enabled glCode` of each category (or flat tag), sorted.
    static func rows(_ list: Any?) -> [String] {
        ((list as? [[String: Any]]) ?? []).map { e in
            "\(e["name"] as? String ?? "?") \((e["enabled"] as? Bool ?? true) ? "on" : "off") \(e["glCode"] as? String ?? "")"
        }.sorted()
    }

    /// Jobs of type `update` in the sandbox's Expensify job log.
    func updateJobs() async throws -> [[String: Any]] {
        let jobs = try await h.control("GET", "/_sandbox/expensify/jobs") as! [[String: Any]]
        return jobs.filter { $0["type"] as? String == "update" }
    }

    func json(_ r: Harness.CLIResult) throws -> JSONValue { try JSONValue.parse(Data(r.stdout.utf8)) }

    static func names(_ v: JSONValue?) -> [String] {
        (v?.arrayValue ?? []).map { i in
            (i["previousName"]?.stringValue.map { "\($0) -> " } ?? "") + (i["name"]?.stringValue ?? "?")
        }
    }

    // MARK: Categories

    func testCategoriesDryRunChangesNothingApplyMakesExactlyTheDiffAndIsIdempotent() async throws {
        // The policy without Entertainment, so the first apply creates it (and Training, new in the ERP).
        var us = try await policy(Self.us)
        us["categories"] = (us["categories"] as! [[String: Any]]).filter { $0["name"] as? String != "Entertainment" }
        try await putPolicy(us)
        let first = try json(try h.cli(["align", "categories", "--apply", "--policy", Self.us, "--json"]))
        let p1 = try XCTUnwrap(first["policies"]?.arrayValue?.first)
        XCTAssertEqual(Self.names(p1["added"]), ["Training", "Entertainment"])
        XCTAssertEqual(first["updatesSent"]?.int64Value, 1)
        XCTAssertTrue(
            first["warnings"]?.arrayValue?.contains { $0.stringValue?.contains("'600160'") == true } ?? false,
            "a new account's GL code that the accounts map lacks is named: \(first)")

        // The ERP moves on: Entertainment suspended, Training and Lodging renamed, Parking new. A person adds a category.
        try editAccounts { accounts in
            Self.set(&accounts, "600199", ["IsSuspended": "Yes"])
            Self.set(&accounts, "600160", ["Name": "Training and Conferences"])
            Self.set(&accounts, "600110", ["Name": "Hotels"])
            accounts.append(Self.account("600170", "Parking"))
        }
        _ = try await h.control("POST", "/_sandbox/d365/reset")
        us = try await policy(Self.us)
        us["categories"] =
            (us["categories"] as! [[String: Any]]) + [
                ["name": "Team Offsite", "enabled": true, "glCode": "7100", "payrollCode": "", "areCommentsRequired": false]
            ]
        try await putPolicy(us)

        // Dry run: the diff, and the policy byte-identical, no policy update sent.
        _ = try await h.control("DELETE", "/_sandbox/expensify/jobs")
        let before = try await policiesBytes()
        let dry = try json(try h.cli(["align", "categories", "--dry-run", "--policy", Self.us, "--json"]))
        let after = try await policiesBytes()
        XCTAssertEqual(before, after, "a dry run changes nothing")
        let dryUpdates = try await updateJobs()
        XCTAssertEqual(dryUpdates.count, 0)
        XCTAssertEqual(dry["mode"]?.stringValue, "dry-run")
        XCTAssertEqual(dry["updatesSent"]?.int64Value, 0)
        let d = try XCTUnwrap(dry["policies"]?.arrayValue?.first)
        XCTAssertEqual(Self.names(d["added"]), ["Parking"])
        XCTAssertEqual(d["added"]?.arrayValue?[0]["glCode"]?.stringValue, "600170")
        XCTAssertEqual(Self.names(d["renamed"]), ["Lodging -> Hotels", "Training -> Training and Conferences"])
        XCTAssertEqual(d["renamed"]?.arrayValue?[0]["disablesPrevious"]?.boolValue, false, "Lodging was not created by the connector")
        XCTAssertEqual(d["renamed"]?.arrayValue?[1]["disablesPrevious"]?.boolValue, true, "Training was")
        XCTAssertEqual(Self.names(d["disabled"]), ["Entertainment"])
        XCTAssertEqual(Self.names(d["unchanged"]), ["Airfare", "Meals", "Ground Transportation", "Office Supplies", "Telephone"])
        XCTAssertEqual(Self.names(d["leftAlone"]).sorted(), ["Miscellaneous", "Team Offsite"])
        let text = try h.cli(["align", "categories", "--dry-run", "--policy", Self.us]).stdout
        XCTAssertTrue(text.contains("1 added, 2 renamed, 1 disabled, 0 enabled again, 5 unchanged, 2 left alone"), text)
        XCTAssertTrue(text.contains("Dry run: nothing was changed"), text)
        let afterText = try await policiesBytes()
        XCTAssertEqual(before, afterText)

        // Apply: exactly that diff.
        let applied = try json(try h.cli(["align", "categories", "--apply", "--policy", Self.us, "--json"]))
        XCTAssertEqual(applied["updatesSent"]?.int64Value, 1)
        let updates = try await updateJobs()
        XCTAssertEqual(updates.count, 1)
        let now = try await policy(Self.us)
        XCTAssertEqual(
            Self.rows(now["categories"]),
            [
                "Airfare on 6010", "Entertainment off 6099", "Ground Transportation on 6013", "Hotels on 6011", "Lodging on 6011",
                "Meals on 6012", "Miscellaneous on ", "Office Supplies on 6014", "Parking on 600170", "Team Offsite on 7100",
                "Telephone on 6015", "Training and Conferences on 600160", "Training off 600160",
            ])
        // The other policies were not touched.
        let uk = try await policy(Self.uk)
        XCTAssertFalse(Self.rows(uk["categories"]).contains { $0.hasPrefix("Parking") })

        // Audited, one event per change; the ledger knows what the connector created.
        let ledger = try Ledger(path: h.dir.appendingPathComponent("ledger.sqlite").path)
        let events = try ledger.auditEvents(entityID: Self.us).map { "\($0.event) \($0.detail)" }
        XCTAssertEqual(
            events,
            [
                "align.category.added category 'Training' GL code '600160'",
                "align.category.added category 'Entertainment' GL code '6099'",
                "align.category.added category 'Parking' GL code '600170'",
                "align.category.renamed category 'Hotels' GL code '6011' (was 'Lodging')",
                "align.category.renamed category 'Training and Conferences' GL code '600160' (was 'Training')",
                "align.category.disabled category 'Entertainment' GL code '6099'",
            ])
        let created = try ledger.alignedEntries(policyID: Self.us, kind: "category")
        XCTAssertEqual(
            created.map { "\($0.name) \($0.disabledAt == nil ? "on" : "off")" },
            ["Entertainment off", "Hotels on", "Parking on", "Training off", "Training and Conferences on"])

        // A second apply finds nothing to do and sends no policy update.
        _ = try await h.control("DELETE", "/_sandbox/expensify/jobs")
        let again = try h.cli(["align", "categories", "--apply", "--policy", Self.us, "--json"])
        let againJSON = try json(again)
        XCTAssertEqual(againJSON["updatesSent"]?.int64Value, 0)
        let p = try XCTUnwrap(againJSON["policies"]?.arrayValue?.first)
        XCTAssertEqual(Self.names(p["added"]) + Self.names(p["renamed"]) + Self.names(p["disabled"]) + Self.names(p["enabled"]), [])
        let secondUpdates = try await updateJobs()
        XCTAssertEqual(secondUpdates.count, 0)
        XCTAssertEqual(try ledger.auditEvents(entityID: Self.us).count, events.count)

        // Entertainment active again in the ERP: the category the connector disabled is enabled again.
        try editAccounts { accounts in Self.set(&accounts, "600199", ["IsSuspended": "No"]) }
        _ = try await h.control("POST", "/_sandbox/d365/reset")
        let back = try json(try h.cli(["align", "categories", "--apply", "--policy", Self.us, "--json"]))
        let b = try XCTUnwrap(back["policies"]?.arrayValue?.first)
        XCTAssertEqual(Self.names(b["enabled"]), ["Entertainment"])
        XCTAssertEqual(Self.names(b["added"]) + Self.names(b["renamed"]) + Self.names(b["disabled"]), [])
        let enabledAgain = try await policy(Self.us)
        XCTAssertTrue(Self.rows(enabledAgain["categories"]).contains("Entertainment on 6099"))
        XCTAssertEqual(try ledger.auditEvents(entityID: Self.us).last?.event, "align.category.enabled")
    }

    func testCategoriesByAccountTypeAndCategoryReadTheClassificationOnlyWhenAsked() async throws {
        // Ranges only: the master data read asks for no classification.
        _ = try await h.control("DELETE", "/_sandbox/d365/requests")
        _ = try h.cli(["align", "categories", "--dry-run", "--policy", Self.us])
        let plain = try await mainAccountURLs()
        XCTAssertFalse(plain.isEmpty)
        XCTAssertFalse(plain.contains { $0.contains("MainAccountCategory") }, "\(plain)")

        // Expense accounts of the Travel category: Office Supplies and Telephone (Office) are out of scope.
        try rewriteConfig { config in
            config["align"] = ["categories": ["accountTypes": ["Expense"], "accountCategories": ["travel"]]]
        }
        _ = try await h.control("DELETE", "/_sandbox/d365/requests")
        let dry = try json(try h.cli(["align", "categories", "--dry-run", "--policy", Self.us, "--json"]))
        let p = try XCTUnwrap(dry["policies"]?.arrayValue?.first)
        XCTAssertEqual(Self.names(p["added"]), ["Training"])
        XCTAssertEqual(Self.names(p["unchanged"]), ["Airfare", "Lodging", "Meals", "Ground Transportation", "Entertainment"])
        let alone = (p["leftAlone"]?.arrayValue ?? []).map { "\($0["name"]?.stringValue ?? "") (\($0["reason"]?.stringValue ?? ""))" }
        XCTAssertEqual(
            alone.sorted(),
            [
                "Miscellaneous (not created by ml-connector)", "Office Supplies (not created by ml-connector)",
                "Telephone (not created by ml-connector)",
            ])
        let urls = try await mainAccountURLs()
        XCTAssertEqual(
            urls.filter { $0.contains("MainAccountCategory") && !$0.contains("skiptoken") }.count, 1, "one paged read of the classification: \(urls)")
    }

    /// The URLs of the sandbox's `MainAccounts` reads since the last reset of its request log.
    func mainAccountURLs() async throws -> [String] {
        let any = try await h.control("GET", "/_sandbox/d365/requests")
        let log = ((any as? [String: Any])?["requests"] as? [[String: Any]]) ?? []
        return log.compactMap { $0["url"] as? String }.filter { $0.contains("/data/MainAccounts") }.map { $0.removingPercentEncoding ?? $0 }
    }

    func testDisableByNameDisablesACategoryTheConnectorDidNotCreate() async throws {
        // Entertainment is in the seed policy (not created by the connector) and suspended in the ERP.
        try editAccounts { accounts in Self.set(&accounts, "600199", ["IsSuspended": "Yes"]) }
        _ = try await h.control("POST", "/_sandbox/d365/reset")
        let dry = try json(try h.cli(["align", "categories", "--dry-run", "--policy", Self.us, "--json"]))
        let d = try XCTUnwrap(dry["policies"]?.arrayValue?.first)
        XCTAssertEqual(Self.names(d["disabled"]), [])
        XCTAssertTrue(Self.names(d["leftAlone"]).contains("Entertainment"))
        let applied = try json(
            try h.cli(["align", "categories", "--apply", "--policy", Self.us, "--disable", "Entertainment", "--disable", "Airfare", "--json"]))
        let a = try XCTUnwrap(applied["policies"]?.arrayValue?.first)
        XCTAssertEqual(Self.names(a["disabled"]), ["Entertainment"])
        XCTAssertTrue(
            applied["warnings"]?.arrayValue?.contains { $0.stringValue?.hasPrefix("--disable 'Airfare'") == true } ?? false,
            "an active account's category is not disabled, and the result says so: \(applied)")
        let afterDisable = try await policy(Self.us)
        XCTAssertTrue(Self.rows(afterDisable["categories"]).contains("Airfare on 6010"))
        let now = try await policy(Self.us)
        XCTAssertTrue(Self.rows(now["categories"]).contains("Entertainment off 6099"))
        XCTAssertTrue(Self.rows(now["categories"]).contains("Miscellaneous on "), "a manual category stays")
        let ledger = try Ledger(path: h.dir.appendingPathComponent("ledger.sqlite").path)
        XCTAssertEqual(
            try ledger.auditEvents(entityID: Self.us).map(\.detail),
            [
                "category 'Training' GL code '600160'",
                "category 'Entertainment' GL code '6099' (not created by ml-connector; named with --disable)",
            ])
    }

    // MARK: Tags

    func testTagsSingleLevelDryRunApplyIdempotent() async throws {
        // One level (Department) in a policy with flat tags: one renamed in Expensify, one made by hand.
        var uk = try await policy(Self.uk)
        uk["tags"] = [
            ["name": "Sales", "enabled": true, "glCode": "010"],
            ["name": "Eng", "enabled": true, "glCode": "020"],
            ["name": "Marketing", "enabled": true, "glCode": "MKT"],
        ]
        try await putPolicy(uk)
        try rewriteConfig { config in config["align"] = ["tags": ["dimensions": ["Department"]]] }

        _ = try await h.control("DELETE", "/_sandbox/expensify/jobs")
        let before = try await policiesBytes()
        let dry = try json(try h.cli(["align", "tags", "--dry-run", "--policy", Self.uk, "--json"]))
        let after = try await policiesBytes()
        XCTAssertEqual(before, after)
        let dryUpdates = try await updateJobs()
        XCTAssertEqual(dryUpdates.count, 0)
        let d = try XCTUnwrap(dry["policies"]?.arrayValue?.first)
        XCTAssertEqual(Self.names(d["added"]), ["Operations"])
        XCTAssertEqual(Self.names(d["renamed"]), ["Eng -> Engineering"])
        XCTAssertEqual(Self.names(d["unchanged"]), ["Sales"])
        XCTAssertEqual(Self.names(d["leftAlone"]), ["Marketing"])

        _ = try h.cli(["align", "tags", "--apply", "--policy", Self.uk])
        let now = try await policy(Self.uk)
        // Inline tags replace the list: the kept tags are sent back with ours.
        XCTAssertEqual(
            Self.rows(now["tags"]), ["Eng on 020", "Engineering on 020", "Marketing on MKT", "Operations on 030", "Sales on 010"])

        _ = try await h.control("DELETE", "/_sandbox/expensify/jobs")
        let again = try json(try h.cli(["align", "tags", "--apply", "--policy", Self.uk, "--json"]))
        XCTAssertEqual(again["updatesSent"]?.int64Value, 0)
        let secondUpdates = try await updateJobs()
        XCTAssertEqual(secondUpdates.count, 0)
    }

    func testTagsTwoIndependentLevels() async throws {
        // Two independent levels (the getter's levels shape), Department and CostCenter, each with its GL codes.
        var de = try await policy(Self.de)
        de["tags"] = [
            ["name": "Sales", "enabled": true, "glCode": "010", "level": "Department"],
            ["name": "Sales West", "enabled": true, "glCode": "W01", "level": "Cost center"],
        ]
        try await putPolicy(de)
        let applied = try json(try h.cli(["align", "tags", "--apply", "--policy", Self.de, "--json"]))
        let a = try XCTUnwrap(applied["policies"]?.arrayValue?.first)
        XCTAssertEqual(Self.names(a["added"]), ["Engineering", "Operations", "Sales East", "Operations Logistics", "Engineering Platform-Core"])
        let r = try h.cli(["align", "tags", "--dry-run", "--policy", Self.de, "--json"])
        let p = try XCTUnwrap(try json(r)["policies"]?.arrayValue?.first)
        XCTAssertEqual(p["added"]?.arrayValue?.count, 0)
        XCTAssertEqual(p["unchanged"]?.arrayValue?.count, 7)
        // The getter answers levels, each tag with its GL code.
        let info = try await getTags(Self.de)
        XCTAssertEqual(info.map { $0["name"] as? String }, ["Department", "Cost center"])
        XCTAssertEqual(Self.rows(info[0]["tags"]), ["Engineering on 020", "Operations on 030", "Sales on 010"])
        XCTAssertEqual(
            Self.rows(info[1]["tags"]),
            ["Engineering Platform-Core on PL-01", "Operations Logistics on LG1", "Sales East on E01", "Sales West on W01"])
    }

    func testDependentTagsAreRefusedPolicyByPolicyAndTheOthersAreStillAligned() async throws {
        // The seed's tags are dependent (`Sales:West`): inline tags cannot write them, so those policies are left
        // alone; the German policy, with two independent levels, is aligned in the same command.
        var de = try await policy(Self.de)
        de["tags"] = [
            ["name": "Sales", "enabled": true, "glCode": "010", "level": "Department"],
            ["name": "Sales West", "enabled": true, "glCode": "W01", "level": "Cost center"],
        ]
        try await putPolicy(de)
        _ = try await h.control("DELETE", "/_sandbox/expensify/jobs")
        let usBefore = try await policy(Self.us)
        let r = try h.cli(["align", "tags", "--apply", "--json"], expect: 1)
        let out = try json(r)
        let policies = out["policies"]?.arrayValue ?? []
        let refused = policies.filter { $0["refused"]?.stringValue != nil }.compactMap { $0["policyID"]?.stringValue }
        XCTAssertEqual(refused.sorted(), ["A1B2C3D4E5F60001", "A1B2C3D4E5F60002", "A1B2C3D4E5F60004"])
        XCTAssertTrue(policies.allSatisfy { $0["refused"]?.stringValue?.contains("align.tags_dependent") ?? true })
        let aligned = try XCTUnwrap(policies.first { $0["policyID"]?.stringValue == Self.de })
        XCTAssertNil(aligned["refused"]?.stringValue)
        XCTAssertEqual(aligned["added"]?.arrayValue?.count, 5)
        XCTAssertEqual(out["updatesSent"]?.int64Value, 1, "one update, for the German policy only")
        let updates = try await updateJobs()
        XCTAssertEqual(updates.count, 1)
        let usAfter = try await policy(Self.us)
        XCTAssertEqual(Self.rows(usAfter["tags"]), Self.rows(usBefore["tags"]), "a refused policy is not touched")

        let text = try h.cli(["align", "tags", "--dry-run", "--policy", Self.us], expect: 1)
        XCTAssertTrue(text.stdout.contains("Policy A1B2C3D4E5F60001 (usmf): left alone: [align.tags_dependent]"), text.stdout)
    }

    // MARK: Helpers

    func rewriteConfig(_ edit: (inout [String: Any]) -> Void) throws {
        var config = try JSONSerialization.jsonObject(with: Data(contentsOf: h.configURL)) as! [String: Any]
        edit(&config)
        try JSONSerialization.data(withJSONObject: config, options: [.prettyPrinted, .sortedKeys]).write(to: h.configURL)
    }

    /// The policy getter's `tags` for one policy, through the Integration Server (as the connector reads it).
    func getTags(_ id: String) async throws -> [[String: Any]] {
        let job =
            #"{"type":"get","credentials":{"partnerUserID":"\#(Harness.secrets["EXPENSIFY_PARTNER_USER_ID"]!)","partnerUserSecret":"\#(Harness.secrets["EXPENSIFY_PARTNER_USER_SECRET"]!)"},"inputSettings":{"type":"policy","fields":["tags"],"policyIDList":["\#(id)"]}}"#
        var req = URLRequest(url: URL(string: h.baseURL.absoluteString + "/Integration-Server/ExpensifyIntegrations")!)
        req.httpMethod = "POST"
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        req.httpBody = Data(("requestJobDescription=" + job.addingPercentEncoding(withAllowedCharacters: allowed)!).utf8)
        req.setValue("application/x-www-form-urlencoded", forHTTPHeaderField: "Content-Type")
        let (data, _) = try await URLSession.shared.data(for: req)
        let body = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        let info = (body["policyInfo"] as? [String: Any])?[id] as? [String: Any]
        return try XCTUnwrap(info?["tags"] as? [[String: Any]], "\(body)")
    }
}
