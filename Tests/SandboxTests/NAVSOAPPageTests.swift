import Foundation
import XCTest

@testable import Sandbox

/// The page operations of NAV SOAP over real HTTP against the shared NAV database (seed samples/sandbox/nav.json).
final class NAVSOAPPageTests: XCTestCase {
    var server: NAVSOAPServer!

    override func setUp() async throws { server = try await NAVSOAPServer.start() }
    override func tearDown() async throws { server.stop() }

    func result(_ a: NAVSOAPServer.Answer, file: StaticString = #filePath, line: UInt = #line) throws -> SOAPNode {
        XCTAssertEqual(a.status, 200, a.text, file: file, line: line)
        return try SOAPAnswer.result(a, file: file, line: line)
    }

    func testReadAndEmptyReadResult() throws {
        let r = try result(try server.page("VendorCard", "Read", "<No>EMP-0003</No>"))
        XCTAssertEqual(r.name, "Read_Result")
        XCTAssertEqual(r.namespace, "urn:microsoft-dynamics-schemas/page/vendorcard")
        let v = try XCTUnwrap(SOAPAnswer.records(r, "VendorCard").first)
        XCTAssertEqual(v["Name"], "Carol Diaz")
        XCTAssertEqual(v["Blocked"], "All")
        XCTAssertEqual(v["E_Mail"], "carol.diaz@northwind.example")
        XCTAssertNotNil(v["Key"])
        let alice = SOAPAnswer.records(try result(try server.page("VendorCard", "Read", "<No>EMP-0001</No>")), "VendorCard")
        XCTAssertEqual(alice.first?["Blocked"], "_blank_", "the blank option is _blank_")
        let missing = try result(try server.page("VendorCard", "Read", "<No>NOPE</No>"))
        XCTAssertEqual(missing.name, "Read_Result")
        XCTAssertTrue(missing.children.isEmpty, "not found is an empty Read_Result, no fault")
        let uk = SOAPAnswer.records(try result(try server.page("VendorCard", "Read", "<No>EMP-1003</No>", company: NAVSOAPServer.uk)), "VendorCard")
        XCTAssertEqual(uk.first?["Currency_Code"], "EUR")
        XCTAssertTrue(
            SOAPAnswer.records(try result(try server.page("VendorCard", "Read", "<No>EMP-1003</No>")), "VendorCard").isEmpty,
            "companies are separate")
        let account = SOAPAnswer.records(try result(try server.page("GLAccountCard", "Read", "<No>600160</No>")), "GLAccountCard")
        XCTAssertEqual(account.first?["Direct_Posting"], "false")
        XCTAssertEqual(account.first?["Account_Type"], "Posting")
        let value = SOAPAnswer.records(
            try result(try server.page("DimensionValues", "Read", "<Dimension_Code>COSTCENTER</Dimension_Code><Code>OLD1</Code>")),
            "DimensionValues")
        XCTAssertEqual(value.first?["Blocked"], "true")
    }

    func testReadMultiplePagesWithBookmarkKeyUntilEmpty() throws {
        var seen: [String] = []
        var bookmark: String?
        var calls = 0
        while true {
            calls += 1
            XCTAssertLessThan(calls, 20)
            let inner = (bookmark.map { "<bookmarkKey>\(SOAPXMLWriter.escape($0))</bookmarkKey>" } ?? "") + "<setSize>5</setSize>"
            let r = try result(try server.page("ChartOfAccounts", "ReadMultiple", inner))
            XCTAssertEqual(r.name, "ReadMultiple_Result")
            let page = SOAPAnswer.records(r, "ChartOfAccounts")
            if page.isEmpty { break }
            XCTAssertEqual(r.children.first?.name, "ReadMultiple_Result", "double nesting")
            XCTAssertLessThanOrEqual(page.count, 5)
            seen += page.compactMap { $0["No"] }
            bookmark = page.last?["Key"]
        }
        XCTAssertEqual(seen, seen.sorted())
        XCTAssertEqual(Set(seen).count, seen.count, "no record twice")
        XCTAssertEqual(seen.count, 12, "the whole chart of NAV-SPEC.md")
        XCTAssertGreaterThan(calls, 3)
        let all = SOAPAnswer.records(try result(try server.page("ChartOfAccounts", "ReadMultiple", "<setSize>0</setSize>")), "ChartOfAccounts")
        XCTAssertEqual(all.compactMap { $0["No"] }, seen, "setSize 0 = all")
        let reverse = SOAPAnswer.records(try result(try server.page("ChartOfAccounts", "ReadMultiple", "<setSize>-2</setSize>")), "ChartOfAccounts")
        XCTAssertEqual(reverse.compactMap { $0["No"] }, ["600998", "600199"])
    }

