import ConnectorCore
import Foundation
import GRDB
import XCTest

@testable import ConnectorLedger

/// The v3 migrations keep what an older ledger holds: stage runs (ids, outcomes, hashes) and batches.
final class LedgerMigrationTests: XCTestCase {
    var dir: URL!
    override func setUp() {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("mig-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }
    override func tearDown() { try? FileManager.default.removeItem(at: dir) }

    func testALedgerFromBeforeV3KeepsItsStageRunsAndGainsInterruptedAndReplayLinks() throws {
        let path = dir.appendingPathComponent("ledger.sqlite").path
        do {
            // A ledger as the previous release left it: migrated up to v2 only, with two stage runs.
            let old = try DatabaseQueue(path: path)
            try Ledger.migrator.migrate(old, upTo: "v2-target-capabilities")
            try old.write { db in
                try db.execute(
                    sql:
                        "INSERT INTO batch (id, created_at, target, approved_after, export_label) VALUES ('20261101-000000', '2026-11-01T00:00:00Z', 'd365fo', '2026-10-31', 'ml-connector')"
                )
                try db.execute(
                    sql: """
                        INSERT INTO stage_run (id, batch_id, stage, started_at, finished_at, outcome, counts, files, error) VALUES
                        (7, '20261101-000000', 'extract', '2026-11-01T00:00:01Z', '2026-11-01T00:00:02Z', 'succeeded', '{"reports":3}', '{"export.json":"abc"}', NULL),
                        (8, '20261101-000000', 'transform', '2026-11-01T00:00:03Z', NULL, 'running', '{}', '{}', NULL)
                        """)
                XCTAssertThrowsError(try db.execute(sql: "UPDATE stage_run SET outcome = 'interrupted' WHERE id = 8"), "v2 refuses the new outcome")
            }
        }
        let ledger = try Ledger(path: path)
        let runs = try ledger.stageRuns(batchID: "20261101-000000")
        XCTAssertEqual(runs.map(\.id), [7, 8])
        XCTAssertEqual(runs.map(\.outcome), [.succeeded, .running])
        XCTAssertEqual(runs[0].counts, ["reports": 3])
        XCTAssertEqual(runs[0].files, ["export.json": "abc"])
        XCTAssertNil(try ledger.batch("20261101-000000")?.replayOf)

        // The run left `running` is closed as interrupted; new ids continue after the old ones.
        let audit = AuditContext(actor: "test", batchID: nil, stage: nil)
        let closed = try ledger.closeAbandonedStageRuns(reason: "process gone", audit: audit)
        XCTAssertEqual(closed.map(\.id), [8])
        XCTAssertEqual(try ledger.stageRuns(batchID: "20261101-000000").last?.outcome, .interrupted)
        XCTAssertEqual(try ledger.stageRuns(batchID: "20261101-000000").last?.error, "process gone")
        XCTAssertTrue(try ledger.auditEvents(batchID: "20261101-000000").contains { $0.event == "stage.interrupted" && $0.stage == "transform" })
        let next = try ledger.startStage(batchID: "20261101-000000", stage: .transform, audit: audit)
        XCTAssertEqual(next, 9)
        try ledger.finishStage(runID: next, outcome: .interrupted, counts: [:], files: [:], error: "SIGTERM", audit: audit)
        XCTAssertEqual(try ledger.stageRuns(batchID: "20261101-000000").last?.outcome, .interrupted)
        XCTAssertTrue(try ledger.closeAbandonedStageRuns(reason: "again", audit: audit).isEmpty)

        // A replay batch names its source.
        try ledger.createBatch(
            id: "20261102-000000", target: "d365fo", approvedAfter: nil, exportLabel: "ml-connector", replayOf: "20261101-000000", audit: audit)
        XCTAssertEqual(try ledger.batch("20261102-000000")?.replayOf, "20261101-000000")
        XCTAssertEqual(try ledger.replays(of: "20261101-000000").map(\.id), ["20261102-000000"])
    }
}
