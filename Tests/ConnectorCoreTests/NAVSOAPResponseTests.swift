import ConnectorCore
import Foundation
import XCTest

@testable import NAVSOAP

/// The reference's sample answers (nav-bc-api.md §5.3–§5.6, copied verbatim into Golden/NAVSOAP/reference) and the
/// result shapes of every operation, read by namespace; faults become errors that name field, value and table.
final class NAVSOAPResponseTests: XCTestCase {
    private let soap = SOAPEnvelope.envelopeNamespace

    private func envelope(_ body: String, prefix: String = "Soap") -> Data {
        Data("<\(prefix):Envelope xmlns:\(prefix)=\"\(soap)\"><\(prefix):Body>\(body)</\(prefix):Body></\(prefix):Envelope>".utf8)
    }

    func testGeneralJournalCreateResponseOfTheReference() throws {
        let data = try NAVSOAPTestSupport.reference("5.4-generaljournal-create-response.xml")
        let result = try SOAPResponseDecoder.result(
            data, operation: "Create", namespace: SOAPEnvelope.pageNamespace("GeneralJournal"), service: "GeneralJournal")
        let record = try SOAPResponseDecoder.singleRecord(result, operation: "Create", service: "GeneralJournal")
        XCTAssertEqual(record.key, "40;UQAAAAJ7/0cARQBOAEUAUgBBAEwAAAAAAAAAAACHECc=9;123456789;")
        XCTAssertEqual(record.names.first, "Key")
        XCTAssertEqual(record.names.count, 19)
        XCTAssertEqual(record["Document_Type"], "_blank_")
        XCTAssertEqual(record["Amount"], "45.5")
        XCTAssertEqual(record["Credit_Amount"], "0")
        XCTAssertEqual(record["ShortcutDimCode_x005B_3_x005D_"], "PRJ-7")
        XCTAssertNil(record["Journal_Template_Name"], "not a SOAP field of page 39")
    }

    func testPurchaseInvoiceCreateResponseOfTheReferenceHasItsLines() throws {
        let data = try NAVSOAPTestSupport.reference("5.5-purchaseinvoice-create-response.xml")
        let result = try SOAPResponseDecoder.result(
            data, operation: "Create", namespace: SOAPEnvelope.pageNamespace("PurchaseInvoice"), service: "PurchaseInvoice")
        let invoice = try SOAPResponseDecoder.singleRecord(result, operation: "Create", service: "PurchaseInvoice")
        XCTAssertEqual(invoice.key, "28;JgAAAACLAgAAAAJ7BDEAMAAwADE=9;987654321;")
        XCTAssertEqual(invoice["No"], "1001")
        XCTAssertEqual(invoice["Status"], "Open")
        XCTAssertEqual(invoice["Currency_Code"], "", "a blank field is present and empty")
        let lines = invoice.part("PurchLines")
        XCTAssertEqual(lines.count, 2)
        XCTAssertEqual(lines.map { $0["No"] }, ["6420", "6430"])
        XCTAssertEqual(lines[0]["Line_Amount"], "45.5")
        XCTAssertEqual(lines[0]["Shortcut_Dimension_2_Code"], "NORTH")
        XCTAssertEqual(lines[1]["Line_Amount"], "220")
        XCTAssertEqual(lines[0].key, "…")
        guard case .part(let item, _)? = invoice.fields.first(where: { $0.name == "PurchLines" })?.value else {
            return XCTFail("PurchLines is not a part")
        }
        XCTAssertEqual(item, "Purch_Invoice_Line")
    }

    func testChartOfAccountsReadMultipleResponseOfTheReference() throws {
        let data = try NAVSOAPTestSupport.reference("5.6-chartofaccounts-readmultiple-response.xml")
        let result = try SOAPResponseDecoder.result(
            data, operation: "ReadMultiple", namespace: SOAPEnvelope.pageNamespace("ChartOfAccounts"), service: "ChartOfAccounts")
        let records = SOAPResponseDecoder.readMultipleRecords(result, service: "ChartOfAccounts")
        XCTAssertEqual(records.map { $0["No"] }, ["6420", "6430"])
        XCTAssertEqual(records[0]["Income_Balance"], "Income_Statement")
        XCTAssertEqual(records[0]["Direct_Posting"], "true")
    }

