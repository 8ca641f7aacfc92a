import Foundation
import XCTest

@testable import Sandbox

/// Sliding-window rate limits per partnerUserID (§1.4): HTTP 429 with the documented message.
final class ExpensifyRateLimitTests: XCTestCase {
    private let job = #"{"type":"get",\#(ExpensifyHarness.credentials),"inputSettings":{"type":"policyList"}}"#
    private let expectedBody =
        #"{"responseMessage":"You have been rate-limited. Please try again later or contact help@expensify.com for assistance.","responseCode":429}"#

    func testSeedWindowsAreGenerousButConfigurable() async throws {
        let h = try await ExpensifyHarness.make()
        let windows = ExpensifyHarness.json(await h.control("GET", "/rate-limits"))["windows"] as? [[String: Any]]
        XCTAssertEqual(windows?.compactMap { $0["limit"] as? Int }, [50, 300])
        for _ in 0..<40 {
            let r = await h.job(job)
            XCTAssertEqual(r.status, 200)
        }
    }

    func testOverTheLimitIsHTTP429WithTheDocumentedBody() async throws {
        let h = try await ExpensifyHarness.make()
        let set = await h.control("POST", "/rate-limits", body: #"{"windows":[{"limit":5,"seconds":10},{"limit":20,"seconds":60}]}"#)
        XCTAssertEqual(set.status, 200)
        for i in 0..<5 {
            let r = await h.job(job)
            XCTAssertEqual(r.status, 200, "request \(i + 1)")
        }
        let limited = await h.job(job)
        XCTAssertEqual(limited.status, 429)
        XCTAssertEqual(ExpensifyHarness.text(limited), expectedBody)
        // Another partnerUserID has its own windows (and here simply fails authentication).
        let other = await h.job(
            #"{"type":"get","credentials":{"partnerUserID":"aa_other_example_com","partnerUserSecret":"x"},"inputSettings":{"type":"policyList"}}"#)
        XCTAssertEqual(other.status, 200)
        XCTAssertEqual(ExpensifyHarness.envelope(other).code, 401)
        let jobs = ExpensifyHarness.array(await h.control("GET", "/jobs"))
        XCTAssertEqual(jobs.filter { $0["httpStatus"] as? Int == 429 }.count, 1)
    }

    func testWindowsSlide() async throws {
        let h = try await ExpensifyHarness.make()
        _ = await h.control("POST", "/rate-limits", body: #"[{"limit":2,"seconds":0.3}]"#)
        var r = await h.job(job)
        XCTAssertEqual(r.status, 200)
        r = await h.job(job)
        XCTAssertEqual(r.status, 200)
        r = await h.job(job)
        XCTAssertEqual(r.status, 429)
        try await Task.sleep(nanoseconds: 400_000_000)
        r = await h.job(job)
        XCTAssertEqual(r.status, 200, "the window has moved on")
    }

    func testLimiterCountsOnlyAdmittedJobs() {
        var limiter = ExpensifyRateLimiter(windows: [ExpensifyRateWindow(limit: 2, milliseconds: 1000)])
        let t0 = ContinuousClock.now
        XCTAssertTrue(limiter.admit("a", at: t0))
        XCTAssertTrue(limiter.admit("a", at: t0 + .milliseconds(100)))
        XCTAssertFalse(limiter.admit("a", at: t0 + .milliseconds(200)))
        XCTAssertFalse(limiter.admit("a", at: t0 + .milliseconds(900)))
        XCTAssertTrue(limiter.admit("b", at: t0 + .milliseconds(900)), "windows are per partnerUserID")
        XCTAssertTrue(limiter.admit("a", at: t0 + .milliseconds(1001)), "only the first job left the window")
        XCTAssertFalse(limiter.admit("a", at: t0 + .milliseconds(1050)))
    }
}
