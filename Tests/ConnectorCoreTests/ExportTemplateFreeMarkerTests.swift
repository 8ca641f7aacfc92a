import ConnectorCore
import Foundation
import XCTest

/// Renders the shipped export template (`Sources/Expensify/Resources/export-template.json.ftl`) with real
/// Apache FreeMarker (`scripts/freemarker/RenderTemplate.java`, Debian `libfreemarker-java`) and checks the
/// output contract documented in the template's header comment:
/// - valid JSON, one object per report, reports and expenses in model order, every key always present;
/// - strings round-trip exactly; missing and empty strings are null;
/// - amounts are integers exactly as in the model (cents, no grouping, no division); missing amounts are null;
/// - booleans are JSON booleans; missing booleans are null;
/// - a missing or empty `transactionList` is `[]`.
///
/// Needs `java` and `/usr/share/java/freemarker.jar`; when they are missing the tests FAIL (not skip) and
/// tell you to run `scripts/install-test-deps.sh`, which CI runs.
final class ExportTemplateFreeMarkerTests: XCTestCase {
    // MARK: Contract

    static let reportKeys = [
        "reportID", "reportName", "policyID", "policyName", "status", "currency", "total", "created",
        "submitted", "approved", "accountEmail", "managerEmail", "submitterFullName", "transactionList",
    ]
    static let reportStringKeys = [
        "reportID", "reportName", "policyID", "policyName", "status", "currency", "created", "submitted",
        "approved", "accountEmail", "managerEmail",
    ]
    static let expenseKeys = [
        "transactionID", "amount", "currency", "convertedAmount", "currencyConversionRate", "modifiedAmount", "merchant", "modifiedMerchant",
        "created", "modifiedCreated", "category", "categoryGlCode", "tag", "tagGlCode", "ntag1", "ntag1GlCode",
        "ntag2", "ntag2GlCode", "ntag3", "ntag3GlCode", "comment", "reimbursable", "billable", "receiptURL", "type",
    ]
    static let expenseStringKeys = [
        "transactionID", "currency", "merchant", "modifiedMerchant", "created", "modifiedCreated", "category",
        "categoryGlCode", "tag", "tagGlCode", "ntag1", "ntag1GlCode", "ntag2", "ntag2GlCode", "ntag3", "ntag3GlCode",
        "comment", "type",
    ]
    static let expenseAmountKeys = ["amount", "convertedAmount", "modifiedAmount"]
    static let expenseBoolKeys = ["reimbursable", "billable"]

    // MARK: Paths

    static let repoRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // ConnectorCoreTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()  // repo root
    static let templateURL = repoRoot.appendingPathComponent("Sources/Expensify/Resources/export-template.json.ftl")
    static let rendererURL = repoRoot.appendingPathComponent("scripts/freemarker/RenderTemplate.java")
    static let nastyModelURL = repoRoot.appendingPathComponent("samples/template-fixtures/nasty-model.json")
    static let installHint =
        "Install the test dependencies with `sudo scripts/install-test-deps.sh` "
        + "(Debian packages libfreemarker-java and default-jre-headless; CI runs it)."

    // MARK: Tests

