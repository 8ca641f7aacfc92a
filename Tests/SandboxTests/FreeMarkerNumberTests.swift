import Foundation
import XCTest

@testable import Sandbox

/// Number formatting: FreeMarker's default en_US format (the trap) versus `?c` and explicit patterns.
final class FreeMarkerNumberTests: XCTestCase {
    func testBareInterpolationUsesTheLocaleFormatWithGrouping() throws {
        XCTAssertEqual(try FMKit.render("${1234}|${1234567.891}|${-1250}|${0}|${12}"), "1,234|1,234,567.891|-1,250|0|12")
        XCTAssertEqual(try FMKit.render("${reports[0].total}"), "123,456")
        XCTAssertEqual(try FMKit.render("${1.23456}|${2.0005}|${2.0015}"), "1.235|2|2.002", "three decimals, half-even")
    }

    func testCIsTheComputerFormat() throws {
        XCTAssertEqual(
            try FMKit.render("${1234?c}|${reports[0].total?c}|${(-1250)?c}|${(45230/100)?c}|${(1/3)?c}"), "1234|123456|-1250|452.3|0.333333333333")
        XCTAssertEqual(try FMKit.render("${true?c}|${(1 == 2)?c}"), "true|false")
        XCTAssertTrue(FMKit.error("${'x'?c}").contains("Expected a number or boolean"))
    }

    func testStringWithAPatternFormatsLikeDecimalFormat() throws {
        XCTAssertEqual(
            try FMKit.render("${(45230/100)?string('0.00')}|${(-1250/100)?string('0.00')}|${1002?string('0.00')}"), "452.30|-12.50|1002.00")
        XCTAssertEqual(
            try FMKit.render("${0.125?string('0.00')}|${0.135?string('0.00')}|${0.125?string('0.00;; roundingMode=halfUp')}"), "0.12|0.14|0.13",
            "half-even by default")
        XCTAssertEqual(
            try FMKit.render("${1234567.5?string('#,##0.0')}|${5?string('000')}|${0.5?string('#.##')}|${0.256?string('0.#%')}"),
            "1,234,567.5|005|.5|25.6%")
        XCTAssertEqual(try FMKit.render("${1234?string}|${1234?string('computer')}"), "1,234|1234", "?string without a pattern is the default format")
    }

    func testArithmeticIsDecimal() throws {
        XCTAssertEqual(try FMKit.render("${(0.1 + 0.2)?c}|${(21734 + 45230 - 1250)?c}|${(7 % 3)?c}|${(-7 % 3)?c}|${(2 * 1.5)?c}"), "0.3|65714|1|-1|3")
        XCTAssertEqual(try FMKit.render("${(150000 / 100)?c}|${(1 / 8)?c}|${(2 / 3)?c}"), "1500|0.125|0.666666666667")
        XCTAssertTrue(FMKit.error("${1 / 0}").contains("division by zero"))
    }

    func testNumberFormatSettingAndConcatenation() throws {
        XCTAssertEqual(try FMKit.render("${'Total: ' + 1234567}"), "Total: 1,234,567", "concatenation formats like ${}")
        XCTAssertEqual(try FMKit.render("<#setting number_format='computer'>${1234567}|${'x' + 1234}"), "1234567|x1234")
        XCTAssertEqual(try FMKit.render("<#setting number_format='0.00'>${12}"), "12.00")
    }

    func testDefaultOperatorBindsItsWholeRightSideSoQuestionCMisses() throws {
        // x!0?c is x!(0?c): when x exists it is printed with the locale format.
        let data = FMHash([("x", .int(45230))])
        XCTAssertEqual(try FMKit.render("${x!0?c}|${(x!0)?c}|${y!0?c}", data), "45,230|45230|0")
    }

    func testRoundingBuiltIns() throws {
        XCTAssertEqual(
            try FMKit.render("${1.5?round}|${(-1.5)?round}|${2.5?round}|${1.99?floor}|${1.01?ceiling}|${(-1.7)?int}|${(-3)?abs}"), "2|-1|3|1|2|-1|3")
        XCTAssertEqual(try FMKit.render("${'12.5'?number * 2}"), "25")
    }
}
