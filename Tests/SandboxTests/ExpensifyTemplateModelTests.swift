import Foundation
import XCTest

@testable import Sandbox

/// The template data model (§4.1–§4.3) as the exporter hands it to FreeMarker.
final class ExpensifyTemplateModelTests: XCTestCase {
    private func render(_ h: ExpensifyHarness, ids: String, _ template: String) async throws -> String {
        try await h.exportText(inputSettings: #"{"type":"combinedReportData","filters":{"reportIDList":"\#(ids)"}}"#, template: template)
    }

    private func renderError(_ h: ExpensifyHarness, ids: String, _ template: String) async -> (code: Int?, message: String) {
        let e = ExpensifyHarness.envelope(
            await h.export(inputSettings: #"{"type":"combinedReportData","filters":{"reportIDList":"\#(ids)"}}"#, template: template))
        return (e.code, e.message)
    }

    func testReportFieldsUseTheDocumentedNames() async throws {
        let h = try await ExpensifyHarness.make()
        let template =
            "<#list reports as r>${r.reportID}|${r.reportName}|${r.policyID}|${r.policyName}|${r.status}|${r.currency}|${r.total?c}|${r.created}|${r.submitted}|${r.approved}|${r.accountEmail}|${r.accountID?c}|${r.submitter.firstName}|${r.submitter.lastName}|${r.submitter.fullName}|${r.managerEmail}|${r.approvers?size}|${r.approvers[0].email}|${r.approvers[0].date}|${r.transactionList?size}</#list>"
        let text = try await render(h, ids: "90000001", template)
        XCTAssertEqual(
            text,
            "90000001|Berlin client visit|A1B2C3D4E5F60001|Northwind US|Approved|USD|65714|2026-10-28 09:15:00|2026-10-30 17:02:11|2026-11-02 09:14:40|alice.nguyen@northwind.example|10001|Alice|Nguyen|Alice Nguyen|finance@northwind.example|1|finance@northwind.example|2026-11-02 09:14:40|3"
        )
    }

    func testStatusDisplayStringsAndReportCurrencies() async throws {
        let h = try await ExpensifyHarness.make()
        let template = "<#list reports as r>${r.reportID}=${r.status}/${r.currency}<#sep>;</#list>"
        let text = try await h.exportText(
            inputSettings: #"{"type":"combinedReportData","filters":{"reportIDList":"90000005,90000012,90000021,90000031,90000041"}}"#,
            template: template)
        XCTAssertEqual(text, "90000005=Reimbursed/USD;90000012=Processing/USD;90000021=Approved/GBP;90000031=Approved/EUR;90000041=Approved/JPY")
    }

    func testExpenseFieldsAndGLCodesComeFromThePolicy() async throws {
        let h = try await ExpensifyHarness.make()
        let template =
            "<#assign e = reports[0].transactionList[1]>${e.transactionID}|${e.amount?c}|${e.currency}|${e.convertedAmount?c}|${e.currencyConversionRate?c}|${e.merchant}|${e.created}|${e.inserted}|${e.category}|${e.categoryGlCode}|${e.tag}|${e.tagGlCode}|${e.ntag1}|${e.ntag1GlCode}|${e.ntag2}|${e.ntag2GlCode}|${e.reimbursable?c}|${e.billable?c}|${e.receiptObject.url}|${e.reportID}|${e.type}|${(e.modifiedAmount??)?c}"
        let text = try await render(h, ids: "90000001", template)
        XCTAssertEqual(
            text,
            "6721000100000002|20000|EUR|21734|1.0867|Hotel \"Adlon\" Kempinski|2026-10-22|2026-10-22 18:12:07|Lodging|6011|Sales:West|W01|Sales|010|West|W01|true|false|https://www.expensify.com/receipts/w_6721000100000002.jpg|90000001|cash|false"
        )
    }

    func testUnknownTagsAndCategoriesWithoutGLCodeGiveEmptyCodes() async throws {
        let h = try await ExpensifyHarness.make()
        let template =
            "<#list reports as r><#list r.transactionList as e>${e.category}=[${e.categoryGlCode}] ${e.tag}=[${e.tagGlCode}] ${e.ntag1}=[${e.ntag1GlCode}] ${e.ntag2}=[${e.ntag2GlCode}]\n</#list></#list>"
        let text = try await render(h, ids: "90000007,90000008,90000051", template)
        XCTAssertEqual(
            text,
            """
            Meals=[6012] Sales:West=[W01] Sales=[010] West=[W01]
            Miscellaneous=[] Sales:West=[W01] Sales=[010] West=[W01]
            Meals=[6012] Marketing:Brand=[] Marketing=[] Brand=[]
            Meals=[6012] =[] =[] =[]

            """)
    }

    func testValuesAbsentFromTheSeedAreMissingAndMustBeDefaulted() async throws {
        let h = try await ExpensifyHarness.make()
        let error = await renderError(h, ids: "90000001", "${reports[0].transactionList[0].modifiedAmount}")
        XCTAssertEqual(error.code, 500)
        XCTAssertTrue(
            error.message.contains("==> reports[0].transactionList[0].modifiedAmount  [in template \"template\" at line 1, column 3]"), error.message)
        let template =
            "<#list reports as r><#list r.transactionList as e>${(e.modifiedAmount!0)?c}/${e.modifiedMerchant!\"-\"}/${e.modifiedCreated!\"-\"}/${(e.convertedAmount!0)?c}/[${e.currency}]\n</#list></#list>"
        let text = try await render(h, ids: "90000002,90000009,90000031", template)
        XCTAssertEqual(
            text,
            """
            0/-/-/1002/[JPY]
            3499/Staples Inc./-/3499/[USD]
            0/-/-/0/[]
            0/-/-/32000/[EUR]
            5800/-/2026-11-07/5800/[EUR]
            0/-/-/2336/[GBP]

            """)
    }

    func testEmptyReceiptObjectIsAnEmptyHash() async throws {
        let h = try await ExpensifyHarness.make()
        let template = "<#list reports[0].transactionList as e>${e.receiptObject?has_content?c}:${(e.receiptObject.url)!\"none\"}\n</#list>"
        let text = try await render(h, ids: "90000001", template)
        XCTAssertEqual(
            text,
            "true:https://www.expensify.com/receipts/w_6721000100000001.jpg\ntrue:https://www.expensify.com/receipts/w_6721000100000002.jpg\nfalse:none\n"
        )
        let error = await renderError(h, ids: "90000001", "${reports[0].transactionList[2].receiptObject.url}")
        XCTAssertEqual(error.code, 500)
        XCTAssertTrue(error.message.contains("null or missing"), error.message)
    }

    func testBooleansNeedAFormatAndNumbersPrintWithGroupingWithoutC() async throws {
        let h = try await ExpensifyHarness.make()
        let error = await renderError(h, ids: "90000001", "${reports[0].transactionList[0].reimbursable}")
        XCTAssertEqual(error.code, 500)
        XCTAssertTrue(error.message.hasPrefix("Can't convert boolean to string automatically"), error.message)
        let text = try await render(
            h, ids: "90000041",
            "${reports[0].total}|${reports[0].total?c}|${reports[0].transactionList[1].amount / 100}|${(reports[0].transactionList[2].reimbursable)?string(\"R\",\"C\")}"
        )
        XCTAssertEqual(text, "2,550,000|2550000|19,800|C")
    }

    func testRefundsAreNegativeAndCardExpensesAreNotReimbursable() async throws {
        let h = try await ExpensifyHarness.make()
        let template =
            "<#list reports as r><#list r.transactionList as e>${e.amount?c}:${e.reimbursable?string(\"R\",\"C\")}<#sep>,</#list><#sep>;</#list>"
        let text = try await render(h, ids: "90000001,90000004,90000005", template)
        XCTAssertEqual(text, "45230:R,20000:R,-1250:R;30000:C,4550:C;2400:R,1875:R,38000:C")
    }

    /// The reference's escaping-safe JSON template (§4.4) over every report gives valid JSON with the
    /// nasty values intact, including the report without expenses.
    func testReferenceJSONTemplateGivesValidJSON() async throws {
        let h = try await ExpensifyHarness.make()
        let template = #"""
            [<#list reports as report>{
             "reportID":"${(report.reportID!"")?json_string}",
             "status":"${(report.status!"")?json_string}",
             "total":${(report.total!0)?c},
             "transactionList":[<#list report.transactionList![] as expense>{
              "transactionID":"${(expense.transactionID!"")?json_string}",
              "merchant":"${(expense.merchant!"")?json_string}",
              "amount":${(expense.amount!0)?c},
              "modifiedAmount":${(expense.modifiedAmount!0)?c},
              "comment":"${(expense.comment!"")?json_string}",
              "reimbursable":${(expense.reimbursable!false)?c},
              "receiptURL":"${((expense.receiptObject.url)!"")?json_string}"
             }<#if expense?has_next>,</#if></#list>]
            }<#if report?has_next>,</#if></#list>]
            """#
        let text = try await h.exportText(inputSettings: #"{"type":"combinedReportData","filters":{"startDate":"2026-10-01"}}"#, template: template)
        let parsed = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]])
        XCTAssertEqual(parsed.count, 18)
        let byID = Dictionary(uniqueKeysWithValues: parsed.map { ($0["reportID"] as? String ?? "", $0) })
        let lodging = try XCTUnwrap((byID["90000001"]?["transactionList"] as? [[String: Any]])?[1])
        XCTAssertEqual(lodging["merchant"] as? String, "Hotel \"Adlon\" Kempinski")
        XCTAssertEqual(lodging["comment"] as? String, "2 nights, client visit\nReceipt scan kept under C:\\path\\receipts\\adlon.pdf")
        XCTAssertEqual((byID["90000002"]?["transactionList"] as? [[String: Any]])?.first?["merchant"] as? String, "寿司 Ginza")
        XCTAssertEqual((byID["90000031"]?["transactionList"] as? [[String: Any]])?[1]["merchant"] as? String, "Müller & Söhne")
        XCTAssertEqual((byID["90000010"]?["transactionList"] as? [Any])?.count, 0)
        XCTAssertTrue(text.contains(#""comment":"2 nights, client visit\nReceipt scan kept under C:\\path\\receipts\\adlon.pdf""#))
    }

    func testPolicyEditShowsInTheNextExport() async throws {
        let h = try await ExpensifyHarness.make()
        let template = "${reports[0].transactionList[0].categoryGlCode}/${reports[0].transactionList[0].tagGlCode}"
        var text = try await render(h, ids: "90000003", template)
        XCTAssertEqual(text, "6010/LG1")
        let update =
            #"{"type":"update",\#(ExpensifyHarness.credentials),"inputSettings":{"type":"policy","policyID":"A1B2C3D4E5F60001"},"categories":{"action":"merge","data":[{"name":"Airfare","enabled":true,"glCode":"7010"}]},"tags":{"data":[{"name":"Department","tags":[{"name":"Operations:Logistics","glCode":"LG9"}]}]}}"#
        let r = await h.job(update)
        XCTAssertEqual(ExpensifyHarness.json(r)["responseCode"] as? Int, 200)
        text = try await render(h, ids: "90000003", template)
        XCTAssertEqual(text, "7010/LG9")
    }
}
