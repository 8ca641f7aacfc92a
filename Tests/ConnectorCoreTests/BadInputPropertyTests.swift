import Dynamics365
import Expensify
import Foundation
import PropertyBased
import XCTest

@testable import ConnectorCore

/// The bad-input corpus, generated: export elements as the shipped template writes them, with wrong types, huge
/// strings, zero, negative and out-of-range amounts, unknown currencies, missing and duplicate IDs, then truncated or
/// garbled bytes. Each element goes through `ExpensifyExportDecoder.record(_:index:)` and `ReportMapper`.
///
/// Properties: nothing crashes; an unreadable element and a held report always carry issues that name a record and
/// a field; a ready report's document totals equal the sum of their lines, in a currency ISO 4217 knows.
///
/// The generators are swift-property-based's (`Gen`), driven by a seeded `Xoshiro` so the suite runs under XCTest
/// (`swift test --disable-swift-testing`). `ML_PROPERTY_SEED` replays a run; `ML_PROPERTY_COUNT` (or `ML_SOAK=1`: 20,000)
/// sets the number of elements (default 1,500). A failure prints the seed, the element's number and its text.
final class BadInputPropertyTests: XCTestCase {
    static let environment = ProcessInfo.processInfo.environment
    static var count: Int {
        if let n = environment["ML_PROPERTY_COUNT"].flatMap(Int.init), n > 0 { return n }
        return environment["ML_SOAK"] == "1" ? 20_000 : 1_500
    }

    static var seed: UInt64 {
        if let s = environment["ML_PROPERTY_SEED"].flatMap(UInt64.init) { return s }
        var system = SystemRandomNumberGenerator()
        return system.next()
    }

