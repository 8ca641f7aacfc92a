import ConnectorCore
import Foundation
import XCTest

/// `align` settings: which accounts are in scope, which GL code a category gets, and what the check refuses.
final class AlignSettingsTests: XCTestCase {
    func config(_ align: String, extra: String = "") throws -> (ConnectorConfig?, [String]) {
        let sample = try Data(
            contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("samples/config.json"))
        // The sample's own `align` replaced by the one under test.
        var object = try XCTUnwrap(try JSONSerialization.jsonObject(with: sample) as? [String: Any])
        object["align"] = try JSONSerialization.jsonObject(with: Data(align.utf8))
        for (k, v) in try XCTUnwrap(try JSONSerialization.jsonObject(with: Data("{\(extra)}".utf8)) as? [String: Any]) { object[k] = v }
        return ConnectorConfig.check(try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), source: "config.json")
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

    func testTypesAndCategoriesNarrowTheRangesAndAreComparedLooselyInCase() throws {
        let (c, problems) = try config(
            #"{"categories": {"accountRanges": [["600000", "699999"]], "accountTypes": ["Expense", "Cost of Goods Sold"], "accountCategories": ["travel"]}}"#
        )
        XCTAssertEqual(problems, [])
        let cfg = try XCTUnwrap(c)
        XCTAssertTrue(cfg.alignFiltersByClass)
        XCTAssertTrue(cfg.alignIncludes(account: "600100", classification: .init(type: "Expense", category: "Travel")))
        XCTAssertTrue(cfg.alignIncludes(account: "600100", classification: .init(type: "Cost_of_Goods_Sold", category: "TRAVEL")))
        XCTAssertTrue(cfg.alignIncludes(account: "600100", classification: .init(type: "Cost_x0020_of_x0020_Goods_x0020_Sold", category: "Travel")))
        XCTAssertFalse(cfg.alignIncludes(account: "600100", classification: .init(type: "Expense", category: "Office")), "wrong category")
        XCTAssertFalse(cfg.alignIncludes(account: "600100", classification: .init(type: "BalanceSheet", category: "Travel")), "wrong type")
        XCTAssertFalse(cfg.alignIncludes(account: "600100", classification: nil), "the ERP says nothing: not in scope")
        XCTAssertFalse(cfg.alignIncludes(account: "700100", classification: .init(type: "Expense", category: "Travel")), "outside the range")

        let (typesOnly, none) = try config(#"{"categories": {"accountTypes": ["Expense"]}}"#)
        XCTAssertEqual(none, [])
        XCTAssertTrue(try XCTUnwrap(typesOnly).alignIncludes(account: "900100", classification: .init(type: "expense", category: nil)))
        XCTAssertFalse(try XCTUnwrap(typesOnly).alignIncludes(account: "900100", classification: .init(type: "Revenue", category: nil)))
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
        XCTAssertEqual(none, [#"align.categories: give accountRanges (e.g. [["600000","699999"]]), accounts, accountTypes or accountCategories"#])
        let (_, emptyTypes) = try config(#"{"categories": {"accountTypes": [], "accountCategories": [" "]}}"#)
        XCTAssertEqual(
            emptyTypes,
            [
                #"align.categories.accountTypes must list at least one name, none blank (e.g. ["Expense"])"#,
                #"align.categories.accountCategories must list at least one name, none blank (e.g. ["Expense"])"#,
            ])
        let (_, unknown) = try config(#"{"categories": {"accountRange": [["1","2"]]}}"#)
        XCTAssertTrue(unknown.contains { $0.contains("accountRange") }, "\(unknown)")
    }
}
