import ConnectorCore
import Expensify
import Foundation
import XCTest

/// Every optional field of the export in every shape Expensify may send it: absent, "", 0 and a number.
/// All shapes are rendered in one run of real Apache FreeMarker 2.3.31 with the shipped template; each
/// render must be valid JSON, and each must decode (`ExpenseReport.decode`) to the same report as the
/// baseline except for the field's documented meaning:
/// - absent and "" always mean the same thing (the template writes null for both);
/// - 0 means "no value" where Expensify uses it so (modifiedAmount, the edit fields, the conversion rate,
///   a receiptObject or submitter that is not a hash), and is a real 0 elsewhere;
/// - a number where text belongs is its digits (a GL code 6010 is "6010"), never "6,010".
extension ExportTemplateFreeMarkerTests {
    /// What one shape of a field must decode to, as a change applied to the baseline report.
    enum Expect {
        /// The same report as the field's "absent" shape.
        case unset
        /// The baseline with this change.
        case set((inout ExpenseReport) -> Void)
    }

    struct FieldCase {
        /// Dotted path inside the first expense (`expense.`) or the report (`report.`).
        var path: String
        /// The field's meaning when absent (applied to the baseline).
        var unset: (inout ExpenseReport) -> Void
        var zero: Expect
        var number: JSONValue
        var numberMeans: Expect
        /// Issue fields expected for the absent/"" shape, the 0 shape and the number shape.
        var issues: (unset: [String], zero: [String], number: [String]) = ([], [], [])
    }

    static let baseline: JSONValue = .object([
        "reportID": .string("91000000"), "reportName": .string("Shapes"), "policyID": .string("A1B2C3D4E5F60001"),
        "policyName": .string("Northwind US"), "status": .string("Approved"), "currency": .string("USD"), "total": .int(4746),
        "created": .string("2026-11-02 08:15:00"), "submitted": .string("2026-11-03 17:02:11"),
        "approved": .string("2026-11-05 09:14:40"), "accountEmail": .string("alice.nguyen@northwind.example"),
        "managerEmail": .string("finance@northwind.example"),
        "submitter": .object(["firstName": .string("Alice"), "lastName": .string("Nguyen"), "fullName": .string("Alice Nguyen")]),
        "transactionList": .array([
            .object([
                "transactionID": .string("6720309558248016"), "amount": .int(4500), "currency": .string("EUR"),
                "convertedAmount": .int(4346), "currencyConversionRate": .number("1.0867"), "modifiedAmount": .int(4000),
                "merchant": .string("LH 400"), "modifiedMerchant": .string("Lufthansa"), "created": .string("2026-11-01"),
                "modifiedCreated": .string("2026-10-31"), "category": .string("Airfare"), "categoryGlCode": .string("6010"),
                "tag": .string("Sales:West"), "tagGlCode": .string("W01"), "ntag1": .string("Sales"), "ntag1GlCode": .string("010"),
                "ntag2": .string("West"), "ntag2GlCode": .string("W01"), "comment": .string("seat upgrade"),
                "reimbursable": .bool(true), "billable": .bool(true),
                "receiptObject": .object(["url": .string("https://www.expensify.com/receipts/w_1.jpg"), "type": .string("jpg")]),
                "type": .string("cash"),
            ]),
            .object([
                "transactionID": .string("6720309558248017"), "amount": .int(400), "currency": .string("USD"),
                "convertedAmount": .int(400), "merchant": .string("Cab"), "created": .string("2026-11-02"),
                "category": .string("Ground Transportation"), "categoryGlCode": .string("6013"), "reimbursable": .bool(true),
                "billable": .bool(false), "receiptObject": .object([:]), "type": .string("cash"),
            ]),
        ]),
    ])