    func testFilters() throws {
        func numbers(_ service: String, _ filters: [(String, String)], key: String = "No", company: String = NAVSOAPServer.us) throws -> [String] {
            let inner = filters.map { "<filter><Field>\($0.0)</Field><Criteria>\(SOAPXMLWriter.escape($0.1))</Criteria></filter>" }.joined()
            return SOAPAnswer.records(try result(try server.page(service, "ReadMultiple", inner + "<setSize>0</setSize>", company: company)), service)
                .compactMap { $0[key] }
        }
        XCTAssertEqual(
            try numbers("ChartOfAccounts", [("No", "600100..600130"), ("Account_Type", "Posting")]),
            ["600100", "600110", "600120", "600130"])
        XCTAssertEqual(try numbers("ChartOfAccounts", [("Account_Type", "Heading|End_Total")]), ["600000", "600998"])
        XCTAssertEqual(try numbers("GLAccountCard", [("Blocked", "true")]), ["600199"])
        XCTAssertEqual(try numbers("GLAccountCard", [("Direct_Posting", "false"), ("No", "6*")]), ["600000", "600160", "600998"])
        XCTAssertEqual(try numbers("VendorCard", [("No", "EMP*")]), ["EMP-0001", "EMP-0002", "EMP-0003"])
        XCTAssertEqual(try numbers("VendorCard", [("No", "<>EMP*&<>V*")]), ["AMEX-US"])
        XCTAssertEqual(try numbers("VendorCard", [("E_Mail", "''")]), ["AMEX-US"], "blank")
        XCTAssertEqual(try numbers("VendorCard", [("E_Mail", "@bob.martin@northwind.example")]), ["EMP-0002"], "case-insensitive")
        XCTAssertEqual(try numbers("VendorCard", [("E_Mail", "bob.martin@northwind.example")]), [], "case-sensitive without @")
        XCTAssertEqual(try numbers("VendorCard", [("Blocked", "<>_blank_")], company: NAVSOAPServer.uk), ["EMP-1002"])
        XCTAssertEqual(
            try numbers("DimensionValues", [("Dimension_Code", "COSTCENTER"), ("Blocked", "false")], key: "Code"),
            ["E01", "LG1", "PL-01", "W01"])
        let bad = try server.page("ChartOfAccounts", "ReadMultiple", "<filter><Field>Direct_Posting</Field><Criteria>maybe</Criteria></filter>")
        XCTAssertEqual(try SOAPAnswer.fault(bad).0, "a:Microsoft.Dynamics.Nav.Types.Exceptions.NavFilterException")
    }

    static func invoice(vendor: String = "EMP-0001", vendorInvoice: String = "EXP-2026-0042", lines: [(String, String, String)]) -> String {
        var s =
            "<PurchaseInvoice><Buy_from_Vendor_No>\(vendor)</Buy_from_Vendor_No><Posting_Date>2026-11-05</Posting_Date>"
            + "<Vendor_Invoice_No>\(vendorInvoice)</Vendor_Invoice_No><PurchLines>"
        for (account, description, amount) in lines {
            s +=
                "<Purch_Invoice_Line><Type>G_L_Account</Type><No>\(account)</No><Description>\(SOAPXMLWriter.escape(description))</Description>"
                + "<Quantity>1</Quantity><Direct_Unit_Cost>\(amount)</Direct_Unit_Cost>"
                + "<Shortcut_Dimension_1_Code>010</Shortcut_Dimension_1_Code><Shortcut_Dimension_2_Code>W01</Shortcut_Dimension_2_Code>"
                + "</Purch_Invoice_Line>"
        }
        return s + "</PurchLines></PurchaseInvoice>"
    }

