import Foundation
import XCTest

@testable import Sandbox

final class NAVODataPageTests: XCTestCase {
    func testBasicAuthCompaniesCaptionsAndKeys() async throws {
        let h = try NAVHarness()
        let wrong = await h.nav("GET", "Company", headers: ["authorization": "Basic " + Data("EXPENSEAPI:nope".utf8).base64EncodedString()])
        XCTAssertEqual(wrong.status, 401)
        XCTAssertEqual(h.errorCode(wrong), "Authentication_InvalidCredentials")
        let companies = await h.nav("GET", "Company")
        XCTAssertEqual(h.values(companies).map { $0["Name"] as? String }, [NAVHarness.traders, NAVHarness.uk, "Northwind K.K."])
        let c = NAVHarness.company(NAVHarness.traders)
        let vendor = await h.nav("GET", "\(c)/VendorCard('EMP-0003')")
        XCTAssertEqual(vendor.status, 200, h.text(vendor))
        XCTAssertEqual(h.json(vendor)["Blocked"] as? String, "All")
        XCTAssertNotNil(h.json(vendor)["@odata.etag"] as? String)
        let total = await h.nav("GET", "\(c)/GLAccountCard('600998')")
        XCTAssertEqual(h.json(total)["Account_Type"] as? String, "End-Total")
        let chart = await h.nav("GET", "\(c)/ChartOfAccounts('600199')")
        XCTAssertNil(h.json(chart)["Blocked"], "page 16 has no Blocked")
        let values = await h.nav("GET", "\(c)/DimensionValues", query: [("$filter", "Dimension_Code eq 'COSTCENTER' and Blocked eq true")])
        XCTAssertEqual(h.values(values).map { $0["Code"] as? String }, ["OLD1"])
        let one = await h.nav("GET", "\(c)/DimensionValues(Dimension_Code='COSTCENTER',Code='PL-01')")
        XCTAssertEqual(h.json(one)["Name"] as? String, "Platform Core")
        let unknownCompany = await h.nav("GET", "\(NAVHarness.company("Nope Ltd."))/VendorCard")
        XCTAssertEqual(unknownCompany.status, 404)
    }

