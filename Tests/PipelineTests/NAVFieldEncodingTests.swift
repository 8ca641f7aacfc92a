import ConnectorCore
import XCTest

@testable import BusinessCentral

/// The page fields and values the NAV targets write: the same typed record, OData captions and JSON numbers, SOAP
/// XML names and invariant decimal text; descriptions clipped to Text50; the local currency blank; dimensions in
/// the shortcut fields.
final class NAVFieldEncodingTests: XCTestCase {
    func configuration(_ type: String = "nav-odata") -> NAVTargetConfiguration {
        NAVTargetConfiguration(
            type: type, document: "purchaseInvoice", serviceURL: "http://nav:7048/DynamicsNAV110", userName: "EXPENSEAPI",
            shortcutDimensions: ["DEPARTMENT": 1, "COSTCENTER": 2, "BUSINESSUNIT": 3, "PROJECT": 4],
            localCurrencies: ["Northwind Traders & Sons Ltd.": "USD", "Northwind UK Ltd.": "GBP"],
            journal: NAVJournalSettings(template: "GENERAL", batch: "EXPENSES", balancingAccount: "200200", balancing: nil))
    }

    func document(currency: String = "USD", company: String = "Northwind Traders & Sons Ltd.") -> InvoiceDocument {
        InvoiceDocument(
            key: "EXP90000001", kind: .employee, reportID: "90000001", reportName: "Trip", policyID: "A1B2C3D4E5F60001", company: company,
            vendorAccount: "EMP-0001", employeeEmail: "alice.nguyen@northwind.example", currency: currency, invoiceDate: "2026-11-03",
            postingDate: "2026-11-04", description: "Expensify 90000001 Trip", dimensionDisplayValue: "DEPARTMENT 010, COSTCENTER W01",
            total: "439.80",
            lines: [
                InvoiceLine(
                    lineNumber: 1, transactionID: "T1", description: String(repeating: "Flight Boston–Chicago ", count: 4), amount: "452.30",
                    mainAccount: "600100", dimensionDisplayValue: "", category: "Airfare", merchant: "Delta", expenseDate: "2026-11-01",
                    dimensions: ["DEPARTMENT": "010", "COSTCENTER": "W01", "BUSINESSUNIT": "001"]),
                InvoiceLine(
                    lineNumber: 2, transactionID: "T2", description: "Taxi refund", amount: "-12.50", mainAccount: "600130",
                    dimensionDisplayValue: "", category: "Ground Transportation", merchant: "Cab", expenseDate: "2026-11-02",
                    dimensions: ["DEPARTMENT": "010", "COSTCENTER": "W01"]),
            ],
            dimensions: ["DEPARTMENT": "010", "COSTCENTER": "W01", "PROJECT": "P100"])
    }

    func testValuesInBothAPIs() {
        XCTAssertEqual(NAVPageValue.option("G/L Account").odata, .string("G/L Account"))
        XCTAssertEqual(NAVPageValue.option("G/L Account").soap, "G_L_Account")
        XCTAssertEqual(NAVPageValue.option(" ").soap, "_blank_")
        XCTAssertEqual(NAVPageValue.option("").odata, .string(" "))
        XCTAssertEqual(NAVPageValue.option("Charge (Item)").soap, "Charge_Item")
        XCTAssertEqual(NAVPageValue.decimal("45.50").odata, .number("45.5"))
        XCTAssertEqual(NAVPageValue.decimal("45.50").soap, "45.5")
        XCTAssertEqual(NAVPageValue.decimal("-0.00").soap, "0")
        XCTAssertEqual(NAVPageValue.decimal("0123456789012345.67").odata.serializedString(), "123456789012345.67")
        XCTAssertEqual(NAVPageValue.bool(true).soap, "true")
        XCTAssertEqual(NAVPageValue.date("2026-11-04").odata, .string("2026-11-04"))
        XCTAssertNil(NAVPageValue.invariantDecimal("1e3"))
        XCTAssertNil(NAVPageValue.invariantDecimal("1,5"))
        XCTAssertEqual(NAVShortcutField.name(slot: 1), "Shortcut_Dimension_1_Code")
        XCTAssertEqual(NAVShortcutField.name(slot: 3), "ShortcutDimCode_x005B_3_x005D_")
    }

