import ConnectorCore
import Foundation
import XCTest

@testable import Dynamics365

final class D365PayloadTests: XCTestCase {
    private func document(
        company: String = "usmf", currency: String = "USD", total: String = "657.14",
        lines: [InvoiceLine]? = nil
    ) -> InvoiceDocument {
        InvoiceDocument(
            key: "EXP-90000001", kind: .employee, reportID: "90000001", reportName: "Berlin trip", policyID: "A1B2C3D4E5F60001",
            company: company, vendorAccount: "EMP-0001", employeeEmail: "alice.nguyen@northwind.example", currency: currency,
            invoiceDate: "2026-11-12", postingDate: "2026-11-13", description: "Expensify 90000001 Berlin trip",
            dimensionDisplayValue: "010-W01-", total: total,
            lines: lines ?? [
                InvoiceLine(
                    lineNumber: 1, transactionID: "T1", description: "Airfare", amount: "452.30", mainAccount: "600100",
                    dimensionDisplayValue: "010-W01-", category: "Airfare", merchant: "LH", expenseDate: "2026-11-02"),
                InvoiceLine(
                    lineNumber: 2, transactionID: "T2", description: "Hotel \"Adlon\"", amount: "217.34", mainAccount: "600110",
                    dimensionDisplayValue: "020-PL\\-01-", category: "Lodging", merchant: "Adlon", expenseDate: "2026-11-03"),
                InvoiceLine(
                    lineNumber: 3, transactionID: "T3", description: "Taxi refund", amount: "-12.50", mainAccount: "600130",
                    dimensionDisplayValue: "010-W01-", category: "Ground Transportation", merchant: "Taxi", expenseDate: "2026-11-04"),
            ])
    }

    func testHeaderPayloadWithExactDecimal() throws {
        let header = try VendorInvoicePayload.header(document(company: "USMF"))
        XCTAssertEqual(
            JSONValue.object(header).serializedString(),
            """
            {"Currency":"USD","Date":"2026-11-13T12:00:00Z","DimensionDisplayValue":"010-W01-","ImportedAmount":657.14,\
            "InvoiceAccount":"EMP-0001","InvoiceDate":"2026-11-12T12:00:00Z","InvoiceDescription":"Expensify 90000001 Berlin trip",\
            "InvoiceNumber":"EXP-90000001","VendorAccount":"EMP-0001","dataAreaId":"usmf"}
            """)
    }

