import BusinessCentral
import ConnectorCore
import Dynamics365
import Foundation
import XCTest

@testable import Pipeline

/// What spreadsheets do to the review CSV's numbers, separators and dimension texts, read back exactly.
final class ReviewImportParsingTests: XCTestCase {
    func testNumbersAsSpreadsheetsWriteThemBack() {
        func n(_ s: String, _ decimals: Int = 2) -> Decimal? { SpreadsheetNumber.parse(s, decimals: decimals) }
        XCTAssertEqual(n("12,50"), Decimal(string: "12.50"))
        XCTAssertEqual(n("12,5"), Decimal(string: "12.50"))
        XCTAssertEqual(n("12.50"), Decimal(string: "12.5"))
        XCTAssertEqual(n("-12,50"), Decimal(string: "-12.5"))
        XCTAssertEqual(n("1.234,56"), Decimal(string: "1234.56"))
        XCTAssertEqual(n("1,234.56"), Decimal(string: "1234.56"))
        XCTAssertEqual(n("1 234,56"), Decimal(string: "1234.56"))
        XCTAssertEqual(n("1\u{00A0}234,56"), Decimal(string: "1234.56"))
        XCTAssertEqual(n("1'234.56"), Decimal(string: "1234.56"))
        XCTAssertEqual(n("21.300", 0), Decimal(21300), "yen: one point and three digits group thousands")
        XCTAssertEqual(n("21300", 0), Decimal(21300))
        XCTAssertEqual(n("1,234", 2), Decimal(1234))
        XCTAssertEqual(n("1,234", 3), Decimal(string: "1.234"), "a three-decimal currency keeps its decimals")
        XCTAssertEqual(n("1.234.567", 2), Decimal(1_234_567))
        XCTAssertNil(n("12,50 €"))
        XCTAssertNil(n("abc"))
        XCTAssertNil(n(""))
        XCTAssertNil(n("1,2,3.4.5"))
    }

    func testSeparatorIsTakenFromTheHeaderLine() {
        XCTAssertEqual(PipelineContext.sniffSeparator("a;b;c\r\n1,5;2,5;3\r\n"), ";")
        XCTAssertEqual(PipelineContext.sniffSeparator("a,b,c\n1;2;3;4;5\n"), ",")
        XCTAssertEqual(PipelineContext.sniffSeparator("a\tb\tc\n"), "\t")
        XCTAssertEqual(PipelineContext.sniffSeparator("\"a;x\",b,c\n"), ",", "separators inside quotes do not count")
        XCTAssertEqual(PipelineContext.sniffSeparator("single\n"), ",")
    }

    func testDimensionTextsReadBack() {
        let d365 = D365DimensionDisplayValue(delimiter: "-")
        for segments in [["010", "W01", ""], ["020", "PL-01", ""], ["", "", "001"], ["", "", ""], ["a-b-c", "", "x"]] {
            XCTAssertEqual(d365.segments(of: d365.text(segments), count: 3), segments, "\(segments)")
        }
        XCTAssertNil(d365.segments(of: "010-W01", count: 3))
        let nav = NAVDimensionText(codes: ["DEPARTMENT", "COSTCENTER"])
        for segments in [["010", "W01"], ["", "W01"], ["", ""]] {
            XCTAssertEqual(nav.segments(of: nav.text(segments), count: 2), segments, "\(segments)")
        }
        XCTAssertEqual(nav.segments(of: "costcenter W02 , DEPARTMENT 020", count: 2), ["020", "W02"])
        XCTAssertNil(nav.segments(of: "AREA 1", count: 2))
        XCTAssertNil(nav.segments(of: "DEPARTMENT 010, DEPARTMENT 020", count: 2))
    }

    func testFormulaGuardIsUndone() {
        XCTAssertEqual(PipelineContext.undefused("'-W01-"), "-W01-")
        XCTAssertEqual(PipelineContext.undefused("'=SUM(A1)"), "=SUM(A1)")
        XCTAssertEqual(PipelineContext.undefused("'quoted'"), "'quoted'")
        XCTAssertEqual(PipelineContext.undefused("O'Brien"), "O'Brien")
    }
}
