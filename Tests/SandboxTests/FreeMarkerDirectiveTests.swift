import Foundation
import XCTest

@testable import Sandbox

/// Directives, loop variables, separators and white-space handling.
final class FreeMarkerDirectiveTests: XCTestCase {
    func testListWithElseAndLoopVariables() throws {
        XCTAssertEqual(
            try FMKit.render("<#list names as n>${n?index}${n?counter}${n}${n?has_next?c}${n?is_last?c}<#sep>,</#list>"),
            "01atruefalse,12btruefalse,23cfalsetrue")
        XCTAssertEqual(try FMKit.render("<#list empty as n>${n}<#else>nothing</#list>"), "nothing")
        XCTAssertEqual(try FMKit.render("<#list names as n><#if n?is_first>[</#if>${n}<#if n?has_next>, <#else>]</#if></#list>"), "[a, b, c]")
        XCTAssertEqual(
            try FMKit.render(
                "<#list names>(<#items as n>${n}<#sep>|</#items>)<#else>-</#list><#list empty>(<#items as n>${n}</#items>)<#else>-</#list>"),
            "(a|b|c)-")
        XCTAssertEqual(try FMKit.render("<#list 1..5 as i><#if i == 3><#break></#if>${i}</#list>"), "12")
        XCTAssertTrue(FMKit.error("${names?index}").contains("must be a loop variable"))
    }