    func testNastyModelRendersValidJSONWithExactValues() throws {
        let modelData = try Data(contentsOf: Self.nastyModelURL)
        let model = try JSONValue.parse(modelData)
        try assertFixtureIsNasty(model)

        let output = try render(modelURL: Self.nastyModelURL)

        // Valid JSON for Foundation's parser…
        let foundation: Any
        do {
            foundation = try JSONSerialization.jsonObject(with: output, options: [])
        } catch {
            return XCTFail("template output is not valid JSON (\(error)):\n\(String(decoding: output, as: UTF8.self))")
        }
        // …and for the exact parser, which keeps number literals and tells booleans from numbers.
        let exact = try JSONValue.parse(output)

        let modelReports = try XCTUnwrap(model["reports"]?.arrayValue)
        let outReports = try XCTUnwrap(exact.arrayValue, "output root must be a JSON array")
        let fReports = try XCTUnwrap(foundation as? [Any], "output root must be a JSON array")
        XCTAssertEqual(outReports.count, modelReports.count, "one object per report")
        XCTAssertEqual(fReports.count, modelReports.count)
        XCTAssertEqual(
            outReports.map { $0["reportID"]?.stringValue ?? "?" },
            modelReports.map { $0["reportID"]?.stringValue ?? "?" }, "report order is preserved")

        for (r, (modelReport, outReport)) in zip(modelReports, outReports).enumerated() {
            let at = "report[\(r)] \(modelReport["reportID"]?.stringValue ?? "?")"
            let fReport = try XCTUnwrap(fReports[r] as? [String: Any], "\(at): not an object")
            XCTAssertEqual(Set(try XCTUnwrap(outReport.objectValue).keys), Set(Self.reportKeys), "\(at): keys")

            for key in Self.reportStringKeys {
                assertString(outReport[key], fReport[key], expected: modelString(modelReport[key]), "\(at).\(key)")
            }
            assertString(
                outReport["submitterFullName"], fReport["submitterFullName"],
                expected: modelString(modelReport["submitter"]?["fullName"]), "\(at).submitterFullName")
            assertAmount(outReport["total"], fReport["total"], expected: modelReport["total"], "\(at).total")

            let modelExpenses = modelReport["transactionList"]?.arrayValue ?? []
            let outExpenses = try XCTUnwrap(outReport["transactionList"]?.arrayValue, "\(at): transactionList must be an array")
            let fExpenses = try XCTUnwrap(fReport["transactionList"] as? [Any], "\(at): transactionList must be an array")
            XCTAssertEqual(outExpenses.count, modelExpenses.count, "\(at): one object per expense")
            XCTAssertEqual(fExpenses.count, modelExpenses.count)
            XCTAssertEqual(
                outExpenses.map { $0["transactionID"]?.stringValue ?? "?" },
                modelExpenses.map { $0["transactionID"]?.stringValue ?? "?" }, "\(at): expense order is preserved")

            for (e, (modelExpense, outExpense)) in zip(modelExpenses, outExpenses).enumerated() {
                let eat = "\(at) expense[\(e)] \(modelExpense["transactionID"]?.stringValue ?? "?")"
                let fExpense = try XCTUnwrap(fExpenses[e] as? [String: Any], "\(eat): not an object")
                XCTAssertEqual(Set(try XCTUnwrap(outExpense.objectValue).keys), Set(Self.expenseKeys), "\(eat): keys")
                for key in Self.expenseStringKeys {
                    assertString(outExpense[key], fExpense[key], expected: modelString(modelExpense[key]), "\(eat).\(key)")
                }
                assertString(
                    outExpense["receiptURL"], fExpense["receiptURL"],
                    expected: modelString(modelExpense["receiptObject"]?["url"]), "\(eat).receiptURL")
                for key in Self.expenseAmountKeys {
                    assertAmount(outExpense[key], fExpense[key], expected: modelExpense[key], "\(eat).\(key)")
                }
                for key in Self.expenseBoolKeys {
                    assertBool(outExpense[key], expected: modelExpense[key], "\(eat).\(key)")
                }
            }
        }

        // A few spot checks written out literally, so a fixture and template that drift together are caught.
        let first = outReports[0]
        XCTAssertEqual(first["total"], .number("123521714"))
        XCTAssertEqual(first["transactionList"]?.arrayValue?[3]["amount"], .number("123456789"))
        XCTAssertEqual(first["transactionList"]?.arrayValue?[2]["amount"], .number("-1250"))
        XCTAssertEqual(first["transactionList"]?.arrayValue?[1]["merchant"], .string("Hotel \"Adlon\" Kempinski"))
        XCTAssertEqual(first["transactionList"]?.arrayValue?[1]["modifiedAmount"], .null, "absent modifiedAmount is null")
        XCTAssertEqual(first["transactionList"]?.arrayValue?[0]["modifiedAmount"], .number("0"), "present 0 stays 0")
        XCTAssertEqual(first["transactionList"]?.arrayValue?[1]["receiptURL"], .null, "empty receiptObject")
        XCTAssertEqual(first["transactionList"]?.arrayValue?[0]["modifiedMerchant"], .null, "\"\" is no value")
        XCTAssertEqual(outReports[1]["transactionList"], .array([]), "empty transactionList")
        XCTAssertEqual(outReports[2]["transactionList"], .array([]), "missing transactionList")
        XCTAssertEqual(outReports[2]["total"], .null, "missing total")
        let text = String(decoding: output, as: UTF8.self)
        XCTAssertFalse(text.contains("123,456,789"), "no grouping separators")
        XCTAssertFalse(text.contains("</script>"), "?json_string escapes </ so the output is safe to embed")
    }