    func testPurchaseInvoiceCreateUpdateStaleKeyDeleteLineAndDelete() throws {
        let created = try result(
            try server.page(
                "PurchaseInvoice", "Create", Self.invoice(lines: [("600130", "Taxi airport & back", "45.50"), ("600110", "Hotel", "220")])))
        XCTAssertEqual(created.name, "Create_Result")
        let header = try XCTUnwrap(created.child("PurchaseInvoice"))
        let h = SOAPAnswer.fields(header)
        XCTAssertEqual(h["No"], "PI-100001", "No from the number series")
        XCTAssertEqual(h["Buy_from_Vendor_Name"], "Alice Nguyen")
        let lines = try XCTUnwrap(header.child("PurchLines")).children(named: "Purch_Invoice_Line").map(SOAPAnswer.fields)
        XCTAssertEqual(lines.map { $0["Direct_Unit_Cost"] }, ["45.5", "220"], "invariant decimals")
        XCTAssertEqual(lines.first?["Description"], "Taxi airport & back")
        XCTAssertEqual(lines.first?["Type"], "G_L_Account")
        XCTAssertEqual(lines.first?["Line_Amount"], "45.5")
        let key1 = try XCTUnwrap(h["Key"])

        // Update with the fresh Key: a new Key comes back; the old one is now stale.
        let updated = try result(
            try server.page(
                "PurchaseInvoice", "Update", "<PurchaseInvoice><Key>\(key1)</Key><Posting_Date>2026-11-06</Posting_Date></PurchaseInvoice>"))
        let key2 = try XCTUnwrap(SOAPAnswer.fields(try XCTUnwrap(updated.child("PurchaseInvoice")))["Key"])
        XCTAssertNotEqual(key1, key2)
        XCTAssertEqual(SOAPAnswer.fields(try XCTUnwrap(updated.child("PurchaseInvoice")))["Posting_Date"], "2026-11-06")
        let stale = try server.page(
            "PurchaseInvoice", "Update", "<PurchaseInvoice><Key>\(key1)</Key><Posting_Date>2026-11-07</Posting_Date></PurchaseInvoice>")
        XCTAssertEqual(stale.status, 500)
        XCTAssertTrue(try SOAPAnswer.fault(stale).1.hasPrefix("Other user has modified Purchase Header"), stale.text)
        let noKey = try server.page("PurchaseInvoice", "Update", "<PurchaseInvoice><Posting_Date>2026-11-07</Posting_Date></PurchaseInvoice>")
        XCTAssertEqual(noKey.status, 500, "Update needs the Key")

        // IsUpdated and GetRecIdFromKey.
        let isUpdated = try result(try server.page("PurchaseInvoice", "IsUpdated", "<Key>\(key1)</Key>"))
        XCTAssertEqual(isUpdated.child("IsUpdated_Result")?.text, "true")
        XCTAssertEqual(try result(try server.page("PurchaseInvoice", "IsUpdated", "<Key>\(key2)</Key>")).child("IsUpdated_Result")?.text, "false")
        let recId = try result(try server.page("PurchaseInvoice", "GetRecIdFromKey", "<Key>\(key2)</Key>"))
        XCTAssertEqual(recId.child("GetRecIdFromKey_Result")?.text, "Purchase Header: Invoice,PI-100001")

        // Delete_PurchLines with the first line's Key.
        let afterUpdate = try result(try server.page("PurchaseInvoice", "Read", "<No>PI-100001</No>"))
        let firstLineKey = try XCTUnwrap(
            afterUpdate.child("PurchaseInvoice")?.child("PurchLines")?.children(named: "Purch_Invoice_Line").first.map(SOAPAnswer.fields)?["Key"])
        let deletedLine = try result(try server.page("PurchaseInvoice", "Delete_PurchLines", "<Key>\(firstLineKey)</Key>"))
        XCTAssertEqual(deletedLine.child("Delete_PurchLines_Result")?.text, "true")
        let remaining = try result(try server.page("PurchaseInvoice", "Read", "<No>PI-100001</No>"))
            .child("PurchaseInvoice")?.child("PurchLines")?.children(named: "Purch_Invoice_Line").map(SOAPAnswer.fields)
        XCTAssertEqual(remaining?.map { $0["No"] }, ["600110"])

        // Update adding a line (no Key) keeps the existing one.
        let key3 = try XCTUnwrap(
            SOAPAnswer.fields(try XCTUnwrap(try result(try server.page("PurchaseInvoice", "Read", "<No>PI-100001</No>")).child("PurchaseInvoice")))[
                "Key"])
        let added = try result(
            try server.page(
                "PurchaseInvoice", "Update",
                "<PurchaseInvoice><Key>\(key3)</Key><PurchLines><Purch_Invoice_Line><Type>G_L_Account</Type><No>600120</No><Description>Lunch</Description><Quantity>2</Quantity><Direct_Unit_Cost>12.25</Direct_Unit_Cost></Purch_Invoice_Line></PurchLines></PurchaseInvoice>"
            ))
        let addedLines = added.child("PurchaseInvoice")?.child("PurchLines")?.children(named: "Purch_Invoice_Line").map(SOAPAnswer.fields)
        XCTAssertEqual(addedLines?.map { $0["No"] }, ["600110", "600120"])
        XCTAssertEqual(addedLines?.last?["Line_Amount"], "24.5")

        // Delete with the current Key.
        let key4 = try XCTUnwrap(SOAPAnswer.fields(try XCTUnwrap(added.child("PurchaseInvoice")))["Key"])
        XCTAssertEqual(try result(try server.page("PurchaseInvoice", "Delete", "<Key>\(key4)</Key>")).child("Delete_Result")?.text, "true")
        XCTAssertTrue(try result(try server.page("PurchaseInvoice", "Read", "<No>PI-100001</No>")).children.isEmpty)
        let gone = try server.page("PurchaseInvoice", "Delete", "<Key>\(key4)</Key>")
        XCTAssertTrue(try SOAPAnswer.fault(gone).1.contains("does not exist"), gone.text)
    }

