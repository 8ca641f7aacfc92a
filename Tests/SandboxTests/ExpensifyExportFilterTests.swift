import Foundation
import XCTest

@testable import Sandbox

/// The report exporter's filters (§3.1, §11.6) and its request validation.
final class ExpensifyExportFilterTests: XCTestCase {
    private func input(_ filters: String, _ extra: String = "") -> String {
        #"{"type":"combinedReportData","filters":\#(filters)\#(extra.isEmpty ? "" : "," + extra)}"#
    }

    func testReportIDListIsACommaString() async throws {
        let h = try await ExpensifyHarness.make()
        let ids = try await h.exportIDs(input(#"{"reportIDList":"90000021, 90000003,99999999"}"#))
        XCTAssertEqual(ids, ["90000003", "90000021"])
    }

    func testReportIDListGivenAsAJSONArrayMatchesNothing() async throws {
        // org.json's optString turns the array into its text, which is no report ID.
        let h = try await ExpensifyHarness.make()
        let ids = try await h.exportIDs(input(#"{"reportIDList":["90000003"]}"#))
        XCTAssertEqual(ids, [])
    }

    func testPolicyIDListIsACommaString() async throws {
        let h = try await ExpensifyHarness.make()
        let ids = try await h.exportIDs(input(#"{"startDate":"2026-10-01","policyIDList":"A1B2C3D4E5F60002,A1B2C3D4E5F60004"}"#))
        XCTAssertEqual(ids, ["90000021", "90000022", "90000041"])
    }

    func testStartAndEndDateAreInclusiveOnTheLaterOfCreatedAndSubmitted() async throws {
        // 90000009: created 2026-11-06, submitted 2026-11-09.
        let h = try await ExpensifyHarness.make()
        var ids = try await h.exportIDs(input(#"{"reportIDList":"90000009","startDate":"2026-11-09"}"#))
        XCTAssertEqual(ids, ["90000009"])
        ids = try await h.exportIDs(input(#"{"reportIDList":"90000009","startDate":"2026-11-10"}"#))
        XCTAssertEqual(ids, [])
        ids = try await h.exportIDs(input(#"{"reportIDList":"90000009","startDate":"2026-11-01","endDate":"2026-11-09"}"#))
        XCTAssertEqual(ids, ["90000009"])
        ids = try await h.exportIDs(input(#"{"reportIDList":"90000009","startDate":"2026-11-01","endDate":"2026-11-08"}"#))
        XCTAssertEqual(ids, [], "created is inside the window but submitted (the later date) is not")
    }

    func testApprovedAfterKeepsOnlyReportsApprovedStrictlyAfterTheDay() async throws {
        let h = try await ExpensifyHarness.make()
        // 90000041 approved 2026-11-19, 90000051 approved 2026-11-20.
        var ids = try await h.exportIDs(input(#"{"approvedAfter":"2026-11-19"}"#))
        XCTAssertEqual(ids, ["90000051"])
        ids = try await h.exportIDs(input(#"{"approvedAfter":"2026-11-18"}"#))
        XCTAssertEqual(ids, ["90000041", "90000051"])
        // Never-approved reports (90000012, SUBMITTED) are dropped.
        ids = try await h.exportIDs(input(#"{"approvedAfter":"2026-11-01"}"#))
        XCTAssertFalse(ids.contains("90000012"))
        XCTAssertEqual(ids.count, 17)
    }

    func testMarkedAsExportedDropsOnlyReportsWithThatExactLabel() async throws {
        let h = try await ExpensifyHarness.make()
        var ids = try await h.exportIDs(input(#"{"reportIDList":"90000012,90000013","markedAsExported":"ml-connector"}"#))
        XCTAssertEqual(ids, ["90000012"])
        ids = try await h.exportIDs(input(#"{"reportIDList":"90000012,90000013","markedAsExported":"ML-Connector"}"#))
        XCTAssertEqual(ids, ["90000012", "90000013"])
    }

    func testReportStateIsACommaSetOfStateNames() async throws {
        let h = try await ExpensifyHarness.make()
        var ids = try await h.exportIDs(input(#"{"startDate":"2026-10-01"}"#, #""reportState":"SUBMITTED""#))
        XCTAssertEqual(ids, ["90000012"])
        ids = try await h.exportIDs(input(#"{"startDate":"2026-10-01"}"#, #""reportState":"REIMBURSED,OPEN""#))
        XCTAssertEqual(ids, ["90000005"])
        ids = try await h.exportIDs(input(#"{"startDate":"2026-10-01"}"#, #""reportState":"APPROVED,REIMBURSED""#))
        XCTAssertEqual(ids.count, 17)
        let e = ExpensifyHarness.envelope(await h.export(inputSettings: input(#"{"startDate":"2026-10-01"}"#, #""reportState":"Approved-ish""#)))
        XCTAssertEqual(e.code, 410)
    }

    func testLimitAcceptsANumericString() async throws {
        let h = try await ExpensifyHarness.make()
        var ids = try await h.exportIDs(input(#"{"startDate":"2026-10-01"}"#, #""limit":"2""#))
        XCTAssertEqual(ids, ["90000001", "90000002"])
        ids = try await h.exportIDs(input(#"{"startDate":"2026-10-01"}"#, #""limit":3"#))
        XCTAssertEqual(ids.count, 3)
        let e = ExpensifyHarness.envelope(await h.export(inputSettings: input(#"{"startDate":"2026-10-01"}"#, #""limit":"ten""#)))
        XCTAssertEqual(e.code, 410)
        XCTAssertEqual(e.message, "Argument 'limit' is missing or malformed")
    }

    func testDatesAreValidatedAndAnOldRangeNeedsAnEndDate() async throws {
        let h = try await ExpensifyHarness.make()
        var e = ExpensifyHarness.envelope(await h.export(inputSettings: input(#"{"startDate":"2026-11-1"}"#)))
        XCTAssertEqual(e.http, 200)
        XCTAssertEqual(e.code, 410)
        XCTAssertEqual(e.message, "Malformed date '2026-11-1'. Expected format is yyyy-MM-dd")
        e = ExpensifyHarness.envelope(await h.export(inputSettings: input(#"{"approvedAfter":"2025-01-01"}"#)))
        XCTAssertEqual(e.code, 410)
        XCTAssertTrue(e.message.contains("endDate"), e.message)
        // With an endDate the range itself may not exceed a year either (seed setting maxRangeDays 365)…
        e = ExpensifyHarness.envelope(await h.export(inputSettings: input(#"{"approvedAfter":"2025-01-01","endDate":"2026-12-31"}"#)))
        XCTAssertEqual(e.code, 410)
        XCTAssertTrue(e.message.hasPrefix("Date range exceeds one year"), e.message)
        var ids = try await h.exportIDs(input(#"{"approvedAfter":"2026-01-01","endDate":"2026-12-31"}"#))
        XCTAssertEqual(ids.count, 17)
        // …unless the sandbox plays the other reading of the docs, where an endDate is all it takes.
        _ = await h.control("POST", "/settings", body: #"{"maxRangeDays":null}"#)
        ids = try await h.exportIDs(input(#"{"approvedAfter":"2025-01-01","endDate":"2026-12-31"}"#))
        XCTAssertEqual(ids.count, 17)
    }

    func testOneOfReportIDListStartDateOrApprovedAfterIsRequired() async throws {
        let h = try await ExpensifyHarness.make()
        let e = ExpensifyHarness.envelope(await h.export(inputSettings: input(#"{"markedAsExported":"x"}"#)))
        XCTAssertEqual(e.code, 410)
        XCTAssertTrue(e.message.hasPrefix("Required parameter 'startDate' is missing"), e.message)
    }

    func testExportRequiresReturnRandomFileNameTemplateAndExtension() async throws {
        let h = try await ExpensifyHarness.make()
        let settings = input(#"{"reportIDList":"90000001"}"#)
        var e = ExpensifyHarness.envelope(await h.export(inputSettings: settings, onReceive: nil))
        XCTAssertEqual(e.code, 410)
        XCTAssertEqual(e.message, "Required parameter 'onReceive' is missing")
        e = ExpensifyHarness.envelope(await h.export(inputSettings: settings, onReceive: #"{"immediateResponse":["somethingElse"]}"#))
        XCTAssertEqual(e.code, 410)
        e = ExpensifyHarness.envelope(await h.job(h.exportJob(inputSettings: settings)))
        XCTAssertEqual(e.code, 410)
        XCTAssertEqual(e.message, "Required parameter 'template' is missing")
        e = ExpensifyHarness.envelope(await h.export(inputSettings: settings, outputSettings: "{}"))
        XCTAssertEqual(e.message, "Required parameter 'fileExtension' is missing")
    }

    func testSuccessIsAPlainTextFileNameWithUUIDAndBasename() async throws {
        let h = try await ExpensifyHarness.make()
        let settings = input(#"{"reportIDList":"90000001"}"#)
        var r = await h.export(inputSettings: settings)
        XCTAssertEqual(r.status, 200)
        XCTAssertEqual(ExpensifyHarness.header(r, "Content-Type"), "text/plain; charset=utf-8")
        let pattern = #"^export[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\.csv$"#
        XCTAssertNotNil(ExpensifyHarness.text(r).range(of: pattern, options: .regularExpression), ExpensifyHarness.text(r))
        r = await h.export(inputSettings: settings, outputSettings: #"{"fileExtension":"json","fileBasename":"myExport"}"#)
        XCTAssertTrue(ExpensifyHarness.text(r).hasPrefix("myExport"))
        XCTAssertTrue(ExpensifyHarness.text(r).hasSuffix(".json"))
        let again = await h.export(inputSettings: settings)
        XCTAssertNotEqual(ExpensifyHarness.text(again), ExpensifyHarness.text(r), "every export gets a new random name")
    }

    func testAnExportMatchingNothingStillRendersAndReturnsAFileName() async throws {
        let h = try await ExpensifyHarness.make()
        let template = "<#if addHeader == true>ReportID,Total\n</#if><#list reports as r>${r.reportID},${r.total?c}\n</#list>"
        let text = try await h.exportText(inputSettings: input(#"{"reportIDList":"123"}"#), template: template)
        XCTAssertEqual(text, "ReportID,Total\n")
    }

    func testTemplateErrorsAre500EnvelopesWithLineAndColumn() async throws {
        let h = try await ExpensifyHarness.make()
        let settings = input(#"{"reportIDList":"90000001"}"#)
        var e = ExpensifyHarness.envelope(
            await h.export(inputSettings: settings, template: "<#list reports as r>\n  ${r.transactionList[0].nope}\n</#list>"))
        XCTAssertEqual(e.http, 200)
        XCTAssertEqual(e.code, 500)
        XCTAssertTrue(
            e.message.contains(
                "The following has evaluated to null or missing:\n==> r.transactionList[0].nope  [in template \"template\" at line 2, column 5]"),
            e.message)
        e = ExpensifyHarness.envelope(await h.export(inputSettings: settings, template: "<#lisst reports as r></#lisst>"))
        XCTAssertEqual(e.code, 500)
        XCTAssertTrue(e.message.contains("Unknown directive: #lisst"), e.message)
        e = ExpensifyHarness.envelope(await h.export(inputSettings: settings, template: "${reports?sizee}"))
        XCTAssertEqual(e.code, 500)
        XCTAssertTrue(e.message.contains("Unknown built-in: \"sizee\""), e.message)
        e = ExpensifyHarness.envelope(await h.export(inputSettings: settings, template: "<#if reports?size > 0>x</#if>"))
        XCTAssertEqual(e.code, 500, "as in FreeMarker, '>' closes the tag: the condition is a number")
    }
}
