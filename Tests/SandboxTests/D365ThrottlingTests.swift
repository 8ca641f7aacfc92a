import Foundation
import XCTest

@testable import Sandbox

final class D365ThrottlingTests: XCTestCase {
    func testSlidingWindowAnswers429WithGrowingRetryAfter() async throws {
        let h = try D365Harness()
        let token = try await h.token()
        let s = await h.control("POST", "/_sandbox/d365/settings", body: #"{"requestsPerWindow":3,"windowSeconds":10}"#)
        XCTAssertEqual(s.status, 200)
        for _ in 0..<3 {
            let ok = await h.send("GET", "/data/Currencies", token: token)
            XCTAssertEqual(ok.status, 200)
        }
        let first = await h.send("GET", "/data/Currencies", token: token)
        XCTAssertEqual(first.status, 429)
        let message = (h.json(first)["error"] as? [String: Any])?["message"] as? String
        XCTAssertEqual(message, "Number of requests exeeded the limit of 3 over the time window of 10 seconds.")
        let r1 = try XCTUnwrap(Int(h.header(first, "Retry-After") ?? ""))
        XCTAssertTrue((1...10).contains(r1), "\(r1)")
        let second = await h.send("GET", "/data/Currencies", token: token)
        let r2 = try XCTUnwrap(Int(h.header(second, "Retry-After") ?? ""))
        let third = await h.send("GET", "/data/Currencies", token: token)
        let r3 = try XCTUnwrap(Int(h.header(third, "Retry-After") ?? ""))
        XCTAssertGreaterThan(r2, r1, "hammering after a 429 grows Retry-After")
        XCTAssertGreaterThan(r3, r2)
        // Once the window has passed, requests go through again.
        _ = await h.control("POST", "/_sandbox/d365/clock", query: [("advanceSeconds", "11")])
        let later = await h.send("GET", "/data/Currencies", token: try await h.token())
        XCTAssertEqual(later.status, 200)
    }

    func testThrottlingIsPerClientAndTokenRequestsAreNotCounted() async throws {
        let h = try D365Harness()
        _ = await h.control("POST", "/_sandbox/d365/settings", body: #"{"requestsPerWindow":1,"windowSeconds":60}"#)
        let token = try await h.token()
        _ = try await h.token()
        let ok = await h.send("GET", "/data/Currencies", token: token)
        XCTAssertEqual(ok.status, 200)
        let throttled = await h.send("GET", "/data/Currencies", token: try await h.token())
        XCTAssertEqual(throttled.status, 429, "a fresh token of the same client shares the window")
        let unauthenticated = await h.send("GET", "/data/Currencies")
        XCTAssertEqual(unauthenticated.status, 401)
    }

    func testInjected429And503WithRetryAfterThenRecovery() async throws {
        let h = try D365Harness()
        let token = try await h.token()
        let f = await h.control("POST", "/_sandbox/d365/faults", body: #"{"count":2,"status":429,"retryAfter":1}"#)
        XCTAssertEqual(f.status, 200)
        for _ in 0..<2 {
            let r = await h.send("GET", "/data/VendorsV2", token: token)
            XCTAssertEqual(r.status, 429)
            XCTAssertEqual(h.header(r, "Retry-After"), "1")
            XCTAssertTrue(((h.json(r)["error"] as? [String: Any])?["message"] as? String ?? "").hasPrefix("Number of requests exeeded the limit of"))
        }
        let ok = await h.send("GET", "/data/VendorsV2", token: token)
        XCTAssertEqual(ok.status, 200)
        _ = await h.control("POST", "/_sandbox/d365/faults", body: #"{"count":1,"status":503,"retryAfter":2}"#)
        let unavailable = await h.send("GET", "/data/VendorsV2", token: token)
        XCTAssertEqual(unavailable.status, 503)
        XCTAssertEqual(h.header(unavailable, "Retry-After"), "2")
    }

    func testFaultFiltersOnMethodAndEntitySet() async throws {
        let h = try D365Harness()
        let token = try await h.token()
        _ = await h.control(
            "POST", "/_sandbox/d365/faults",
            body: #"{"count":1,"status":500,"method":"POST","entitySet":"VendorInvoiceLines"}"#)
        let ref = try await h.createHeader(token: token)
        let read = await h.send("GET", "/data/VendorInvoiceLines", token: token)
        XCTAssertEqual(read.status, 200, "GET does not match the fault")
        let failed = await h.send("POST", "/data/VendorInvoiceLines", body: h.lineBody(ref, #""NetAmount":1"#), token: token)
        XCTAssertEqual(failed.status, 500)
        XCTAssertNotNil(h.json(failed)["error"])
        let invoices = try h.exact(await h.control("GET", "/_sandbox/d365/invoices"))
        XCTAssertEqual(invoices["invoices"]?.arrayValue?.first?["lines"]?.arrayValue?.count, 0, "the failed write had no effect")
        let retried = await h.send("POST", "/data/VendorInvoiceLines", body: h.lineBody(ref, #""NetAmount":1"#), token: token)
        XCTAssertEqual(retried.status, 201)
        _ = await h.control("POST", "/_sandbox/d365/faults", body: #"{"count":1,"status":500,"entitySet":"VendorInvoiceLines"}"#)
        let viaNavigation = await h.send(
            "POST", "/data/VendorInvoiceHeaders(dataAreaId='usmf',HeaderReference='\(ref)')/VendorInvoiceLine",
            body: #"{"NetAmount":2}"#, token: token)
        XCTAssertEqual(viaNavigation.status, 500, "a navigation POST creates VendorInvoiceLines")
        let listed = h.json(await h.control("GET", "/_sandbox/d365/faults"))["faults"] as? [Any]
        XCTAssertEqual(listed?.count, 0)
    }

    func testInjected401ExpiresTheToken() async throws {
        let h = try D365Harness()
        let token = try await h.token()
        _ = await h.control("POST", "/_sandbox/d365/faults", body: #"{"count":1,"status":401}"#)
        let r = await h.send("GET", "/data/VendorsV2", token: token)
        XCTAssertEqual(r.status, 401)
        XCTAssertEqual(h.header(r, "WWW-Authenticate"), "Bearer")
        let stale = await h.send("GET", "/data/VendorsV2", token: token)
        XCTAssertEqual(stale.status, 401, "the old token stays expired, like a real expiry")
        let fresh = await h.send("GET", "/data/VendorsV2", token: try await h.token())
        XCTAssertEqual(fresh.status, 200)
    }

    func testFaultRouteValidatesItsBody() async throws {
        let h = try D365Harness()
        let bad = await h.control("POST", "/_sandbox/d365/faults", body: #"{"count":0,"status":429}"#)
        XCTAssertEqual(bad.status, 400)
        let unknownSet = await h.control("POST", "/_sandbox/d365/faults", body: #"{"count":1,"status":429,"entitySet":"Nope"}"#)
        XCTAssertEqual(unknownSet.status, 400)
        let cleared = await h.control("DELETE", "/_sandbox/d365/faults")
        XCTAssertEqual(cleared.status, 200)
    }
}
