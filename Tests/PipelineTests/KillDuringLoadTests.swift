import ConnectorLedger
import Foundation
import XCTest

#if canImport(Glibc)
    import Glibc
#endif

/// The fault suite's crash test: the real `ml-connector load` is killed with SIGKILL at a random moment while it
/// loads (the sandbox answers every request after a delay, so a load takes a while), then `load` is run again and
/// the batch committed. Repeated for new reports each round, in `$batch` mode and per request.
///
/// After all rounds: every invoice is held exactly once (the sandbox's duplicate-number check is off, so a double post
/// would show), its lines add up to the control totals of transform to the cent, and the ledger has nothing pending.
///
/// CI: 5 kills per mode. `ML_SOAK=1`: 100 kills per mode (`ML_SOAK_KILLS=<n>` to choose). `ML_FAULT_SEED=<n>`
/// replays the delays; the seed and each round's delay are in every failure message.
final class KillDuringLoadTests: XCTestCase {
    static var kills: Int { FaultSuite.number("ML_SOAK_KILLS", default: FaultSuite.soak ? 100 : 5) }
    /// Added to every sandbox request while `load` runs.
    static let latencyMs = 60
    /// New reports per round.
    static let reportsPerRound = 8

    func testSIGKILLDuringBatchedLoadNeverDoublesOrLosesAnInvoice() async throws {
        // Small `$batch` requests (4 invoices per request and phase) so a round holds many places to die in.
        try await killRounds(target: ["batchSize": 4], mode: "$batch")
    }

    func testSIGKILLDuringPerRequestLoadNeverDoublesOrLosesAnInvoice() async throws {
        try await killRounds(target: ["batchSize": 0], mode: "per request")
    }

    private func killRounds(target edit: [String: Any], mode: String) async throws {
        let seed = FaultSuite.seed()
        var random = FaultSuite.Random(seed: seed)
        let h = try await Harness { c in
            var t = c["target"] as! [String: Any]
            for (k, v) in edit { t[k] = v }
            c["target"] = t
        }
        defer { h.stop() }
        // A double post must be visible, not refused by D365's own duplicate check.
        _ = try await h.control("POST", "/_sandbox/d365/settings", body: ["duplicateInvoiceCheck": false])
        var trail: [String] = []
        func context() -> String { "\(mode), ML_FAULT_SEED=\(seed); rounds: \(trail.joined(separator: "; "))" }

        // Round 0 (the seed's reports) is not killed: it measures how long a load takes at this latency.
        try h.cli(["extract"])
        try h.cli(["transform"])
        _ = try await h.control("POST", "/_sandbox/latency?ms=\(Self.latencyMs)")
        let started = Date()
        try h.cli(["load"])
        let loadSeconds = Date().timeIntervalSince(started)
        _ = try await h.control("POST", "/_sandbox/latency?ms=0")
        try h.cli(["commit"])
        trail.append("0: load took \(String(format: "%.2f", loadSeconds)) s")

        var interrupted = 0
        for round in 1...Self.kills {
            try await FaultSuite.addReports(h, count: Self.reportsPerRound, firstID: 71_000_000 + round * 100)
            try h.cli(["extract"])
            try h.cli(["transform"])
            _ = try await h.control("POST", "/_sandbox/latency?ms=\(Self.latencyMs)")
            // Anywhere from the process start to a little past the measured load time.
            let delay = Double.random(in: 0...(loadSeconds * 1.1), using: &random)
            let (process, log) = try start(h, ["load"])
            try await Task.sleep(nanoseconds: UInt64(delay * 1_000_000_000))
            let wasRunning = process.isRunning
            if wasRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
            let killed = process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGKILL
            if killed { interrupted += 1 }
            trail.append(
                "\(round): kill after \(String(format: "%.3f", delay)) s \(killed ? "interrupted the load" : "came after it ended (exit \(process.terminationStatus))")"
            )
            if !killed && process.terminationStatus != 0 {
                XCTFail(
                    "the load before the kill failed on its own: \(String(decoding: (try? Data(contentsOf: log)) ?? Data(), as: UTF8.self)) — \(context())"
                )
            }
            // Requests the dead process had sent are still answered by the server after its delay: let them land
            // (an operator reruns long after a crash), then rerun load on the same batch and commit it.
            try await Task.sleep(nanoseconds: UInt64(Self.latencyMs * 3) * 1_000_000)
            let rerun = try h.cli(["load", "--json"], expect: nil)
            XCTAssertEqual(rerun.code, 0, "rerun after the kill: \(rerun.stdout) \(rerun.stderr) — \(context())")
            _ = try await h.control("POST", "/_sandbox/latency?ms=0")
            let commit = try h.cli(["commit"], expect: nil)
            XCTAssertEqual(commit.code, 0, "commit: \(commit.stderr) — \(context())")
            if rerun.code != 0 || commit.code != 0 { break }
        }

        // A last night with nothing new creates nothing.
        let last = try h.cli(["run", "--json"], expect: nil)
        XCTAssertEqual(last.code, 0, "\(last.stderr) — \(context())")
        if let summary = try? JSONSerialization.jsonObject(with: Data(last.stdout.utf8)) as? [String: Any] {
            XCTAssertEqual((summary["load"] as? [String: Any])?["created"] as? Int, 0, "\(last.stdout) — \(context())")
        }
        try await FaultSuite.assertPostedOnceAndCentExact(h, context: context())
        let documents = try FaultSuite.assertNothingPending(h, context: context())
        let stored = try await FaultSuite.stored(h)
        XCTAssertEqual(Set(stored.keys), Set(documents.keys), "every document of the ledger is in D365 and nothing else is — \(context())")
        XCTAssertEqual(documents.count, 7 + Self.kills * Self.reportsPerRound, "seed invoices plus every round's reports — \(context())")
        XCTAssertGreaterThan(interrupted, 0, "no kill landed while load was running — \(context())")
        print("KillDuringLoadTests \(mode): \(interrupted) of \(Self.kills) kills interrupted a load (\(context()))")
    }

    /// Starts the real binary with the harness's configuration and secrets; its output goes to a log file.
    private func start(_ h: Harness, _ args: [String]) throws -> (Process, URL) {
        let p = h.process(args)
        let log = h.dir.appendingPathComponent("killed-\(UUID().uuidString).log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        p.standardOutput = handle
        p.standardError = handle
        try p.run()
        return (p, log)
    }
}
