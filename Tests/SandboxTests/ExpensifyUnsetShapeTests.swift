import Foundation
import XCTest

@testable import Sandbox

/// The exporter's data model can show a field a report or expense does not have in three shapes
/// (settings `unsetFields`): absent (default), "" and "" with 0 for `modifiedAmount` (reference §4.3).
final class ExpensifyUnsetShapeTests: XCTestCase {
    static let probe = """
        <#list reports as r><#list r.transactionList as e>${e.transactionID}: \
        modifiedAmount=<#if !(e.modifiedAmount)??>absent<#elseif e.modifiedAmount?is_number>${e.modifiedAmount?c}<#else>"${e.modifiedAmount}"</#if> \
        modifiedMerchant=<#if !(e.modifiedMerchant)??>absent<#else>"${e.modifiedMerchant}"</#if> \
        receiptObject=<#if !(e.receiptObject)??>absent<#elseif e.receiptObject?is_hash>hash(${e.receiptObject?size})<#else>"${e.receiptObject}"</#if> \
        receiptURL=<#if e.receiptObject?is_hash>${(e.receiptObject.url)!"absent"}<#else>-</#if>
        </#list>submitted=${r.submitted!"absent"} reimbursed=<#if (r.reimbursed)??>"${r.reimbursed}"<#else>absent</#if>
        </#list>
        """

    private func probe(_ h: ExpensifyHarness) async throws -> String {
        try await h.exportText(inputSettings: #"{"type":"combinedReportData","filters":{"reportIDList":"90000002"}}"#, template: Self.probe)
    }

    func testUnsetFieldsAreAbsentByDefault() async throws {
        let h = try await ExpensifyHarness.make()
        let settings = ExpensifyHarness.json(await h.control("GET", "/settings"))
        XCTAssertEqual(settings["unsetFields"] as? String, "absent")
        let text = try await probe(h)
        XCTAssertEqual(
            text,
            """
            6721000200000001: modifiedAmount=absent modifiedMerchant=absent receiptObject=hash(5) receiptURL=https://www.expensify.com/receipts/w_6721000200000001.jpg
            6721000200000002: modifiedAmount=3499 modifiedMerchant="Staples Inc." receiptObject=hash(0) receiptURL=absent
            submitted=2026-11-01 12:30:00 reimbursed=absent

            """)
    }

    func testEmptyShapeGivesEmptyStringsAndAnEmptyReceiptObjectAsEmptyString() async throws {
        let h = try await ExpensifyHarness.make()
        let r = await h.control("POST", "/settings", body: #"{"unsetFields":"empty"}"#)
        XCTAssertEqual(ExpensifyHarness.json(r)["unsetFields"] as? String, "empty")
        let text = try await probe(h)
        XCTAssertEqual(
            text,
            """
            6721000200000001: modifiedAmount="" modifiedMerchant="" receiptObject=hash(5) receiptURL=https://www.expensify.com/receipts/w_6721000200000001.jpg
            6721000200000002: modifiedAmount=3499 modifiedMerchant="Staples Inc." receiptObject="" receiptURL=-
            submitted=2026-11-01 12:30:00 reimbursed=""

            """)
    }

    func testZeroShapeGivesZeroForAnUnmodifiedAmount() async throws {
        let h = try await ExpensifyHarness.make()
        _ = await h.control("POST", "/settings", body: #"{"unsetFields":"zero"}"#)
        let text = try await probe(h)
        XCTAssertTrue(text.hasPrefix("6721000200000001: modifiedAmount=0 modifiedMerchant=\"\" "), text)
        XCTAssertTrue(text.contains("6721000200000002: modifiedAmount=3499 "), text)
    }

    func testAnUnknownShapeIsRefused() async throws {
        let h = try await ExpensifyHarness.make()
        let r = await h.control("POST", "/settings", body: #"{"unsetFields":"blank"}"#)
        XCTAssertEqual(r.status, 400)
        XCTAssertTrue(ExpensifyHarness.text(r).contains("absent, empty, zero"), ExpensifyHarness.text(r))
        XCTAssertThrowsError(try ExpensifySeed(json: try ExpensifyJSONParser.parseObject(#"{"settings":{"unsetFields":"nil"}}"#)))
    }
}
