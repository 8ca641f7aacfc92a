import ConnectorLedger
import Foundation
import XCTest

/// One run at a time per ledger, across processes.
final class RunLockTests: XCTestCase {
    func testTwoConcurrentRunsExactlyOneProceedsAndNothingIsPostedTwice() async throws {
        let h = try await Harness()
        defer { h.stop() }
        _ = try await h.control("POST", "/_sandbox/latency?ms=150")
        let first = try h.start(["run"])
        // The second starts while the first is certainly still working (each request waits 150 ms).
        try await Task.sleep(nanoseconds: 700_000_000)
        let second = try h.cli(["run"], expect: 4)
        XCTAssertTrue(second.stderr.contains("another run (pid \(first.0.processIdentifier)"), second.stderr)
        XCTAssertTrue(second.stderr.contains("holds the ledger"), second.stderr)
        let errData = first.2.fileHandleForReading.readDataToEndOfFile()
        first.0.waitUntilExit()
        XCTAssertEqual(first.0.terminationStatus, 0, String(decoding: errData, as: UTF8.self))
        _ = try await h.control("POST", "/_sandbox/latency?ms=0")
        // After the first finished, the ledger is free again and a rerun creates nothing.
        let again = try h.cli(["run", "--json"])
        let summary = try JSONSerialization.jsonObject(with: Data(again.stdout.utf8)) as? [String: Any]
        XCTAssertEqual((summary?["load"] as? [String: Any])?["created"] as? Int, 0)
    }

    func testALockLeftByADeadProcessIsTakenOverWithALogLine() async throws {
        let h = try await Harness()
        defer { h.stop() }
        let ledger = h.dir.appendingPathComponent("ledger.sqlite").path
        let stale = #"{"pid":999999,"command":"load","batch":"20261101-000000","since":"2026-11-01T00:00:00Z"}"#
        try Data(stale.utf8).write(to: URL(fileURLWithPath: LedgerLock.path(forLedger: ledger)))
        let r = try h.cli(["extract"])
        XCTAssertTrue(r.stderr.contains("taking over the ledger lock"), r.stderr)
        XCTAssertTrue(r.stderr.contains("999999"), r.stderr)
        XCTAssertNil(LedgerLock.currentHolder(ledgerPath: ledger), "released at exit")
        let clean = try h.cli(["transform"])
        XCTAssertFalse(clean.stderr.contains("taking over"), "a clean exit clears the holder: \(clean.stderr)")
    }

    func testStatusNeedsNoLock() async throws {
        let h = try await Harness()
        defer { h.stop() }
        let ledger = h.dir.appendingPathComponent("ledger.sqlite").path
        let held = try LedgerLock.acquire(ledgerPath: ledger, command: "test")
        defer { held.release() }
        try h.cli(["status"])
        let refused = try h.cli(["extract"], expect: 4)
        XCTAssertTrue(refused.stderr.contains("pid \(getpid())"), refused.stderr)
    }
}
