import ConnectorCore
import ConnectorLedger
import Foundation
import XCTest

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `ml-connector schedule` as a process against the sandbox, a real ledger and real signals: runs at each tick without
/// overlap, one summary line per run, SIGTERM idle and during a run, a failing run retried at the next tick, a ledger
/// held by another run; and the progress line, which reaches a terminal but never a pipe.
final class ScheduleTests: XCTestCase {
    var h: Harness!

    override func tearDown() async throws {
        h?.stop()
    }

    var ledgerPath: String { h.dir.appendingPathComponent("ledger.sqlite").path }

    /// Standard error of a running process, read as it comes.
    final class Output: @unchecked Sendable {
        private let lock = NSLock()
        private var data = Data()
        private let handle: FileHandle

        init(_ pipe: Pipe) {
            handle = pipe.fileHandleForReading
            handle.readabilityHandler = { [weak self] h in
                let chunk = h.availableData
                guard let self, !chunk.isEmpty else { return }
                self.lock.lock()
                self.data.append(chunk)
                self.lock.unlock()
            }
        }

        /// Everything after the process ended.
        func close() -> String {
            handle.readabilityHandler = nil
            let rest = handle.readDataToEndOfFile()
            lock.lock()
            data.append(rest)
            lock.unlock()
            return text
        }

        var text: String {
            lock.lock()
            defer { lock.unlock() }
            return String(decoding: data, as: UTF8.self)
        }

        /// The summary lines so far.
        var summaries: [String] { text.split(separator: "\n").map(String.init).filter { $0.contains("scheduled run finished") } }
    }

