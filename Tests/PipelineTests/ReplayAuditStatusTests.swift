import ConnectorCore
import ConnectorLedger
import Foundation
import XCTest

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `status --json`, `status --report`, `replay` and `audit` through the real binary against the sandbox.
final class ReplayAuditStatusTests: XCTestCase {
    var h: Harness!

    override func setUp() async throws {
        h = try await Harness()
    }

    override func tearDown() async throws {
        h?.stop()
    }

    var ledger: Ledger {
        get throws { try Ledger(path: h.dir.appendingPathComponent("ledger.sqlite").path) }
    }

    func json(_ r: Harness.CLIResult) throws -> [String: Any] {
        try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], r.stdout)
    }

    /// InvoiceNumber → how many invoices D365 holds under it.
    func d365InvoiceCounts() async throws -> [String: Int] {
        let any = try await h.control("GET", "/_sandbox/d365/invoices")
        let list = (any as? [[String: Any]]) ?? ((any as? [String: Any])?["invoices"] as? [[String: Any]]) ?? []
        var out: [String: Int] = [:]
        for inv in list {
            let header = (inv["header"] as? [String: Any]) ?? inv
            if let n = header["InvoiceNumber"] as? String { out[n, default: 0] += 1 }
        }
        return out
    }

    func testStatusOfAnUnknownReportExitsFiveWithAClearMessage() async throws {
        let fresh = try json(try h.cli(["status", "--json"]))
        XCTAssertTrue(fresh["watermark"] is NSNull, "no watermark yet is null, not missing: \(fresh)")
        XCTAssertTrue(fresh["batch"] is NSNull, "\(fresh)")
        XCTAssertEqual((fresh["batches"] as? [Any])?.count, 0)
        try h.cli(["extract"])
        let r = try h.cli(["status", "--report", "12345678"], expect: 5)
        XCTAssertTrue(r.stderr.contains("Report 12345678 is not in the ledger"), r.stderr)
        XCTAssertTrue(r.stdout.isEmpty, r.stdout)
        XCTAssertTrue(try h.cli(["audit", "12345678"], expect: 5).stderr.contains("not in the ledger"))
        XCTAssertTrue(try h.cli(["status", "--batch", "19990101-000000"], expect: 5).stderr.contains("19990101-000000"))
        XCTAssertTrue(try h.cli(["replay", "--batch", "19990101-000000"], expect: 5).stderr.contains("19990101-000000"))
        // A known report still answers, as text and as JSON.
        XCTAssertTrue(try h.cli(["status", "--report", "90000001"]).stdout.contains("Report 90000001: extracted"))
        let one = try json(try h.cli(["status", "--report", "90000001", "--json"]))
        XCTAssertEqual((one["report"] as? [String: Any])?["state"] as? String, "extracted")
        XCTAssertFalse((one["auditTrail"] as? [Any] ?? []).isEmpty)
    }

    func testStatusJSONIsARealObjectWithTheLedgersState() async throws {
        try h.cli(["run"])
        try h.cli(["drop", "--report", "90000007", "--reason", "category fixed by hand in D365"])
        let batch = try h.latestBatch().lastPathComponent
        let s = try json(try h.cli(["status", "--json"]))
        XCTAssertFalse(s.keys.contains("status"), "not text inside a string")
        XCTAssertEqual(s["ledgerHeld"] as? Bool, false)
        XCTAssertNotNil(s["watermark"] as? String)
        XCTAssertEqual(s["startDate"] as? String, "2026-11-01")
        let states = try XCTUnwrap(s["reportStates"] as? [String: Int])
        XCTAssertEqual(states["committed"].map { $0 > 0 }, true, "\(states)")
        XCTAssertEqual(states["held"].map { $0 > 0 }, true, "\(states)")
        let open = try XCTUnwrap(s["openReports"] as? [[String: Any]])
        XCTAssertEqual(s["openReportCount"] as? Int, open.count)
        XCTAssertTrue(open.contains { $0["reportID"] as? String == "90000003" && $0["state"] as? String == "held" })
        XCTAssertFalse(open.contains { $0["reportID"] as? String == "90000007" }, "a dropped report is not open")
        // Grouped by reason: every open report in exactly one group, its reason the report's own.
        let groups = try XCTUnwrap(s["openByReason"] as? [[String: Any]])
        XCTAssertEqual(groups.reduce(0) { $0 + ($1["count"] as? Int ?? 0) }, open.count)
        let held3 = try XCTUnwrap(groups.first { ($0["reports"] as? [String] ?? []).contains("90000003") })
        XCTAssertEqual(held3["state"] as? String, "held")
        XCTAssertEqual(held3["reason"] as? String, try ledger.report("90000003")?.reason)
        let drops = try XCTUnwrap(s["drops"] as? [[String: Any]])
        XCTAssertEqual(drops.first?["reportID"] as? String, "90000007")
        XCTAssertEqual(drops.first?["reason"] as? String, "category fixed by hand in D365")
        let batches = try XCTUnwrap(s["batches"] as? [[String: Any]])
        XCTAssertEqual(batches.first?["id"] as? String, batch)
        let detail = try XCTUnwrap(s["batch"] as? [String: Any])
        let runs = try XCTUnwrap(detail["stageRuns"] as? [[String: Any]])
        XCTAssertEqual(runs.map { $0["stage"] as? String }, ["extract", "transform", "load", "commit"])
        XCTAssertTrue(runs.allSatisfy { $0["status"] as? String == "succeeded" })
        XCTAssertNotNil((runs[1]["files"] as? [String: String])?["invoices.json"])
        let reports = try XCTUnwrap(detail["reports"] as? [[String: Any]])
        XCTAssertTrue(reports.contains { $0["reportID"] as? String == "90000001" && $0["state"] as? String == "committed" })
    }

    func testReplayPostsAHeldReportOnceInANewBatchLinkedToTheOldOne() async throws {
        try h.cli(["run"])
        let first = try h.latestBatch().lastPathComponent
        XCTAssertEqual(try ledger.report("90000003")?.state, .held)
        var counts = try await d365InvoiceCounts()
        XCTAssertNil(counts["EXP90000003"])

        // Nothing changed yet: the replay runs, the report is still held, nothing is posted.
        let still = try json(try h.cli(["replay", "--batch", first, "--report", "90000003", "--json"]))
        XCTAssertEqual(((still["run"] as? [String: Any])?["transform"] as? [String: Any])?["held"] as? Int, 1)
        counts = try await d365InvoiceCounts()
        XCTAssertNil(counts["EXP90000003"])

        // The vendor is released from hold in D365; the replay of the first batch posts the report once.
        _ = try await h.control("PATCH", "/_sandbox/d365/vendors?dataAreaId=usmf&VendorAccountNumber=EMP-0003", body: ["OnHoldStatus": "No"])
        let r = try json(try h.cli(["replay", "--batch", first, "--report", "90000003", "--json"]))
        let replayBatch = try XCTUnwrap(r["replayBatchID"] as? String)
        XCTAssertNotEqual(replayBatch, first)
        XCTAssertEqual(r["sourceBatchID"] as? String, first)
        XCTAssertEqual(r["replayed"] as? [String], ["90000003"])
        let run = try XCTUnwrap(r["run"] as? [String: Any])
        XCTAssertEqual((run["extract"] as? [String: Any])?["reports"] as? Int, 1, "only the replayed report is extracted")
        XCTAssertEqual((run["extract"] as? [String: Any])?["replayOf"] as? String, first)
        XCTAssertEqual((run["load"] as? [String: Any])?["created"] as? Int, 1)
        XCTAssertEqual((run["commit"] as? [String: Any])?["labelled"] as? Int, 1)
        counts = try await d365InvoiceCounts()
        XCTAssertEqual(counts["EXP90000003"], 1)

        // The link is in the ledger and in status; the replay is audited; the watermark did not move for it.
        let l = try ledger
        XCTAssertEqual(try l.batch(replayBatch)?.replayOf, first)
        XCTAssertEqual(try l.report("90000003")?.state, .committed)
        XCTAssertEqual(try l.report("90000003")?.lastBatchID, replayBatch)
        XCTAssertTrue(try l.auditEvents(entityID: "90000003").contains { $0.event == "report.replay" && $0.detail.contains(first) })
        XCTAssertTrue(try l.auditEvents(entityID: first).contains { $0.event == "batch.replay" && $0.detail.contains(replayBatch) })
        XCTAssertTrue(try l.auditEvents(batchID: replayBatch).contains { $0.event == "watermark.kept" && $0.detail.contains("replay") })
        let status = try h.cli(["status"]).stdout
        XCTAssertTrue(status.contains("\(replayBatch)  replay of \(first)"), status)
        XCTAssertTrue(status.contains("replayed by \(replayBatch)"), status)
        let statusJSON = try json(try h.cli(["status", "--json"]))
        XCTAssertTrue(
            (statusJSON["batches"] as? [[String: Any]] ?? []).contains { $0["id"] as? String == replayBatch && $0["replayOf"] as? String == first })

        // Posted now: not replayed again, by name or with the whole batch; the next night creates nothing for it.
        let refused = try h.cli(["replay", "--batch", first, "--report", "90000003"], expect: 1)
        XCTAssertTrue(refused.stderr.contains("already posted"), refused.stderr)
        let all = try json(try h.cli(["replay", "--batch", first, "--json"]))
        let replayed = all["replayed"] as? [String] ?? []
        XCTAssertFalse(replayed.contains("90000003"))
        XCTAssertFalse(replayed.contains("90000001"), "a committed report is not replayed")
        XCTAssertTrue(replayed.contains("90000007"), "\(replayed)")
        XCTAssertTrue((all["skipped"] as? [[String: Any]] ?? []).contains { $0["reportID"] as? String == "90000001" })
        XCTAssertEqual(((all["run"] as? [String: Any])?["load"] as? [String: Any])?["created"] as? Int, 0)
        let night = try json(try h.cli(["run", "--json"]))
        XCTAssertEqual((night["load"] as? [String: Any])?["created"] as? Int, 0)
        counts = try await d365InvoiceCounts()
        XCTAssertEqual(counts["EXP90000003"], 1)
        XCTAssertTrue(counts.values.allSatisfy { $0 == 1 }, "\(counts)")
    }

    func testAuditPrintsTheWholeTrailOfAReport() async throws {
        try h.cli(["run"])
        let batch = try h.latestBatch().lastPathComponent
        let l = try ledger
        let document = try XCTUnwrap(try l.document("EXP90000001"))
        let headerReference = try XCTUnwrap(document.erpReference)
        let runs = try l.stageRuns(batchID: batch)
        let invoicesHash = try XCTUnwrap(runs.first { $0.stage == .transform }?.files["invoices.json"])
        let exportHash = try XCTUnwrap(runs.first { $0.stage == .extract }?.files["export.json"])

        let text = try h.cli(["audit", "90000001"]).stdout
        XCTAssertTrue(text.contains("batch \(batch)  export window after"), text)
        XCTAssertTrue(text.contains("transform/invoices.json  \(invoicesHash)  ok"), text)
        XCTAssertTrue(text.contains("extract/export.json  \(exportHash)  ok"), text)
        // GL 6010 (Airfare) → main account 600100; tag Sales:West → 010-W01-; vendor by e-mail.
        XCTAssertTrue(text.contains("category Airfare GL 6010 → main account 600100"), text)
        XCTAssertTrue(text.contains("tag Sales:West (Sales=010, West=W01) → dimensions 010-W01"), text)
        XCTAssertTrue(text.contains("vendor EMP-0001 (usmf)"), text)
        XCTAssertTrue(text.contains("EXP90000001  loaded  HeaderReference \(headerReference)"), text)
        XCTAssertTrue(text.contains("document.loaded") && text.contains("erpReference=\(headerReference)"), text)
        XCTAssertTrue(text.contains("report.committed"), text)

        // The same as JSON; an edited staged file shows as changed.
        let file = try h.latestBatch().appendingPathComponent("transform/invoice-lines.csv")
        try (String(contentsOf: file, encoding: .utf8) + "\n").write(to: file, atomically: true, encoding: .utf8)
        let v = try json(try h.cli(["audit", "90000001", "--json"]))
        XCTAssertEqual((v["report"] as? [String: Any])?["state"] as? String, "committed")
        XCTAssertEqual((v["extractions"] as? [[String: Any]])?.first?["batchID"] as? String, batch)
        let files = try XCTUnwrap(v["files"] as? [[String: Any]])
        XCTAssertEqual(files.first { $0["file"] as? String == "transform/invoice-lines.csv" }?["check"] as? String, "changed")
        XCTAssertEqual(files.first { $0["file"] as? String == "transform/invoices.json" }?["sha256"] as? String, invoicesHash)
        let entries = try XCTUnwrap(v["mapEntries"] as? [[String: Any]])
        XCTAssertEqual(entries.count, 3)
        XCTAssertEqual(Set(entries.compactMap { $0["mainAccount"] as? String }), ["600100", "600110", "600130"])
        let docs = try XCTUnwrap(v["documents"] as? [[String: Any]])
        XCTAssertEqual(docs.first?["erpReference"] as? String, headerReference)
        XCTAssertEqual((v["stagedDocuments"] as? [[String: Any]])?.first?["vendor"] as? String, "EMP-0001")

        // A held report: its exception and no document.
        let held = try h.cli(["audit", "90000003"]).stdout
        XCTAssertTrue(held.contains("report.held"), held)
        XCTAssertTrue(held.contains("ERP documents:\n  none"), held)
    }
}
