import Foundation
import XCTest

@testable import Sandbox

/// The random fault modes (`{"probability":…}`) of both simulators: deterministic by seed, about the asked share of
/// requests, every outcome used, drops applied before the connection closes.
final class RandomFaultTests: XCTestCase {
    /// The outcome of each of `n` reads of VendorsV2 under a random mode: the status, or -1 for a drop.
    private func outcomes(seed: Int, n: Int) async throws -> [Int] {
        let h = try D365Harness()
        let token = try await h.token()
        let set = await h.control(
            "POST", "/_sandbox/d365/faults",
            body: #"{"probability":0.3,"statuses":[429,500,503],"drop":true,"seed":\#(seed),"retryAfter":0}"#)
        XCTAssertEqual(set.status, 200, String(decoding: set.body, as: UTF8.self))
        var out: [Int] = []
        for _ in 0..<n {
            let r = await h.send("GET", "/data/VendorsV2", token: token)
            out.append(r.dropConnection ? -1 : r.status)
        }
        let listed = h.json(await h.control("GET", "/_sandbox/d365/faults"))["random"] as? [String: Any]
        XCTAssertEqual(listed?["seen"] as? Int, n)
        XCTAssertEqual(listed?["fired"] as? Int, out.filter { $0 != 200 }.count)
        return out
    }

    func testD365RandomModeIsDeterministicBySeedAndUsesEveryOutcome() async throws {
        let a = try await outcomes(seed: 42, n: 300)
        let b = try await outcomes(seed: 42, n: 300)
        XCTAssertEqual(a, b, "the same seed gives the same faults")
        let c = try await outcomes(seed: 43, n: 300)
        XCTAssertNotEqual(a, c, "another seed gives other faults")
        let failed = a.filter { $0 != 200 }.count
        XCTAssertTrue((60...120).contains(failed), "about 30% of 300 requests fail: \(failed)")
        XCTAssertEqual(Set(a), [200, 429, 500, 503, -1], "every status and the drop occur")
    }

    func testD365RandomDropsApplyTheWriteAndStatusesDoNot() async throws {
        let h = try D365Harness()
        let token = try await h.token()
        _ = await h.control("POST", "/_sandbox/d365/faults", body: #"{"probability":1,"drop":true,"seed":1,"method":"POST","limit":1}"#)
        let dropped = await h.send("POST", "/data/VendorInvoiceHeaders", body: D365Harness.headerBody, token: token)
        XCTAssertTrue(dropped.dropConnection)
        _ = await h.control("DELETE", "/_sandbox/d365/faults")
        _ = await h.control("POST", "/_sandbox/d365/faults", body: #"{"probability":1,"statuses":[500],"seed":1,"method":"POST"}"#)
        let refused = await h.send(
            "POST", "/data/VendorInvoiceHeaders",
            body: D365Harness.headerBody.replacingOccurrences(of: "EXP-90000001", with: "EXP-90000002"), token: token)
        XCTAssertEqual(refused.status, 500)
        let read = await h.send("GET", "/data/VendorsV2", token: token)
        XCTAssertEqual(read.status, 200, "method POST: reads pass")
        let invoices = h.json(await h.control("GET", "/_sandbox/d365/invoices"))["invoices"] as? [[String: Any]]
        XCTAssertEqual(invoices?.compactMap { $0["InvoiceNumber"] as? String }, ["EXP-90000001"], "the drop was applied, the 500 was not")
    }

    func testD365RandomModeIsValidated() async throws {
        let h = try D365Harness()
        for body in [
            #"{"probability":1.5,"statuses":[500]}"#, #"{"probability":0.3}"#, #"{"probability":0.3,"statuses":[200]}"#,
            #"{"probability":0.3,"statuses":[500],"entitySet":"Nope"}"#, #"{"probability":0.3,"statuses":[500],"seed":-1}"#,
        ] {
            let r = await h.control("POST", "/_sandbox/d365/faults", body: body)
            XCTAssertEqual(r.status, 400, body)
        }
    }

    func testExpensifyRandomModeIsDeterministicBySeed() async throws {
        let policyList = #"{"type":"get",\#(ExpensifyHarness.credentials),"inputSettings":{"type":"policyList"}}"#
        func run(_ seed: Int) async throws -> [Int] {
            let h = try await ExpensifyHarness.make()
            _ = await h.control("POST", "/rate-limits", body: #"{"windows":[{"limit":100000,"seconds":1}]}"#)
            let set = await h.control("POST", "/faults", body: #"{"probability":0.3,"httpStatuses":[500,503],"seed":\#(seed)}"#)
            XCTAssertEqual(ExpensifyHarness.array(set).last?["probability"] as? Double, 0.3)
            var out: [Int] = []
            for _ in 0..<100 { out.append(await h.job(policyList).status) }
            let cleared = await h.control("DELETE", "/faults")
            XCTAssertEqual(ExpensifyHarness.array(cleared).count, 0)
            let after = await h.job(policyList)
            XCTAssertEqual(after.status, 200, "cleared")
            return out
        }
        let a = try await run(7)
        let again = try await run(7)
        XCTAssertEqual(a, again)
        XCTAssertEqual(Set(a), [200, 500, 503])
        XCTAssertTrue((15...45).contains(a.filter { $0 != 200 }.count), "\(a.filter { $0 != 200 }.count) of 100")
    }

    func testExpensifyCanRenderAReportTwiceAndRefuseCredentialsWith407() async throws {
        let h = try await ExpensifyHarness.make()
        let set = await h.control("POST", "/settings", body: #"{"duplicateReportIDs":["90000002"],"authFailureCode":407}"#)
        XCTAssertEqual(ExpensifyHarness.json(set)["authFailureCode"] as? Int, 407)
        let ids = try await h.exportIDs(#"{"type":"combinedReportData","filters":{"reportIDList":"90000001,90000002"}}"#)
        XCTAssertEqual(ids.sorted(), ["90000001", "90000002", "90000002"])
        let wrong =
            #"{"type":"get","credentials":{"partnerUserID":"aa_finance_northwind_example","partnerUserSecret":"nope"},"inputSettings":{"type":"policyList"}}"#
        let refused = await h.job(wrong)
        XCTAssertEqual(ExpensifyHarness.envelope(refused).code, 407)
    }
}
