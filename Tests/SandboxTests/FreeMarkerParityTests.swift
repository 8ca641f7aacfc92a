import Foundation
import XCTest

@testable import Sandbox

/// Real Apache FreeMarker 2.3.31 (`scripts/freemarker/RenderTemplate.java`, Debian `libfreemarker-java`), for
/// comparing the sandbox's engine with it. Fails (does not skip) when java or the jar is missing.
enum RealFreeMarker {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let installHint = "Install the test dependencies with `sudo scripts/install-test-deps.sh` (libfreemarker-java, default-jre-headless)."

    struct Failure: Error, CustomStringConvertible { let description: String }

    /// Renders `template` against the JSON object `model` (null = absent, as in the renderer's header).
    static func render(template: String, model: String) throws -> String {
        let jar = ProcessInfo.processInfo.environment["FREEMARKER_JAR"] ?? "/usr/share/java/freemarker.jar"
        guard FileManager.default.fileExists(atPath: jar) else { throw Failure(description: "FreeMarker jar not found at \(jar). \(installHint)") }
        let env = ProcessInfo.processInfo.environment
        var candidates: [String] = []
        if let home = env["JAVA_HOME"], !home.isEmpty { candidates.append(home + "/bin/java") }
        for dir in (env["PATH"] ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":") { candidates.append(String(dir) + "/java") }
        guard let java = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw Failure(description: "`java` not found. \(installHint)")
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fm-parity-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let templateURL = dir.appendingPathComponent("template.ftl")
        let modelURL = dir.appendingPathComponent("model.json")
        let outURL = dir.appendingPathComponent("out")
        let errURL = dir.appendingPathComponent("err")
        try Data(template.utf8).write(to: templateURL)
        try Data(model.utf8).write(to: modelURL)
        FileManager.default.createFile(atPath: outURL.path, contents: nil)
        FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let out = try FileHandle(forWritingTo: outURL)
        let err = try FileHandle(forWritingTo: errURL)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: java)
        p.arguments = ["-cp", jar, repo.appendingPathComponent("scripts/freemarker/RenderTemplate.java").path, templateURL.path, modelURL.path]
        p.standardInput = FileHandle.nullDevice
        p.standardOutput = out
        p.standardError = err
        try p.run()
        p.waitUntilExit()
        try out.close()
        try err.close()
        guard p.terminationStatus == 0 else {
            throw Failure(
                description: "real FreeMarker failed (\(p.terminationStatus)): \(String(decoding: try Data(contentsOf: errURL), as: UTF8.self))")
        }
        return String(decoding: try Data(contentsOf: outURL), as: UTF8.self)
    }

    /// The same render with the sandbox's engine (model read like the simulator reads JSON).
    static func sandbox(template: String, model: String) throws -> String {
        let root = try ExpensifyJSONParser.parseObject(model)
        guard case .hash(let h)? = ExpensifyJSON.object(root).templateValue else { throw Failure(description: "model is not an object") }
        return try FMTemplate(template).render(h)
    }
}