    static var fieldCases: [FieldCase] {
        [
            FieldCase(
                path: "expense.modifiedAmount", unset: { $0.expenses[0].modifiedAmount = nil }, zero: .unset,
                number: .int(2500), numberMeans: .set { $0.expenses[0].modifiedAmount = 2500 }),
            FieldCase(
                path: "expense.modifiedMerchant", unset: { $0.expenses[0].modifiedMerchant = "" }, zero: .unset,
                number: .int(7), numberMeans: .set { $0.expenses[0].modifiedMerchant = "7" }),
            FieldCase(
                path: "expense.modifiedCreated", unset: { $0.expenses[0].modifiedCreated = "" }, zero: .unset,
                number: .int(20_261_101), numberMeans: .set { $0.expenses[0].modifiedCreated = "20261101" }),
            FieldCase(
                path: "expense.convertedAmount", unset: { $0.expenses[0].convertedAmount = nil },
                zero: .set { $0.expenses[0].convertedAmount = 0 },
                number: .int(123_456_789), numberMeans: .set { $0.expenses[0].convertedAmount = 123_456_789 }),
            FieldCase(
                path: "expense.currencyConversionRate", unset: { $0.expenses[0].currencyConversionRate = nil }, zero: .unset,
                number: .number("0.00668"), numberMeans: .set { $0.expenses[0].currencyConversionRate = "0.00668" }),
            FieldCase(
                path: "expense.amount", unset: { $0.expenses[0].amount = nil }, zero: .set { $0.expenses[0].amount = 0 },
                number: .int(-1250), numberMeans: .set { $0.expenses[0].amount = -1250 }),
            FieldCase(
                path: "expense.receiptObject", unset: { $0.expenses[0].receiptURL = "" }, zero: .unset,
                number: .int(5), numberMeans: .unset),
            FieldCase(
                path: "expense.receiptObject.url", unset: { $0.expenses[0].receiptURL = "" },
                zero: .set { $0.expenses[0].receiptURL = "0" },
                number: .int(12345), numberMeans: .set { $0.expenses[0].receiptURL = "12345" }),
            FieldCase(
                path: "expense.categoryGlCode", unset: { $0.expenses[0].categoryGlCode = "" },
                zero: .set { $0.expenses[0].categoryGlCode = "0" },
                number: .int(6010), numberMeans: .set { $0.expenses[0].categoryGlCode = "6010" }),
            FieldCase(
                path: "expense.tagGlCode", unset: { $0.expenses[0].tagGlCode = "" }, zero: .set { $0.expenses[0].tagGlCode = "0" },
                number: .int(1_234_567), numberMeans: .set { $0.expenses[0].tagGlCode = "1234567" }),
            FieldCase(
                path: "expense.ntag1GlCode", unset: { $0.expenses[0].tagLevels[0].glCode = "" },
                zero: .set { $0.expenses[0].tagLevels[0].glCode = "0" },
                number: .int(10), numberMeans: .set { $0.expenses[0].tagLevels[0].glCode = "10" }),
            FieldCase(
                path: "expense.ntag2GlCode", unset: { $0.expenses[0].tagLevels[1].glCode = "" },
                zero: .set { $0.expenses[0].tagLevels[1].glCode = "0" },
                number: .int(1001), numberMeans: .set { $0.expenses[0].tagLevels[1].glCode = "1001" }),
            FieldCase(
                path: "expense.tag", unset: { $0.expenses[0].tag = "" }, zero: .set { $0.expenses[0].tag = "0" },
                number: .int(5), numberMeans: .set { $0.expenses[0].tag = "5" }),
            FieldCase(
                path: "expense.comment", unset: { $0.expenses[0].comment = "" }, zero: .set { $0.expenses[0].comment = "0" },
                number: .int(42), numberMeans: .set { $0.expenses[0].comment = "42" }),
            FieldCase(
                path: "expense.billable", unset: { $0.expenses[0].billable = false }, zero: .unset,
                number: .int(1), numberMeans: .set { $0.expenses[0].billable = true }),
            FieldCase(
                path: "expense.reimbursable", unset: { $0.expenses[0].reimbursable = false },
                zero: .set { $0.expenses[0].reimbursable = false },
                number: .int(1), numberMeans: .set { _ in }, issues: (["reimbursable"], [], [])),
            FieldCase(
                path: "report.total", unset: { $0.total = nil }, zero: .set { $0.total = 0 },
                number: .int(123_456_789), numberMeans: .set { $0.total = 123_456_789 }),
            FieldCase(
                path: "report.submitted", unset: { $0.submitted = "" }, zero: .set { $0.submitted = "0" },
                number: .int(20_261_103), numberMeans: .set { $0.submitted = "20261103" }),
            FieldCase(
                path: "report.approved", unset: { $0.approved = "" }, zero: .set { $0.approved = "0" },
                number: .int(20_261_105), numberMeans: .set { $0.approved = "20261105" }),
            FieldCase(
                path: "report.managerEmail", unset: { $0.managerEmail = "" }, zero: .set { $0.managerEmail = "0" },
                number: .int(7), numberMeans: .set { $0.managerEmail = "7" }),
            FieldCase(
                path: "report.submitter", unset: { $0.submitterFullName = "" }, zero: .unset,
                number: .int(7), numberMeans: .unset),
            FieldCase(
                path: "report.submitter.fullName", unset: { $0.submitterFullName = "" },
                zero: .set { $0.submitterFullName = "0" },
                number: .int(7), numberMeans: .set { $0.submitterFullName = "7" }),
            FieldCase(
                path: "report.transactionList", unset: { $0.expenses = [] }, zero: .unset,
                number: .int(3), numberMeans: .unset, issues: ([], ["transactionList"], ["transactionList"])),
        ]
    }

