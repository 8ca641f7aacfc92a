import Foundation
import XCTest

@testable import Sandbox

/// The downloader (§3.3).
final class ExpensifyDownloadTests: XCTestCase {
    func testDownloadReturnsTheStoredBytesWithAContentTypeByExtension() async throws {
        let h = try await ExpensifyHarness.make()
        let settings = #"{"type":"combinedReportData","filters":{"reportIDList":"90000002"}}"#
        let template = "[<#list reports as r><#list r.transactionList as e>\"${e.merchant?json_string}\"<#sep>,</#list></#list>]"
        var r = await h.export(inputSettings: settings, template: template, outputSettings: #"{"fileExtension":"json"}"#)
        var d = await h.download(ExpensifyHarness.text(r))
        XCTAssertEqual(d.status, 200)
        XCTAssertEqual(ExpensifyHarness.header(d, "Content-Type"), "application/json; charset=utf-8")
        XCTAssertEqual(ExpensifyHarness.text(d), #"["寿司 Ginza","Staples"]"#)
        XCTAssertEqual(d.body, Data(#"["寿司 Ginza","Staples"]"#.utf8))

        r = await h.export(inputSettings: settings, template: "a,b\n", outputSettings: #"{"fileExtension":"csv"}"#)
        d = await h.download(ExpensifyHarness.text(r), fileSystem: nil)
        XCTAssertEqual(ExpensifyHarness.header(d, "Content-Type"), "text/csv; charset=utf-8")
        XCTAssertEqual(ExpensifyHarness.text(d), "a,b\n", "fileSystem is optional")
    }

    func testDownloadedJSONArrayIsNotAnEnvelope() async throws {
        let h = try await ExpensifyHarness.make()
        let r = await h.export(
            inputSettings: #"{"type":"combinedReportData","filters":{"reportIDList":"1"}}"#,
            template: "[]", outputSettings: #"{"fileExtension":"json"}"#)
        let d = await h.download(ExpensifyHarness.text(r))
        XCTAssertEqual(ExpensifyHarness.text(d), "[]")
    }

    func testUnknownFileIs404InAnHTTP200Envelope() async throws {
        let h = try await ExpensifyHarness.make()
        var e = ExpensifyHarness.envelope(await h.download("exportc111111d-a1a1-a1a1-a1a1-d1111111f.csv"))
        XCTAssertEqual(e.http, 200)
        XCTAssertEqual(e.code, 404)
        XCTAssertEqual(e.message, "File not found")

        let r = await h.export(inputSettings: #"{"type":"combinedReportData","filters":{"reportIDList":"1"}}"#, template: "x")
        e = ExpensifyHarness.envelope(await h.download(ExpensifyHarness.text(r), fileSystem: "reconciliation"))
        XCTAssertEqual(e.code, 404, "export files live on the integrationServer file system")

        e = ExpensifyHarness.envelope(await h.job(#"{"type":"download",\#(ExpensifyHarness.credentials)}"#))
        XCTAssertEqual(e.code, 410)
        XCTAssertEqual(e.message, "Required parameter 'fileName' is missing")
    }
}
