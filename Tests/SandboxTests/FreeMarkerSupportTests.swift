import Foundation
import XCTest

@testable import Sandbox

/// Renders templates with the simulator's FreeMarker engine.
enum FMKit {
    static var expense: FMHash {
        FMHash([
            ("merchant", .string("Hotel \"Adlon\" Kempinski")), ("amount", .int(45230)), ("reimbursable", .boolean(true)),
            ("comment", .string("two nights\nC:\\path")), ("receiptObject", .hash(FMHash())),
        ])
    }
    static var model: FMHash {
        FMHash([
            (
                "reports",
                .sequence([
                    .hash(
                        FMHash([
                            ("reportID", .string("1")), ("total", .int(123456)), ("transactionList", .sequence([.hash(expense), .hash(expense)])),
                        ])),
                    .hash(FMHash([("reportID", .string("2")), ("total", .int(0)), ("transactionList", .sequence([]))])),
                ])
            ),
            ("addHeader", .boolean(true)),
            ("names", .sequence([.string("a"), .string("b"), .string("c")])),
            ("empty", .sequence([])),
        ])
    }

    static func render(_ template: String, _ data: FMHash = FMKit.model) throws -> String {
        try FMTemplate(template).render(data)
    }

    /// The error message a template fails with ("" if it renders).
    static func error(_ template: String, _ data: FMHash = FMKit.model) -> String {
        do {
            _ = try FMTemplate(template).render(data)
            return ""
        } catch {
            return "\(error)"
        }
    }
}

final class FreeMarkerSupportTests: XCTestCase {
    func testTemplateIsParsedToATreeBeforeRendering() throws {
        // A syntax error anywhere fails the whole template, even in a branch that would never run.
        XCTAssertTrue(FMKit.error("<#if false>${x?nosuch}</#if>ok").contains("Unknown built-in: \"nosuch\""))
        XCTAssertEqual(try FMKit.render("<#if false>${x}</#if>ok"), "ok", "a missing value only fails when evaluated")
        let template = try FMTemplate("a${1}b")
        XCTAssertEqual(template.root.children.count, 3)
    }

    func testPlainTextAndDollarSignsPassThrough() throws {
        XCTAssertEqual(try FMKit.render("Cost: $5, {braces} <b>bold</b> # <#-- hidden -->done"), "Cost: $5, {braces} <b>bold</b> # done")
    }
}