    func testBusinessErrorsAreFaultsWithTheReferenceTexts() throws {
        let account = try server.page("PurchaseInvoice", "Create", Self.invoice(lines: [("9999", "Mystery", "10")]))
        XCTAssertEqual(account.status, 500)
        let (code, message) = try SOAPAnswer.fault(account)
        XCTAssertEqual(code, "a:Microsoft.Dynamics.Nav.Types.Exceptions.NavCSideValidateTableRelationException")
        XCTAssertEqual(
            message, "The field No. of table Purchase Line contains a value (9999) that cannot be found in the related table (G/L Account).")
        XCTAssertTrue(
            SOAPAnswer.records(try result(try server.page("PurchaseInvoice", "ReadMultiple", "<setSize>0</setSize>")), "PurchaseInvoice").isEmpty,
            "a failed Create leaves nothing behind")

        let vendor = try server.page("PurchaseInvoice", "Create", Self.invoice(vendor: "NOPE-1", lines: []))
        let (vendorCode, vendorMessage) = try SOAPAnswer.fault(vendor)
        XCTAssertEqual(vendorCode, "a:Microsoft.Dynamics.Nav.Types.Exceptions.NavCSideValidateTableRelationException")
        XCTAssertTrue(vendorMessage.contains("(NOPE-1)") && vendorMessage.contains("(Vendor)"), vendorMessage)

        let journal = try server.page(
            "GeneralJournal", "Create",
            "<CurrentJnlBatchName>EXPENSES</CurrentJnlBatchName><GeneralJournal><Document_No>X-1</Document_No><Account_Type>G_L_Account</Account_Type><Account_No>9999</Account_No><Amount>1</Amount></GeneralJournal>"
        )
        XCTAssertEqual(
            try SOAPAnswer.fault(journal).1,
            "The field Account No. of table Gen. Journal Line contains a value (9999) that cannot be found in the related table (G/L Account).")

        let option = try server.page(
            "PurchaseInvoice", "Create",
            Self.invoice(lines: []).replacingOccurrences(
                of: "<PurchLines></PurchLines>",
                with: "<PurchLines><Purch_Invoice_Line><Type>G/L Account</Type><No>600120</No></Purch_Invoice_Line></PurchLines>"))
        XCTAssertEqual(try SOAPAnswer.fault(option).0, "a:Microsoft.Dynamics.Nav.Types.Exceptions.NavNCLEvaluateException", "options are XML names")
        let decimal = try server.page("PurchaseInvoice", "Create", Self.invoice(lines: [("600120", "Lunch", "12,50")]))
        XCTAssertEqual(
            try SOAPAnswer.fault(decimal).0, "a:Microsoft.Dynamics.Nav.Types.Exceptions.NavNCLEvaluateException", "invariant decimals only")
        let manualNo = try server.page(
            "PurchaseInvoice", "Create", "<PurchaseInvoice><No>MY-1</No><Buy_from_Vendor_No>EMP-0001</Buy_from_Vendor_No></PurchaseInvoice>")
        XCTAssertTrue(try SOAPAnswer.fault(manualNo).1.hasPrefix("You may not enter numbers manually"))
    }

