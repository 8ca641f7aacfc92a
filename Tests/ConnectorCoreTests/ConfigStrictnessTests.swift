import Foundation
import XCTest

@testable import ConnectorCore
@testable import Pipeline

/// Typos, unsafe endpoints and unpostable states are refused with their JSON path, all at once.
final class ConfigStrictnessTests: XCTestCase {
    func edited(_ edit: (inout [String: Any]) -> Void) throws -> Data {
        var c = try JSONSerialization.jsonObject(with: Data(ReportMapperTests.configJSON.utf8)) as! [String: Any]
        edit(&c)
        return try JSONSerialization.data(withJSONObject: c, options: [.sortedKeys])
    }

    func problems(_ data: Data, options: ConfigCheckOptions = ConfigCheckOptions()) -> [String] {
        ConnectorConfig.check(data, source: "c.json", options: options, validateTarget: TargetRegistry.problems).1
    }

    func testTyposAreRejectedWithTheNearestKnownKey() throws {
        let data = try edited { c in
            c["accountOverides"] = ["usmf": ["6010": "600110"]]
            var e = c["expensify"] as! [String: Any]
            e["policyIds"] = ["P1"]
            c["expensify"] = e
            var v = c["vendors"] as! [String: Any]
            v["byEMail"] = v.removeValue(forKey: "byEmail")
            c["vendors"] = v
            var t = c["target"] as! [String: Any]
            t["concurency"] = 8
            t["batchsize"] = 50
            c["target"] = t
        }
        let p = problems(data)
        XCTAssertTrue(p.contains("accountOverides: unknown key (did you mean `accountOverrides`?)"), "\(p)")
        XCTAssertTrue(p.contains("expensify.policyIds: unknown key (did you mean `policyIDs`?)"), "\(p)")
        XCTAssertTrue(p.contains("vendors.byEMail: unknown key (did you mean `byEmail`?)"), "\(p)")
        XCTAssertTrue(p.contains("target.concurency: unknown key (did you mean `concurrency`?)"), "\(p)")
        XCTAssertTrue(p.contains("target.batchsize: unknown key (did you mean `batchSize`?)"), "\(p)")
        XCTAssertThrowsError(try ConnectorConfig.load(data, source: "c.json", validateTarget: TargetRegistry.problems))
    }

    func testMapKeysAreDataNotTypos() throws {
        let data = try edited { c in c["accounts"] = ["6010": "600100", "anything-goes": "600120"] }
        XCTAssertEqual(problems(data), [])
    }

    func testInvalidJSONNamesLineAndColumn() {
        let p = problems(Data("{\n  \"expensify\": {\n    \"endpoint\": \"x\",,\n".utf8))
        XCTAssertEqual(p.count, 1)
        XCTAssertTrue(p[0].contains("line 3") && p[0].contains("column"), "\(p)")
    }

    func testAKeyGivenTwiceInOneObjectIsRefusedWhereverItIs() throws {
        // A second `accounts` block pasted below the first would otherwise replace it without a word.
        let text = String(decoding: try edited { _ in }, as: UTF8.self)
        let twice = text.replacingOccurrences(of: "\"accounts\":", with: "\"accounts\":{\"6010\":\"600199\"},\n\"accounts\":")
        XCTAssertNotEqual(twice, text)
        let p = problems(Data(twice.utf8))
        XCTAssertEqual(p.count, 1, "\(p)")
        XCTAssertTrue(p[0].contains("the key 'accounts' appears twice in one object") && p[0].contains("line 2"), "\(p)")
        XCTAssertThrowsError(try ConnectorConfig.load(Data(twice.utf8), source: "c.json", validateTarget: TargetRegistry.problems))
        // Nested too; data elsewhere (an Expensify answer) is read as before, the last key winning.
        let nested = #"{"a": {"b": 1, "b": 2}}"#
        XCTAssertThrowsError(try JSONValue.parse(Data(nested.utf8), rejectingDuplicateKeys: true))
        XCTAssertEqual(try JSONValue.parse(Data(nested.utf8))["a"]?["b"], .number("2"))
    }

    func testPlainHTTPIsRefusedExceptToLoopbackOrWithTheOverride() throws {
        let remote = try edited { c in
            var t = c["target"] as! [String: Any]
            t["environmentURL"] = "http://erp.contoso.example"
            c["target"] = t
            var e = c["expensify"] as! [String: Any]
            e["endpoint"] = "http://integrations.expensify.com/Integration-Server/ExpensifyIntegrations"
            c["expensify"] = e
        }
        let p = problems(remote)
        XCTAssertTrue(p.contains { $0.hasPrefix("target.environmentURL:") && $0.contains("clear text") }, "\(p)")
        XCTAssertTrue(p.contains { $0.hasPrefix("expensify.endpoint:") && $0.contains("--allow-plaintext-http") }, "\(p)")
        XCTAssertEqual(problems(remote, options: ConfigCheckOptions(allowPlaintextHTTP: true)), [])
        for host in ["127.0.0.1:8765", "localhost", "[::1]:9000", "127.9.8.7"] {
            XCTAssertNil(ConnectorConfig.urlProblem("http://\(host)/x", path: "p"), host)
        }
        XCTAssertNotNil(ConnectorConfig.urlProblem("http://127.0.0.1.evil.example/x", path: "p"))
    }

    func testOnlyApprovedStatesCanBeConfigured() throws {
        let open = try edited { c in
            var e = c["expensify"] as! [String: Any]
            e["reportStates"] = ["APPROVED", "SUBMITTED"]
            c["expensify"] = e
        }
        XCTAssertTrue(problems(open).contains { $0.contains("'SUBMITTED' cannot be posted") }, "\(problems(open))")
        let none = try edited { c in
            var e = c["expensify"] as! [String: Any]
            e["reportStates"] = [String]()
            c["expensify"] = e
        }
        XCTAssertTrue(problems(none).contains { $0.contains("must list at least one") }, "\(problems(none))")
    }

    func testCheckConfigurationListsEveryProblemAndBlankSecrets() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mlc-cfg-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("c.json")
        try edited { c in c["concurrency"] = 3 }.write(to: file)
        let report = ConfigurationCheck.run(
            configPath: file.path,
            environment: [
                "EXPENSIFY_PARTNER_USER_ID": "id", "EXPENSIFY_PARTNER_USER_SECRET": "   ",
            ])
        XCTAssertFalse(report.ok)
        XCTAssertTrue(report.problems.contains("concurrency: unknown key"), "\(report.problems)")
        XCTAssertTrue(report.problems.contains { $0.contains("EXPENSIFY_PARTNER_USER_SECRET") }, "blank is missing: \(report.problems)")
        XCTAssertTrue(report.problems.contains { $0.contains("D365_CLIENT_SECRET") }, "\(report.problems)")
        XCTAssertFalse(report.text.contains("Configuration OK"))
    }
}
