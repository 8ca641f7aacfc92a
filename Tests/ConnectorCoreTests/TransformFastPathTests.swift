import ConnectorLedger
import ConnectorStaging
import Dynamics365
import Foundation
import XCTest

@testable import ConnectorCore
@testable import Pipeline

/// The parts `transform` uses instead of Foundation's JSON coders and one ledger transaction per report must give
/// exactly what those give: the same values from the same records, the same refusals, the same ledger rows.
final class TransformFastPathTests: XCTestCase {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    var dir: URL!

    override func setUp() {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("fast-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(at: dir) }

    private func direct(_ text: String) throws -> ExtractedReport {
        let data = Data(text.utf8)
        return try data.withUnsafeBytes { try ExtractedReport(jsonLine: $0) }
    }

    private func foundation(_ text: String) throws -> ExtractedReport {
        try JSONDecoder().decode(ExtractedReport.self, from: Data(text.utf8))
    }

    // MARK: Decoding records

    func testDirectDecodingGivesWhatJSONDecoderGivesForEveryGoldenRecord() throws {
        let url = Self.repo.appendingPathComponent("Tests/PipelineTests/Golden/sample-firm/extract/records.jsonl")
        let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map(String.init)
        XCTAssertGreaterThan(lines.count, 10)
        for (n, line) in lines.enumerated() {
            XCTAssertEqual(try direct(line), try foundation(line), "records.jsonl line \(n + 1)")
        }
    }

    func testDirectDecodingGivesWhatJSONDecoderGivesForAwkwardValues() throws {
        let awkward = [
            "", "plain", "quote \" and backslash \\ and slash / and </script>", "tab\tnewline\ncr\rcrlf\r\n",
            "\u{0}\u{1}\u{8}\u{C}\u{1F}\u{7F}", "Müller 寿司 🍣 e\u{301} \u{2028}\u{2029} \u{FEFF}", "=cmd|' /C calc'!A0", "-12.50",
            String(repeating: "long ", count: 20_000),
        ]
        var records: [ExtractedReport] = []
        for (n, text) in awkward.enumerated() {
            let expense = Expense(
                transactionID: "T\(n)", amount: n.isMultiple(of: 2) ? Int64.max : nil, currency: text,
                convertedAmount: n.isMultiple(of: 3) ? Int64.min : -1, currencyConversionRate: n.isMultiple(of: 2) ? text : nil,
                modifiedAmount: n.isMultiple(of: 2) ? nil : 0, merchant: text, modifiedMerchant: text, created: text,
                modifiedCreated: "", category: text, categoryGlCode: text, tag: text, tagGlCode: text,
                tagLevels: n.isMultiple(of: 2) ? [] : [ExpenseTag(name: text, glCode: text), ExpenseTag(name: "", glCode: "")],
                comment: text, reimbursable: n.isMultiple(of: 2), billable: !n.isMultiple(of: 2), receiptURL: text)
            let report = ExpenseReport(
                reportID: "R\(n)\(text)", reportName: text, policyID: text, policyName: text, status: text,
                currency: text, total: n.isMultiple(of: 2) ? nil : Int64(n) * -100, created: text, submitted: text,
                approved: text, accountEmail: text, managerEmail: text, submitterFullName: text,
                expenses: n == 0 ? [] : [expense, expense])
            records.append(ExtractedReport(index: n, report: report, issues: [RecordIssue(record: text, field: text, reason: text)]))
        }
        records.append(ExtractedReport(index: 99, report: nil, issues: []))
        let styles: [JSONEncoder.OutputFormatting] = [[.sortedKeys, .withoutEscapingSlashes], [], [.prettyPrinted]]
        for style in styles {
            let encoder = JSONEncoder()
            encoder.outputFormatting = style
            for record in records {
                let text = String(decoding: try encoder.encode(record), as: UTF8.self)
                XCTAssertEqual(try direct(text), record, "style \(style.rawValue), record \(record.index)")
                XCTAssertEqual(try direct(text), try foundation(text))
            }
        }
        // Escapes JSONEncoder does not write, key order, unknown keys, whitespace and null optionals.
        let handWritten = #"""
             { "issues" : [ { "reason":"\u00e9\ud83c\udf63\/\b\f", "field":"f", "record":"r", "extra": [1, -2.5e3, {"a": null}, true] } ],
               "index": 7, "unknown": {"nested": ["x", false]},
               "report": {"expenses": [{"amount": null, "billable": false, "category": "c", "categoryGlCode": "", "comment": "",
                 "convertedAmount": -0, "created": "2026-11-01", "currency": "USD", "currencyConversionRate": null, "merchant": "m",
                 "modifiedAmount": null, "modifiedCreated": "", "modifiedMerchant": "", "receiptURL": "", "reimbursable": true,
                 "tag": "", "tagGlCode": "", "tagLevels": [], "transactionID": "1"}],
                 "accountEmail": "a", "approved": "", "created": "", "currency": "", "managerEmail": "", "policyID": "",
                 "policyName": "", "reportID": "1", "reportName": "", "status": "", "submitted": "", "submitterFullName": "",
                 "total": null, "\u0074otal2": 1}
             }
            """#
        XCTAssertEqual(try direct(handWritten), try foundation(handWritten))
        XCTAssertEqual(try direct(handWritten).issues.first?.reason, "é🍣/\u{8}\u{C}")
        // What JSONDecoder accepts beyond RFC 8259, or in other spellings: an escaped key, trailing commas, whole numbers
        // with a fraction or an exponent.
        for text in [
            #"{"\u0069ndex":3,"issues":[]}"#, #"{"index":3,"issues":[{"field":"f","reason":"r","record":"x",},],}"#,
            #"{"index":3.0,"issues":[]}"#, #"{"index":2e1,"issues":[]}"#, #"{"index":-0,"issues":[]}"#,
        ] {
            XCTAssertEqual(try direct(text), try foundation(text), text)
        }
    }

    func testDirectDecodingRefusesWhatJSONDecoderRefuses() throws {
        let good = #"{"index":1,"issues":[{"field":"f","reason":"r","record":"x"}]}"#
        XCTAssertEqual(try direct(good), try foundation(good))
        let bad = [
            "", "   ", #"{"index":1"#, #"{"index":1,"issues":[]"#, #"{"index":1}"#, #"{"issues":[]}"#,
            #"{"index":"1","issues":[]}"#, #"{"index":1.5,"issues":[]}"#, #"{"index":99999999999999999999,"issues":[]}"#,
            #"{"index":01,"issues":[]}"#, #"{"index":1,"issues":[]} x"#, #"{,"index":1,"issues":[]}"#, #"{"index":1,"issues":[],,}"#,
            #"{"index":1,"issues":[,]}"#, #"{"index":1 "issues":[]}"#, #"{"index":1.5e0,"issues":[]}"#,
            #"{"index":1,"issues":[{"field":null,"reason":"r","record":"x"}]}"#,
            #"{"index":1,"issues":[{"field":"\ud800","reason":"r","record":"x"}]}"#,
            #"{"index":1,"issues":[{"field":"\udc00\ud800","reason":"r","record":"x"}]}"#,
            #"{"index":1,"issues":[{"field":"\x","reason":"r","record":"x"}]}"#,
            #"{"index":1,"issues":[{"field":"\u12","reason":"r","record":"x"}]}"#,
            "{\"index\":1,\"issues\":[{\"field\":\"a\u{1}b\",\"reason\":\"r\",\"record\":\"x\"}]}",
            #"{"index":1,"issues":[],"report":{"reportID":"1"}}"#,
            #"{"index":1,"issues":[],"report":[]}"#, #"{"index":1,"issues":{}}"#, #"{"index":tru,"issues":[]}"#,
            #"[{"index":1,"issues":[]}]"#,
        ]
        for text in bad {
            XCTAssertThrowsError(try foundation(text), "JSONDecoder accepts \(text)")
            XCTAssertThrowsError(try direct(text), "direct decoding accepts \(text)")
        }
        var invalidUTF8 = Data(#"{"index":1,"issues":[{"field":"a"#.utf8)
        invalidUTF8.append(contentsOf: [0xC3, 0x28])
        invalidUTF8.append(contentsOf: Data(#"","reason":"r","record":"x"}]}"#.utf8))
        XCTAssertThrowsError(try JSONDecoder().decode(ExtractedReport.self, from: invalidUTF8))
        XCTAssertThrowsError(try invalidUTF8.withUnsafeBytes { try ExtractedReport(jsonLine: $0) })
    }

    // MARK: Reading JSON Lines

    func testLinesReaderReadsLongLinesAcrossChunksBlankLinesAndALastLineWithoutNewline() throws {
        let url = dir.appendingPathComponent("records.jsonl")
        let writer = try JSONLinesWriter<ExtractedReport>(url)
        var written: [ExtractedReport] = []
        for n in 0..<40 {
            let long = String(repeating: "é\(n)", count: n * 1_500)
            let r = ExtractedReport(index: n, report: nil, issues: [RecordIssue(record: "export[\(n)]", field: "(json)", reason: long)])
            written.append(r)
            try writer.append(r)
        }
        try writer.finish()
        var data = try Data(contentsOf: url)
        data.append(Data("\n  \t\r\n".utf8))
        data.append(try JSONEncoder().encode(ExtractedReport(index: 40, report: nil, issues: [])))  // no newline at the end
        try data.write(to: url)
        written.append(ExtractedReport(index: 40, report: nil, issues: []))

        var reader = try JSONLinesReader<ExtractedReport>(url)
        var read: [ExtractedReport] = []
        while let r = try reader.next() { read.append(r) }
        reader.close()
        XCTAssertEqual(read, written)
        XCTAssertEqual(reader.line, 43, "blank lines counted")
    }

    func testLinesReaderNamesTheDamagedLine() throws {
        let url = dir.appendingPathComponent("records.jsonl")
        try Data("{\"index\":0,\"issues\":[]}\n{\"index\":1,\"issues\":[}\n".utf8).write(to: url)
        var reader = try JSONLinesReader<ExtractedReport>(url)
        XCTAssertEqual(try reader.next()?.index, 0)
        XCTAssertThrowsError(try reader.next()) { error in
            let e = error as? ConnectorError
            XCTAssertEqual(e?.code, "staging.malformed")
            XCTAssertEqual(e?.context["line"], "2")
            XCTAssertTrue(e?.message.contains("records.jsonl line 2") ?? false, e?.message ?? "")
        }
        reader.close()
    }

    // MARK: Text and money helpers of the mapping rules

    /// The text helpers give what the Foundation calls they replace give, ASCII or not.
    func testTextHelpersGiveWhatFoundationGives() {
        let pieces = [
            " ", "\t", "\n", "\r", "\u{A0}", "\u{1680}", "\u{2000}", "\u{200A}", "\u{200B}", "\u{202F}", "\u{205F}", "\u{3000}",
            "\u{180E}", "\u{FEFF}", "\u{85}", "\u{301}", "a", "-", "\\", "é", "寿", "🍣", "",
        ]
        var samples: [String] = []
        for a in pieces { for b in ["", "x", "x-y", "2026-11-05"] { for c in pieces { samples.append(a + b + c) } } }
        samples += [
            "2026-11-05 10:15:00", " 2026-11-05", "2026-11-05\u{301}", "2026-+1-05", "02026-1-05", "1900-01-01", "2026-13-01",
            "2026-12-31x", "２０２６-11-05", "2026-11-0", "2026/11/05", "-", "--", "a-b-c", "020-PL-01-", "é-x", "-\u{301}",
        ]
        for s in samples {
            XCTAssertEqual(s.trimmedWhitespace, s.trimmingCharacters(in: .whitespaces), s.debugDescription)
            XCTAssertEqual(s.replacingASCII("-", with: "\\-"), s.replacingOccurrences(of: "-", with: "\\-"), s.debugDescription)
            XCTAssertEqual(s.replacingASCII("--", with: "+"), s.replacingOccurrences(of: "--", with: "+"), s.debugDescription)
            let reference: String? = {
                let d = String(s.trimmingCharacters(in: .whitespaces).prefix(10))
                return ConnectorConfig.isDate(d) ? d : nil
            }()
            XCTAssertEqual(ReportMapper.day(s), reference, s.debugDescription)
            let clipped: String = {
                let flat = s.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
                return flat.count <= 5 ? flat : String(flat.prefix(4)) + "…"
            }()
            XCTAssertEqual(ReportMapper.clip(s, 5), clipped, s.debugDescription)
        }
    }

    /// Money parsing and formatting as before: compared with the general implementations they short-cut.
    func testMoneyFastPathsGiveWhatTheGeneralPathsGive() {
        func referenceParse(_ text: String, _ currency: Currency) -> Money? {
            var t = text.trimmingCharacters(in: .whitespaces)
            var neg = false
            if t.hasPrefix("-") {
                neg = true
                t.removeFirst()
            }
            let parts = t.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count <= 2, let intPart = parts.first, !intPart.isEmpty, intPart.allSatisfy(\.isASCII), intPart.allSatisfy(\.isNumber) else {
                return nil
            }
            var frac = parts.count == 2 ? String(parts[1]) : ""
            guard frac.allSatisfy({ $0.isASCII && $0.isNumber }), frac.count <= currency.exponent else { return nil }
            if parts.count == 2 && frac.isEmpty { return nil }
            frac += String(repeating: "0", count: currency.exponent - frac.count)
            guard let v = Int64(intPart + frac) else { return nil }
            return Money(minorUnits: neg ? -v : v, currency: currency)
        }
        func referenceText(_ m: Money) -> String {
            let e = m.currency.exponent
            if e == 0 { return String(m.minorUnits) }
            var s = String(m.minorUnits.magnitude)
            if s.count <= e { s = String(repeating: "0", count: e - s.count + 1) + s }
            let cut = s.index(s.endIndex, offsetBy: -e)
            return (m.minorUnits < 0 ? "-" : "") + s[..<cut] + "." + s[cut...]
        }
        let currencies = ["JPY", "USD", "BHD", "CLF"].compactMap { Currency(code: $0) }
        let texts = [
            "", "-", ".", "-.", "0", "-0", "00", "1", "-1", "12.5", "12.50", "12.505", "-12.50", "1.", ".5", "1..2", "1.2.3", "--1",
            " 12.50", "12.50 ", "+1", "1e2", "１２", "12,50", "999999999999999999", "9999999999999999999", "99999999999999.9999",
            "9223372036854775807", "922337203685477.5807", "-922337203685477.5808", "12.5\u{301}",
        ]
        for c in currencies {
            for t in texts { XCTAssertEqual(Money.parse(t, currency: c), referenceParse(t, c), "\(t.debugDescription) \(c.code)") }
            for v: Int64 in [0, 1, -1, 5, -5, 9, 10, 99, 100, 101, -100, 123_456, -123_456, 1_000_000_007, .max, .min, .min + 1] {
                XCTAssertEqual(Money(minorUnits: v, currency: c).amountText, referenceText(Money(minorUnits: v, currency: c)), "\(v) \(c.code)")
            }
        }
        for code in ["USD", "usd", " USD", "USD ", "US", "USDX", "U$D", "ÚSD", "JPY", "jpy\t", "\u{A0}BHD"] {
            let c = code.trimmingCharacters(in: .whitespaces).uppercased()
            let valid = c.count == 3 && c.unicodeScalars.allSatisfy { $0.value >= 65 && $0.value <= 90 }
            XCTAssertEqual(Currency(code: code)?.code, valid ? c : nil, code.debugDescription)
        }
    }

    // MARK: Writing invoices.json and the review CSVs

    func testInvoicesJSONIsByteForByteWhatJSONEncoderWrites() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        let texts = [
            "", "usmf", "Hotel \"Adlon\" Kempinski, C:\\path/to", "tab\t nl\n cr\r crlf\r\n bs\u{8} ff\u{C}",
            "\u{0}\u{1}\u{1F}\u{7F}", "Müller 寿司 🍣 e\u{301} \u{2028} \u{FEFF}", "020-PL\\-01-",
        ]
        var documents: [InvoiceDocument] = []
        for (n, t) in texts.enumerated() {
            let lines = (0..<(n % 3)).map { k in
                InvoiceLine(
                    lineNumber: k == 0 ? -k : 1_000_000 * k, transactionID: t, description: t, amount: t, mainAccount: t,
                    dimensionDisplayValue: t, category: t, merchant: t, expenseDate: t,
                    dimensions: k == 0 ? nil : (k == 1 ? [:] : ["DEPARTMENT": t, "CostCenter": "W01", "a": t, "Ü": "x"]))
            }
            documents.append(
                InvoiceDocument(
                    key: "EXP\(n)\(t)", kind: n.isMultiple(of: 2) ? .employee : .companyCard, reportID: t, reportName: t,
                    policyID: t, company: t, vendorAccount: t, employeeEmail: t, currency: t, invoiceDate: t,
                    postingDate: t, description: t, dimensionDisplayValue: t, total: t, lines: lines,
                    dimensions: n % 3 == 0 ? nil : (n % 3 == 1 ? ["B": t, "A": "1"] : [:])))
        }
        for d in documents {
            var out: [UInt8] = []
            InvoicesJSON.append(d, to: &out)
            XCTAssertEqual(String(decoding: out, as: UTF8.self), String(decoding: try encoder.encode(d), as: UTF8.self), d.key)
        }
        // Every scalar of the Basic Multilingual Plane and a few beyond, as one string.
        var all = String.UnicodeScalarView()
        for v in Array(0..<0xD800) + Array(0xE000..<0x10000) + [0x1F363, 0x10FFFF] { all.append(Unicode.Scalar(UInt32(v))!) }
        var out: [UInt8] = []
        InvoicesJSON.string(String(all), &out)
        let reference = try encoder.encode([String(all)])  // ["…"] pretty: "[\n  " + string + "\n]"
        XCTAssertEqual(out, Array(reference.dropFirst(4).dropLast(2)))
    }

    func testCSVQuotesEveryCommaQuoteCRAndLFByteAndDefusesFormulas() throws {
        let cells = ["a\r\nb", "x\"\u{301}y", "=\u{301}x", "-12.50", "-1.5x", "-.5", "1.", "-", "+1", "@a", "\tx", "\rx", "plain, comma", "寿司"]
        var out: [UInt8] = []
        CSVWriter.appendLine(cells, to: &out)
        XCTAssertEqual(
            String(decoding: out, as: UTF8.self),
            "\"a\r\nb\",\"x\"\"\u{301}y\",'=\u{301}x,-12.50,'-1.5x,'-.5,1.,'-,'+1,'@a,'\tx,\"'\rx\",\"plain, comma\",寿司\n")
        let rows = CSVReader.parse(String(decoding: out, as: UTF8.self))
        XCTAssertEqual(rows.first?[0], "a\r\nb", "a CR LF pair inside a cell survives the round trip")
        XCTAssertEqual(rows.first?[1], "x\"\u{301}y")
        XCTAssertEqual(rows.first?.count, cells.count)
    }

    // MARK: Reading and mapping ahead of the writing

    /// The reading thread hands over every record in order, in chunks, then a damaged line's error, and stops when
    /// cancelled.
    func testMappedReportsKeepOrderAndDeliverADamagedLinesErrorAfterWhatCameBefore() throws {
        let config = try ReportMapperTests.config()
        let mapper = ReportMapper(
            config: config, catalog: PolicyCatalog(), reference: ReportMapperTests.reference,
            dimensionFormatter: D365DimensionDisplayValue(delimiter: "-"))
        let url = dir.appendingPathComponent("records.jsonl")
        var text = ""
        let encoder = JSONEncoder()
        for n in 0..<700 {
            let report = ExpenseReport(
                reportID: String(n % 650), reportName: "", policyID: "P1", policyName: "", status: "Approved", currency: "USD",
                total: nil, created: "", submitted: "", approved: "2026-11-02", accountEmail: "ann@x.example",
                managerEmail: "", submitterFullName: "", expenses: [])
            text += String(decoding: try encoder.encode(ExtractedReport(index: n, report: n == 3 ? nil : report, issues: [])), as: UTF8.self) + "\n"
        }
        try (text + "{\"index\":700,\"issues\":[\n" + text).write(to: url, atomically: true, encoding: .utf8)
        let mapped = MappedReports(records: url, mapper: mapper, chunkSize: 64, depth: 2)
        var items: [String] = []
        XCTAssertThrowsError(
            try {
                while let chunk = try mapped.next() {
                    XCTAssertLessThanOrEqual(chunk.count, 64)
                    for item in chunk {
                        switch item {
                        case .mapped(let o): items.append(o.reportID)
                        case .duplicate(let id): items.append("dup \(id)")
                        case .unreadable(let r): items.append("unreadable \(r.index)")
                        }
                    }
                }
            }()
        ) { error in
            XCTAssertEqual((error as? ConnectorError)?.code, "staging.malformed")
            XCTAssertEqual((error as? ConnectorError)?.context["line"], "701")
        }
        XCTAssertEqual(items.count, 700)
        XCTAssertEqual(items[2], "2")
        XCTAssertEqual(items[3], "unreadable 3")
        XCTAssertEqual(items[650], "dup 0")
        XCTAssertEqual(items[699], "dup 49")
        XCTAssertThrowsError(try mapped.next(), "the error stays")
        mapped.cancel()

        // Cancelled after one chunk of many: the reader stops waiting for room.
        let early = MappedReports(records: url, mapper: mapper, chunkSize: 8, depth: 1)
        XCTAssertEqual(try early.next()?.count, 8)
        early.cancel()
    }

    // MARK: Batched ledger writes

    /// The same decisions through `LedgerWrites` and through the one-transaction-per-call API leave the same rows.
    func testBatchedWritesLeaveTheRowsTheSingleCallsLeave() throws {
        func prepared(_ name: String) throws -> (Ledger, AuditContext) {
            let ledger = try Ledger(path: dir.appendingPathComponent(name).path)
            let a = AuditContext(actor: "test", batchID: "B1", stage: .transform)
            try ledger.createBatch(id: "B1", target: "d365fo", approvedAfter: "2026-10-31", exportLabel: "L", audit: a)
            for id in ["1", "2", "3", "4", "5"] {
                try ledger.recordExtracted(reportID: id, policyID: "P", submitter: "a@b", approved: nil, batchID: "B1", audit: a)
            }
            try ledger.setReportState("4", state: .loaded, reason: nil, audit: a)
            try ledger.setReportState("5", state: .committed, reason: nil, audit: a)
            try ledger.setReportState("3", state: .held, reason: "tag: unknown", currency: "USD", audit: a)
            return (ledger, a)
        }
        typealias Decision = (id: String, state: ReportState, reason: String?, currency: String?, total: String?)
        let decisions: [Decision] = [
            ("1", .ready, nil, "USD", "12.50"), ("2", .held, "category: is missing", "EUR", nil), ("3", .held, "tag: unknown", "USD", nil),
            ("4", .ready, nil, "USD", "1.00"), ("5", .held, "x", nil, nil), ("unknown", .ready, nil, "USD", "1.00"),
            ("1", .ready, nil, "USD", "12.50"),
        ]
        let (single, a) = try prepared("single.sqlite")
        for d in decisions {
            if try single.report(d.id) != nil {
                try single.setReportState(d.id, state: d.state, reason: d.reason, currency: d.currency, total: d.total, audit: a)
            }
            try single.audit(a, entityType: "report", entityID: d.id, event: "exception", detail: "detail of \(d.id)")
        }
        let (batched, b) = try prepared("batched.sqlite")
        var writes = LedgerWrites()
        for d in decisions {
            writes.setReportStateIfKnown(d.id, state: d.state, reason: d.reason, currency: d.currency, total: d.total)
            writes.audit(entityType: "report", entityID: d.id, event: "exception", detail: "detail of \(d.id)")
        }
        XCTAssertEqual(writes.count, decisions.count * 2)
        try batched.flush(&writes, audit: b)
        XCTAssertTrue(writes.isEmpty)

        func rows(_ l: Ledger) throws -> [String] {
            try l.reports(lastBatchID: "B1").map { "\($0.reportID) \($0.state) \($0.reason ?? "-") \($0.currency ?? "-") \($0.total ?? "-")" }
        }
        func events(_ l: Ledger) throws -> [String] {
            try l.auditEvents(batchID: "B1").map { "\($0.actor) \($0.stage ?? "-") \($0.entityType) \($0.entityID) \($0.event) \($0.detail)" }
        }
        XCTAssertEqual(try rows(batched), try rows(single))
        XCTAssertEqual(try events(batched), try events(single))
        XCTAssertEqual(try batched.report("4")?.state, .loaded, "a loaded report never goes back")
        XCTAssertEqual(try batched.report("5")?.state, .committed)
        XCTAssertEqual(try batched.report("1")?.total, "12.50")
    }
}