    /// Xoshiro's four words from one seed (SplitMix64), so one number replays a run.
    static func rng(_ seed: UInt64) -> Xoshiro {
        var s = seed
        func next() -> UInt64 {
            s &+= 0x9E37_79B9_7F4A_7C15
            var z = s
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        return Xoshiro(seed: (next(), next(), next(), next()))
    }

    func testGeneratedExportElementsNeverCrashAndEveryProblemNamesRecordAndField() throws {
        continueAfterFailure = false  // the first failing element is the one to look at
        let seed = Self.seed
        var rng = Self.rng(seed)
        let mapper = ReportMapper(
            config: try ReportMapperTests.config(), catalog: PolicyCatalog(), reference: ReportMapperTests.reference,
            dimensionFormatter: D365DimensionDisplayValue(delimiter: "-"))
        var tally: [String: Int] = [:]
        for n in 0..<Self.count {
            let text = ExportElementGen.element(&rng)
            let context = "seed \(seed) (ML_PROPERTY_SEED=\(seed)), element \(n): \(text.prefix(600))"
            let record = ExpensifyExportDecoder.record(Data(text.utf8), index: n)
            for issue in record.issues {
                XCTAssertFalse(
                    issue.record.isEmpty || issue.field.isEmpty || issue.reason.isEmpty, "an issue without record or field: \(issue) — \(context)")
            }
            guard let report = record.report else {
                tally["unreadable", default: 0] += 1
                XCTAssertFalse(record.issues.isEmpty, "an unreadable element without a reason — \(context)")
                XCTAssertTrue(
                    record.issues.allSatisfy { $0.record == "export[\(n)]" || $0.record.hasPrefix("export[\(n)]/") },
                    "named by its place in the export — \(context)")
                continue
            }
            XCTAssertFalse(report.reportID.isEmpty, context)
            let outcome = mapper.map(report, decodeIssues: record.issues)
            tally[outcome.status.rawValue, default: 0] += 1
            switch outcome.status {
            case .held:
                XCTAssertTrue(outcome.documents.isEmpty, "a held report has no document — \(context)")
                XCTAssertFalse(outcome.issues.isEmpty, "held without an issue — \(context)")
                for issue in outcome.issues {
                    XCTAssertFalse(issue.field.isEmpty, "\(issue) — \(context)")
                    XCTAssertTrue(
                        issue.record == report.reportID || issue.record.hasPrefix(report.reportID + "/"),
                        "the issue names this report or one of its expenses: \(issue) — \(context)")
                }
            case .ready:
                XCTAssertTrue(record.issues.isEmpty, "a report with decode issues is never ready — \(context)")
                XCTAssertFalse(outcome.documents.isEmpty, context)
                for d in outcome.documents {
                    let currency = try XCTUnwrap(Currency(code: d.currency), "ready in a currency ISO 4217 does not know — \(context)")
                    XCTAssertTrue(Currency.isoCodes.contains(d.currency), context)
                    let total = try XCTUnwrap(Money.parse(d.total, currency: currency), "total \(d.total) — \(context)")
                    var sum = Money.zero(currency)
                    for line in d.lines {
                        let amount = try XCTUnwrap(Money.parse(line.amount, currency: currency), "line \(line.amount) — \(context)")
                        XCTAssertNotEqual(amount.minorUnits, 0, "a zero line never posts — \(context)")
                        sum = sum + amount
                    }
                    XCTAssertEqual(total, sum, "document total = sum of its lines — \(context)")
                    XCTAssertGreaterThan(total.minorUnits, 0, "no zero or negative invoice — \(context)")
                }
            case .empty:
                XCTAssertTrue(outcome.documents.isEmpty, context)
            }
        }
        // The generator reaches every outcome, so the properties were exercised, not skipped.
        for status in ["unreadable", "held", "ready"] {
            XCTAssertGreaterThan(tally[status, default: 0], 0, "no \(status) element among \(Self.count) (seed \(seed)): \(tally)")
        }
    }

    func testDuplicateReportIDsInOneExportAreEachReadOnTheirOwn() throws {
        // Duplicates are resolved by extract (the first copy is kept, the repeat audited); the decoder reads each.
        var rng = Self.rng(7)
        for _ in 0..<50 {
            let text = ExportElementGen.element(&rng, mutate: false)
            let a = ExpensifyExportDecoder.record(Data(text.utf8), index: 0)
            let b = ExpensifyExportDecoder.record(Data(text.utf8), index: 1)
            XCTAssertEqual(a.report, b.report, "the same element decodes the same way wherever it stands")
        }
    }

    func testUnknownCurrencyCodesAreExceptionsNamingTheField() throws {
        for code in ["XYZ", "ABC", "HRK", "XTS", "XXX", "XAU", "US", "U$D", ""] {
            XCTAssertNil(Currency(code: code), code)
        }
        for code in ["USD", "eur", "JPY", "BHD", "CLF", "XOF", "VED", "ZWG"] {
            XCTAssertNotNil(Currency(code: code), code)
        }
        let mapper = ReportMapper(
            config: try ReportMapperTests.config(), catalog: PolicyCatalog(), reference: ReportMapperTests.reference,
            dimensionFormatter: D365DimensionDisplayValue(delimiter: "-"))
        let report = ReportMapperTests.report("77", currency: "XYZ", [ReportMapperTests.expense("a", 1000, currency: "XYZ")])
        let out = mapper.map(report)
        XCTAssertEqual(out.status, .held)
        XCTAssertTrue(
            out.issues.contains { $0.record == "77" && $0.field == "currency" && $0.reason.contains("'XYZ' is not an ISO 4217") }, "\(out.issues)")
        XCTAssertTrue(out.issues.contains { $0.record == "77/a" && $0.field == "currency" }, "\(out.issues)")
    }
}

/// Export elements in the shape of the shipped template's output, with every field drawn from a mix of good and bad
/// values, then (sometimes) damaged as bytes.
enum ExportElementGen {
    /// A JSON value written by hand, so numbers too large for any binary type and raw damage can be expressed.
    indirect enum J: Sendable {
        case raw(String)
        case str(String)
        case obj([(String, J)])
        case arr([J])

        var text: String {
            switch self {
            case .raw(let r): return r
            case .str(let s): return quote(s)
            case .obj(let pairs): return "{" + pairs.map { quote($0.0) + ":" + $0.1.text }.joined(separator: ",") + "}"
            case .arr(let items): return "[" + items.map(\.text).joined(separator: ",") + "]"
            }
        }

        private func quote(_ s: String) -> String {
            var out = "\""
            for u in s.unicodeScalars {
                switch u {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                case "\r": out += "\\r"
                case "\t": out += "\\t"
                default:
                    if u.value < 0x20 { out += String(format: "\\u%04x", u.value) } else { out.unicodeScalars.append(u) }
                }
            }
            return out + "\""
        }
    }