    func testFaultOfTheReferenceNamesTheRecordFieldAndValue() throws {
        let data = try NAVSOAPTestSupport.reference("5.3-fault.xml")
        XCTAssertTrue(SOAPResponseDecoder.isFault(data))
        XCTAssertThrowsError(
            try SOAPResponseDecoder.result(
                data, operation: "Create", namespace: SOAPEnvelope.pageNamespace("GeneralJournal"), service: "GeneralJournal")
        ) { error in
            let e = error as? ConnectorError
            XCTAssertEqual(e?.code, "nav.soap.fault.NavCSideRecordNotFoundException")
            XCTAssertEqual(e?.context["nav.field"], "No.")
            XCTAssertEqual(e?.context["nav.value"], "9999")
            XCTAssertEqual(e?.context["nav.table"], "G/L Account")
            XCTAssertEqual(e?.context["nav.soap.service"], "GeneralJournal")
            XCTAssertEqual(
                e?.message,
                "NAV refused Create on GeneralJournal: the G/L Account No.='9999' does not exist. NAV said: The G/L Account does not exist. Identification fields and values: No.='9999'"
            )
            XCTAssertEqual(e?.isTransient, false)
        }
    }

    func testFaultMessagePatterns() {
        func error(_ type: String, _ message: String) -> ConnectorError {
            NAVSOAPFault(faultCode: "a:Microsoft.Dynamics.Nav.Types.Exceptions." + type, message: message)
                .error(operation: "Create", service: "GeneralJournal")
        }
        let relation = error(
            "NavCSideValidateTableRelationException",
            "The field Account No. of table Gen. Journal Line contains a value (9999) that cannot be found in the related table (G/L Account).")
        XCTAssertEqual(relation.code, "nav.soap.fault.NavCSideValidateTableRelationException")
        XCTAssertEqual(relation.context["nav.field"], "Account No.")
        XCTAssertEqual(relation.context["nav.value"], "9999")
        XCTAssertEqual(relation.context["nav.table"], "Gen. Journal Line")
        XCTAssertTrue(
            relation.message.hasPrefix(
                "NAV refused Create on GeneralJournal: the field Account No. (Gen. Journal Line) has the value '9999', which is not in G/L Account."),
            relation.message)

        let testField = error(
            "NavTestFieldException", "Direct Posting must be equal to 'Yes'  in G/L Account: No.=600160. Current value is 'No'.")
        XCTAssertEqual(testField.context["nav.field"], "Direct Posting")
        XCTAssertEqual(testField.context["nav.value"], "No")
        XCTAssertEqual(testField.context["nav.table"], "G/L Account")
        XCTAssertTrue(testField.message.contains("the field Direct Posting of G/L Account No.=600160 must be 'Yes' but is 'No'"), testField.message)

        let empty = error(
            "NavTestFieldException",
            "Vendor Invoice No. must have a value in Purchase Header: Document Type=Invoice, No.=108001. It cannot be zero or empty.")
        XCTAssertEqual(empty.context["nav.field"], "Vendor Invoice No.")
        XCTAssertEqual(empty.context["nav.table"], "Purchase Header")

        let stale = error("NavCSideException", "Other user has modified Gen. Journal Line GENERAL,EXPENSES,10000.")
        XCTAssertTrue(stale.message.contains("Key is stale"), stale.message)
        XCTAssertEqual(stale.context["nav.table"], "Gen. Journal Line GENERAL,EXPENSES,10000")

        let duplicate = error(
            "NavCSideDuplicateKeyException",
            "The Purchase Header already exists. Identification fields and values: Document Type='Invoice',No.='1001'")
        XCTAssertEqual(duplicate.context["nav.field"], "No.")
        XCTAssertEqual(duplicate.context["nav.value"], "1001")

        let blocked = error("NavNCLDialogException", "Dimension Value COSTCENTER - OLD1 is blocked.")
        XCTAssertEqual(blocked.context["nav.field"], "COSTCENTER")
        XCTAssertEqual(blocked.context["nav.value"], "OLD1")

        let dialog = error("NavNCLDialogException", "There is nothing to post.")
        XCTAssertEqual(dialog.code, "nav.soap.fault.NavNCLDialogException")
        XCTAssertEqual(dialog.message, "NAV refused Create on GeneralJournal. NAV said: There is nothing to post.")

        let unknown = NAVSOAPFault(faultCode: "s:Client", message: "Bad request").error(operation: "Read", service: "VendorCard")
        XCTAssertEqual(unknown.code, NAVSOAPErrorCode.faultUnknown)

        let locked = error(
            "NavCSideException", "The operation could not complete because a record in the G/L Entry table was locked by another user.")
        XCTAssertTrue(locked.isTransient)
    }

    func testFaultWithPrefixesOtherThanTheReferencesIsFoundByNamespace() throws {
        let data = Data(
            """
            <env:Envelope xmlns:env="\(soap)"><env:Body><env:Fault><faultcode xmlns:q="urn:microsoft-dynamics-schemas/error">q:Microsoft.Dynamics.Nav.Types.Exceptions.NavNCLEvaluateException</faultcode><faultstring xml:lang="en-US">The value "Depreciation" cannot be evaluated into type Option.</faultstring></env:Fault></env:Body></env:Envelope>
            """.utf8)
        XCTAssertThrowsError(try SOAPResponseDecoder.result(data, operation: "Create", namespace: "urn:x", service: "X")) {
            XCTAssertEqual(($0 as? ConnectorError)?.code, "nav.soap.fault.NavNCLEvaluateException")
        }
        // A Fault element in another namespace is not a SOAP fault.
        let fake = Data("<Envelope xmlns=\"urn:not-soap\"><Body><Fault><faultcode>x</faultcode></Fault></Body></Envelope>".utf8)
        XCTAssertFalse(SOAPResponseDecoder.isFault(fake))
    }