    func testCreateMultipleIsOneTransaction() throws {
        func line(_ doc: String, _ account: String, _ amount: String) -> String {
            "<GeneralJournal><Posting_Date>2026-11-05</Posting_Date><Document_No>\(doc)</Document_No><Account_Type>G_L_Account</Account_Type><Account_No>\(account)</Account_No><Description>Taxi</Description><Amount>\(amount)</Amount><Bal_Account_Type>Vendor</Bal_Account_Type><Bal_Account_No>EMP-0001</Bal_Account_No></GeneralJournal>"
        }
        let bad = try server.page(
            "GeneralJournal", "CreateMultiple",
            "<CurrentJnlBatchName>EXPENSES</CurrentJnlBatchName><GeneralJournal_List>" + line("R-1", "600130", "10") + line("R-1", "600120", "20")
                + line("R-1", "9999", "30") + "</GeneralJournal_List>")
        XCTAssertEqual(bad.status, 500)
        XCTAssertTrue(try SOAPAnswer.fault(bad).1.contains("(9999)"))
        let none = try result(
            try server.page("GeneralJournal", "ReadMultiple", "<CurrentJnlBatchName>EXPENSES</CurrentJnlBatchName><setSize>0</setSize>"))
        XCTAssertTrue(SOAPAnswer.records(none, "GeneralJournal").isEmpty, "the 3rd element's fault creates none")

        let good = try result(
            try server.page(
                "GeneralJournal", "CreateMultiple",
                "<CurrentJnlBatchName>EXPENSES</CurrentJnlBatchName><GeneralJournal_List>" + line("R-1", "600130", "10")
                    + line("R-1", "600120", "20.5")
                    + "</GeneralJournal_List>"))
        XCTAssertEqual(good.name, "CreateMultiple_Result")
        XCTAssertEqual(good.children.first?.name, "GeneralJournal_List")
        let rows = SOAPAnswer.records(good, "GeneralJournal")
        XCTAssertEqual(rows.map { $0["Amount"] }, ["10", "20.5"])
        XCTAssertEqual(rows.map { $0["Bal_Account_Type"] }, ["Vendor", "Vendor"])
        XCTAssertEqual(Set(rows.compactMap { $0["Key"] }).count, 2)

        // UpdateMultiple: one stale Key fails the whole list.
        let keys = rows.compactMap { $0["Key"] }
        let updated = try result(
            try server.page(
                "GeneralJournal", "UpdateMultiple",
                "<CurrentJnlBatchName>EXPENSES</CurrentJnlBatchName><GeneralJournal_List><GeneralJournal><Key>\(keys[0])</Key><Description>Taxi 1</Description></GeneralJournal><GeneralJournal><Key>\(keys[1])</Key><Description>Meal 2</Description></GeneralJournal></GeneralJournal_List>"
            ))
        XCTAssertEqual(SOAPAnswer.records(updated, "GeneralJournal").map { $0["Description"] }, ["Taxi 1", "Meal 2"])
        let stale = try server.page(
            "GeneralJournal", "UpdateMultiple",
            "<CurrentJnlBatchName>EXPENSES</CurrentJnlBatchName><GeneralJournal_List><GeneralJournal><Key>\(SOAPAnswer.records(updated, "GeneralJournal")[0]["Key"]!)</Key><Description>A</Description></GeneralJournal><GeneralJournal><Key>\(keys[1])</Key><Description>B</Description></GeneralJournal></GeneralJournal_List>"
        )
        XCTAssertTrue(try SOAPAnswer.fault(stale).1.hasPrefix("Other user has modified Gen. Journal Line"))
        let after = SOAPAnswer.records(
            try result(try server.page("GeneralJournal", "ReadMultiple", "<CurrentJnlBatchName>EXPENSES</CurrentJnlBatchName><setSize>0</setSize>")),
            "GeneralJournal")
        XCTAssertEqual(after.map { $0["Description"] }, ["Taxi 1", "Meal 2"], "nothing of the failed UpdateMultiple applied")
    }

