import ConnectorCore
import ConnectorLedger
import Foundation
import XCTest

/// `status` at a glance: the last runs, what awaits review or was held by finance, what failed to load, and what
/// needs a person, as text and as a real `--json` object, through the real binary against the sandbox.
final class StatusGlanceTests: XCTestCase {
    var h: Harness!

    override func setUp() async throws {
        h = try await Harness { c in
            var t = c["target"] as! [String: Any]
            t["batchSize"] = 0
            c["target"] = t
        }
    }

    override func tearDown() async throws { h?.stop() }

    func json(_ r: Harness.CLIResult) throws -> [String: Any] {
        try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], r.stdout)
    }

    func testStatusShowsRunsFailuresHeldReviewAndVariancesWithWhatToDo() async throws {
        _ = try await h.control(
            "POST", "/_sandbox/d365/faults", body: ["count": 2, "status": 500, "method": "POST", "entitySet": "VendorInvoiceHeaders"])
        try h.cli(["run"], expect: 3)
        let batch = try h.latestBatch().lastPathComponent
        let ledger = try Ledger(path: h.dir.appendingPathComponent("ledger.sqlite").path)

        var s = try json(try h.cli(["status", "--json"]))
        let runs = try XCTUnwrap(s["lastRuns"] as? [[String: Any]])
        XCTAssertEqual(runs.first?["batchID"] as? String, batch)
        XCTAssertEqual(runs.first?["lastStage"] as? String, "commit")
        XCTAssertEqual(runs.first?["failed"] as? Int, 2)
        let held = try ledger.reports(in: [.held]).count
        XCTAssertGreaterThan(held, 0)
        XCTAssertEqual(runs.first?["held"] as? Int, held)
        let failed = try XCTUnwrap(s["failedToLoad"] as? [[String: Any]])
        XCTAssertEqual(failed.count, 2)
        XCTAssertTrue(failed.allSatisfy { ($0["error"] as? String ?? "").contains("500") }, "\(failed)")
        let attention = try XCTUnwrap(s["needsAttention"] as? [[String: Any]])
        let kinds = Set(attention.compactMap { $0["kind"] as? String })
        XCTAssertTrue(kinds.isSuperset(of: ["held", "failed"]), "\(attention)")
        XCTAssertTrue(attention.allSatisfy { !($0["action"] as? String ?? "").isEmpty })
        // Held reports are grouped by what is wrong (the field their reason names): one attention line per group.
        let heldRecords = try ledger.reports(in: [.held])
        let fields = Set(heldRecords.map { String(($0.reason ?? "").split(separator: ":").first ?? "") })
        let groups = try XCTUnwrap(s["heldByReason"] as? [[String: Any]])
        XCTAssertEqual(Set(groups.compactMap { $0["field"] as? String }), fields)
        XCTAssertEqual(groups.reduce(0) { $0 + ($1["count"] as? Int ?? 0) }, heldRecords.count)
        XCTAssertEqual(attention.filter { $0["kind"] as? String == "held" }.count, fields.count)

        // Finance's queue and a reconciliation with a variance show up too.
        let a = AuditContext(actor: "test", batchID: batch, stage: nil)
        try ledger.markAwaitingReview(batchID: batch, reason: "review required", audit: a)
        try ledger.recordReconciliation(
            ReconciliationResult(
                batchID: batch, checkedAt: "2026-12-05T08:00:00Z", reconciled: false, totals: [],
                variances: [
                    ReconciliationVariance(
                        kind: "missing", company: "USMF", reportID: "90000001", documentKey: "EXP90000001", detail: "not in the ERP")
                ]),
            audit: a)
        s = try json(try h.cli(["status", "--json"]))
        XCTAssertEqual((s["awaitingReview"] as? [[String: Any]])?.first?["batchID"] as? String, batch)
        let run = try XCTUnwrap((s["lastRuns"] as? [[String: Any]])?.first)
        XCTAssertEqual(run["review"] as? String, "awaiting")
        XCTAssertEqual(run["reconciled"] as? Bool, false)
        XCTAssertEqual(run["variances"] as? Int, 1)
        let kinds2 = Set((s["needsAttention"] as? [[String: Any]] ?? []).compactMap { $0["kind"] as? String })
        XCTAssertTrue(kinds2.isSuperset(of: ["review", "variance", "held", "failed"]), "\(kinds2)")

        try ledger.recordRejection(batchID: batch, by: "Ana", reason: "wrong cost centre on 90000002", audit: a)
        let text = try h.cli(["status"]).stdout
        XCTAssertTrue(text.hasPrefix("Needs attention ("), text)
        XCTAssertTrue(text.contains("Held by finance:\n  \(batch)  by Ana"), text)
        XCTAssertTrue(text.contains("Failed to load (2):"), text)
        XCTAssertTrue(text.contains("NOT reconciled (1 variance(s))"), text)
        XCTAssertFalse(text.contains("Awaiting review:"), "a rejected batch no longer awaits review: \(text)")
    }

    func testAllWellSaysNothingNeedsAttention() async throws {
        h.stop()
        h = try await Harness()
        let text = try h.cli(["status"]).stdout
        XCTAssertTrue(text.hasPrefix("Needs attention: nothing.\n"), text)
        let s = try json(try h.cli(["status", "--json"]))
        XCTAssertEqual((s["needsAttention"] as? [[String: Any]])?.count, 0)
        XCTAssertEqual((s["lastRuns"] as? [[String: Any]])?.count, 0)
    }
}