    func testEmptyResultForms() throws {
        let ns = SOAPEnvelope.pageNamespace("VendorCard")
        let emptyOuter = try SOAPResponseDecoder.result(
            envelope("<ReadMultiple_Result xmlns=\"\(ns)\"/>"), operation: "ReadMultiple", namespace: ns, service: "VendorCard")
        XCTAssertEqual(SOAPResponseDecoder.readMultipleRecords(emptyOuter, service: "VendorCard"), [])
        let emptyInner = try SOAPResponseDecoder.result(
            envelope("<ReadMultiple_Result xmlns=\"\(ns)\"><ReadMultiple_Result/></ReadMultiple_Result>", prefix: "s"),
            operation: "ReadMultiple", namespace: ns, service: "VendorCard")
        XCTAssertEqual(SOAPResponseDecoder.readMultipleRecords(emptyInner, service: "VendorCard"), [])
        let notFound = try SOAPResponseDecoder.result(
            envelope("<Read_Result xmlns=\"\(ns)\"/>"), operation: "Read", namespace: ns, service: "VendorCard")
        XCTAssertNil(SOAPResponseDecoder.readRecord(notFound, service: "VendorCard"))
        let found = try SOAPResponseDecoder.result(
            envelope("<Read_Result xmlns=\"\(ns)\"><VendorCard><Key>k</Key><No>EMP-0001</No><Blocked>_blank_</Blocked></VendorCard></Read_Result>"),
            operation: "Read", namespace: ns, service: "VendorCard")
        XCTAssertEqual(SOAPResponseDecoder.readRecord(found, service: "VendorCard")?["No"], "EMP-0001")
    }

    func testDeleteCreateMultipleAndCodeunitResults() throws {
        let gj = SOAPEnvelope.pageNamespace("GeneralJournal")
        let deleted = try SOAPResponseDecoder.result(
            envelope("<Delete_Result xmlns=\"\(gj)\"><Delete_Result>true</Delete_Result></Delete_Result>"),
            operation: "Delete", namespace: gj, service: "GeneralJournal")
        XCTAssertTrue(try SOAPResponseDecoder.boolean(deleted, operation: "Delete", service: "GeneralJournal"))
        let list = try SOAPResponseDecoder.result(
            envelope(
                "<CreateMultiple_Result xmlns=\"\(gj)\"><GeneralJournal_List><GeneralJournal><Key>a</Key><Amount>1</Amount></GeneralJournal><GeneralJournal><Key>b</Key><Amount>-1</Amount></GeneralJournal></GeneralJournal_List></CreateMultiple_Result>"
            ), operation: "CreateMultiple", namespace: gj, service: "GeneralJournal")
        let records = try SOAPResponseDecoder.listRecords(list, operation: "CreateMultiple", service: "GeneralJournal")
        XCTAssertEqual(records.map(\.key), ["a", "b"])
        let cu = SOAPEnvelope.codeunitNamespace("ExpensePosting")
        let posted = try SOAPResponseDecoder.result(
            envelope("<PostPurchaseInvoice_Result xmlns=\"\(cu)\"><return_value>PPI-200001</return_value></PostPurchaseInvoice_Result>"),
            operation: "PostPurchaseInvoice", namespace: cu, service: "ExpensePosting")
        XCTAssertEqual(SOAPResponseDecoder.codeunitResult(posted).returnValue, "PPI-200001")
    }

    func testAResultInTheWrongNamespaceOrShapeIsUnexpected() {
        let ns = SOAPEnvelope.pageNamespace("VendorCard")
        XCTAssertThrowsError(
            try SOAPResponseDecoder.result(
                envelope("<Read_Result xmlns=\"urn:microsoft-dynamics-schemas/page/customer\"/>"), operation: "Read", namespace: ns,
                service: "VendorCard")
        ) { XCTAssertEqual(($0 as? ConnectorError)?.code, NAVSOAPErrorCode.unexpectedResponse) }
        XCTAssertThrowsError(
            try SOAPResponseDecoder.result(
                Data("<html><body>Bad Gateway</body></html>".utf8), operation: "Read", namespace: ns, service: "VendorCard")
        ) { XCTAssertEqual(($0 as? ConnectorError)?.code, NAVSOAPErrorCode.unexpectedResponse) }
    }
}
