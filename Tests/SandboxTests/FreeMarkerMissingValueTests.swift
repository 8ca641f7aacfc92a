import Foundation
import XCTest

@testable import Sandbox

/// Missing values are errors unless defaulted, with FreeMarker's message shape.
final class FreeMarkerMissingValueTests: XCTestCase {
    func testMissingValueErrorNamesTheExpressionLineAndColumn() {
        let message = FMKit.error("<#list reports as r>\n<#list r.transactionList as expense>\n  x ${expense.foo}\n</#list>\n</#list>")
        XCTAssertTrue(
            message.hasPrefix("The following has evaluated to null or missing:\n==> expense.foo  [in template \"template\" at line 3, column 7]"),
            message)
        XCTAssertTrue(
            message.contains("Tip: If the failing expression is known to legally refer to something that's sometimes null or missing"), message)
        XCTAssertTrue(message.contains("Failed at: ${expense.foo}  [in template \"template\" at line 3, column 5]"), message)
    }

    func testTheMissingStepIsTheOneNamed() {
        XCTAssertTrue(FMKit.error("${reports[0].nope.url}").contains("==> reports[0].nope  [in template \"template\" at line 1, column 3]"))
        XCTAssertTrue(FMKit.error("${nothing}").contains("==> nothing  ["))
        XCTAssertTrue(FMKit.error("${reports[5].reportID}").contains("==> reports[5]  ["), "an index past the end is missing")
    }

    func testDefaultOperatorForms() throws {
        XCTAssertEqual(try FMKit.render("[${nothing!}][${nothing!'d'}][${reports[0].nope!\"d2\"}][${reports[0].reportID!'unused'}]"), "[][d][d2][1]")
        XCTAssertEqual(try FMKit.render("<#list nothing! as x>${x}<#else>none</#list>|${(nothing!)?size}"), "none|0")
    }

    func testParenthesisedDefaultAlsoProtectsMissingParents() throws {
        XCTAssertEqual(
            try FMKit.render("${(reports[0].nope.url)!\"none\"}|${(a.b.c)!''}|${((reports[0].transactionList[0].receiptObject.url)!'')}"), "none||")
        let message = FMKit.error("${reports[0].nope.url!\"none\"}")
        XCTAssertTrue(message.contains("==> reports[0].nope  ["), "without parentheses only the last step is covered: \(message)")
    }

    func testExistenceAndHasContent() throws {
        XCTAssertEqual(try FMKit.render("${reports[0].reportID???c}|${reports[0].nope???c}|${(a.b)???c}"), "true|false|false")
        XCTAssertEqual(
            try FMKit.render(
                "${empty?has_content?c}|${names?has_content?c}|${''?has_content?c}|${nothing?has_content?c}|${reports[0].transactionList[0].receiptObject?has_content?c}|${0?has_content?c}"
            ),
            "false|true|false|false|false|true")
        XCTAssertTrue(FMKit.error("${a.b?has_content?c}").contains("==> a  ["), "?has_content only covers the last step")
        XCTAssertEqual(try FMKit.render("<#if reports[0].nope??>yes<#else>no</#if>"), "no")
    }

    func testBooleansNeedAnExplicitFormat() throws {
        let message = FMKit.error("${reports[0].transactionList[0].reimbursable}")
        XCTAssertTrue(
            message.hasPrefix("Can't convert boolean to string automatically, because the \"boolean_format\" setting was \"true,false\""), message)
        XCTAssertTrue(message.contains("==> reports[0].transactionList[0].reimbursable  [in template \"template\" at line 1, column 3]"), message)
        XCTAssertEqual(
            try FMKit.render("${true?c}|${true?string('Y','N')}|${false?string('Y','N')}|${true?string}|${(1 > 2)?then('a','b')}"), "true|Y|N|true|b")
        XCTAssertEqual(try FMKit.render("<#setting boolean_format='yes,no'>${true}"), "yes")
    }

    func testTypeErrorsAreReported() {
        XCTAssertTrue(FMKit.error("<#if 'x'>a</#if>").contains("Expected a boolean, but this has evaluated to a string"))
        XCTAssertTrue(FMKit.error("${names}").contains("Expected a string or something automatically convertible to string"))
        XCTAssertTrue(FMKit.error("${1 == '1'}").hasPrefix("Can't compare values of these types."))
        XCTAssertTrue(FMKit.error("${1 - 'a'}").contains("Expected a number, but this has evaluated to a string"))
        XCTAssertTrue(FMKit.error("<#if 'a' < 'b'>x</#if>").contains("Can't use operator \"<\" on string values."))
        XCTAssertTrue(FMKit.error("${names.x}").contains("Expected a hash, but this has evaluated to a sequence"))
    }
}