    func testJournalBatchIsChosenWithCurrentJnlBatchName() async throws {
        let body =
            "<GeneralJournal><Posting_Date>2026-11-05</Posting_Date><Document_Type>_blank_</Document_Type><Document_No>EXP-0042</Document_No><External_Document_No>RPT-0042</External_Document_No><Account_Type>G_L_Account</Account_Type><Account_No>600130</Account_No><Description>Taxi airport</Description><Amount>45.5</Amount><Bal_Account_Type>Vendor</Bal_Account_Type><Bal_Account_No>EMP-0001</Bal_Account_No><Shortcut_Dimension_1_Code>010</Shortcut_Dimension_1_Code><ShortcutDimCode_x005B_3_x005D_>001</ShortcutDimCode_x005B_3_x005D_></GeneralJournal>"
        let created = try result(try server.page("GeneralJournal", "Create", "<CurrentJnlBatchName>EXPENSES</CurrentJnlBatchName>" + body))
        let row = SOAPAnswer.fields(try XCTUnwrap(created.child("GeneralJournal")))
        XCTAssertEqual(row["Amount"], "45.5")
        XCTAssertEqual(row["Document_Type"], "_blank_")
        XCTAssertEqual(row["ShortcutDimCode_x005B_3_x005D_"], "001")
        XCTAssertNil(row["Journal_Batch_Name"], "not a field of page 39")
        func count(_ batch: String) throws -> Int {
            SOAPAnswer.records(
                try result(
                    try server.page("GeneralJournal", "ReadMultiple", "<CurrentJnlBatchName>\(batch)</CurrentJnlBatchName><setSize>0</setSize>")),
                "GeneralJournal"
            ).count
        }
        XCTAssertEqual(try count("EXPENSES"), 1)
        XCTAssertEqual(try count("DEFAULT"), 0)
        let read = try result(
            try server.page("GeneralJournal", "Read", "<CurrentJnlBatchName>EXPENSES</CurrentJnlBatchName><Line_No>10000</Line_No>"))
        XCTAssertEqual(SOAPAnswer.records(read, "GeneralJournal").first?["Document_No"], "EXP-0042")
        let docs = try await server.documents(NAVSOAPServer.us)
        let lines = docs["journalLines"] as? [[String: Any]] ?? []
        XCTAssertEqual(lines.count, 1)
        XCTAssertEqual(lines.first?["batch"] as? String, "EXPENSES")
        XCTAssertEqual(lines.first?["amount"] as? String, "45.5")
        XCTAssertEqual((lines.first?["dimensions"] as? [String: String])?["DEPARTMENT"], "010")
        XCTAssertEqual((lines.first?["dimensions"] as? [String: String])?["BUSINESSUNIT"], "001")

        // ExpenseJournal names template and batch as fields.
        let expense = try result(
            try server.page(
                "ExpenseJournal", "Create",
                "<ExpenseJournal><Journal_Template_Name>GENERAL</Journal_Template_Name><Journal_Batch_Name>DEFAULT</Journal_Batch_Name><Document_No>R-9</Document_No><Account_Type>G_L_Account</Account_Type><Account_No>600120</Account_No><Amount>5</Amount></ExpenseJournal>"
            ))
        XCTAssertEqual(SOAPAnswer.fields(try XCTUnwrap(expense.child("ExpenseJournal")))["Journal_Batch_Name"], "DEFAULT")
        XCTAssertEqual(try count("DEFAULT"), 1)
    }

