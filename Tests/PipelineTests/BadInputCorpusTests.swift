import ConnectorLedger
import Foundation
import XCTest

/// The fault suite's bad-input corpus end to end: reports Expensify could send that are wrong in every way at once,
/// in one night with good reports. Nothing crashes, each bad record gets a clear exception naming record and field,
/// and everything else posts. Staged files edited into nonsense are refused by name. (Generated inputs: see
/// `BadInputPropertyTests` in ConnectorCoreTests.)
final class BadInputCorpusTests: XCTestCase {
    static func template() throws -> [String: Any] {
        let seed =
            try JSONSerialization.jsonObject(with: Data(contentsOf: Harness.repo.appendingPathComponent("samples/sandbox/expensify.json")))
            as! [String: Any]
        var r = (seed["reports"] as! [[String: Any]]).first { $0["reportID"] as? String == "90000001" }!
        r["labels"] = [String]()
        r["approved"] = "2026-11-21 08:00:00"
        return r
    }

    /// Report 90000001 under `id`, each expense passed through `edit`.
    static func report(_ id: String, _ edit: (inout [String: Any], Int) -> Void = { _, _ in }) throws -> [String: Any] {
        var r = try template()
        r["reportID"] = id
        var expenses = r["transactionList"] as! [[String: Any]]
        for i in expenses.indices {
            expenses[i]["transactionID"] = "\(id)\(i)"
            edit(&expenses[i], i)
        }
        r["transactionList"] = expenses
        r.removeValue(forKey: "total")
        return r
    }