    enum Shape: String, CaseIterable { case absent, empty, zero, number }

    /// Sets (or removes, for nil) the value at a dotted path of the baseline.
    static func shaped(_ path: String, _ value: JSONValue?) -> JSONValue {
        var parts = path.split(separator: ".").map(String.init)
        let scope = parts.removeFirst()
        func set(_ v: JSONValue, _ keys: ArraySlice<String>) -> JSONValue {
            guard var o = v.objectValue, let k = keys.first else { return v }
            if keys.count == 1 { o[k] = value } else if let child = o[k] { o[k] = set(child, keys.dropFirst()) }
            return .object(o)
        }
        if scope == "report" { return set(baseline, parts[...]) }
        var report = baseline.objectValue!
        var expenses = report["transactionList"]!.arrayValue!
        expenses[0] = set(expenses[0], parts[...])
        report["transactionList"] = .array(expenses)
        return .object(report)
    }

    static func withID(_ report: JSONValue, _ id: String) -> JSONValue {
        var o = report.objectValue!
        o["reportID"] = .string(id)
        return .object(o)
    }

    /// Stable text of a decoded report (every stored property), with the report ID set back to the baseline's.
    static func describe(_ report: ExpenseReport?) -> String {
        guard var r = report else { return "nil" }
        r.reportID = "91000000"
        return String(describing: r)
    }

