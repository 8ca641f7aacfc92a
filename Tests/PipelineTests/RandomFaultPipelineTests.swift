import ConnectorCore
import ConnectorHTTP
import ConnectorLedger
import Foundation
import Logging
import Pipeline
import XCTest

/// The fault suite's storm: 30% of D365 requests answer 429, 500 or 503, or are applied and then answered with a
/// closed connection, and 30% of Expensify jobs answer 500 or 503 (random modes of the sandbox, deterministic by
/// seed). Nightly runs go on until every report that can post has posted; the result must equal a night without
/// faults, nothing doubled, with every failed attempt in the ledger's audit trail.
///
/// The pipeline runs in this process (real HTTP over loopback, real SQLite) with short retry waits, so a storm costs
/// seconds; the retry rules themselves are the production ones. `ML_SOAK=1` runs more nights with more reports;
/// `ML_FAULT_SEED=<n>` replays one.
final class RandomFaultPipelineTests: XCTestCase {
    static let retry = RetryPolicy(maxAttempts: 6, baseDelay: 0.02, maxDelay: 0.2, jitter: 0.2)

    func testThirtyPercentFaultsBatched() async throws {
        try await storm(target: ["batchSize": 4], mode: "$batch (4 invoices per request)")
    }

    func testThirtyPercentFaultsPerRequest() async throws {
        try await storm(target: ["batchSize": 0], mode: "per request")
    }

    private func context(_ h: Harness) throws -> PipelineContext {
        var env = ProcessInfo.processInfo.environment
        for (k, v) in Harness.secrets { env[k] = v }
        let config = try ConnectorConfig.load(try Data(contentsOf: h.configURL), source: h.configURL.path)
        var logger = Logger(label: "fault-suite")
        logger.logLevel = .critical
        return try PipelineContext(config: config, logger: logger, command: "run", environment: env, retry: Self.retry)
    }

