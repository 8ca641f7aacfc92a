import Foundation
import XCTest

@testable import Sandbox

/// Codeunit `ExpensePosting` over SOAP, the posted pages, and the shared fault injection and log with `"api":"soap"`.
final class NAVSOAPPostingTests: XCTestCase {
    var server: NAVSOAPServer!

    override func setUp() async throws { server = try await NAVSOAPServer.start() }
    override func tearDown() async throws { server.stop() }

    func result(_ a: NAVSOAPServer.Answer, file: StaticString = #filePath, line: UInt = #line) throws -> SOAPNode {
        XCTAssertEqual(a.status, 200, a.text, file: file, line: line)
        return try SOAPAnswer.result(a, file: file, line: line)
    }

    func testPostPurchaseInvoiceMovesItToPostedPurchaseInvoices() throws {
        let created = try result(
            try server.page(
                "PurchaseInvoice", "Create",
                NAVSOAPPageTests.invoice(lines: [("600130", "Taxi", "45.50"), ("600110", "Hotel", "110.25")])))
        let no = try XCTUnwrap(SOAPAnswer.fields(try XCTUnwrap(created.child("PurchaseInvoice")))["No"])
        let posted = try result(try server.codeunit("PostPurchaseInvoice", "<documentNo>\(no)</documentNo>"))
        XCTAssertEqual(posted.name, "PostPurchaseInvoice_Result")
        XCTAssertEqual(posted.namespace, "urn:microsoft-dynamics-schemas/codeunit/ExpensePosting")
        let postedNo = try XCTUnwrap(posted.child("return_value")?.text)
        XCTAssertEqual(postedNo, "PPI-200001")
        XCTAssertTrue(try result(try server.page("PurchaseInvoice", "Read", "<No>\(no)</No>")).children.isEmpty, "gone from page 51")
        let row = try XCTUnwrap(
            SOAPAnswer.records(try result(try server.page("PostedPurchaseInvoices", "Read", "<No>\(postedNo)</No>")), "PostedPurchaseInvoices").first)
        XCTAssertEqual(row["Pre_Assigned_No"], no)
        XCTAssertEqual(row["Vendor_Invoice_No"], "EXP-2026-0042")
        XCTAssertEqual(row["Amount"], "155.75")
        let entries = SOAPAnswer.records(
            try result(
                try server.page(
                    "GeneralLedgerEntries", "ReadMultiple",
                    "<filter><Field>Document_No</Field><Criteria>\(postedNo)</Criteria></filter><setSize>0</setSize>")),
            "GeneralLedgerEntries")
        XCTAssertEqual(Set(entries.compactMap { $0["G_L_Account_No"] }), ["600130", "600110", "200100"])
        let sum = entries.compactMap { $0["Amount"].flatMap { Decimal(string: $0) } }.reduce(0, +)
        XCTAssertEqual(sum, 0, "balanced")
        XCTAssertEqual(entries.first { $0["G_L_Account_No"] == "600130" }?["Global_Dimension_1_Code"], "010")

        // Posting again: the draft no longer exists.
        let again = try server.codeunit("PostPurchaseInvoice", "<documentNo>\(no)</documentNo>")
        XCTAssertEqual(again.status, 500)
        XCTAssertFalse(try SOAPAnswer.fault(again).1.isEmpty)
    }

    func testPostingErrorsAreFaults() throws {
        let blocked = try result(
            try server.page("PurchaseInvoice", "Create", NAVSOAPPageTests.invoice(vendorInvoice: "EXP-B", lines: [("600199", "Party", "99")])))
        let no = try XCTUnwrap(SOAPAnswer.fields(try XCTUnwrap(blocked.child("PurchaseInvoice")))["No"])
        let r = try server.codeunit("PostPurchaseInvoice", "<documentNo>\(no)</documentNo>")
        XCTAssertEqual(r.status, 500)
        XCTAssertEqual(try SOAPAnswer.fault(r).1, "Blocked must be equal to 'No'  in G/L Account: No.=600199. Current value is 'Yes'.")
        let empty = try server.codeunit("PostJournalBatch", "<templateName>GENERAL</templateName><batchName>EXPENSES</batchName>")
        XCTAssertEqual(try SOAPAnswer.fault(empty).1, "There is nothing to post.")
        let missing = try server.codeunit("PostPurchaseInvoice", "")
        XCTAssertTrue(try SOAPAnswer.fault(missing).1.contains("documentNo"))
    }