    /// The SOAP page shapes name only fields the store's page definitions know (the same controls for OData and SOAP).
    func testSOAPPageFieldsAreTheStorePagesFields() throws {
        for page in NAVSOAPPages.all {
            let store = try XCTUnwrap(NAVPage.named(page.service), page.service)
            // Page 39's read-only amount controls of the reference's §5.4 answer, shown by SOAP only so far.
            let known = Set(store.fields.map(\.name)).union(page.journal ? ["Amount_LCY", "Debit_Amount", "Credit_Amount"] : [])
            XCTAssertEqual(Set(page.fields.map(\.name)).subtracting(known), [], page.service)
            if let part = page.part {
                let lines = try XCTUnwrap(NAVPage.named(part.name))
                XCTAssertEqual(Set(part.fields.map(\.name)).subtracting(lines.fields.map(\.name)), [], part.name)
            }
        }
    }

    func testGetRecIdFromKeyAndReadByRecId() throws {
        let read = try result(try server.page("VendorCard", "Read", "<No>EMP-0002</No>"))
        let key = try XCTUnwrap(SOAPAnswer.records(read, "VendorCard").first?["Key"])
        let recId = try XCTUnwrap(
            try result(try server.page("VendorCard", "GetRecIdFromKey", "<Key>\(key)</Key>")).child("GetRecIdFromKey_Result")?.text)
        XCTAssertEqual(recId, "Vendor: EMP-0002")
        let byRecId = try result(try server.page("VendorCard", "ReadByRecId", "<recId>\(recId)</recId>"))
        XCTAssertEqual(byRecId.name, "ReadByRecId_Result")
        XCTAssertEqual(SOAPAnswer.records(byRecId, "VendorCard").first?["Name"], "Bob Martin")
        XCTAssertTrue(try result(try server.page("VendorCard", "ReadByRecId", "<recId>Vendor: NOPE</recId>")).children.isEmpty)
        let bad = try server.page("VendorCard", "IsUpdated", "<Key>not-a-key</Key>")
        XCTAssertEqual(bad.status, 500)
    }

    /// Page 5200 Employee Card over SOAP: the same fields as OData, options as XML names, a blank date left out.
    func testEmployeeCardReadMultipleAndTermination() throws {
        let r = try result(try server.page("EmployeeCard", "ReadMultiple", "<setSize>0</setSize>"))
        let rows = SOAPAnswer.records(r, "EmployeeCard")
        XCTAssertEqual(rows.compactMap { $0["No"] }, ["EMP-0001", "EMP-0002", "EMP-0003"])
        let carol = try XCTUnwrap(rows.first { $0["No"] == "EMP-0003" })
        XCTAssertEqual(carol["Company_E_Mail"], "carol.diaz@northwind.example")
        XCTAssertEqual(carol["Status"], "Active")
        XCTAssertEqual(carol["Manager_No"], "EMP-0001")
        XCTAssertNil(carol["Termination_Date"], "a blank date is not sent")
        let frank = SOAPAnswer.records(
            try result(try server.page("EmployeeCard", "Read", "<No>EMP-1003</No>", company: NAVSOAPServer.uk)), "EmployeeCard")
        XCTAssertEqual(frank.first?["Manager_No"], "EMP-1001")

        _ = try server.control(
            "POST", "/_sandbox/nav/update",
            json:
                #"{"company":"Northwind Traders & Sons Ltd.","table":"employee","key":"EMP-0002","fields":{"status":"Terminated","terminationDate":"2026-11-30"}}"#
        )
        let filtered = SOAPAnswer.records(
            try result(
                try server.page(
                    "EmployeeCard", "ReadMultiple", "<filter><Field>Status</Field><Criteria>Terminated</Criteria></filter><setSize>0</setSize>")),
            "EmployeeCard")
        XCTAssertEqual(filtered.compactMap { $0["No"] }, ["EMP-0002"])
        XCTAssertEqual(filtered.first?["Termination_Date"], "2026-11-30")
        let create = try server.page("EmployeeCard", "Create", "<EmployeeCard><No>EMP-0009</No></EmployeeCard>")
        XCTAssertNotEqual(create.status, 200, "the card is read-only here")
    }
}

extension SOAPNode {
    func children(named name: String) -> [SOAPNode] { children.filter { $0.name == name } }
}
