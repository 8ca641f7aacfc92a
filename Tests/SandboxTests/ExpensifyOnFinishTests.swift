import Foundation
import XCTest

@testable import Sandbox

/// `onFinish` actions and the `test` flag (§3.1, pitfall §10.8).
final class ExpensifyOnFinishTests: XCTestCase {
    private let settings = #"{"type":"combinedReportData","filters":{"reportIDList":"90000001,90000010","markedAsExported":"ml-connector"}}"#
    private let mark = #"[{"actionName":"markAsExported","label":"ml-connector"}]"#

    private func labels(_ h: ExpensifyHarness) async -> [String: [String]] {
        Dictionary(
            uniqueKeysWithValues: ExpensifyHarness.array(await h.control("GET", "/reports")).map {
                ($0["reportID"] as? String ?? "", $0["labels"] as? [String] ?? [])
            })
    }

    func testMarkAsExportedLabelsEveryExportedReportSoTheNextExportSkipsThem() async throws {
        let h = try await ExpensifyHarness.make()
        let first = try await h.exportText(inputSettings: settings, onFinish: mark)
        XCTAssertEqual(first, "90000001,90000010", "the report without expenses is exported (and labelled) too")
        let l = await labels(h)
        XCTAssertEqual(l["90000001"], ["ml-connector"])
        XCTAssertEqual(l["90000010"], ["ml-connector"])
        XCTAssertEqual(l["90000002"], [])
        let second = try await h.exportText(inputSettings: settings, onFinish: mark)
        XCTAssertEqual(second, "")
    }

    func testMarkAsExportedIsIdempotent() async throws {
        let h = try await ExpensifyHarness.make()
        let noFilter = #"{"type":"combinedReportData","filters":{"reportIDList":"90000013"}}"#
        _ = try await h.exportText(inputSettings: noFilter, onFinish: mark)
        _ = try await h.exportText(inputSettings: noFilter, onFinish: #"[{"actionName":"markAsExported","label":"other"}]"#)
        _ = try await h.exportText(inputSettings: noFilter, onFinish: mark)
        let l = await labels(h)
        XCTAssertEqual(l["90000013"], ["ml-connector", "other"])
    }

    func testTestFlagSkipsOnFinishInEverySpelling() async throws {
        let h = try await ExpensifyHarness.make()
        for flag in [#""true""#, "true", #""TRUE""#] {
            let text = try await h.exportText(inputSettings: settings, onFinish: mark, test: flag)
            XCTAssertEqual(text, "90000001,90000010", flag)
        }
        let l = await labels(h)
        XCTAssertEqual(l["90000001"], [])
        let emails = ExpensifyHarness.array(await h.control("GET", "/emails"))
        XCTAssertEqual(emails.count, 0)
        // "test":"false" runs the actions.
        _ = try await h.exportText(inputSettings: settings, onFinish: mark, test: #""false""#)
        let after = await labels(h)
        XCTAssertEqual(after["90000001"], ["ml-connector"])
    }

    func testEmailActionIsRecordedWithTheFileName() async throws {
        let h = try await ExpensifyHarness.make()
        let r = await h.export(
            inputSettings: settings,
            onFinish: #"[{"actionName":"email","recipients":"manager@northwind.example,finance@northwind.example","message":"Report is ready."}]"#)
        let name = ExpensifyHarness.text(r)
        let emails = ExpensifyHarness.array(await h.control("GET", "/emails"))
        XCTAssertEqual(emails.count, 1)
        XCTAssertEqual(emails.first?["recipients"] as? String, "manager@northwind.example,finance@northwind.example")
        XCTAssertEqual(emails.first?["filenames"] as? [String], [name])
        XCTAssertEqual(emails.first?["reportIDs"] as? [String], ["90000001", "90000010"])
        let l = await labels(h)
        XCTAssertEqual(l["90000001"], [], "an email action does not label reports")
    }

    func testMarkAsExportedWithoutALabelIsRejectedBeforeExporting() async throws {
        let h = try await ExpensifyHarness.make()
        let e = ExpensifyHarness.envelope(await h.export(inputSettings: settings, onFinish: #"[{"actionName":"markAsExported"}]"#))
        XCTAssertEqual(e.code, 410)
        XCTAssertEqual(e.message, "Required parameter 'label' is missing")
        let files = ExpensifyHarness.array(await h.control("GET", "/files"))
        XCTAssertEqual(files.count, 0)
    }
}
