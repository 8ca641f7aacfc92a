import Foundation
import XCTest

@testable import Sandbox

/// Request reading (urlencoded, multipart, query string) and the HTTP 200 error envelopes (§1).
final class ExpensifyTransportTests: XCTestCase {
    private let policyListJob = #"{"type":"get",\#(ExpensifyHarness.credentials),"inputSettings":{"type":"policyList"}}"#

    func testJobIsReadFromUrlencodedMultipartAndQueryString() async throws {
        let h = try await ExpensifyHarness.make()
        for encoding in [ExpensifyHarness.Encoding.urlencoded, .multipart, .query] {
            let r = await h.job(policyListJob, encoding: encoding)
            XCTAssertEqual(r.status, 200, "\(encoding)")
            XCTAssertEqual(ExpensifyHarness.json(r)["responseCode"] as? Int, 200, "\(encoding)")
            XCTAssertEqual((ExpensifyHarness.json(r)["policyList"] as? [Any])?.count, 5, "\(encoding)")
        }
    }

    func testMultipartCarriesTheTemplateField() async throws {
        let h = try await ExpensifyHarness.make()
        let job = h.exportJob(inputSettings: #"{"type":"combinedReportData","filters":{"reportIDList":"90000003"}}"#)
        let r = await h.post(
            [("requestJobDescription", job), ("template", "id=${reports[0].reportID}\nmerchant=${reports[0].transactionList[0].merchant}")],
            encoding: .multipart)
        XCTAssertEqual(r.status, 200)
        let file = ExpensifyHarness.text(await h.download(ExpensifyHarness.text(r)))
        XCTAssertEqual(file, "id=90000003\nmerchant=Delta Air Lines")
    }

    func testMissingOrGarbledJobIs410InAnHTTP200Envelope() async throws {
        let h = try await ExpensifyHarness.make()
        var e = ExpensifyHarness.envelope(await h.post([]))
        XCTAssertEqual(e.http, 200)
        XCTAssertEqual(e.code, 410)
        XCTAssertEqual(e.message, "Required parameter 'requestJobDescription' is missing")

        e = ExpensifyHarness.envelope(await h.job("{not json"))
        XCTAssertEqual(e.http, 200)
        XCTAssertEqual(e.code, 410)
        XCTAssertTrue(e.message.contains("malformed"), e.message)

        e = ExpensifyHarness.envelope(await h.job("{\(ExpensifyHarness.credentials)}"))
        XCTAssertEqual(e.code, 410)
        XCTAssertEqual(e.message, "Argument 'type' is missing or malformed")

        e = ExpensifyHarness.envelope(await h.job(#"{"type":"teleport",\#(ExpensifyHarness.credentials)}"#))
        XCTAssertEqual(e.code, 410)
        XCTAssertEqual(e.message, "Argument 'type' is missing or malformed")

        e = ExpensifyHarness.envelope(await h.job(#"{"type":"get",\#(ExpensifyHarness.credentials),"inputSettings":{"type":"domainCardList"}}"#))
        XCTAssertEqual(e.code, 410)
    }

    func testBadCredentialsAre401InAnHTTP200Envelope() async throws {
        let h = try await ExpensifyHarness.make()
        let r = await h.job(
            #"{"type":"get","credentials":{"partnerUserID":"aa_finance_northwind_example","partnerUserSecret":"wrong"},"inputSettings":{"type":"policyList"}}"#
        )
        let e = ExpensifyHarness.envelope(r)
        XCTAssertEqual(e.http, 200)
        XCTAssertEqual(e.code, 401)
        XCTAssertFalse(e.message.isEmpty)
        XCTAssertEqual(ExpensifyHarness.header(r, "Content-Type"), "application/json; charset=utf-8")

        let missing = ExpensifyHarness.envelope(await h.job(#"{"type":"get","inputSettings":{"type":"policyList"}}"#))
        XCTAssertEqual(missing.code, 410)
        XCTAssertEqual(missing.message, "Required parameter 'credentials' is missing")
    }

    func testOnlyPostIsServedAndForeignPathsAreNotOurs() async throws {
        let h = try await ExpensifyHarness.make()
        let get = await h.post([("requestJobDescription", policyListJob)], encoding: .query, method: "GET")
        XCTAssertEqual(get.status, 405)
        let other = SimRequest(method: "POST", path: "/data/VendorsV2", query: nil, headers: [:], body: Data(), baseURL: "http://x")
        let otherResponse = await h.sim.handle(other)
        XCTAssertNil(otherResponse)
        let sandboxOther = SimRequest(method: "GET", path: "/_sandbox/health", query: nil, headers: [:], body: Data(), baseURL: "http://x")
        let sandboxResponse = await h.sim.handle(sandboxOther)
        XCTAssertNil(sandboxResponse)
        let unknownControl = await h.control("GET", "/nothing-here")
        XCTAssertEqual(unknownControl.status, 404)
    }

    func testJobLogRecordsJobsButNeverTheSecret() async throws {
        let h = try await ExpensifyHarness.make()
        _ = await h.job(policyListJob)
        _ = await h.export(
            inputSettings: #"{"type":"combinedReportData","filters":{"reportIDList":"90000001"}}"#,
            onFinish: #"[{"actionName":"markAsExported","label":"L"}]"#, test: #""true""#)
        let r = await h.control("GET", "/jobs")
        let text = ExpensifyHarness.text(r)
        XCTAssertFalse(text.contains(ExpensifyHarness.partnerUserSecret))
        let jobs = ExpensifyHarness.array(r)
        XCTAssertEqual(jobs.count, 2)
        XCTAssertEqual(jobs[0]["type"] as? String, "get")
        XCTAssertEqual(jobs[1]["type"] as? String, "file")
        XCTAssertEqual((jobs[1]["inputSettings"] as? [String: Any])?["type"] as? String, "combinedReportData")
        XCTAssertEqual(((jobs[1]["onFinish"] as? [[String: Any]])?.first)?["label"] as? String, "L")
        XCTAssertEqual(jobs[1]["partnerUserID"] as? String, ExpensifyHarness.partnerUserID)
        XCTAssertNil(jobs[1]["credentials"])
    }
}