/// The sandbox's FreeMarker engine gives byte-identical output to real FreeMarker for every built-in the
/// shipped export template uses, and for the shipped template itself on values of every type.
final class FreeMarkerParityTests: XCTestCase {
    static let values = #"""
        ["", "x", "0", "a\"b\\c\n</x>", 0, 7, -1250, 123456789, 1.5, 0.00668, true, false, [], [1, 2], {}, {"a": 1}]
        """#

    func testTypeTestsContentAndFunctionsMatchRealFreeMarker() throws {
        let template = """
            <#function show v><#if !v?has_content><#return "null"></#if>this output is discarded<#if v?is_number || v?is_boolean><#return "<" + v?c + ">"></#if><#if v?is_string><#return "\\"" + v?json_string + "\\""></#if><#return "?"></#function>
            <#list values as v>
            ${v?index}: content=${v?has_content?c} string=${v?is_string?c} number=${v?is_number?c} boolean=${v?is_boolean?c} hash=${v?is_hash?c} enumerable=${v?is_enumerable?c} sequence=${v?is_sequence?c} show=${show(v)}
            </#list>
            missing: content=${(nothing!)?has_content?c} string=${(nothing!)?is_string?c} number=${(nothing!)?is_number?c} boolean=${(nothing!)?is_boolean?c} hash=${(nothing!)?is_hash?c} enumerable=${(nothing!)?is_enumerable?c} sequence=${(nothing!)?is_sequence?c} exists=${nothing???c} show=${show(nothing!)} ${show((a.b.c)!)}
            """
        let model = #"{"values": \#(Self.values)}"#
        let real = try RealFreeMarker.render(template: template, model: model)
        XCTAssertTrue(real.contains("15: content=true"), real)
        XCTAssertEqual(try RealFreeMarker.sandbox(template: template, model: model), real)
    }

    /// The shipped template, with every field it reads in every shape: absent, "", 0, numbers, text,
    /// true/false, empty and non-empty lists and objects. Real FreeMarker never fails, and the sandbox agrees
    /// byte for byte.
    func testShippedTemplateMatchesRealFreeMarkerForValuesOfEveryType() throws {
        let template = try String(
            contentsOf: RealFreeMarker.repo.appendingPathComponent("Sources/Expensify/Resources/export-template.json.ftl"), encoding: .utf8)
        let expenseKeys = [
            "transactionID", "amount", "currency", "convertedAmount", "currencyConversionRate", "modifiedAmount", "merchant",
            "modifiedMerchant", "created", "modifiedCreated", "category", "categoryGlCode", "tag", "tagGlCode", "ntag1",
            "ntag1GlCode", "ntag2", "ntag2GlCode", "ntag3", "ntag3GlCode", "comment", "reimbursable", "billable",
            "receiptObject", "type",
        ]
        let reportKeys = [
            "reportID", "reportName", "policyID", "policyName", "status", "currency", "total", "created", "submitted",
            "approved", "accountEmail", "managerEmail", "submitter", "transactionList",
        ]
        let shapes = try XCTUnwrap(try ExpensifyJSONParser.parse(Self.values).arrayValue).map { $0.serialized() } + ["null"]
        let expense = #"{"transactionID": "1", "amount": 100, "currency": "USD", "reimbursable": true, "receiptObject": {"url": "u"}}"#
        var reports: [String] = []
        var n = 0
        for key in expenseKeys + ["receiptObject.url"] {
            for shape in shapes {
                n += 1
                let e = key == "receiptObject.url" ? #"{"transactionID": "1", "receiptObject": {"url": \#(shape)}}"# : #"{"\#(key)": \#(shape)}"#
                reports.append(#"{"reportID": "\#(n)", "transactionList": [\#(expense), \#(e)]}"#)
            }
        }
        for key in reportKeys + ["submitter.fullName"] {
            for shape in shapes {
                n += 1
                let value = key == "submitter.fullName" ? #"{"fullName": \#(shape)}"# : shape
                let field = key == "submitter.fullName" ? "submitter" : key
                reports.append(key == "reportID" ? #"{"reportID": \#(value)}"# : #"{"reportID": "r\#(n)", "\#(field)": \#(value)}"#)
            }
        }
        let model = #"{"addHeader": true, "reports": [\#(reports.joined(separator: ",\n"))]}"#
        let real = try RealFreeMarker.render(template: template, model: model)
        XCTAssertNoThrow(try JSONSerialization.jsonObject(with: Data(real.utf8)), "real FreeMarker output must be JSON")
        XCTAssertEqual(try RealFreeMarker.sandbox(template: template, model: model), real)

        let nasty = try String(contentsOf: RealFreeMarker.repo.appendingPathComponent("samples/template-fixtures/nasty-model.json"), encoding: .utf8)
        XCTAssertEqual(try RealFreeMarker.sandbox(template: template, model: nasty), try RealFreeMarker.render(template: template, model: nasty))
    }
}