    func waitUntil(_ what: String, timeout: TimeInterval = 120, _ condition: () async throws -> Bool) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try await condition() { return }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        XCTFail("timed out waiting for \(what)")
        throw CancellationError()
    }

    /// Waits for the process to end (at most `timeout` seconds) and returns its exit code.
    func exitCode(_ p: Process, timeout: TimeInterval = 60) async throws -> Int32 {
        try await waitUntil("the process to exit", timeout: timeout) { !p.isRunning }
        p.waitUntilExit()
        return p.terminationStatus
    }

    /// `key=value` of a summary line's metadata.
    func field(_ line: String, _ key: String) -> String? {
        guard let r = line.range(of: " \(key)=") else { return nil }
        return String(line[r.upperBound...].prefix { $0 != " " })
    }

    static func date(_ text: String) -> Date {
        (try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
            ?? (try? Date(text, strategy: Date.ISO8601FormatStyle())) ?? .distantPast
    }

    /// Every batch in the ledger, oldest first, with its stage runs.
    func batches() throws -> [(id: String, runs: [StageRunRecord])] {
        let ledger = try Ledger(path: ledgerPath)
        return try ledger.batches(limit: 100).map(\.id).sorted().map { ($0, try ledger.stageRuns(batchID: $0)) }
    }

    /// A pseudo-terminal: its controlling side and the terminal a child writes to.
    static func pseudoTerminal() throws -> (master: Int32, slave: Int32) {
        #if os(Linux)
            // posix_openpt and friends are not in the Glibc module: /dev/ptmx, unlocked and numbered by ioctl.
            let master = open("/dev/ptmx", O_RDWR | O_NOCTTY)
            var unlock: Int32 = 0
            var number: UInt32 = 0
            let lockRequest: UInt = 0x4004_5431  // TIOCSPTLCK
            let numberRequest: UInt = 0x8004_5430  // TIOCGPTN
            guard master >= 0, ioctl(master, lockRequest, &unlock) == 0, ioctl(master, numberRequest, &number) == 0 else {
                throw XCTSkip("no pseudo-terminal on this machine")
            }
            let name = "/dev/pts/\(number)"
        #else
            let master = posix_openpt(O_RDWR | O_NOCTTY)
            guard master >= 0, grantpt(master) == 0, unlockpt(master) == 0, let p = ptsname(master) else {
                throw XCTSkip("no pseudo-terminal on this machine")
            }
            let name = String(cString: p)
        #endif
        let slave = open(name, O_RDWR | O_NOCTTY)
        guard slave >= 0 else { throw XCTSkip("cannot open \(name)") }
        return (master, slave)
    }

    func testRunsAtEachTickOneAfterTheOtherWithOneSummaryLineEach() async throws {
        h = try await Harness()
        let r = try h.cli(["schedule", "--every", "2s", "--max-runs", "2"])
        let lines = r.stderr.split(separator: "\n").map(String.init).filter { $0.contains("scheduled run finished") }
        XCTAssertEqual(lines.count, 2, r.stderr)
        XCTAssertEqual(r.stdout, "", "the summaries are log lines; stdout only with --json")

        // Two batches, each run through all four stages; the second's extract began after the first's commit ended, and
        // at its tick (two seconds after the first run's), not before.
        let all = try batches()
        XCTAssertEqual(all.count, 2, "\(all.map(\.id))")
        for b in all {
            XCTAssertEqual(b.runs.map(\.stage), [.extract, .transform, .load, .commit], b.id)
            XCTAssertEqual(Set(b.runs.map(\.outcome)), [.succeeded], b.id)
        }
        let firstCommitEnd = Self.date(try XCTUnwrap(all[0].runs.last?.finishedAt))
        let secondStart = Self.date(all[1].runs[0].startedAt)
        XCTAssertGreaterThanOrEqual(secondStart, firstCommitEnd, "the runs overlapped")
        XCTAssertGreaterThanOrEqual(
            secondStart.timeIntervalSince(Self.date(all[0].runs[0].startedAt)), 1.9, "the second run did not wait for its tick")

        // One summary line per run, naming its batch and what it did, as the ledger recorded it.
        let ledger = try Ledger(path: ledgerPath)
        for (line, b) in zip(lines, all) {
            XCTAssertEqual(field(line, "batch.id"), b.id, line)
            XCTAssertEqual(field(line, "run.outcome"), "succeeded", line)
            let loaded = try ledger.documents(batchID: b.id).filter { $0.state == .loaded }.count
            XCTAssertEqual(field(line, "documents.created"), String(b.runs[2].counts["created"] ?? 0), line)
            XCTAssertLessThanOrEqual(Int(field(line, "documents.created") ?? "") ?? -1, loaded, line)
            XCTAssertEqual(field(line, "documents.failed"), "0", line)
            XCTAssertEqual(field(line, "reports.held"), String(b.runs[1].counts["held"] ?? -1), line)
            XCTAssertNotNil(field(line, "run.seconds").flatMap(Double.init), line)
        }
        XCTAssertGreaterThan(Int(field(lines[0], "documents.created") ?? "") ?? 0, 0, "the first run posted the sandbox's reports")
        XCTAssertEqual(field(lines[1], "documents.created"), "0", "nothing is posted twice")
        // The first line names the second run's time (to the second), and the second run started then.
        let announced = Self.date(try XCTUnwrap(field(lines[0], "schedule.next_run")))
        XCTAssertGreaterThanOrEqual(secondStart, announced)
        XCTAssertLessThan(secondStart.timeIntervalSince(announced), 30)
        XCTAssertEqual(field(lines[1], "schedule.next_run"), "-", "the last run (--max-runs) has no next")
        XCTAssertNil(LedgerLock.currentHolder(ledgerPath: ledgerPath), "released after each run")
        // Not a terminal: no progress line in the log.
        XCTAssertFalse(r.stderr.contains("\u{1B}[K") || r.stderr.contains("ETA") || r.stderr.contains("\r"), r.stderr)
    }

    func testTicksThatComeWhileARunIsGoingAreSkippedNotRunAlongside() async throws {
        h = try await Harness()
        // Every request takes 200 ms, so a run takes longer than the 1 s interval.
        _ = try await h.control("POST", "/_sandbox/latency?ms=200")
        let r = try h.cli(["schedule", "--every", "1s", "--max-runs", "2"])
        _ = try await h.control("POST", "/_sandbox/latency?ms=0")
        let lines = r.stderr.split(separator: "\n").map(String.init).filter { $0.contains("scheduled run finished") }
        XCTAssertEqual(lines.count, 2, r.stderr)
        let seconds = try XCTUnwrap(Double(field(lines[0], "run.seconds") ?? ""))
        XCTAssertGreaterThan(seconds, 1, lines[0])
        // The ticks that came during the first run were skipped and counted; the second run came at the next one.
        let skipped = try XCTUnwrap(Int(field(lines[0], "schedule.ticks_skipped") ?? ""), lines[0])
        XCTAssertGreaterThanOrEqual(skipped, Int(seconds) - 1, lines[0])
        let all = try batches()
        XCTAssertEqual(all.count, 2)
        let firstEnd = Self.date(try XCTUnwrap(all[0].runs.last?.finishedAt))
        let secondStart = Self.date(all[1].runs[0].startedAt)
        XCTAssertGreaterThanOrEqual(secondStart, firstEnd, "the runs overlapped")
        // On the tick grid (whole seconds after the first run's start), not right after the first run ended.
        let offset = secondStart.timeIntervalSince(Self.date(all[0].runs[0].startedAt))
        XCTAssertGreaterThanOrEqual(offset, Double(skipped + 1) - 0.5, "second run at +\(offset) s, \(skipped) tick(s) skipped")
    }

    func testSIGTERMWhileIdleExitsZeroAtOnceAndTheLedgerIsFree() async throws {
        h = try await Harness()
        let (p, out, err) = try h.start(["schedule", "--every", "1h", "--json"])
        let stderr = Output(err)
        try await waitUntil("the first run's summary") { stderr.summaries.count == 1 }
        try await Task.sleep(nanoseconds: 200_000_000)
        let sent = Date()
        kill(p.processIdentifier, SIGTERM)
        let code = try await exitCode(p, timeout: 10)
        let text = stderr.close()
        XCTAssertEqual(code, 0, text)
        XCTAssertLessThan(Date().timeIntervalSince(sent), 3, "an idle schedule stops at once")
        XCTAssertTrue(text.contains("schedule stopped") && text.contains("signal=SIGTERM"), text)
        XCTAssertEqual(stderr.summaries.count, 1, text)
        // --json: one object per run on stdout.
        let json = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let objects = json.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        XCTAssertEqual(objects.count, 1, json)
        XCTAssertEqual(objects.first?["outcome"] as? String, "succeeded")
        XCTAssertEqual(objects.first?["batch"] as? String, try batches().last?.id)
        // Nothing holds the ledger: a run works at once.
        XCTAssertNil(LedgerLock.currentHolder(ledgerPath: ledgerPath))
        try h.cli(["run"])
    }

    func testSIGTERMDuringARunStopsBetweenDocumentsRecordsTheStageInterruptedAndExits143() async throws {
        h = try await Harness { c in
            var t = c["target"] as! [String: Any]
            t["batchSize"] = 0  // one request per header and line: the load is many requests, stopped in the middle
            c["target"] = t
        }
        _ = try await h.control("POST", "/_sandbox/expensify/generate?reports=60&expenses=2")
        let (p, _, err) = try h.start(["schedule", "--every", "1h"])
        let stderr = Output(err)
        try await waitUntil("the load stage") { stderr.text.contains("stage=load") && stderr.text.contains("stage started") }
        _ = try await h.control("POST", "/_sandbox/latency?ms=100")
        try await Task.sleep(nanoseconds: 500_000_000)
        kill(p.processIdentifier, SIGTERM)
        let code = try await exitCode(p)
        let text = stderr.close()
        _ = try await h.control("POST", "/_sandbox/latency?ms=0")
        XCTAssertEqual(code, 143, text)
        XCTAssertTrue(text.contains("interrupted by SIGTERM"), text)
        XCTAssertEqual(stderr.summaries.count, 1, text)
        XCTAssertEqual(field(stderr.summaries[0], "run.outcome"), "interrupted", text)

        // Clean: the load recorded interrupted (with its end), nothing failed, the lock free, status and run work at once.
        let batch = try XCTUnwrap(try batches().last)
        XCTAssertEqual(batch.runs.map(\.stage), [.extract, .transform, .load])
        XCTAssertEqual(batch.runs.last?.outcome, .interrupted)
        XCTAssertNotNil(batch.runs.last?.finishedAt)
        XCTAssertNil(LedgerLock.currentHolder(ledgerPath: ledgerPath))
        let ledger = try Ledger(path: ledgerPath)
        let documents = try ledger.documents(batchID: batch.id)
        XCTAssertFalse(documents.contains { $0.state == .failed }, "a stopped request is not a failure")
        XCTAssertLessThan(
            documents.filter { $0.state == .loaded }.count, batch.runs[1].counts["documents"] ?? 0, "stopped before every document was loaded")
        let status = try JSONSerialization.jsonObject(with: Data(try h.cli(["status", "--json"]).stdout.utf8)) as? [String: Any]
        XCTAssertEqual(status?["ledgerHeld"] as? Bool, false)
        let rerun = try JSONSerialization.jsonObject(with: Data(try h.cli(["run", "--json"]).stdout.utf8)) as? [String: Any]
        XCTAssertEqual((rerun?["load"] as? [String: Any])?["failed"] as? Int, 0)
        for d in try ledger.documents(batchID: batch.id) {
            XCTAssertEqual(try ledger.document(d.key)?.state, .loaded, d.key)
        }
    }

    func testAFailingRunIsLoggedAndRetriedAtTheNextTickNotAtOnce() async throws {
        h = try await Harness()
        // The first export job fails with Expensify's responseCode 500 (not retried by the client): the run fails.
        _ = try await h.control("POST", "/_sandbox/expensify/faults", body: ["count": 1, "httpStatus": 200, "responseCode": 500])
        let r = try h.cli(["schedule", "--every", "3s", "--max-runs", "2"])
        let lines = r.stderr.split(separator: "\n").map(String.init).filter { $0.contains("scheduled run finished") }
        XCTAssertEqual(lines.count, 2, r.stderr)
        XCTAssertEqual(field(lines[0], "run.outcome"), "failed", lines[0])
        XCTAssertEqual(field(lines[0], "error.code"), "expensify.500", lines[0])
        XCTAssertEqual(field(lines[1], "run.outcome"), "succeeded", lines[1])
        let all = try batches()
        XCTAssertEqual(all.count, 2)
        XCTAssertEqual(all[0].runs.map(\.outcome), [.failed])
        XCTAssertEqual(field(lines[0], "batch.id"), all[0].id)
        XCTAssertEqual(all[1].runs.map(\.outcome), [.succeeded, .succeeded, .succeeded, .succeeded])
        // Retried at the next tick (3 s after the first), not at once.
        let gap = Self.date(all[1].runs[0].startedAt).timeIntervalSince(Self.date(all[0].runs[0].startedAt))
        XCTAssertGreaterThanOrEqual(gap, 2.9, "retried after \(gap) s")
    }

    func testALedgerHeldByAnotherRunMakesTheTickLockedAndTheNextTickRuns() async throws {
        h = try await Harness()
        // Another process's run (here this test's) holds the ledger when the first tick comes.
        let held = try LedgerLock.acquire(ledgerPath: ledgerPath, command: "run")
        let (p, _, err) = try h.start(["schedule", "--every", "2s", "--max-runs", "2"])
        let stderr = Output(err)
        try await waitUntil("the first run's summary") { stderr.summaries.count == 1 }
        held.release()
        let code = try await exitCode(p)
        let text = stderr.close()
        XCTAssertEqual(code, 0, text)
        let lines = stderr.summaries
        XCTAssertEqual(lines.count, 2, text)
        XCTAssertEqual(field(lines[0], "run.outcome"), "locked", lines[0])
        XCTAssertEqual(field(lines[0], "error.code"), "ledger.locked", lines[0])
        XCTAssertTrue(lines[0].contains("pid \(getpid())"), lines[0])
        XCTAssertEqual(field(lines[1], "run.outcome"), "succeeded", lines[1])
        XCTAssertEqual(try batches().count, 1, "the locked tick did nothing")
    }

    func testABadScheduleIsAConfigurationError() async throws {
        h = try await Harness { c in c["schedule"] = ["cron": "61 2 * * *", "timeZone": "Europe/Berlin"] }
        let check = try h.cli(["check-config"], expect: 2)
        XCTAssertTrue(check.stdout.contains("schedule.cron '61 2 * * *': minute field '61': 61 is out of range 0-59"), check.stdout)
        let refused = try h.cli(["schedule"], expect: 2)
        XCTAssertTrue(refused.stderr.contains("minute field '61'"), refused.stderr)
        // The command line replaces the configured schedule: a bad one of its own is named as such.
        let flag = try h.cli(["schedule", "--every", "15"], expect: 2)
        XCTAssertTrue(flag.stderr.contains("--every '15' is not an interval"), flag.stderr)
        XCTAssertEqual(try batches().count, 0, "nothing ran")

        // A good one is named in check-config's settings.
        let good = try await Harness { c in c["schedule"] = ["cron": "15 2 * * 1-5", "timeZone": "Europe/Berlin"] }
        defer { good.stop() }
        let report = try JSONSerialization.jsonObject(with: Data(try good.cli(["check-config", "--json"]).stdout.utf8)) as? [String: Any]
        XCTAssertEqual((report?["settings"] as? [String: Any])?["schedule"] as? String, "cron '15 2 * * 1-5' (Europe/Berlin)")

        let none = try await Harness()
        defer { none.stop() }
        let missing = try none.cli(["schedule", "--max-runs", "1"], expect: 2)
        XCTAssertTrue(missing.stderr.contains("no schedule"), missing.stderr)
    }

    func testTheProgressLineReachesATerminalButNeverAPipe() async throws {
        h = try await Harness()
        _ = try await h.control("POST", "/_sandbox/expensify/generate?reports=40&expenses=2")
        // A pipe (as a log file, journald or cron's mail would be): none of it.
        let piped = try h.cli(["extract"])
        XCTAssertFalse(piped.stderr.contains("\u{1B}[K") || piped.stderr.contains("ETA") || piped.stderr.contains("\r"), piped.stderr)

        // A terminal: standard error on a pseudo-terminal shows the transform's progress, redrawn in place.
        let (master, slave) = try Self.pseudoTerminal()
        let p = h.process(["transform"], env: ["TERM": "xterm"])
        p.standardError = FileHandle(fileDescriptor: slave, closeOnDealloc: false)
        p.standardOutput = Pipe()
        try p.run()
        close(slave)
        let reader = Task.detached { () -> String in
            var data = Data()
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = read(master, &buffer, buffer.count)
                if n <= 0 { break }  // EIO once the child closed the terminal
                data.append(contentsOf: buffer[0..<n])
            }
            return String(decoding: data, as: UTF8.self)
        }
        let code = try await exitCode(p)
        let terminal = await reader.value
        close(master)
        XCTAssertEqual(code, 0, terminal)
        XCTAssertTrue(terminal.contains("\rtransform  0/"), terminal)
        XCTAssertTrue(terminal.contains(" reports  "), terminal)
        XCTAssertTrue(terminal.contains("\u{1B}[K"), "cleared to the end of the line: \(terminal)")
        // Erased when the stage ends: the last progress text is followed by the clearing, not left behind.
        let lastDraw = try XCTUnwrap(terminal.range(of: "\rtransform  ", options: .backwards))
        XCTAssertTrue(terminal[lastDraw.upperBound...].contains("\r\u{1B}[K"), terminal)

        // --quiet on the same terminal: none of it.
        let (m2, s2) = try Self.pseudoTerminal()
        let q = h.process(["transform", "--quiet"], env: ["TERM": "xterm"])
        q.standardError = FileHandle(fileDescriptor: s2, closeOnDealloc: false)
        q.standardOutput = Pipe()
        try q.run()
        close(s2)
        let quietReader = Task.detached { () -> String in
            var data = Data()
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = read(m2, &buffer, buffer.count)
                if n <= 0 { break }
                data.append(contentsOf: buffer[0..<n])
            }
            return String(decoding: data, as: UTF8.self)
        }
        _ = try await exitCode(q)
        let quiet = await quietReader.value
        close(m2)
        XCTAssertFalse(quiet.contains("\u{1B}[K") || quiet.contains("reports  "), quiet)
    }
}