    func testEveryOptionalFieldDecodesTheSameWhetherAbsentEmptyZeroOrANumber() throws {
        let cases = Self.fieldCases
        var reports: [JSONValue] = [Self.baseline]
        for (i, c) in cases.enumerated() {
            for (s, shape) in Shape.allCases.enumerated() {
                let value: JSONValue? =
                    switch shape {
                    case .absent: nil
                    case .empty: .string("")
                    case .zero: .int(0)
                    case .number: c.number
                    }
                reports.append(Self.withID(Self.shaped(c.path, value), String(91_000_000 + (i + 1) * 10 + s)))
            }
        }
        // Every field at once: all absent, and all "" (the two shapes a server may use for "unset").
        let optional = [
            "modifiedAmount", "modifiedMerchant", "modifiedCreated", "convertedAmount", "currencyConversionRate",
            "receiptObject", "tagGlCode", "ntag1GlCode", "ntag2GlCode", "comment", "billable",
        ]
        func everything(_ value: JSONValue?) -> JSONValue {
            var r = Self.baseline
            for key in optional {
                var o = r.objectValue!
                var e = o["transactionList"]!.arrayValue!
                var first = e[0].objectValue!
                first[key] = value
                e[0] = .object(first)
                o["transactionList"] = .array(e)
                r = .object(o)
            }
            for key in ["submitted", "managerEmail", "submitter"] {
                var o = r.objectValue!
                o[key] = value
                r = .object(o)
            }
            return r
        }
        reports.append(Self.withID(everything(nil), "91999998"))
        reports.append(Self.withID(everything(.string("")), "91999999"))

        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ExportTemplateShapes-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let modelURL = dir.appendingPathComponent("shapes-model.json")
        try JSONValue.object(["reports": .array(reports), "addHeader": .bool(true)]).serialized(pretty: true).write(to: modelURL)

        let output = try render(modelURL: modelURL)
        let text = String(decoding: output, as: UTF8.self)
        XCTAssertNoThrow(try JSONSerialization.jsonObject(with: output), "not valid JSON:\n\(text)")
        let rendered = try XCTUnwrap(try JSONValue.parse(output).arrayValue, "the output must be a JSON array")
        XCTAssertEqual(rendered.count, reports.count, "one object per report")
        XCTAssertFalse(text.contains("123,456,789"), "no grouping separators")
        XCTAssertFalse(text.contains("6,010") || text.contains("1,234,567"), "numbers in text fields keep their digits")

        let decoded = rendered.enumerated().map { ExpensifyExportDecoder.decode($1, index: $0) }
        XCTAssertEqual(decoded[0].issues, [], "the baseline decodes cleanly")
        let base = try XCTUnwrap(decoded[0].report)
        XCTAssertEqual(base.expenses.count, 2)
        XCTAssertEqual(base.expenses[0].modifiedAmount, 4000)
        XCTAssertEqual(base.expenses[0].currencyConversionRate, "1.0867")

        for (i, c) in cases.enumerated() {
            let at = 1 + i * 4
            let (absent, empty, zero, number) = (decoded[at], decoded[at + 1], decoded[at + 2], decoded[at + 3])
            var unset = base
            c.unset(&unset)
            XCTAssertEqual(Self.describe(absent.report), Self.describe(unset), "\(c.path) absent")
            XCTAssertEqual(Self.describe(empty.report), Self.describe(absent.report), "\(c.path) \"\" must decode as absent")
            XCTAssertEqual(absent.issues.map(\.field), c.issues.unset, "\(c.path) absent: \(absent.issues)")
            XCTAssertEqual(empty.issues.map(\.field), c.issues.unset, "\(c.path) \"\": \(empty.issues)")
            for (what, result, expect, issues) in [
                ("0", zero, c.zero, c.issues.zero), ("number \(c.number.serializedString())", number, c.numberMeans, c.issues.number),
            ] {
                switch expect {
                case .unset:
                    XCTAssertEqual(Self.describe(result.report), Self.describe(unset), "\(c.path) \(what) must decode as absent")
                case .set(let change):
                    var expected = base
                    change(&expected)
                    XCTAssertEqual(Self.describe(result.report), Self.describe(expected), "\(c.path) \(what)")
                }
                XCTAssertEqual(result.issues.map(\.field), issues, "\(c.path) \(what): \(result.issues)")
            }
            for (s, shape) in Shape.allCases.enumerated() where !decoded[at + s].issues.isEmpty {
                let record = decoded[at + s].issues[0].record
                XCTAssertTrue(record.hasPrefix(String(91_000_000 + (i + 1) * 10 + s)), "\(c.path) \(shape): an issue names its record: \(record)")
            }
        }

        let absentAll = decoded[decoded.count - 2]
        let emptyAll = decoded[decoded.count - 1]
        XCTAssertEqual(Self.describe(emptyAll.report), Self.describe(absentAll.report), "every optional field \"\" decodes as every one absent")
        XCTAssertEqual(emptyAll.issues, [])
        XCTAssertNil(absentAll.report?.expenses[0].modifiedAmount)
        XCTAssertEqual(absentAll.report?.expenses[0].modifiedMerchant, "")
    }

    /// Values of a type no field should have (a list, an object) never fail the export: the report is held
    /// with an issue naming the record and field.
    func testAListOrObjectWhereAValueBelongsIsAnIssueNotAFailedExport() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ExportTemplateShapes-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var reports: [JSONValue] = []
        let odd: [(String, JSONValue)] = [
            ("expense.modifiedAmount", .array([.int(1)])), ("expense.merchant", .object(["a": .int(1)])),
            ("expense.reimbursable", .array([.bool(true)])), ("report.total", .object(["cents": .int(1)])),
            ("expense.amount", .string("12,34")), ("expense.billable", .string("maybe")),
            ("report.transactionList", .array([.int(1)])),
        ]
        for (i, (path, value)) in odd.enumerated() { reports.append(Self.withID(Self.shaped(path, value), String(92_000_000 + i))) }
        let modelURL = dir.appendingPathComponent("odd-model.json")
        try JSONValue.object(["reports": .array(reports)]).serialized().write(to: modelURL)
        let rendered = try XCTUnwrap(try JSONValue.parse(try render(modelURL: modelURL)).arrayValue)
        XCTAssertEqual(rendered.count, odd.count)
        for (i, (path, _)) in odd.enumerated() {
            let (report, issues) = ExpensifyExportDecoder.decode(rendered[i], index: i)
            XCTAssertNotNil(report)
            let field = path == "report.transactionList" ? "(expense)" : String(path.split(separator: ".").last!)
            XCTAssertEqual(issues.map(\.field), [field], "\(path): \(issues)")
            XCTAssertEqual(issues.first?.record.hasPrefix(String(92_000_000 + i)), true, "\(path): \(issues)")
        }
    }
}
