import ConnectorCore
import ConnectorLedger
import ConnectorStaging
import Foundation
import XCTest

final class StagingTests: XCTestCase {
    var dir: URL!
    override func setUp() {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("stg-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }
    override func tearDown() { try? FileManager.default.removeItem(at: dir) }

    func testArrayReaderStreamsElementsAndIsolatesABrokenOne() throws {
        let url = dir.appendingPathComponent("a.json")
        // Element 1 has a syntax error inside a balanced object; strings hold brackets and commas.
        let big = String(repeating: "x", count: 200_000)
        try Data("[ {\"id\":\"1\",\"m\":\"a],{b\\\"\"} , {\"id\":\"2\",\"amount\": 12x}, {\"id\":\"3\",\"big\":\"\(big)\"}, [1,2] ]".utf8).write(
            to: url)
        var r = try JSONArrayReader(url: url)
        var parsed: [JSONValue?] = []
        while let e = try r.next() { parsed.append(try? JSONValue.parse(e)) }
        r.close()
        XCTAssertEqual(parsed.count, 4)
        XCTAssertEqual(parsed[0]?["m"]?.stringValue, "a],{b\"")
        XCTAssertNil(parsed[1], "the broken element fails alone")
        XCTAssertEqual(parsed[2]?["big"]?.stringValue?.count, 200_000)
        XCTAssertEqual(parsed[3], .array([.number("1"), .number("2")]))
    }

    func testArrayReaderRejectsTruncatedFiles() throws {
        let url = dir.appendingPathComponent("t.json")
        try Data("[{\"id\":\"1\"},{\"id\":".utf8).write(to: url)
        var r = try JSONArrayReader(url: url)
        XCTAssertNotNil(try r.next())
        XCTAssertThrowsError(try r.next()) { XCTAssertEqual(($0 as? ConnectorError)?.code, "extract.malformed") }
        let empty = dir.appendingPathComponent("e.json")
        try Data("  [ ]  ".utf8).write(to: empty)
        var e = try JSONArrayReader(url: empty)
        XCTAssertNil(try e.next())
    }

    func testCSVDefusesALeadingMinusInTextButKeepsNumbersNumericAndStartsWithABOM() {
        var w = CSVWriter(columns: ["merchant", "amount"])
        w.append(["merchant": "-2+3+cmd|' /C calc'!A0", "amount": "-12.50"])
        w.append(["merchant": "Müller 寿司", "amount": "-1500"])
        w.append(["merchant": "-", "amount": "-1.5x"])
        let text = String(decoding: w.data, as: UTF8.self)
        XCTAssertEqual(text, "\u{FEFF}merchant,amount\n'-2+3+cmd|' /C calc'!A0,-12.50\nMüller 寿司,-1500\n'-,'-1.5x\n")
        XCTAssertEqual(Array(w.data.prefix(3)), [0xEF, 0xBB, 0xBF], "UTF-8 byte order mark")
        XCTAssertEqual(CSVReader.rows(w.data).first?["merchant"], "'-2+3+cmd|' /C calc'!A0", "readers skip the mark")
    }

    func testCSVQuotesAndDefusesFormulas() {
        var w = CSVWriter(columns: ["merchant", "amount"], style: CSVStyle(byteOrderMark: false))
        w.append(["merchant": "Hotel \"Adlon\", Berlin", "amount": "-12.50"])
        w.append(["merchant": "=HYPERLINK(\"x\")", "amount": "1.00"])
        w.append(["merchant": "line\nbreak", "amount": "2"])
        let text = String(decoding: w.data, as: UTF8.self)
        XCTAssertEqual(text, "merchant,amount\n\"Hotel \"\"Adlon\"\", Berlin\",-12.50\n\"'=HYPERLINK(\"\"x\"\")\",1.00\n\"line\nbreak\",2\n")
        let rows = CSVReader.rows(w.data)
        XCTAssertEqual(rows[0]["merchant"], "Hotel \"Adlon\", Berlin")
        XCTAssertEqual(rows[2]["merchant"], "line\nbreak")
    }

    func testStreamingFileIsAtomicAndHashes() throws {
        let url = dir.appendingPathComponent("s/out.txt")
        let f = try StreamingFile(url)
        f.write("hello ")
        XCTAssertFalse(FileManager.default.fileExists(atPath: url.path), "not visible before finish")
        f.write("world")
        let sha = try f.finish()
        XCTAssertEqual(sha, StagedFile.sha256(Data("hello world".utf8)))
        XCTAssertEqual(try StagedFile.sha256(of: url), sha)
    }
}

final class LedgerTests: XCTestCase {
    var path: String!
    override func setUp() { path = FileManager.default.temporaryDirectory.appendingPathComponent("ledger-\(UUID().uuidString).sqlite").path }
    override func tearDown() { try? FileManager.default.removeItem(atPath: path) }

    func doc(_ key: String) -> InvoiceDocument {
        InvoiceDocument(
            key: key, kind: .employee, reportID: "42", reportName: "Trip", policyID: "P", company: "usmf", vendorAccount: "V1",
            employeeEmail: "a@b", currency: "USD", invoiceDate: "2026-11-02", postingDate: "2026-11-02", description: "d",
            dimensionDisplayValue: "", total: "1.00", lines: [])
    }

    func testLoadedDocumentsAreFinalAndAuditIsAppendOnly() throws {
        let ledger = try Ledger(path: path)
        let a = AuditContext(actor: "test", batchID: "B1", stage: .load)
        try ledger.createBatch(id: "B1", target: "d365fo", approvedAfter: "2026-10-31", exportLabel: "L", audit: a)
        try ledger.recordExtracted(reportID: "42", policyID: "P", submitter: "a@b", approved: "2026-11-02 10:00:00", batchID: "B1", audit: a)
        try ledger.registerDocument(doc("EXP42"), batchID: "B1", audit: a)
        try ledger.setDocumentState("EXP42", state: .loaded, erpReference: "00000007", error: nil, batchID: "B1", audit: a)
        try ledger.setDocumentState("EXP42", state: .failed, erpReference: nil, error: "x", batchID: "B1", audit: a)
        XCTAssertEqual(try ledger.document("EXP42")?.state, .loaded)
        XCTAssertEqual(try ledger.document("EXP42")?.erpReference, "00000007")
        // Reopening the same file keeps everything (a real SQLite file, migrations idempotent).
        let again = try Ledger(path: path)
        XCTAssertEqual(try again.document("EXP42")?.state, .loaded)
        XCTAssertGreaterThanOrEqual(try again.auditEvents(entityID: "EXP42").count, 2)
        // A report that was loaded does not go back when Expensify returns it again.
        try again.setReportState("42", state: .loaded, reason: nil, audit: a)
        try again.recordExtracted(reportID: "42", policyID: "P", submitter: "a@b", approved: nil, batchID: "B1", audit: a)
        try again.setReportState("42", state: .ready, reason: nil, audit: a)
        XCTAssertEqual(try again.report("42")?.state, .loaded)
    }

    func testTargetCapabilitiesAreRememberedPerTargetAndChangesAudited() throws {
        let a = AuditContext(actor: "test", batchID: nil, stage: .load)
        do {
            let ledger = try Ledger(path: path)
            XCTAssertEqual(try ledger.targetCapabilities("d365fo https://a.example"), [:])
            try ledger.rememberTargetCapability(
                "d365fo https://a.example", name: "odata.batch.contentIdReferences", value: "unsupported",
                batchID: nil, audit: a)
            try ledger.rememberTargetCapability(
                "d365fo https://a.example", name: "odata.batch.contentIdReferences", value: "unsupported",
                batchID: nil, audit: a)
            try ledger.rememberTargetCapability("d365fo https://b.example", name: "odata.batch", value: "unsupported", batchID: nil, audit: a)
        }
        // A fresh connection (the next run) reads what was remembered.
        let again = try Ledger(path: path)
        XCTAssertEqual(try again.targetCapabilities("d365fo https://a.example"), ["odata.batch.contentIdReferences": "unsupported"])
        XCTAssertEqual(try again.targetCapabilities("d365fo https://b.example"), ["odata.batch": "unsupported"])
        try again.rememberTargetCapability(
            "d365fo https://a.example", name: "odata.batch.contentIdReferences", value: "supported",
            batchID: nil, audit: a)
        XCTAssertEqual(try again.targetCapabilities("d365fo https://a.example"), ["odata.batch.contentIdReferences": "supported"])
        XCTAssertEqual(
            try again.auditEvents(entityID: "d365fo https://a.example").map(\.detail),
            ["odata.batch.contentIdReferences: - -> unsupported", "odata.batch.contentIdReferences: unsupported -> supported"])
    }

    func testWatermarkOnlyMovesForward() throws {
        let ledger = try Ledger(path: path)
        let a = AuditContext(actor: "test", batchID: nil, stage: .commit)
        try ledger.advanceWatermark(to: "2026-11-10", batchID: "B1", audit: a)
        try ledger.advanceWatermark(to: "2026-11-05", batchID: "B2", audit: a)
        XCTAssertEqual(try ledger.watermark(), "2026-11-10")
        XCTAssertEqual(try ledger.auditEvents(entityID: "expensify.approvedAfter").map(\.event), ["watermark.advanced", "watermark.kept"])
    }
}