    func testACorpusOfBadReportsIsHeldRecordByRecordAndTheRestPosts() async throws {
        let h = try await Harness()
        defer { h.stop() }
        let huge = String(repeating: "Ünïcødé ", count: 40_000)  // 320,000 characters
        var zero = try Self.report("73000001") { e, _ in
            e["amount"] = 0
            e["convertedAmount"] = 0
        }
        zero["reportName"] = "all zero"
        let negative = try Self.report("73000002") { e, _ in
            e["amount"] = -((e["amount"] as? Int) ?? 100)
            e["convertedAmount"] = -((e["convertedAmount"] as? Int) ?? 100)
        }
        var unknownCurrency = try Self.report("73000003") { e, _ in e["currency"] = "XYZ" }
        unknownCurrency["currency"] = "XYZ"
        let hugeStrings = try Self.report("73000004") { e, i in
            e["merchant"] = huge
            e["comment"] = huge
            if i == 0 { e["category"] = "Airfare" }
        }
        let wrongTypes = try Self.report("73000005") { e, i in
            if i == 0 { e["reimbursable"] = "maybe" }
            if i == 1 { e["merchant"] = ["a", "list"] }
            if i == 2 { e["created"] = ["year": 2026] }
        }
        let good = try Self.report("73000006")
        let duplicated = try Self.report("73000007")
        let corrupt = try Self.report("73000008")
        let outOfRange = try Self.report("73000009") { e, i in
            if i == 0 {
                e["amount"] = 9_000_000_000_000_000
                e["convertedAmount"] = 9_000_000_000_000_000
            }
        }
        _ = try await h.control(
            "POST", "/_sandbox/expensify/reports",
            body: [zero, negative, unknownCurrency, hugeStrings, wrongTypes, good, duplicated, corrupt, outOfRange])
        _ = try await h.control(
            "POST", "/_sandbox/expensify/settings",
            body: ["corruptReportIDs": ["73000008"], "duplicateReportIDs": ["73000007"]])

        let run = try h.cli(["run", "--json"])
        let summary = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any], run.stdout)
        XCTAssertEqual((summary["load"] as? [String: Any])?["failed"] as? Int, 0, run.stdout)

        let exceptions = try h.csv("transform/exceptions.csv")
        func issues(_ record: String) -> [[String: String]] {
            exceptions.filter { ($0["record"] ?? "") == record || ($0["record"] ?? "").hasPrefix(record + "/") }
        }
        func assertHeld(_ id: String, field: String, reason: String, file: StaticString = #filePath, line: UInt = #line) {
            let found = issues(id)
            XCTAssertTrue(
                found.contains { $0["field"] == field && ($0["reason"] ?? "").contains(reason) },
                "\(id): expected \(field) '\(reason)' in \(found)", file: file, line: line)
        }
        assertHeld("73000001", field: "amount", reason: "is zero")
        assertHeld("73000002", field: "total", reason: "zero or negative invoice")
        assertHeld("73000003", field: "currency", reason: "'XYZ' is not an ISO 4217")
        assertHeld("73000005", field: "reimbursable", reason: "'maybe' is not true or false")
        assertHeld("73000005", field: "merchant", reason: "holds a list")
        assertHeld("73000005", field: "created", reason: "holds a list, an object or a date")
        assertHeld("73000009", field: "amount", reason: "beyond the largest amount")
        // The broken element is named by its place in the export, its field is the JSON itself.
        XCTAssertTrue(exceptions.contains { ($0["record"] ?? "").hasPrefix("export[") && $0["field"] == "(json)" }, "\(exceptions)")
        for row in exceptions {
            XCTAssertFalse((row["record"] ?? "").isEmpty || (row["field"] ?? "").isEmpty || (row["reason"] ?? "").isEmpty, "\(row)")
        }

        // Everything else posted: the seed's seven, the good one, the duplicated one once, the one with huge strings.
        let stored = try await FaultSuite.stored(h)
        for key in ["EXP73000004", "EXP73000006", "EXP73000007", "EXP90000001"] {
            XCTAssertEqual(stored[key]?.headers, 1, "\(key) posted once: \(stored.keys.sorted())")
        }
        for key in ["EXP73000001", "EXP73000002", "EXP73000003", "EXP73000005", "EXP73000008", "EXP73000009"] {
            XCTAssertNil(stored[key], "\(key) must be held")
        }
        XCTAssertEqual(stored.count, 7 + 3, "\(stored.keys.sorted())")
        try await FaultSuite.assertPostedOnceAndCentExact(h, context: "bad-input corpus")

        // The repeat is in the audit trail, naming the report and the field.
        let ledger = try Ledger(path: h.dir.appendingPathComponent("ledger.sqlite").path)
        let trail = try ledger.auditEvents(entityID: "73000007")
        let repeats = trail.filter { $0.event == "report.duplicate" }
        XCTAssertEqual(repeats.count, 1, "\(trail.map(\.event))")
        XCTAssertTrue(repeats.first?.detail.hasPrefix("reportID:") ?? false)

        // The huge merchant stays whole for finance in the review file, clipped in the ERP's description.
        let lines = try h.csv("transform/invoice-lines.csv").filter { $0["report_id"] == "73000004" }
        XCTAssertEqual(lines.first?["merchant"]?.count, huge.count)
    }

    func testStagedFilesEditedIntoNonsenseAreRefusedByName() async throws {
        let h = try await Harness()
        defer { h.stop() }
        try h.cli(["extract"])
        let batch = try h.latestBatch()
        let records = batch.appendingPathComponent("extract/records.jsonl")
        let original = try Data(contentsOf: records)
        for nonsense in [
            "{\"index\":0,\"report\":{\"reportID\":", "not json at all\n\u{0}\u{1}",
            String(decoding: original.prefix(original.count / 2), as: UTF8.self),
        ] {
            try Data(nonsense.utf8).write(to: records)
            let r = try h.cli(["transform"], expect: 1)
            XCTAssertTrue(r.stderr.contains("staging.tampered") && r.stderr.contains("extract/records.jsonl"), r.stderr)
        }
        try original.write(to: records)
        try h.cli(["transform"])

        // A review CSV turned into nonsense changes nothing that load reads; invoices.json turned into nonsense is refused.
        try Data("\"unterminated,,,\n\u{FEFF}=cmd|".utf8).write(to: batch.appendingPathComponent("transform/invoice-lines.csv"))
        let invoices = batch.appendingPathComponent("transform/invoices.json")
        let kept = try Data(contentsOf: invoices)
        try Data("[{\"key\":\"EXP1\",".utf8).write(to: invoices)
        let refused = try h.cli(["load"], expect: 1)
        XCTAssertTrue(refused.stderr.contains("staging.tampered") && refused.stderr.contains("transform/invoices.json"), refused.stderr)
        try kept.write(to: invoices)
        try h.cli(["load"])
        let stored = try await FaultSuite.stored(h)
        XCTAssertEqual(stored.count, 7)
    }
}