    func testLinePayloadsKeepTrailingZerosAndSigns() throws {
        let doc = document()
        let lines = try doc.lines.map { try VendorInvoicePayload.line($0, of: doc, headerReference: "APIH-000042") }
        XCTAssertEqual(
            JSONValue.object(lines[2]).serializedString(),
            """
            {"Currency":"USD","DimensionDisplayValue":"010-W01-","HeaderReference":"APIH-000042","InvoiceLineNumber":3,\
            "LineDescription":"Taxi refund","MainAccountDisplayValue":"600130","NetAmount":-12.50,"ReceiveNow":1,\
            "UnitPrice":-12.50,"dataAreaId":"usmf"}
            """)
        XCTAssertEqual(lines[1]["DimensionDisplayValue"], .string("020-PL\\-01-"))
        XCTAssertTrue(JSONValue.object(lines[1]).serializedString().contains(#""DimensionDisplayValue":"020-PL\\-01-""#))
        XCTAssertEqual(lines[0]["UnitPrice"], .number("452.30"))
    }

    func testYenAmountsHaveNoDecimals() throws {
        let doc = document(
            company: "jpmf", currency: "JPY", total: "21300",
            lines: [
                InvoiceLine(
                    lineNumber: 1, transactionID: "T1", description: "Taxi", amount: "1500", mainAccount: "600130",
                    dimensionDisplayValue: "030-LG1-", category: "Ground Transportation", merchant: "", expenseDate: "2026-11-05"),
                InvoiceLine(
                    lineNumber: 2, transactionID: "T2", description: "Hotel", amount: "19800", mainAccount: "600110",
                    dimensionDisplayValue: "030-LG1-", category: "Lodging", merchant: "", expenseDate: "2026-11-05"),
            ])
        let header = JSONValue.object(try VendorInvoicePayload.header(doc)).serializedString()
        XCTAssertTrue(header.contains(#""ImportedAmount":21300,"#), header)
        XCTAssertTrue(header.contains(#""Currency":"JPY""#))
        let line = JSONValue.object(try VendorInvoicePayload.line(doc.lines[1], of: doc, headerReference: "H")).serializedString()
        XCTAssertTrue(line.contains(#""UnitPrice":19800,"#), line)
        XCTAssertTrue(line.contains(#""NetAmount":19800,"#), line)
    }

    func testAmountTextFromMoneyIsAccepted() throws {
        for (units, code) in [(Int64(65714), "USD"), (-5, "USD"), (1500, "JPY"), (1250, "BHD"), (0, "EUR")] {
            let money = Money(minorUnits: units, currency: try XCTUnwrap(Currency(code: code)))
            XCTAssertEqual(try VendorInvoicePayload.amount(money.amountText, field: "f", key: "k"), .number(money.amountText))
        }
    }

    func testMalformedAmountsAndDatesAreRefusedBeforeSending() {
        for bad in ["", "1,234.00", "1e3", ".5", "+5", "01.00", "12.", "-", "NaN", "12.5.1", " 1"] {
            XCTAssertThrowsError(try VendorInvoicePayload.amount(bad, field: "total", key: "EXP-1"), bad) { error in
                XCTAssertEqual((error as? ConnectorError)?.code, "d365.payload_invalid")
            }
        }
        var doc = document()
        doc.invoiceDate = "12/11/2026"
        XCTAssertThrowsError(try VendorInvoicePayload.header(doc))
    }

    func testEmptyPostingDateFallsBackToInvoiceDate() throws {
        var doc = document()
        doc.postingDate = ""
        XCTAssertEqual(try VendorInvoicePayload.header(doc)["Date"], .string("2026-11-12T12:00:00Z"))
    }

    func testDuplicateInvoiceRejectionIsRecognised() {
        XCTAssertTrue(
            VendorInvoicePayload.isDuplicateInvoiceRejection(
                ConnectorError("d365.validation", "Invoice number 'EXP-90000001' is already used for vendor account 'EMP-0001'.")))
        XCTAssertFalse(
            VendorInvoicePayload.isDuplicateInvoiceRejection(
                ConnectorError("d365.validation", "Vendor 'EMP-0003' is on hold (Invoice) and cannot be invoiced.")))
        XCTAssertFalse(VendorInvoicePayload.isDuplicateInvoiceRejection(ConnectorError("d365.server_error", "already used")))
    }

    func testPostedFlag() {
        XCTAssertTrue(VendorInvoicePayload.isPosted(["IsPosted": .string("Yes")]))
        XCTAssertFalse(VendorInvoicePayload.isPosted(["IsPosted": .string("No")]))
        XCTAssertFalse(VendorInvoicePayload.isPosted(["HeaderReference": .string("1")]))
    }
}

final class D365DimensionSetupTests: XCTestCase {
    func testDelimiterEnumMapping() {
        let expected = [
            "Hyphen": "-", "Period": ".", "Underscore": "_", "Bar": "|", "Tilde": "~",
            "DoubleHyphen": "--", "DoublePeriod": "..", "DoubleUnderscore": "__", "DoubleBar": "||", "DoubleTilde": "~~",
        ]
        for (name, text) in expected { XCTAssertEqual(DimensionSetup.delimiter(fromEnum: name), text, name) }
        XCTAssertEqual(DimensionSetup.delimiter(fromEnum: "-"), "-")
        XCTAssertEqual(DimensionSetup.delimiter(fromEnum: "--"), "--")
        XCTAssertNil(DimensionSetup.delimiter(fromEnum: "Comma"))
        XCTAssertNil(DimensionSetup.delimiter(fromEnum: ""))
    }

    func testFormatParsing() {
        XCTAssertEqual(
            DimensionSetup.parseFormat("Department;CostCenter;BusinessUnit", delimiter: "-"), ["Department", "CostCenter", "BusinessUnit"])
        XCTAssertEqual(
            DimensionSetup.parseFormat("Department, CostCenter ,BusinessUnit", delimiter: "-"), ["Department", "CostCenter", "BusinessUnit"])
        XCTAssertEqual(
            DimensionSetup.parseFormat("Department-CostCenter-BusinessUnit", delimiter: "-"), ["Department", "CostCenter", "BusinessUnit"])
        XCTAssertEqual(DimensionSetup.parseFormat("Department--CostCenter", delimiter: "--"), ["Department", "CostCenter"])
        XCTAssertEqual(DimensionSetup.parseFormat("Department", delimiter: "-"), ["Department"])
        XCTAssertEqual(DimensionSetup.parseFormat("  ", delimiter: nil), [])
        XCTAssertEqual(DimensionSetup.parseFormat("Department;;CostCenter;", delimiter: nil), ["Department", "CostCenter"])
    }

    func testDefaultFormatType() {
        XCTAssertTrue(DimensionSetup.isDefaultFormatType("DataEntityDefaultDimensionFormat"))
        XCTAssertFalse(DimensionSetup.isDefaultFormatType("DataEntityLedgerDimensionFormat"))
        XCTAssertFalse(DimensionSetup.isDefaultFormatType("DataEntityBudgetDimensionFormat"))
    }

    func testODataValues() {
        XCTAssertNil(ODataValue.date(.string("1900-01-01T12:00:00Z")))
        XCTAssertNil(ODataValue.date(nil))
        XCTAssertNil(ODataValue.date(.string("")))
        XCTAssertEqual(ODataValue.date(.string("2026-03-05T00:00:00Z")), "2026-03-05")
        XCTAssertEqual(ODataValue.date(.string("2154-12-31T23:59:59Z")), "2154-12-31")
        XCTAssertTrue(ODataValue.noYes(.string("Yes")))
        XCTAssertFalse(ODataValue.noYes(.string("No")))
        XCTAssertTrue(ODataValue.noYes(.bool(true)))
        XCTAssertFalse(ODataValue.noYes(nil))
    }
}

final class D365SettingsTests: XCTestCase {
    func testDefaultScopeDropsTrailingSlash() {
        var settings = D365Settings(
            environmentURL: URL(string: "https://contoso.operations.dynamics.com/")!,
            authorityURL: URL(string: "https://login.microsoftonline.com")!, tenant: "t", clientID: "c",
            clientSecret: Secret("s"))
        XCTAssertEqual(settings.resolvedScope, "https://contoso.operations.dynamics.com/.default")
        XCTAssertEqual(settings.lookupChunkSize, 20)
        settings.scope = "api://custom/.default"
        XCTAssertEqual(settings.resolvedScope, "api://custom/.default")
        settings.scope = " "
        XCTAssertEqual(settings.resolvedScope, "https://contoso.operations.dynamics.com/.default")
    }

    func testDuplicateHeadersPreferPostedThenMostLinesThenLowestReference() {
        let a = ExistingDocument(key: "K", company: "usmf", erpReference: "2", isPosted: false, lineNumbers: [1, 2])
        let b = ExistingDocument(key: "K", company: "usmf", erpReference: "1", isPosted: false, lineNumbers: [1])
        let c = ExistingDocument(key: "K", company: "usmf", erpReference: "3", isPosted: true, lineNumbers: [])
        let d = ExistingDocument(key: "K", company: "usmf", erpReference: "0", isPosted: false, lineNumbers: [1, 2])
        XCTAssertTrue(D365Target.prefer(a, over: b))
        XCTAssertTrue(D365Target.prefer(c, over: a))
        XCTAssertTrue(D365Target.prefer(d, over: a))
        XCTAssertFalse(D365Target.prefer(a, over: d))
    }

    func testChunking() {
        XCTAssertEqual(Array(1...5).chunked(2), [[1, 2], [3, 4], [5]])
        XCTAssertEqual([Int]().chunked(20), [])
        XCTAssertEqual([1, 2].chunked(0), [[1], [2]])
    }
}