    func testPurchaseInvoiceFields() {
        let f = NAVDocumentFields(configuration: configuration())
        let d = document()
        let header = f.invoiceHeader(d)
        XCTAssertEqual(
            header.fields.map(\.name),
            [
                "Buy_from_Vendor_No", "Document_Date", "Posting_Date", "Vendor_Invoice_No", "Currency_Code", "Shortcut_Dimension_1_Code",
                "Shortcut_Dimension_2_Code",
            ])
        XCTAssertEqual(header["Currency_Code"], .text(""), "the company's local currency is written blank")
        XCTAssertEqual(header["Vendor_Invoice_No"], .text("EXP90000001"))
        XCTAssertNil(header["ShortcutDimCode_x005B_4_x005D_"], "page 51's header has only the global dimension controls")

        let first = f.invoiceLine(d.lines[0])
        guard case .text(let description)? = first["Description"] else { return XCTFail("no description") }
        XCTAssertEqual(description.count, 50, "NAV 2013–2018 Description is Text50")
        XCTAssertEqual(first["ShortcutDimCode_x005B_3_x005D_"], .text("001"))
        XCTAssertEqual(
            JSONValue.object(first.odataBody).serializedString().contains("\"Type\":\"G/L Account\""), true)

        let refund = f.invoiceLine(d.lines[1])
        XCTAssertEqual(refund["Quantity"], .decimal("-1"))
        XCTAssertEqual(refund["Direct_Unit_Cost"], .decimal("12.50"), "a negative expense is quantity -1 at a positive cost")
        XCTAssertEqual(refund.odataBody["Quantity"], .number("-1"))
        XCTAssertEqual(refund.odataBody["Direct_Unit_Cost"], .number("12.5"))
        XCTAssertEqual(refund["Type"]?.soap, "G_L_Account")

        let euro = f.invoiceHeader(document(currency: "EUR", company: "Northwind UK Ltd."))
        XCTAssertEqual(euro["Currency_Code"], .text("EUR"))
    }

    func testJournalLinesBalancePerReport() {
        let f = NAVDocumentFields(configuration: configuration())
        let d = document()
        let lines = f.journalLines(d, journal: configuration().journal!)
        XCTAssertEqual(lines.count, 3)
        XCTAssertEqual(lines.map { $0["Amount"]?.soap }, ["452.3", "-12.5", "-439.8"])
        let sum = lines.compactMap { line -> Decimal? in
            guard case .decimal(let a)? = line["Amount"] else { return nil }
            return Decimal(string: a)
        }.reduce(0, +)
        XCTAssertEqual(sum, 0, "a journal document balances to zero")
        XCTAssertEqual(lines[2]["Account_No"], .text("200200"))
        XCTAssertEqual(lines[2]["ShortcutDimCode_x005B_4_x005D_"], .text("P100"), "the balancing line carries the common dimensions")
        XCTAssertEqual(lines[0]["Document_No"], .text("EXP90000001"))
        XCTAssertEqual(lines[0]["External_Document_No"], .text("90000001"))
        XCTAssertEqual(lines[0]["Document_Type"]?.soap, "_blank_")
        XCTAssertEqual(lines[0]["Account_Type"]?.odata, .string("G/L Account"))
        XCTAssertNil(lines[0]["Bal_Account_No"])

        var perLine = configuration()
        perLine.journal?.balancing = "perLine"
        let own = NAVDocumentFields(configuration: perLine).journalLines(d, journal: perLine.journal!)
        XCTAssertEqual(own.count, 2)
        XCTAssertEqual(own[0]["Bal_Account_No"], .text("200200"))
        XCTAssertEqual(own[0]["Bal_Account_Type"]?.soap, "G_L_Account")
    }

    func testODataPathsAndFilters() {
        XCTAssertEqual(
            NAVODataPages.path("Northwind Traders & Sons Ltd.", "VendorCard"), "Company('Northwind%20Traders%20%26%20Sons%20Ltd.')/VendorCard")
        XCTAssertEqual(
            NAVODataPages.entity("PurchaseInvoice", [("Document_Type", "Invoice"), ("No", "PI-100001")]),
            "PurchaseInvoice(Document_Type='Invoice',No='PI-100001')")
        XCTAssertEqual(
            NAVODataPages.entity("ExpenseJournal", [("Journal_Template_Name", "GENERAL"), ("Line_No", "10000")], numeric: ["Line_No"]),
            "ExpenseJournal(Journal_Template_Name='GENERAL',Line_No=10000)")
        XCTAssertEqual(
            NAVODataPages.filter([NAVCondition("Journal_Batch_Name", ["EXPENSES"]), NAVCondition("Document_No", ["EXP1", "O'B"])]),
            "Journal_Batch_Name eq 'EXPENSES' and (Document_No eq 'EXP1' or Document_No eq 'O''B')")
    }

    func testSOAPRecordsAndCriteria() {
        let f = NAVDocumentFields(configuration: configuration("nav-soap"))
        let refund = NAVSOAPPages.record(f.invoiceLine(document().lines[1]))
        XCTAssertEqual(refund["Type"], "G_L_Account")
        XCTAssertEqual(refund["Quantity"], "-1")
        XCTAssertEqual(refund["Direct_Unit_Cost"], "12.5")
        XCTAssertEqual(refund["Shortcut_Dimension_2_Code"], "W01")
        let journal = f.journalLines(document(), journal: configuration("nav-soap").journal!).map(NAVSOAPPages.record)
        XCTAssertEqual(journal[0]["Document_Type"], "_blank_")
        XCTAssertEqual(journal[0]["Account_Type"], "G_L_Account")
        XCTAssertEqual(journal[2]["Amount"], "-439.8")
        XCTAssertEqual(NAVSOAPPages.criteria(["EXP1", "EXP2"]), "EXP1|EXP2")
        XCTAssertEqual(NAVSOAPPages.criteria(["A|B", "O'Brien & Co."]), "'A|B'|'O''Brien & Co.'", "values are matched literally")
    }
}
