import Foundation
import XCTest

@testable import Sandbox

/// Test-only control routes under /_sandbox/expensify/.
final class ExpensifyControlTests: XCTestCase {
    private let policyList = #"{"type":"get",\#(ExpensifyHarness.credentials),"inputSettings":{"type":"policyList"}}"#

    func testFaultsHitTheNextMatchingJobsOnly() async throws {
        let h = try await ExpensifyHarness.make()
        let set = await h.control("POST", "/faults", body: #"{"count":2,"httpStatus":200,"responseCode":500,"jobType":"file"}"#)
        XCTAssertEqual(ExpensifyHarness.array(set).first?["count"] as? Int, 2)
        let other = await h.job(policyList)
        XCTAssertEqual(ExpensifyHarness.json(other)["responseCode"] as? Int, 200, "a get job does not match jobType file")
        let settings = #"{"type":"combinedReportData","filters":{"reportIDList":"90000001"}}"#
        for _ in 0..<2 {
            let e = ExpensifyHarness.envelope(await h.export(inputSettings: settings))
            XCTAssertEqual(e.http, 200)
            XCTAssertEqual(e.code, 500)
        }
        let ok = await h.export(inputSettings: settings)
        XCTAssertEqual(ExpensifyHarness.header(ok, "Content-Type"), "text/plain; charset=utf-8")
        let remaining = await h.control("GET", "/faults")
        XCTAssertEqual(ExpensifyHarness.array(remaining).count, 0)
    }

    func testFaultsCanBeHTTP503Or429ForAnyJob() async throws {
        let h = try await ExpensifyHarness.make()
        _ = await h.control("POST", "/faults", body: #"{"count":1,"httpStatus":503}"#)
        _ = await h.control("POST", "/faults", body: #"{"count":1,"httpStatus":429}"#)
        let unavailable = await h.job(policyList)
        XCTAssertEqual(unavailable.status, 503)
        XCTAssertTrue(ExpensifyHarness.header(unavailable, "Content-Type")?.hasPrefix("text/html") ?? false)
        let limited = await h.job(policyList)
        XCTAssertEqual(limited.status, 429)
        XCTAssertEqual(ExpensifyHarness.envelope(limited).code, 429)
        let fine = await h.job(policyList)
        XCTAssertEqual(fine.status, 200)
        _ = await h.control("POST", "/faults", body: #"{"count":5,"httpStatus":500}"#)
        let cleared = await h.control("DELETE", "/faults")
        XCTAssertEqual(ExpensifyHarness.array(cleared).count, 0)
    }

    func testPostReportsAddsAndReplacesInSeedFormat() async throws {
        let h = try await ExpensifyHarness.make()
        let body = #"""
            [{"reportID":"90000099","policyID":"A1B2C3D4E5F60001","state":"APPROVED","reportName":"Added","accountEmail":"alice.nguyen@northwind.example",
              "created":"2026-11-20 09:00:00","submitted":"2026-11-20 10:00:00","approved":"2026-11-21 08:00:00",
              "transactionList":[{"transactionID":"6721009900000001","amount":1234,"currency":"USD","convertedAmount":1234,"merchant":"Added Inc","created":"2026-11-19","category":"Meals","tag":"Sales:West","reimbursable":true,"billable":false,"receiptObject":{}}]},
             {"reportID":"90000012","policyID":"A1B2C3D4E5F60001","state":"APPROVED","labels":["x"],"reportName":"Now approved","accountEmail":"alice.nguyen@northwind.example",
              "created":"2026-11-16 12:30:00","submitted":"2026-11-18 09:00:00","approved":"2026-11-21 09:00:00","transactionList":[]}]
            """#
        let r = await h.control("POST", "/reports", body: body)
        XCTAssertEqual(r.status, 200)
        XCTAssertEqual(ExpensifyHarness.json(r)["added"] as? [String], ["90000099"])
        XCTAssertEqual(ExpensifyHarness.json(r)["replaced"] as? [String], ["90000012"])
        let ids = try await h.exportIDs(#"{"type":"combinedReportData","filters":{"approvedAfter":"2026-11-20"}}"#)
        XCTAssertEqual(ids, ["90000012", "90000099"])
        let text = try await h.exportText(
            inputSettings: #"{"type":"combinedReportData","filters":{"reportIDList":"90000099"}}"#,
            template: "${reports[0].total?c} ${reports[0].transactionList[0].categoryGlCode}")
        XCTAssertEqual(text, "1234 6012")

        let bad = await h.control("POST", "/reports", body: #"[{"reportID":"1","policyID":"NOPE","state":"APPROVED"}]"#)
        XCTAssertEqual(bad.status, 400)
        let badState = await h.control("POST", "/reports", body: #"[{"reportID":"1","policyID":"A1B2C3D4E5F60001","state":"PAID"}]"#)
        XCTAssertEqual(badState.status, 400)
    }

    func testGenerateAddsDeterministicApprovedReportsWithValidCategoriesAndTags() async throws {
        let a = try await ExpensifyHarness.make()
        let b = try await ExpensifyHarness.make()
        let query = "reports=20&expenses=3&policyID=A1B2C3D4E5F60001&email=alice.nguyen@northwind.example"
        let r = await a.control("POST", "/generate", query: query)
        XCTAssertEqual(ExpensifyHarness.json(r)["firstReportID"] as? String, "80000001")
        XCTAssertEqual(ExpensifyHarness.json(r)["lastReportID"] as? String, "80000020")
        _ = await b.control("POST", "/generate", query: query)
        let template =
            "<#list reports as r>${r.reportID};${r.status};${r.accountEmail};${r.total?c}<#list r.transactionList as e>|${e.transactionID},${e.amount?c},${e.category},${e.categoryGlCode},${e.tag},${e.tagGlCode}</#list>\n</#list>"
        let settings =
            #"{"type":"combinedReportData","reportState":"APPROVED","filters":{"policyIDList":"A1B2C3D4E5F60001","startDate":"2026-10-01"}}"#
        let textA = try await a.exportText(inputSettings: settings, template: template)
        let textB = try await b.exportText(inputSettings: settings, template: template)
        XCTAssertEqual(textA, textB, "same parameters, same reports")
        let generated = textA.split(separator: "\n").filter { $0.hasPrefix("8") }
        XCTAssertEqual(generated.count, 20)
        for line in generated {
            let parts = line.split(separator: "|")
            XCTAssertEqual(parts.count, 4, String(line))
            let head = parts[0].split(separator: ";").map(String.init)
            XCTAssertEqual(head[1], "Approved")
            XCTAssertEqual(head[2], "alice.nguyen@northwind.example")
            var sum = 0
            for expense in parts.dropFirst() {
                let f = expense.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                sum += Int(f[1]) ?? 0
                XCTAssertEqual(f[0].count, 16)
                XCTAssertFalse(f[3].isEmpty, "category \(f[2]) has a GL code")
                XCTAssertFalse(f[5].isEmpty, "tag \(f[4]) has a GL code")
                XCTAssertNotEqual(f[2], "Entertainment")
                XCTAssertNotEqual(f[4], "Engineering:Legacy")
            }
            XCTAssertEqual(Int(head[3]), sum, "total is the sum of the expenses")
        }
        let next = await a.control("POST", "/generate", query: "reports=2&expenses=1")
        XCTAssertEqual(ExpensifyHarness.json(next)["firstReportID"] as? String, "80000021", "IDs continue upwards")
    }

    func testResetReloadsTheSeedAndClearsState() async throws {
        let h = try await ExpensifyHarness.make()
        _ = try await h.exportText(
            inputSettings: #"{"type":"combinedReportData","filters":{"reportIDList":"90000001"}}"#,
            onFinish: #"[{"actionName":"markAsExported","label":"ml-connector"}]"#)
        _ = await h.control("POST", "/generate", query: "reports=5&expenses=1")
        _ = await h.control("POST", "/rate-limits", body: #"{"windows":[{"limit":1,"seconds":60}]}"#)
        let r = await h.control("POST", "/reset")
        XCTAssertEqual(r.status, 200)
        XCTAssertEqual(ExpensifyHarness.json(r)["reports"] as? Int, 18)
        let reports = ExpensifyHarness.array(await h.control("GET", "/reports"))
        XCTAssertEqual(reports.count, 18)
        XCTAssertEqual(reports.first?["labels"] as? [String], [])
        let jobs = await h.control("GET", "/jobs")
        let files = await h.control("GET", "/files")
        XCTAssertEqual(ExpensifyHarness.array(jobs).count, 0)
        XCTAssertEqual(ExpensifyHarness.array(files).count, 0)
        let windows = ExpensifyHarness.json(await h.control("GET", "/rate-limits"))["windows"] as? [[String: Any]]
        XCTAssertEqual(windows?.compactMap { $0["limit"] as? Int }, [50, 300])
    }

    func testPoliciesCanBeReplacedThroughTheControlRoute() async throws {
        let h = try await ExpensifyHarness.make()
        var policies = ExpensifyHarness.array(await h.control("GET", "/policies"))
        XCTAssertEqual(policies.count, 5)
        var us = try XCTUnwrap(policies.first)
        var categories = try XCTUnwrap(us["categories"] as? [[String: Any]])
        categories[0]["glCode"] = "9999"
        us["categories"] = categories
        let body = String(decoding: try JSONSerialization.data(withJSONObject: [us]), as: UTF8.self)
        let r = await h.control("POST", "/policies", body: body)
        XCTAssertEqual(ExpensifyHarness.json(r)["replaced"] as? [String], ["A1B2C3D4E5F60001"])
        let text = try await h.exportText(
            inputSettings: #"{"type":"combinedReportData","filters":{"reportIDList":"90000001"}}"#,
            template: "${reports[0].transactionList[0].categoryGlCode}")
        XCTAssertEqual(text, "9999")
        policies = ExpensifyHarness.array(await h.control("GET", "/policies"))
        XCTAssertEqual(policies.count, 5)
    }

    func testTodayRouteDrivesTheOneYearRule() async throws {
        let h = try await ExpensifyHarness.make()
        let settings = #"{"type":"combinedReportData","filters":{"approvedAfter":"2026-01-10"}}"#
        var r = await h.export(inputSettings: settings)
        XCTAssertEqual(r.status, 200)
        XCTAssertNil(ExpensifyHarness.envelope(r).code)
        _ = await h.control("POST", "/today", body: #"{"today":"2027-02-01"}"#)
        r = await h.export(inputSettings: settings)
        XCTAssertEqual(ExpensifyHarness.envelope(r).code, 410)
        let bad = await h.control("POST", "/today", body: #"{"today":"tomorrow"}"#)
        XCTAssertEqual(bad.status, 400)
    }
}
