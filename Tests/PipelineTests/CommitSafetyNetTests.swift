import ConnectorLedger
import Foundation
import XCTest

/// A label Expensify applied but the ledger never recorded (the process died between the two) must not leave the
/// report `loaded` forever: Expensify no longer returns a labelled report, so only commit's safety net catches it.
final class CommitSafetyNetTests: XCTestCase {
    func testAReportLabelledButNeverRecordedIsCommittedByTheNextRun() async throws {
        let h = try await Harness()
        defer { h.stop() }
        try h.cli(["extract"])
        try h.cli(["transform"])
        try h.cli(["load"])
        // The label reached Expensify, the ledger never heard of it.
        let seed = try await h.control("GET", "/_sandbox/expensify/reports?format=seed")
        var reports = (seed as? [[String: Any]]) ?? ((seed as? [String: Any])?["reports"] as? [[String: Any]]) ?? []
        let i = try XCTUnwrap(reports.firstIndex { $0["reportID"] as? String == "90000001" })
        reports[i]["labels"] = ["ml-connector"]
        _ = try await h.control("POST", "/_sandbox/expensify/reports", body: [reports[i]])
        let ledgerPath = h.dir.appendingPathComponent("ledger.sqlite").path
        XCTAssertEqual(try Ledger(path: ledgerPath).report("90000001")?.state, .loaded)

        try h.cli(["run"])
        let ledger = try Ledger(path: ledgerPath)
        XCTAssertEqual(try ledger.report("90000001")?.state, .committed)
        XCTAssertEqual(try ledger.reports(in: [.loaded]).map(\.reportID), [], "nothing is left posted but unlabelled")
        let events = try ledger.auditEvents(entityID: "90000001").map(\.event)
        XCTAssertTrue(events.contains("report.committed"), "\(events)")
    }
}