    static func pick<T: Sendable>(_ options: [T], _ rng: inout Xoshiro) -> T { Gen<T?>.element(of: options).run(using: &rng)! }
    static func chance(_ percent: Int, _ rng: inout Xoshiro) -> Bool { Gen.int(in: 0..<100).run(using: &rng) < percent }

    /// Text: mostly ordinary, sometimes huge, odd Unicode, control characters, formula starts.
    static func text(_ rng: inout Xoshiro) -> String {
        switch Gen.int(in: 0..<10).run(using: &rng) {
        case 0: return String(repeating: Gen.letterOrNumber.string(of: 1...8).run(using: &rng), count: Gen.int(in: 1_000...12_000).run(using: &rng))
        case 1:
            return pick(
                ["Müller", "寿司 🍣", "=HYPERLINK(\"x\")", "-2+3+cmd|' /C calc'!A0", "a\u{0}b", "\u{202E}evil", "tab\there", "line\nbreak"], &rng)
        case 2: return ""
        default: return Gen.letterOrNumber.string(of: 1...24).run(using: &rng)
        }
    }

    /// A value where text belongs: text, null, a number, a boolean, the template's unsupported mark, a list.
    static func textField(_ rng: inout Xoshiro) -> J {
        switch Gen.int(in: 0..<20).run(using: &rng) {
        case 0: return .raw("null")
        case 1: return .raw(String(Gen.int(in: -99_999...99_999).run(using: &rng)))
        case 2: return .raw(pick(["true", "false"], &rng))
        case 3: return .obj([("unsupported", .raw("true"))])
        case 4: return .arr([.str("a")])
        default: return .str(text(&rng))
        }
    }

    /// Amounts: ordinary cents, zero, negative, near and beyond Int64, decimals, numeric and other text, null.
    static func amount(_ rng: inout Xoshiro) -> J {
        switch Gen.int(in: 0..<24).run(using: &rng) {
        case 0: return .raw("0")
        case 1: return .raw(String(-Gen.int(in: 1...500_000).run(using: &rng)))
        case 2:
            return .raw(
                pick(["9223372036854775807", "-9223372036854775808", "99999999999999999999", "4611686018427387904", "100000000000000"], &rng))
        case 3: return .raw(pick(["12.5", "1e3", "-0", "0.0"], &rng))
        case 4: return .str(pick(["1250", " 1250 ", "12,50", "abc", ""], &rng))
        case 5: return .raw("null")
        case 6: return .raw(pick(["true", "false"], &rng))
        case 7: return .obj([("unsupported", .raw("true"))])
        default: return .raw(String(Gen.int(in: 1...2_000_000).run(using: &rng)))
        }
    }

    static func currency(_ rng: inout Xoshiro) -> J {
        if chance(85, &rng) { return .str(pick(["USD", "USD", "USD", "EUR", "JPY", "BHD"], &rng)) }
        return pick([J.str("XYZ"), .str("usd"), .str(""), .str("US"), .str("ÜSD"), .raw("null"), .raw("840"), .str("HRK")], &rng)
    }

    static func date(_ rng: inout Xoshiro) -> J {
        if chance(90, &rng) { return .str("2026-11-\(String(format: "%02d", Gen.int(in: 1...20).run(using: &rng)))") }
        return pick([J.str("2026-02-30"), .str("yesterday"), .raw("null"), .str(""), .raw("20261101")], &rng)
    }