    func testPurchaseInvoiceContainmentAndIfMatch() async throws {
        let h = try NAVHarness()
        let c = NAVHarness.company(NAVHarness.traders)
        let manual = await h.nav("POST", "\(c)/PurchaseInvoice", body: #"{"No":"X1","Buy_from_Vendor_No":"EMP-0001"}"#)
        XCTAssertTrue(h.errorMessage(manual).hasPrefix("You may not enter numbers manually."))
        let created = await h.nav(
            "POST", "\(c)/PurchaseInvoice", body: #"{"Buy_from_Vendor_No":"EMP-0002","Vendor_Invoice_No":"EXP-0042","Posting_Date":"2026-11-05"}"#)
        XCTAssertEqual(created.status, 201, h.text(created))
        XCTAssertEqual(h.json(created)["No"] as? String, "PI-100001")
        XCTAssertEqual(h.json(created)["Document_Type"] as? String, "Invoice")
        XCTAssertEqual(h.json(created)["Buy_from_Vendor_Name"] as? String, "Bob Martin")
        let key = "PurchaseInvoice(Document_Type='Invoice',No='PI-100001')"
        let line = await h.nav(
            "POST", "\(c)/\(key)/PurchaseInvoicePurchLines",
            body:
                #"{"Type":"G/L Account","No":"600130","Description":"Taxi","Quantity":1,"Direct_Unit_Cost":45.5,"Shortcut_Dimension_1_Code":"010","ShortcutDimCode_x005B_3_x005D_":"001"}"#
        )
        XCTAssertEqual(line.status, 201, h.text(line))
        XCTAssertEqual(h.json(line)["Line_No"] as? Int, 10000)
        XCTAssertEqual(h.json(line)["Type"] as? String, "G/L Account")
        let bad = await h.nav("POST", "\(c)/\(key)/PurchaseInvoicePurchLines", body: #"{"Type":"G/L Account","No":"999999"}"#)
        XCTAssertEqual(h.errorMessage(bad), "The G/L Account does not exist. Identification fields and values: No.='999999'")
        let lineKey = "PurchaseInvoicePurchLines(Document_Type='Invoice',Document_No='PI-100001',Line_No=10000)"
        let got = await h.nav("GET", "\(c)/\(key)/\(lineKey)")
        XCTAssertEqual(h.json(got)["Line_Amount"] as? Double, 45.5)
        let etag = try XCTUnwrap(h.json(got)["@odata.etag"] as? String)
        let noMatch = await h.nav("PATCH", "\(c)/\(key)/\(lineKey)", body: #"{"Quantity":2}"#)
        XCTAssertEqual(h.errorCode(noMatch), "BadRequest_InvalidToken")
        let ok = await h.nav("PATCH", "\(c)/\(key)/\(lineKey)", body: #"{"Quantity":2}"#, headers: ["if-match": etag])
        XCTAssertEqual(ok.status, 200, h.text(ok))
        let stale = await h.nav("PATCH", "\(c)/\(key)/\(lineKey)", body: #"{"Quantity":3}"#, headers: ["if-match": etag])
        XCTAssertEqual(stale.status, 409)
        let docs = await h.documents(NAVHarness.traders)
        let doc = try XCTUnwrap((docs["purchaseInvoices"] as? [[String: Any]])?.first)
        let docLine = try XCTUnwrap((doc["lines"] as? [[String: Any]])?.first)
        XCTAssertEqual(docLine["amount"] as? String, "91")
        XCTAssertEqual(docLine["dimensions"] as? [String: String], ["BUSINESSUNIT": "001", "DEPARTMENT": "010"])
        let expanded = await h.nav("GET", "\(c)/\(key)", query: [("$expand", "PurchaseInvoicePurchLines")])
        XCTAssertEqual((h.json(expanded)["PurchaseInvoicePurchLines"] as? [[String: Any]])?.count, 1)

        // Posting (the sandbox's "user posts") removes it from page 51 and adds a posted invoice.
        let post = await h.control("POST", "/_sandbox/nav/post", query: [("company", NAVHarness.traders), ("purchaseInvoice", "PI-100001")])
        XCTAssertEqual(post.status, 200, h.text(post))
        let awaited1 = await h.nav("GET", "\(c)/PurchaseInvoice")
        XCTAssertTrue(h.values(awaited1).isEmpty)
        let postedList = await h.nav("GET", "\(c)/PostedPurchaseInvoices", query: [("$filter", "Vendor_Invoice_No eq 'EXP-0042'")])
        XCTAssertEqual(h.values(postedList).first?["Pre_Assigned_No"] as? String, "PI-100001")
        let entries = await h.nav("GET", "\(c)/GeneralLedgerEntries")
        XCTAssertEqual(h.values(entries).map { $0["G_L_Account_No"] as? String }, ["600130", "200100"])
        XCTAssertEqual(h.values(entries).first?["Global_Dimension_1_Code"] as? String, "010")
    }

    func testPage39ForcesTheDefaultJournalWhileExpenseJournalTakesTheBatch() async throws {
        let h = try NAVHarness()
        let c = NAVHarness.company(NAVHarness.uk)
        let forced = await h.nav(
            "POST", "\(c)/GeneralJournal",
            body:
                #"{"Journal_Batch_Name":"EXPENSES","Posting_Date":"2026-11-05","Document_No":"EXP-1","Account_Type":"G/L Account","Account_No":"600120","Amount":10}"#
        )
        XCTAssertEqual(forced.status, 201, h.text(forced))
        XCTAssertEqual(h.json(forced)["Journal_Batch_Name"] as? String, "DEFAULT", "page 39 over OData always inserts into the default journal")
        XCTAssertEqual(h.json(forced)["Journal_Template_Name"] as? String, "GENERAL")
        let chosen = await h.nav(
            "POST", "\(c)/ExpenseJournal",
            body:
                #"{"Journal_Template_Name":"GENERAL","Journal_Batch_Name":"EXPENSES","Posting_Date":"2026-11-05","Document_No":"EXP-1","Account_No":"600120","Amount":10,"Bal_Account_Type":"Vendor","Bal_Account_No":"EMP-1001"}"#
        )
        XCTAssertEqual(chosen.status, 201, h.text(chosen))
        XCTAssertEqual(h.json(chosen)["Journal_Batch_Name"] as? String, "EXPENSES")
        XCTAssertEqual(h.json(chosen)["Bal_Account_Type"] as? String, "Vendor")
        let key = "ExpenseJournal(Journal_Template_Name='GENERAL',Journal_Batch_Name='EXPENSES',Line_No=10000)"
        let got = await h.nav("GET", "\(c)/\(key)")
        XCTAssertEqual(h.json(got)["AccountName"] as? String, "Meals")
        let page39 = await h.nav("GET", "\(c)/GeneralJournal")
        XCTAssertEqual(h.values(page39).count, 1, "page 39 shows the default journal only")
        let post = await h.control("POST", "/_sandbox/nav/post", query: [("company", NAVHarness.uk), ("journalBatch", "GENERAL/EXPENSES")])
        XCTAssertEqual(post.status, 200, h.text(post))
        let log = (try? JSONSerialization.jsonObject(with: (await h.control("GET", "/_sandbox/nav/requests")).body) as? [[String: Any]]) ?? []
        XCTAssertTrue(log.allSatisfy { $0["api"] as? String == "odata" })
        let stats = h.json(await h.control("GET", "/_sandbox/stats"))
        XCTAssertEqual((stats["requests"] as? [String: Int])?["nav-odata"], log.count)
    }

    func testInjectedOData429WithoutRetryAfterHeader() async throws {
        let h = try NAVHarness()
        _ = await h.control("POST", "/_sandbox/nav/faults", body: #"{"count":1,"status":429,"api":"odata"}"#)
        let r = await h.nav("GET", "Company")
        XCTAssertEqual(r.status, 429)
        XCTAssertNil(h.header(r, "Retry-After"))
        let ok = await h.nav("GET", "Company")
        XCTAssertEqual(ok.status, 200)
    }

    /// Page 5200 Employee Card: status, a blank termination date as `0001-01-01`, the manager's number; the control
    /// route terminates an employee behind the connector's back.
    func testEmployeeCardAndTerminationThroughTheUpdateControl() async throws {
        let h = try NAVHarness()
        let c = NAVHarness.company(NAVHarness.traders)
        let list = await h.nav("GET", "\(c)/EmployeeCard")
        XCTAssertEqual(list.status, 200, h.text(list))
        XCTAssertEqual(h.values(list).map { $0["No"] as? String }, ["EMP-0001", "EMP-0002", "EMP-0003"])
        let carol = await h.nav("GET", "\(c)/EmployeeCard('EMP-0003')")
        XCTAssertEqual(h.json(carol)["Company_E_Mail"] as? String, "carol.diaz@northwind.example")
        XCTAssertEqual(h.json(carol)["Status"] as? String, "Active")
        XCTAssertEqual(h.json(carol)["Termination_Date"] as? String, "0001-01-01")
        XCTAssertEqual(h.json(carol)["Manager_No"] as? String, "EMP-0001")
        XCTAssertNotNil(h.json(carol)["@odata.etag"] as? String)

        let update = await h.control(
            "POST", "/_sandbox/nav/update",
            body:
                #"{"company":"Northwind Traders & Sons Ltd.","table":"employee","key":"EMP-0002","fields":{"status":"Terminated","terminationDate":"2026-11-30"}}"#
        )
        XCTAssertEqual(update.status, 200, h.text(update))
        let terminated = await h.nav("GET", "\(c)/EmployeeCard", query: [("$filter", "Status eq 'Terminated'")])
        XCTAssertEqual(h.values(terminated).map { $0["No"] as? String }, ["EMP-0002"])
        XCTAssertEqual(h.values(terminated).first?["Termination_Date"] as? String, "2026-11-30")
        let bad = await h.control(
            "POST", "/_sandbox/nav/update",
            body: #"{"company":"Northwind Traders & Sons Ltd.","table":"employee","key":"EMP-0001","fields":{"status":"Gone"}}"#)
        XCTAssertEqual(bad.status, 400, h.text(bad))
        let refused = await h.nav("POST", "\(c)/EmployeeCard", body: #"{"No":"EMP-0009"}"#)
        XCTAssertGreaterThanOrEqual(refused.status, 400, "the card is read-only here")
    }
}
