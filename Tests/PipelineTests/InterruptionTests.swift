import ConnectorCore
import ConnectorLedger
import Foundation
import XCTest

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// SIGTERM and SIGINT while a stage works (the real binary, real HTTP to the sandbox, a real ledger): the stage is
/// recorded `interrupted`, the lock is released, the exit code is the documented one, and a rerun completes with
/// nothing posted twice. `status` shows a stage as running only while its process lives.
final class InterruptionTests: XCTestCase {
    var h: Harness!

    override func tearDown() async throws {
        h?.stop()
    }

    var ledgerPath: String { h.dir.appendingPathComponent("ledger.sqlite").path }

    /// Starts the real binary without waiting for it.
    func start(_ args: [String]) throws -> (process: Process, stdout: Pipe, stderr: Pipe) { try h.start(args) }

    /// Waits for the process to end and returns its exit code and standard error.
    func finish(_ started: (process: Process, stdout: Pipe, stderr: Pipe)) -> (code: Int32, stderr: String) {
        let err = started.stderr.fileHandleForReading.readDataToEndOfFile()
        _ = started.stdout.fileHandleForReading.readDataToEndOfFile()
        started.process.waitUntilExit()
        return (started.process.terminationStatus, String(decoding: err, as: UTF8.self))
    }

    /// Requests the sandbox's D365 has begun to execute (counted after the injected latency).
    func d365Requests() async throws -> Int {
        let stats = try await h.control("GET", "/_sandbox/stats") as? [String: Any]
        return ((stats?["requests"] as? [String: Any])?["d365"] as? Int) ?? 0
    }

