import ConnectorCore
import Foundation
import XCTest

/// `align` settings: which accounts are in scope, which GL code a category gets, and what the check refuses.
final class AlignSettingsTests: XCTestCase {
    func config(_ align: String, extra: String = "") throws -> (ConnectorConfig?, [String]) {
        let sample = try String(
            contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("samples/config.json"), encoding: .utf8)
        let text = sample.replacingOccurrences(of: "\"invoice\":", with: "\"align\": \(align),\n  \(extra)\"invoice\":")
        return ConnectorConfig.check(Data(text.utf8), source: "config.json")
    }

    func testRangesAreNumericAndGLCodesComeFromTheMaps() throws {
        let (c, problems) = try config(#"{"categories": {"accountRanges": [["600000", "699999"]], "accounts": ["200100"]}, "tags": {}}"#)
        XCTAssertEqual(problems, [])
        let cfg = try XCTUnwrap(c)
        XCTAssertTrue(cfg.alignIncludes(account: "600100"))
        XCTAssertTrue(cfg.alignIncludes(account: "699999"))
        XCTAssertTrue(cfg.alignIncludes(account: "200100"))
        XCTAssertFalse(cfg.alignIncludes(account: "700000"))
        XCTAssertFalse(cfg.alignIncludes(account: "60010"), "numeric, not text order: 60010 < 600000")
        XCTAssertFalse(cfg.alignIncludes(account: "6001000"))
        XCTAssertEqual(cfg.alignGlCode(account: "600110", company: "usmf").glCode, "6011")
        XCTAssertTrue(cfg.alignGlCode(account: "600110", company: "usmf").mapped)
        let new = cfg.alignGlCode(account: "600170", company: "usmf")
        XCTAssertEqual(new.glCode, "600170")
        XCTAssertFalse(new.mapped)
        XCTAssertEqual(cfg.alignCategoryNameFrom, "accountName")
    }

    func testTheCheckNamesEveryAlignProblem() throws {
        let (_, problems) = try config(
            #"{"categories": {"accountRanges": [["699999", "600000"], ["1"]], "nameFrom": "label"}, "tags": {"dimensions": ["Project"], "nameFrom": "x"}}"#
        )
        XCTAssertEqual(
            problems.sorted(),
            [
                "align.categories.accountRanges[0]: from is after to",
                "align.categories.accountRanges[1] must be [from, to]",
                "align.categories.nameFrom must be 'accountName' or 'numberAndName'",
                "align.tags.dimensions: 'Project' is not in dimensions.format",
                "align.tags.nameFrom must be 'description' or 'value'",
            ])
        let (_, none) = try config(#"{"categories": {}}"#)
        XCTAssertEqual(none, [#"align.categories: give accountRanges (e.g. [["600000","699999"]]) or accounts"#])
        let (_, unknown) = try config(#"{"categories": {"accountRange": [["1","2"]]}}"#)
        XCTAssertTrue(unknown.contains { $0.contains("accountRange") }, "\(unknown)")
    }
}