    static func expense(_ index: Int, currency: J, _ rng: inout Xoshiro) -> J {
        let gl = chance(90, &rng) ? J.str(pick(["6010", "6012", "6010"], &rng)) : textField(&rng)
        let tag: [(String, J)] =
            chance(85, &rng)
            ? [("ntag1", .str("Sales")), ("ntag1GlCode", .str("010")), ("ntag2", .str("Core")), ("ntag2GlCode", .str("PL-01"))]
            : [("ntag1", textField(&rng)), ("ntag1GlCode", textField(&rng))]
        let amountValue = chance(80, &rng) ? J.raw(String(Gen.int(in: 1...900_000).run(using: &rng))) : amount(&rng)
        var pairs: [(String, J)] =
            [
                ("transactionID", chance(95, &rng) ? .str("T\(index)") : textField(&rng)),
                ("amount", amountValue),
                ("currency", chance(90, &rng) ? currency : self.currency(&rng)),
                ("convertedAmount", chance(70, &rng) ? amountValue : amount(&rng)),
                ("currencyConversionRate", .raw("1")),
                ("modifiedAmount", chance(85, &rng) ? .raw("0") : amount(&rng)),
                ("merchant", chance(80, &rng) ? .str("Merchant \(index)") : textField(&rng)),
                ("modifiedMerchant", .raw("null")),
                ("created", date(&rng)),
                ("modifiedCreated", chance(90, &rng) ? .raw("null") : date(&rng)),
                ("category", .str("Cat")),
                ("categoryGlCode", gl),
            ] + tag + [
                ("comment", chance(90, &rng) ? .str("") : textField(&rng)),
                ("reimbursable", chance(90, &rng) ? .raw("true") : pick([J.raw("false"), .raw("null"), .str("yes"), .raw("1")], &rng)),
                ("billable", .raw("false")),
                ("receiptURL", .raw("null")),
            ]
        if chance(5, &rng) { pairs.removeAll { $0.0 == pick(["amount", "reimbursable", "transactionID", "currency"], &rng) } }
        return .obj(pairs)
    }

    /// One element: a well-formed report most of the time, with damaged fields, then sometimes damaged bytes.
    static func element(_ rng: inout Xoshiro, mutate: Bool = true) -> String {
        let id: J =
            chance(93, &rng)
            ? .str(String(Gen.int(in: 10_000_000...99_999_999).run(using: &rng))) : pick([J.str(""), .raw("null"), .raw("90000001"), .arr([])], &rng)
        let currency = currency(&rng)
        let expenses = (0..<Gen.int(in: 0...5).run(using: &rng)).map { expense($0, currency: currency, &rng) }
        var list: J = .arr(expenses)
        if chance(4, &rng) { list = pick([J.raw("null"), .str("none"), .obj([("unsupported", .raw("true"))]), .arr([.raw("5"), .str("x")])], &rng) }
        var pairs: [(String, J)] = [
            ("reportID", id), ("reportName", textField(&rng)), ("policyID", .str(pick(["P1", "P1", "P1", "PJ", "UNMAPPED"], &rng))),
            ("policyName", .str("Policy")), ("status", .str(pick(["Approved", "Approved", "Reimbursed", "Open"], &rng))),
            ("currency", currency), ("total", chance(70, &rng) ? .raw("null") : amount(&rng)),
            ("created", date(&rng)), ("submitted", date(&rng)), ("approved", date(&rng)),
            ("accountEmail", .str(pick(["ann@x.example", "ann@x.example", "hana@x.example", "bo@x.example", "nobody@x.example", ""], &rng))),
            ("managerEmail", .str("m@x.example")), ("submitterFullName", textField(&rng)), ("transactionList", list),
        ]
        if chance(3, &rng) { pairs.removeAll { $0.0 == "transactionList" } }
        var text = J.obj(pairs).text
        guard mutate else { return text }
        switch Gen.int(in: 0..<20).run(using: &rng) {
        case 0:  // truncated anywhere
            text = String(text.prefix(Gen.int(in: 0...max(0, text.count - 1)).run(using: &rng)))
        case 1:  // a byte of garbage in the middle
            var chars = Array(text)
            if !chars.isEmpty { chars[Gen.int(in: 0..<chars.count).run(using: &rng)] = pick(["{", "]", "\"", ":", "\u{0}", "x"], &rng) }
            text = String(chars)
        case 2:  // not an object at all
            text = pick(["[]", "null", "42", "\"report\"", "", "   ", "[{\"reportID\":\"1\"}]"], &rng)
        default:
            break
        }
        return text
    }
}