    func testNestedListSeparatorsStayValidWithEmptyLists() throws {
        let template =
            "[<#list reports as r>{\"id\":\"${r.reportID}\",\"tx\":[<#list r.transactionList as e>${e.amount?c}<#if e?has_next>,</#if></#list>]}<#if r?has_next>,</#if></#list>]"
        let text = try FMKit.render(template)
        XCTAssertEqual(text, #"[{"id":"1","tx":[45230,45230]},{"id":"2","tx":[]}]"#)
        XCTAssertNoThrow(try JSONSerialization.jsonObject(with: Data(text.utf8)))
        XCTAssertEqual(
            try FMKit.render("[<#list empty as x>${x}<#sep>,</#list>]|${empty?join(',')}|${names?join(', ')}|${empty?join(',', 'none')}"),
            "[]||a, b, c|none")
    }

    func testIfElseIfElse() throws {
        let template = "<#list [1, 5, 10] as n><#if n lt 3>small<#elseif n gte 10>big<#else>mid</#if><#sep> </#list>"
        XCTAssertEqual(try FMKit.render(template), "small mid big")
        XCTAssertEqual(try FMKit.render("<#if (2 > 1) && !false || nothing>yes</#if>"), "yes", "|| short-circuits")
        XCTAssertEqual(try FMKit.render("<#if addHeader>H</#if><#if addHeader == true>!</#if>"), "H!")
    }

    func testGreaterThanClosesTheTagUnlessParenthesised() throws {
        // <#if 1 > 0> is <#if 1> followed by the text " 0>": a number is not a condition.
        XCTAssertTrue(FMKit.error("<#if 1 > 0>yes</#if>").contains("Expected a boolean, but this has evaluated to a number"))
        XCTAssertEqual(try FMKit.render("<#if (1 > 0)>yes</#if><#if 1 gt 0>!</#if><#if 1 >= 1>?</#if>"), "yes!?")
    }

    func testAssignForms() throws {
        XCTAssertEqual(
            try FMKit.render("<#assign a = 1 b = 'x'>${a}${b}<#assign a += 2><#assign a++>${a}<#assign s = 'p'><#assign s += 'q'>${s}"), "1x4pq")
        XCTAssertEqual(try FMKit.render("<#assign cap>v=${1 + 1}</#assign>${cap}|<#global g = 3>${g}"), "v=2|3")
        XCTAssertEqual(try FMKit.render("<#assign n = 0><#list names as x><#assign n = n + 1></#list>${n}"), "3")
    }

    func testFunctionsAndSwitch() throws {
        XCTAssertEqual(
            try FMKit.render("<#function money cents><#return (cents / 100)?string('0.00')></#function>${money(45230)} ${money(-1250)}"),
            "452.30 -12.50")
        XCTAssertEqual(
            try FMKit.render("<#list ['a', 'b', 'z'] as k><#switch k><#case 'a'>A<#break><#case 'b'>B<#default>?</#switch></#list>"), "AB??")
    }

    func testCommentsAndUnknownDirectives() throws {
        XCTAssertEqual(try FMKit.render("a<#-- ${nothing} <#if> -->b"), "ab")
        var message = FMKit.error("line1\n  <#foreach x in names></#foreach>")
        XCTAssertTrue(message.hasPrefix("Syntax error in template \"template\" in line 2, column 3:"), message)
        message = FMKit.error("<#bogus>")
        XCTAssertTrue(message.contains("Unknown directive: #bogus."), message)
        message = FMKit.error("${names?bogus}")
        XCTAssertTrue(message.contains("Unknown built-in: \"bogus\"."), message)
        XCTAssertTrue(FMKit.error("<#list names as n>${n}").contains("Unclosed \"#list\""))
        XCTAssertTrue(FMKit.error("</#if>").contains("Unexpected closing tag </#if>"))
        XCTAssertTrue(FMKit.error("<@macro/>").contains("not supported"))
    }

    /// FreeMarker's own CSV sample from the API reference: lines holding only tags disappear, and
    /// <#t>/<#lt> trim the line they are on.
    func testWhitespaceStrippingOfTheReferenceCSVTemplate() throws {
        let template = """
            <#if addHeader == true>
                Merchant,Amount,Report number,Expense number<#lt>
            </#if>
            <#assign reportNumber = 1>
            <#assign expenseNumber = 1>
            <#list reports as report>
                <#list report.transactionList as expense>
                    ${expense.amount?c},<#t>
                    ${reportNumber},<#t>
                    ${expenseNumber}<#lt>
                    <#assign expenseNumber = expenseNumber + 1>
                </#list>
                <#assign reportNumber = reportNumber + 1>
            </#list>

            """
        XCTAssertEqual(try FMKit.render(template), "Merchant,Amount,Report number,Expense number\n45230,1,1\n45230,1,2\n")
    }

    func testWhitespaceStrippingKeepsLinesWithInterpolations() throws {
        XCTAssertEqual(try FMKit.render("<#list names as n>\n  - ${n}\n</#list>\n"), "  - a\n  - b\n  - c\n")
        XCTAssertEqual(try FMKit.render("<#assign z = 1>a\n  <#if true>\n  b\n  </#if>\nc"), "a\n  b\nc")
        // FreeMarker never auto-strips the template's first top-level text block (TextBlock.postParseCleanup),
        // so the indentation before this <#if> survives.
        XCTAssertEqual(try FMKit.render("a\n  <#if true>\n  b\n  </#if>\nc"), "a\n    b\nc")
        XCTAssertEqual(try FMKit.render("x <#if true>y</#if> z\n"), "x y z\n", "a tag inside text keeps its line")
        XCTAssertEqual(try FMKit.render("<#list names as n>\n${n}<#rt>\n</#list>"), "abc")
        XCTAssertEqual(try FMKit.render("<#compress>\n   a    b\n\n\n   c   \n</#compress>"), "a b\nc")
    }

    func testExpressions() throws {
        XCTAssertEqual(
            try FMKit.render(
                "${'a' + 'b'}|${([1, 2] + [3])?size}|${{'k': 'v'}.k}|${{'k': 'v'}['k']}|${names[1]}|${names[1..2]?join('')}|${'abc'[1]}"),
            "ab|3|v|v|b|bc|b")
        XCTAssertEqual(try FMKit.render("${\"id=${reports[0].reportID}\"}|${r'\\n${x}'}|${'a\\tb'}"), "id=1|\\n${x}|a\tb")
        XCTAssertEqual(
            try FMKit.render(
                "${'Staples Inc.'?upper_case}|${'ABC'?lower_case}|${'  x  '?trim}|${'abc'?length}|${'a,b'?replace(',', ';')}|${'abc'?contains('bc')?c}|${'abc'?starts_with('ab')?c}|${'abc'?ends_with('bc')?c}"
            ),
            "STAPLES INC.|abc|x|3|a;b|true|true|true")
        XCTAssertEqual(
            try FMKit.render(
                "${names?size}|${names?first}|${names?last}|${names?reverse?join('')}|${names?seq_contains('b')?c}|${'a:b:c'?split(':')?size}|${'x'?left_pad(3, '0')}|${'ABC'?left_pad(9, '1234')}|${'ABC'?right_pad(9, '1234')}"
            ), "3|a|c|cba|true|3|00x|123412ABC|ABC412341")
        XCTAssertEqual(try FMKit.render("${(1 + 2) * 3}|${-2 + 5}|${10 - 2 - 3}|${2 * 3 % 4}"), "9|3|5|2")
    }
}