    func testPostJournalBatchWritesGLEntriesAndEmptiesTheBatch() throws {
        func line(_ account: String, _ amount: String) -> String {
            "<GeneralJournal><Posting_Date>2026-11-05</Posting_Date><Document_No>RPT-7</Document_No><Account_Type>G_L_Account</Account_Type><Account_No>\(account)</Account_No><Description>Expense</Description><Amount>\(amount)</Amount></GeneralJournal>"
        }
        _ = try result(
            try server.page(
                "GeneralJournal", "CreateMultiple",
                "<CurrentJnlBatchName>EXPENSES</CurrentJnlBatchName><GeneralJournal_List>" + line("600130", "45.5") + line("600120", "20")
                    + line("200200", "-65.5") + "</GeneralJournal_List>"))
        let posted = try result(try server.codeunit("PostJournalBatch", "<templateName>GENERAL</templateName><batchName>EXPENSES</batchName>"))
        XCTAssertEqual(posted.child("return_value")?.text, "3")
        XCTAssertTrue(
            SOAPAnswer.records(
                try result(try server.page("GeneralJournal", "ReadMultiple", "<CurrentJnlBatchName>EXPENSES</CurrentJnlBatchName>")), "GeneralJournal"
            ).isEmpty)
        let entries = SOAPAnswer.records(
            try result(
                try server.page("GeneralLedgerEntries", "ReadMultiple", "<filter><Field>Document_No</Field><Criteria>RPT-7</Criteria></filter>")),
            "GeneralLedgerEntries")
        XCTAssertEqual(entries.compactMap { $0["Amount"] }.sorted(), ["-65.5", "20", "45.5"])
    }

    func testFaultInjectionAndRequestLogCoverSOAP() throws {
        _ = try server.control("POST", "/_sandbox/nav/faults", json: #"{"count":1,"status":503,"retryAfter":2,"api":"soap"}"#)
        let r = try server.page("VendorCard", "Read", "<No>EMP-0001</No>")
        XCTAssertEqual(r.status, 503)
        XCTAssertTrue(r.head.contains("503"))
        XCTAssertEqual(try server.page("VendorCard", "Read", "<No>EMP-0001</No>").status, 200, "count 1: used up")
        let raw = try RawHTTP.exchange(port: server.port, "GET", "/_sandbox/nav/requests")
        let entries = (try JSONSerialization.jsonObject(with: RawHTTP.body(raw.bytes)) as? [[String: Any]]) ?? []
        XCTAssertTrue(entries.contains { ($0["api"] as? String) == "soap" && ($0["status"] as? Int) == 503 }, "\(entries)")
        XCTAssertTrue(entries.contains { ($0["api"] as? String) == "soap" && ($0["status"] as? Int) == 200 })
        let stats = try server.control("GET", "/_sandbox/stats")
        XCTAssertGreaterThanOrEqual((stats["requests"] as? [String: Int])?["nav-soap"] ?? 0, 2)

        // The shared token bucket throttles SOAP too.
        _ = try server.control("POST", "/_sandbox/nav/settings", json: #"{"requestsPerWindow":2,"windowSeconds":300}"#)
        let statuses = try (0..<4).map { _ in try server.page("VendorCard", "Read", "<No>EMP-0001</No>").status }
        XCTAssertEqual(statuses.last, 429, "\(statuses)")
    }
}