    func waitUntil(_ what: String, timeout: TimeInterval = 60, _ condition: () async throws -> Bool) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try await condition() { return }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        XCTFail("timed out waiting for \(what)")
        throw CancellationError()
    }

    /// InvoiceNumber → how many invoices the sandbox holds under it, their line counts and line sums.
    func d365Invoices() async throws -> [String: [(lines: Int, sum: Decimal)]] {
        let any = try await h.control("GET", "/_sandbox/d365/invoices")
        let list = (any as? [[String: Any]]) ?? ((any as? [String: Any])?["invoices"] as? [[String: Any]]) ?? []
        var out: [String: [(lines: Int, sum: Decimal)]] = [:]
        for inv in list {
            let header = (inv["header"] as? [String: Any]) ?? inv
            guard let number = header["InvoiceNumber"] as? String else { continue }
            let lines = (inv["lines"] as? [[String: Any]]) ?? []
            let sum = lines.reduce(Decimal(0)) { $0 + dec($1["NetAmount"]) }
            out[number, default: []].append((lines.count, sum))
        }
        return out
    }

    /// The documents `transform` staged for the batch: key → (line count, total).
    func staged(_ batch: URL) throws -> [String: (lines: Int, total: Decimal)] {
        let docs =
            try JSONSerialization.jsonObject(with: Data(contentsOf: batch.appendingPathComponent("transform/invoices.json"))) as? [[String: Any]]
            ?? []
        var out: [String: (lines: Int, total: Decimal)] = [:]
        for d in docs {
            out[d["key"] as? String ?? ""] = (((d["lines"] as? [Any]) ?? []).count, dec(d["total"]))
        }
        return out
    }

    /// Every staged document is in D365 exactly once, with all its lines and its exact total.
    func assertPostedOnceEach(_ expected: [String: (lines: Int, total: Decimal)], file: StaticString = #filePath, line: UInt = #line) async throws {
        let invoices = try await d365Invoices()
        XCTAssertEqual(Set(invoices.keys), Set(expected.keys), file: file, line: line)
        for (key, e) in expected {
            let found = invoices[key] ?? []
            XCTAssertEqual(found.count, 1, "\(key) is in D365 \(found.count) times", file: file, line: line)
            XCTAssertEqual(found.first?.lines, e.lines, "\(key) lines", file: file, line: line)
            XCTAssertEqual(found.first?.sum, e.total, "\(key) total", file: file, line: line)
        }
    }

    /// Extract and transform at full speed, then the load runs against a slow D365 and gets `signal` once some of its
    /// requests were executed.
    func interruptLoad(_ signal: Int32, after requests: Int, latencyMs: Int) async throws -> (batch: URL, code: Int32, stderr: String) {
        try h.cli(["extract"])
        try h.cli(["transform"])
        let batch = try h.latestBatch()
        _ = try await h.control("POST", "/_sandbox/stats/reset")
        _ = try await h.control("POST", "/_sandbox/latency?ms=\(latencyMs)")
        let load = try start(["load"])
        try await waitUntil("\(requests) D365 requests") { try await d365Requests() >= requests }
        kill(load.process.processIdentifier, signal)
        let (code, stderr) = finish(load)
        _ = try await h.control("POST", "/_sandbox/latency?ms=0")
        // Requests the connector abandoned may still be executed by the server after their latency, as a real server may
        // go on applying a request whose client left; the checks below start once they are done.
        try await Task.sleep(nanoseconds: UInt64(latencyMs + 500) * 1_000_000)
        return (batch, code, stderr)
    }

    /// What the interrupted load left in the ledger: the run `interrupted`, no lock, nothing recorded as failed, and every
    /// document recorded loaded really in D365 with all its lines.
    func assertCleanlyInterrupted(_ batch: URL, staged: [String: (lines: Int, total: Decimal)], file: StaticString = #filePath, line: UInt = #line)
        async throws
    {
        let ledger = try Ledger(path: ledgerPath)
        let runs = try ledger.stageRuns(batchID: batch.lastPathComponent)
        XCTAssertEqual(runs.last?.stage, .load, file: file, line: line)
        XCTAssertEqual(runs.last?.outcome, .interrupted, "\(runs)", file: file, line: line)
        XCTAssertNotNil(runs.last?.finishedAt, file: file, line: line)
        XCTAssertNil(LedgerLock.currentHolder(ledgerPath: ledgerPath), "the lock is released", file: file, line: line)
        let documents = try ledger.documents(batchID: batch.lastPathComponent)
        XCTAssertFalse(
            documents.contains { $0.state == .failed }, "a cancelled request is not a failure: \(documents.map { "\($0.key) \($0.state)" })",
            file: file, line: line)
        let invoices = try await d365Invoices()
        for d in documents where d.state == .loaded {
            XCTAssertEqual(invoices[d.key]?.count, 1, "\(d.key) loaded once", file: file, line: line)
            XCTAssertEqual(invoices[d.key]?.first?.lines, staged[d.key]?.lines, "\(d.key) complete", file: file, line: line)
        }
        for id in Set(documents.map(\.reportID)) {
            XCTAssertNotEqual(try ledger.report(id)?.state, .failed, id, file: file, line: line)
        }
        XCTAssertTrue(try ledger.auditEvents(batchID: batch.lastPathComponent).contains { $0.event == "stage.interrupted" }, file: file, line: line)
        // status says so, and no run holds the ledger.
        let status =
            try JSONSerialization.jsonObject(with: Data(try h.cli(["status", "--json", "--batch", batch.lastPathComponent]).stdout.utf8))
            as? [String: Any]
        XCTAssertEqual(status?["ledgerHeld"] as? Bool, false, file: file, line: line)
        let statusRuns = ((status?["batch"] as? [String: Any])?["stageRuns"] as? [[String: Any]]) ?? []
        XCTAssertEqual(statusRuns.last?["status"] as? String, "interrupted", file: file, line: line)
    }

    func testSIGTERMDuringASlowBatchedLoadIsRecordedInterruptedAndTheNextRunCompletesWithNothingDoubled() async throws {
        h = try await Harness()
        // $batch (default): the lookup, the headers, then the lines; the signal comes while the writes are under way.
        let (batch, code, stderr) = try await interruptLoad(SIGTERM, after: 2, latencyMs: 1500)
        XCTAssertEqual(code, 143, stderr)
        XCTAssertTrue(stderr.contains("interrupted by SIGTERM"), stderr)
        let expected = try staged(batch)
        XCTAssertEqual(expected.count, 7)
        try await assertCleanlyInterrupted(batch, staged: expected)

        // The nightly run (a new batch) finds what the interrupted one left, completes it and posts each invoice once.
        let rerun = try JSONSerialization.jsonObject(with: Data(try h.cli(["run", "--json"]).stdout.utf8)) as? [String: Any]
        XCTAssertEqual((rerun?["load"] as? [String: Any])?["failed"] as? Int, 0, "\(rerun ?? [:])")
        try await assertPostedOnceEach(expected)
        let ledger = try Ledger(path: ledgerPath)
        for key in expected.keys {
            let document = try XCTUnwrap(try ledger.document(key))
            XCTAssertEqual(document.state, .loaded, key)
            XCTAssertEqual(try ledger.report(document.reportID)?.state, .committed, key)
        }
    }

    func testSIGINTDuringASlowPerRequestLoadIsRecordedInterruptedAndARerunOfTheStageCompletesIt() async throws {
        h = try await Harness { c in
            var t = c["target"] as! [String: Any]
            t["batchSize"] = 0  // one request per header and line: many requests, interrupted in the middle
            c["target"] = t
        }
        let (batch, code, stderr) = try await interruptLoad(SIGINT, after: 8, latencyMs: 400)
        XCTAssertEqual(code, 130, stderr)
        XCTAssertTrue(stderr.contains("interrupted by SIGINT"), stderr)
        let expected = try staged(batch)
        try await assertCleanlyInterrupted(batch, staged: expected)
        let partial = try await d365Invoices()
        XCTAssertLessThan(
            partial.values.reduce(0) { $0 + $1.reduce(0) { $0 + $1.lines } }, expected.values.reduce(0) { $0 + $1.lines },
            "interrupted before every line was written")

        // The same load again, for the same batch: what was in flight is looked up, the rest is written once.
        try h.cli(["load", "--batch", batch.lastPathComponent])
        try h.cli(["commit", "--batch", batch.lastPathComponent])
        try await assertPostedOnceEach(expected)
        let ledger = try Ledger(path: ledgerPath)
        XCTAssertEqual(try ledger.report("90000001")?.state, .committed)
        XCTAssertEqual(
            try ledger.stageRuns(batchID: batch.lastPathComponent).map(\.outcome), [.succeeded, .succeeded, .interrupted, .succeeded, .succeeded])
    }

    func testStatusShowsRunningOnlyWhileTheProcessLivesAndASecondSignalExitsAtOnce() async throws {
        h = try await Harness()
        try h.cli(["extract"])
        try h.cli(["transform"])
        try h.cli(["load"])
        let batch = try h.latestBatch().lastPathComponent
        // commit lets its label request finish on the first signal (a label applied but not recorded would be lost);
        // the request takes 6 s here, so the second signal comes while the first is still being honoured.
        _ = try await h.control("POST", "/_sandbox/latency?ms=6000")
        let commit = try start(["commit"])
        let ledger = try Ledger(path: ledgerPath)
        try await waitUntil("the commit stage to start") { try ledger.stageRuns(batchID: batch).contains { $0.stage == .commit } }
        try await Task.sleep(nanoseconds: 300_000_000)

        let live = try JSONSerialization.jsonObject(with: Data(try h.cli(["status", "--json"]).stdout.utf8)) as? [String: Any]
        XCTAssertEqual(live?["ledgerHeld"] as? Bool, true)
        XCTAssertEqual((live?["runInProgress"] as? [String: Any])?["pid"] as? Int, Int(commit.process.processIdentifier))
        XCTAssertEqual((live?["runInProgress"] as? [String: Any])?["command"] as? String, "commit")
        let liveRuns = ((live?["batch"] as? [String: Any])?["stageRuns"] as? [[String: Any]]) ?? []
        XCTAssertEqual(liveRuns.last?["status"] as? String, "running", "\(liveRuns)")
        XCTAssertTrue(try h.cli(["status"]).stdout.contains("Ledger held by a running commit (pid \(commit.process.processIdentifier)"))

        let first = Date()
        kill(commit.process.processIdentifier, SIGTERM)
        try await Task.sleep(nanoseconds: 300_000_000)
        kill(commit.process.processIdentifier, SIGTERM)
        let (code, stderr) = finish(commit)
        XCTAssertEqual(code, 143, stderr)
        XCTAssertTrue(stderr.contains("SIGTERM again: exiting at once"), stderr)
        XCTAssertLessThan(Date().timeIntervalSince(first), 3.0, "the second signal did not wait for the label request")

        // The process is gone without recording the end: status shows it, and the lock is free.
        XCTAssertEqual(try ledger.stageRuns(batchID: batch).last?.outcome, .running)
        XCTAssertNil(LedgerLock.currentHolder(ledgerPath: ledgerPath))
        let gone = try JSONSerialization.jsonObject(with: Data(try h.cli(["status", "--json"]).stdout.utf8)) as? [String: Any]
        XCTAssertEqual(gone?["ledgerHeld"] as? Bool, false)
        XCTAssertTrue(gone?["runInProgress"] is NSNull, "present, null: \(gone ?? [:])")
        let goneRuns = ((gone?["batch"] as? [String: Any])?["stageRuns"] as? [[String: Any]]) ?? []
        XCTAssertEqual(goneRuns.last?["status"] as? String, "interrupted (process gone)")
        XCTAssertEqual(goneRuns.last?["outcome"] as? String, "running")
        XCTAssertTrue(try h.cli(["status"]).stdout.contains("interrupted (process gone)"))

        // The next stage to take the lock records it, and commit can be repeated: labels are idempotent.
        _ = try await h.control("POST", "/_sandbox/latency?ms=0")
        let again = try h.cli(["commit", "--batch", batch])
        XCTAssertTrue(again.stderr.contains("recorded as interrupted"), again.stderr)
        let runs = try ledger.stageRuns(batchID: batch)
        XCTAssertEqual(runs.map(\.outcome), [.succeeded, .succeeded, .succeeded, .interrupted, .succeeded])
        XCTAssertTrue(runs[3].error?.contains("pid \(commit.process.processIdentifier)") ?? false, runs[3].error ?? "")
        XCTAssertEqual(try ledger.report("90000001")?.state, .committed)
    }
}