    private func storm(target edit: [String: Any], mode: String) async throws {
        let seed = FaultSuite.seed()
        let extra = FaultSuite.soak ? 40 : 12
        let configure: (inout [String: Any]) -> Void = { c in
            var t = c["target"] as! [String: Any]
            for (k, v) in edit { t[k] = v }
            c["target"] = t
        }

        // The same night without faults: what must be stored in the end.
        let baseline = try await Harness(configEdit: configure)
        defer { baseline.stop() }
        try await FaultSuite.addReports(baseline, count: extra, firstID: 72_000_000)
        _ = try await context(baseline).run()
        let expected = try await FaultSuite.stored(baseline)

        let h = try await Harness(configEdit: configure)
        defer { h.stop() }
        try await FaultSuite.addReports(h, count: extra, firstID: 72_000_000)
        _ = try await h.control("POST", "/_sandbox/d365/settings", body: ["duplicateInvoiceCheck": false])
        // Expensify's own rate limit is not the subject here (fast retries would meet it): lifted.
        _ = try await h.control("POST", "/_sandbox/expensify/rate-limits", body: ["windows": [["limit": 100_000, "seconds": 1]]])
        _ = try await h.control(
            "POST", "/_sandbox/d365/faults",
            body: ["probability": 0.3, "statuses": [429, 500, 503], "drop": true, "seed": seed, "retryAfter": 0])
        _ = try await h.control("POST", "/_sandbox/expensify/faults", body: ["probability": 0.3, "httpStatuses": [500, 503], "seed": seed + 1])

        var nights: [String] = []
        func trail() -> String { "\(mode), ML_FAULT_SEED=\(seed); nights: \(nights.joined(separator: "; "))" }
        let maxNights = FaultSuite.soak ? 30 : 12
        for night in 1...maxNights {
            do {
                let s = try await context(h).run()
                nights.append("\(night): created \(s.load.created), completed \(s.load.completed), failed \(s.load.failed)")
                if s.load.failed == 0, try await FaultSuite.stored(h).count >= expected.count { break }
            } catch {
                nights.append("\(night): stopped: \((error as? ConnectorError)?.code ?? "\(error)")")
            }
        }
        let faults = try await h.control("GET", "/_sandbox/d365/faults") as? [String: Any]
        let random = faults?["random"] as? [String: Any]
        nights.append("D365 faults fired \(random?["fired"] ?? "?") of \(random?["seen"] ?? "?") requests")

        // Calm again: one more night must find everything in place and create nothing.
        _ = try await h.control("DELETE", "/_sandbox/d365/faults")
        _ = try await h.control("DELETE", "/_sandbox/expensify/faults")
        let calm = try await context(h).run()
        XCTAssertEqual(calm.load.created + calm.load.completed, 0, "all was posted during the storm — \(trail())")

        let stored = try await FaultSuite.stored(h)
        XCTAssertEqual(Set(stored.keys), Set(expected.keys), "the same invoices as a night without faults — \(trail())")
        for (number, e) in expected {
            guard let s = stored[number] else { continue }
            XCTAssertEqual(s.headers, 1, "\(number) held once — \(trail())")
            XCTAssertEqual(s.lines, e.lines, "\(number) lines — \(trail())")
            XCTAssertEqual(s.total, e.total, "\(number) total — \(trail())")
        }
        try await FaultSuite.assertPostedOnceAndCentExact(h, context: trail())
        try FaultSuite.assertNothingPending(h, context: trail())

        // Every failed attempt is in the audit trail (method, path and status, or "no answer"), checked against the
        // sandbox's own logs: every refused request and failed Expensify job once; every dropped write (a create, or a
        // `$batch` holding one) as "no answer". A dropped read may instead be resent by libcurl itself when it went
        // out on a reused keep-alive connection (README, HTTP transport): then the connector never saw it fail.
        let audit = try FaultSuite.httpAudit(h)
        let log = (try await h.control("GET", "/_sandbox/d365/requests") as? [String: Any])?["requests"] as? [[String: Any]] ?? []
        let d365 = log.filter { ($0["system"] as? String) == "d365" }
        let refused = d365.filter { ($0["status"] as? Int ?? 0) >= 400 && $0["dropped"] as? Bool != true }
        let dropped = d365.filter { $0["dropped"] as? Bool == true }
        let droppedWrites = dropped.filter { entry in
            (entry["method"] as? String) != "GET"
                && ((entry["parts"] as? [[String: Any]]).map { $0.contains { ($0["method"] as? String) != "GET" } } ?? true)
        }
        let jobs = try await h.control("GET", "/_sandbox/expensify/jobs") as? [[String: Any]] ?? []
        let failedJobs = jobs.filter { $0["fault"] as? Bool == true }
        let noAnswer = audit.filter { $0.entityID == "d365" && $0.event == "http.no_answer" }
        XCTAssertGreaterThan(refused.count + dropped.count, 0, "the storm hit D365 — \(trail())")
        XCTAssertEqual(
            audit.filter { $0.entityID == "d365" && $0.event == "http.error" }.count, refused.count,
            "each refused D365 request is audited: \(audit.map(\.detail)) — \(trail())")
        XCTAssertGreaterThanOrEqual(noAnswer.count, droppedWrites.count, "each dropped write is audited as no answer — \(trail())")
        XCTAssertLessThanOrEqual(noAnswer.count, dropped.count, trail())
        XCTAssertEqual(audit.filter { $0.entityID == "expensify" }.count, failedJobs.count, "\(audit.map(\.detail)) — \(trail())")
        XCTAssertTrue(audit.allSatisfy { $0.detail.contains("→") && !$0.detail.contains("?") }, "method, path and status, no query — \(trail())")
        XCTAssertTrue(audit.contains { $0.detail.contains("retrying") }, "retries are recorded as such — \(trail())")
        nights.append(
            "\(refused.count) D365 requests refused, \(dropped.count) dropped (\(droppedWrites.count) writes; \(noAnswer.count) heard as no answer), \(failedJobs.count) Expensify jobs failed"
        )
        print("RandomFaultPipelineTests \(mode): \(audit.count) failed attempts audited (\(trail()))")
    }
}