    func testEmptyReportListRendersEmptyArray() throws {
        let dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("ExportTemplateFreeMarkerTests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let modelURL = dir.appendingPathComponent("empty-model.json")
        try Data(#"{"reports": [], "addHeader": true}"#.utf8).write(to: modelURL)

        let output = try render(modelURL: modelURL)
        let foundation = try JSONSerialization.jsonObject(with: output, options: [])
        XCTAssertEqual((foundation as? [Any])?.count, 0, "expected []; got \(String(decoding: output, as: UTF8.self))")
        XCTAssertEqual(try JSONValue.parse(output), .array([]))
    }

    /// The sandbox's template simulator supports exactly these features; the shipped template must not use more.
    func testTemplateUsesOnlySupportedFeatures() throws {
        var text = try String(contentsOf: Self.templateURL, encoding: .utf8)
        while let start = text.range(of: "<#--") {
            guard let end = text.range(of: "-->", range: start.upperBound..<text.endIndex) else {
                return XCTFail("unterminated <#-- comment")
            }
            text.removeSubrange(start.lowerBound..<end.upperBound)
        }
        let directives = Set(matches(#"</?#([A-Za-z_]+)"#, in: text))
        XCTAssert(
            directives.isSubset(of: ["list", "if", "elseif", "else", "assign", "t", "lt", "rt", "function", "return"]),
            "unsupported directives: \(directives.sorted())")
        let builtIns = Set(matches(#"\?([A-Za-z_]+)"#, in: text))
        XCTAssert(
            builtIns.isSubset(of: [
                "c", "json_string", "has_next", "has_content", "string", "replace", "size",
                "is_string", "is_number", "is_boolean", "is_hash", "is_enumerable",
            ]),
            "unsupported built-ins: \(builtIns.sorted())")
        XCTAssertFalse(text.contains("/100"), "the template must not divide amounts")
        // Numbers and booleans only through ?c: no interpolation prints a raw value.
        for interpolation in matches(#"\$\{([^}]*)\}"#, in: text) {
            XCTAssert(
                interpolation.hasPrefix("txt(") || interpolation.hasPrefix("amt(") || interpolation.hasPrefix("flag("),
                "every value goes through txt, amt or flag: ${\(interpolation)}")
        }
    }

    // MARK: Rendering

    /// Runs the real FreeMarker renderer and returns its stdout. Fails (does not skip) when java or the jar is missing.
    func render(modelURL: URL) throws -> Data {
        let jar = ProcessInfo.processInfo.environment["FREEMARKER_JAR"] ?? "/usr/share/java/freemarker.jar"
        guard FileManager.default.fileExists(atPath: jar) else {
            XCTFail("FreeMarker jar not found at \(jar). \(Self.installHint)")
            throw RenderError.missingDependency
        }
        guard let java = Self.findJava() else {
            XCTFail("`java` not found (JAVA_HOME or PATH). \(Self.installHint)")
            throw RenderError.missingDependency
        }

        let dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("ExportTemplateFreeMarkerTests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let stdoutURL = dir.appendingPathComponent("stdout")
        let stderrURL = dir.appendingPathComponent("stderr")
        try Data().write(to: stdoutURL)
        try Data().write(to: stderrURL)
        let stdout = try FileHandle(forWritingTo: stdoutURL)
        let stderr = try FileHandle(forWritingTo: stderrURL)

        let process = Process()
        process.executableURL = java
        process.arguments = ["-cp", jar, Self.rendererURL.path, Self.templateURL.path, modelURL.path]
        process.currentDirectoryURL = Self.repoRoot
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = stdout
        process.standardError = stderr
        let finished = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in finished.signal() }
        try process.run()
        if finished.wait(timeout: .now() + 180) == .timedOut {
            process.terminate()
            process.waitUntilExit()
            XCTFail("the FreeMarker renderer did not finish within 180 s")
            throw RenderError.failed
        }
        process.waitUntilExit()
        try stdout.close()
        try stderr.close()

        let out = try Data(contentsOf: stdoutURL)
        let err = String(decoding: try Data(contentsOf: stderrURL), as: UTF8.self)
        guard process.terminationReason == .exit, process.terminationStatus == 0 else {
            XCTFail("the FreeMarker renderer failed (status \(process.terminationStatus)):\n\(err)")
            throw RenderError.failed
        }
        return out
    }

    static func findJava() -> URL? {
        let env = ProcessInfo.processInfo.environment
        var candidates: [String] = []
        if let home = env["JAVA_HOME"], !home.isEmpty { candidates.append(home + "/bin/java") }
        for dir in (env["PATH"] ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":") {
            candidates.append(String(dir) + "/java")
        }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }.map { URL(fileURLWithPath: $0) }
    }

    enum RenderError: Error { case missingDependency, failed }

    // MARK: Assertions

    /// The model's string, or nil when the key is absent or the string is empty (the template writes null).
    func modelString(_ value: JSONValue?) -> String? {
        if case .string(let s)? = value, !s.isEmpty { return s }
        return nil
    }

    func assertString(
        _ exact: JSONValue?, _ foundation: Any?, expected: String?, _ what: String,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        guard let expected else {
            XCTAssertEqual(exact, .null, "\(what): no value must be null", file: file, line: line)
            XCTAssert(foundation is NSNull, "\(what): JSONSerialization should see null", file: file, line: line)
            return
        }
        XCTAssertEqual(exact, .string(expected), "\(what): string must round-trip exactly", file: file, line: line)
        XCTAssertEqual(foundation as? String, expected, "\(what): JSONSerialization disagrees", file: file, line: line)
    }

    /// Present amount: the same integer literal as in the model (so no grouping, decimals or exponent).
    /// Absent amount: JSON null.
    func assertAmount(
        _ exact: JSONValue?, _ foundation: Any?, expected: JSONValue?, _ what: String,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        guard let expected, !expected.isNull else {
            XCTAssertEqual(exact, .null, "\(what): a missing amount must be null", file: file, line: line)
            XCTAssert(foundation is NSNull, "\(what): JSONSerialization should see null", file: file, line: line)
            return
        }
        guard case .number(let literal) = expected, let cents = Int64(literal) else {
            return XCTFail("\(what): fixture amount must be an integer, got \(expected)", file: file, line: line)
        }
        XCTAssertEqual(exact, .number(literal), "\(what): amount must be the integer \(literal)", file: file, line: line)
        let number = foundation as? NSNumber
        XCTAssertEqual(number?.int64Value, cents, "\(what): JSONSerialization int64", file: file, line: line)
        XCTAssertEqual(number, NSNumber(value: cents), "\(what): NSNumber", file: file, line: line)
    }

    /// Present boolean: a JSON boolean with the model's value. Absent: JSON null.
    func assertBool(
        _ exact: JSONValue?, expected: JSONValue?, _ what: String,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        switch expected {
        case .bool(let b)?: XCTAssertEqual(exact, .bool(b), "\(what): must be the JSON boolean \(b)", file: file, line: line)
        case nil, .null?: XCTAssertEqual(exact, .null, "\(what): a missing boolean must be null", file: file, line: line)
        default: XCTFail("\(what): fixture value must be a boolean", file: file, line: line)
        }
    }

    /// Guards the fixture itself: if someone "cleans it up", the test would silently stop testing anything hard.
    func assertFixtureIsNasty(_ model: JSONValue) throws {
        var strings: [String] = []
        var numbers: [Int64] = []
        var emptyObjects = 0
        func walk(_ v: JSONValue) {
            switch v {
            case .string(let s): strings.append(s)
            case .number(let n): if let i = Int64(n) { numbers.append(i) }
            case .array(let a): a.forEach(walk)
            case .object(let o):
                if o.isEmpty { emptyObjects += 1 }
                o.values.forEach(walk)
            default: break
            }
        }
        walk(model)
        let all = strings.joined(separator: "\u{0}")
        for needle in ["\"", "\\", "\n", "\t", "</script>", "寿司", "Müller", "🧾", "\u{1}", "\u{2028}"] {
            XCTAssert(all.contains(needle), "fixture lacks a string containing \(needle.debugDescription)")
        }
        XCTAssert(numbers.contains { $0 >= 100_000_000 }, "fixture lacks a large amount")
        XCTAssert(numbers.contains { $0 < 0 }, "fixture lacks a negative amount")
        XCTAssertGreaterThan(emptyObjects, 0, "fixture lacks an empty receiptObject")

        let reports = try XCTUnwrap(model["reports"]?.arrayValue)
        XCTAssert(reports.contains { $0["transactionList"] == .array([]) }, "fixture lacks an empty transactionList")
        XCTAssert(reports.contains { $0["transactionList"] == nil }, "fixture lacks a report without transactionList")
        let expenses = reports.flatMap { $0["transactionList"]?.arrayValue ?? [] }
        for key in [
            "modifiedAmount", "modifiedMerchant", "modifiedCreated", "tag", "comment", "categoryGlCode",
            "convertedAmount", "reimbursable", "billable",
        ] {
            XCTAssert(expenses.contains { $0[key] == nil }, "fixture lacks an expense without \(key)")
        }
        XCTAssert(expenses.contains { $0["currency"] == .string("JPY") }, "fixture lacks a JPY expense")
        XCTAssert(
            expenses.contains { $0["reimbursable"] == .bool(true) } && expenses.contains { $0["reimbursable"] == .bool(false) },
            "fixture needs both boolean values")
    }

    func matches(_ pattern: String, in text: String) -> [String] {
        guard let regex = try? NSRegularExpression(pattern: pattern) else { return [] }
        let ns = text as NSString
        return regex.matches(in: text, range: NSRange(location: 0, length: ns.length)).map { ns.substring(with: $0.range(at: 1)) }
    }
}
