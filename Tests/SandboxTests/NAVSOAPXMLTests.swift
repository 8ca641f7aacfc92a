import Foundation
import XCTest

@testable import Sandbox

/// The XML layer of the NAV SOAP simulator on its own: envelope reading by namespace, the refusals (DTD, entity
/// bombs, external entities, other encodings, size, depth), escaping, fault shape, Keys and the NAV filter syntax.
final class NAVSOAPXMLTests: XCTestCase {
    let ns = "urn:microsoft-dynamics-schemas/page/vendorcard"

    func envelope(_ inner: String, prefix: String = "soap") -> Data {
        Data(
            "<\(prefix):Envelope xmlns:\(prefix)=\"http://schemas.xmlsoap.org/soap/envelope/\"><\(prefix):Body>\(inner)</\(prefix):Body></\(prefix):Envelope>"
                .utf8)
    }

    func testEnvelopeIsReadByNamespaceWhateverThePrefixes() throws {
        let body = Data(
            """
            <?xml version="1.0" encoding="utf-8"?>
            <x:Envelope xmlns:x="http://schemas.xmlsoap.org/soap/envelope/"><x:Body>
              <v:Read xmlns:v="\(ns)"><v:No>EMP-0001</v:No></v:Read>
            </x:Body></x:Envelope>
            """.utf8)
        let call = try SOAPCall.read(body, namespace: ns, soapAction: nil, maxBytes: 1 << 20).get()
        XCTAssertEqual(call.operation, "Read")
        XCTAssertEqual(call.element.child("No", namespace: ns)?.text, "EMP-0001")
    }

    func testEverySOAPActionFormIsAccepted() throws {
        let body = envelope("<Read xmlns=\"\(ns)\"><No>X</No></Read>")
        for action in [
            "\"\(ns):Read\"", "\(ns):Read", "\"\(ns)/Read\"", "\"\(ns)\"", "\"Read\"", "Read", "\"\"", nil,
            "\"URN:microsoft-dynamics-schemas/page/VendorCard:Read\"",
        ] as [String?] {
            XCTAssertNoThrow(try SOAPCall.read(body, namespace: ns, soapAction: action, maxBytes: 1 << 20).get(), "\(action ?? "nil")")
        }
        XCTAssertThrowsError(try SOAPCall.read(body, namespace: ns, soapAction: "\"\(ns):Delete\"", maxBytes: 1 << 20).get())
    }

    func testWrongNamespacesAreFaults() {
        let soap12 = Data(
            "<e:Envelope xmlns:e=\"http://www.w3.org/2003/05/soap-envelope\"><e:Body><Read xmlns=\"\(ns)\"/></e:Body></e:Envelope>".utf8)
        XCTAssertThrowsError(try SOAPCall.read(soap12, namespace: ns, soapAction: nil, maxBytes: 1 << 20).get()) {
            XCTAssertTrue(($0 as? NAVSOAPFault)?.message.contains("SOAP 1.1") == true)
        }
        let otherPage = envelope("<Read xmlns=\"urn:microsoft-dynamics-schemas/page/customer\"/>")
        XCTAssertThrowsError(try SOAPCall.read(otherPage, namespace: ns, soapAction: nil, maxBytes: 1 << 20).get()) {
            XCTAssertTrue(($0 as? NAVSOAPFault)?.message.contains("urn:microsoft-dynamics-schemas/page/customer") == true)
        }
        let noNamespace = envelope("<Read><No>1</No></Read>")
        XCTAssertThrowsError(try SOAPCall.read(noNamespace, namespace: ns, soapAction: nil, maxBytes: 1 << 20).get())
    }

    func testDTDsAndEntitiesAreRefusedBeforeParsing() {
        let bomb = """
            <?xml version="1.0"?>
            <!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
             <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
             <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>
            <soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>
            <Read xmlns="\(ns)"><No>&lol9;</No></Read></soap:Body></soap:Envelope>
            """
        let external = """
            <?xml version="1.0"?><!doctype x [<!ENTITY x SYSTEM "file:///etc/passwd">]>
            <soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>
            <Read xmlns="\(ns)"><No>&x;</No></Read></soap:Body></soap:Envelope>
            """
        for text in [bomb, external] {
            XCTAssertEqual(try? SOAPXMLReader.parse(Data(text.utf8)).get().name, nil)
            if case .failure(let e) = SOAPXMLReader.parse(Data(text.utf8)) { XCTAssertEqual(e, .doctype) } else { XCTFail() }
        }
        // An undeclared entity reference is not expanded either: it is malformed XML.
        if case .failure(let e) = SOAPXMLReader.parse(envelope("<Read xmlns=\"\(ns)\"><No>&x;</No></Read>")) {
            guard case .malformed = e else { return XCTFail("\(e)") }
        } else {
            XCTFail("an undeclared entity must not parse")
        }
        // UTF-16 (where a byte search for <!DOCTYPE could miss) and other declared encodings are refused.
        let utf16 = "<?xml version=\"1.0\" encoding=\"UTF-16\"?><a/>".data(using: .utf16)!
        if case .failure(let e) = SOAPXMLReader.parse(utf16) { XCTAssertEqual(e, .encoding("UTF-16")) } else { XCTFail() }
        if case .failure(let e) = SOAPXMLReader.parse(Data("<?xml version=\"1.0\" encoding=\"UTF-7\"?><a/>".utf8)) {
            XCTAssertEqual(e, .encoding("UTF-7"))
        } else {
            XCTFail()
        }
    }

    func testMalformedHugeAndDeepBodiesAreRefused() {
        for bad in ["", "   ", "<a>", "<a></b>", "not xml at all", "<a x='1' x='2'/>", "<a>\u{1}</a>"] {
            if case .success = SOAPXMLReader.parse(Data(bad.utf8)) { XCTFail("parsed: \(bad)") }
        }
        if case .failure(let e) = SOAPXMLReader.parse(Data(repeating: 0x20, count: 2000), maxBytes: 1000) {
            XCTAssertEqual(e, .tooLarge(limit: 1000))
        } else {
            XCTFail()
        }
        let deep = String(repeating: "<a>", count: 200) + String(repeating: "</a>", count: 200)
        if case .failure(let e) = SOAPXMLReader.parse(Data(deep.utf8)) {
            XCTAssertEqual(e, .tooDeep(limit: SOAPXMLReader.maxDepth))
        } else {
            XCTFail()
        }
    }

    func testTextAndCDATAAreDecodedAndWritingEscapes() throws {
        let root = try SOAPXMLReader.parse(Data("<a>Tom &amp; Jerry &lt;3 &#x41;<![CDATA[<raw & text>]]></a>".utf8)).get()
        XCTAssertEqual(root.text, "Tom & Jerry <3 A<raw & text>")
        XCTAssertEqual(SOAPXMLWriter.escape("a<b>&\"c\"\r\u{1}"), "a&lt;b&gt;&amp;\"c\"&#xD;\u{FFFD}")
        XCTAssertEqual(SOAPXMLWriter.escape("\"'", attribute: true), "&quot;&apos;")
        var w = SOAPXMLWriter()
        w.element("Name", "Northwind Traders & Sons Ltd. <UK>")
        let back = try SOAPXMLReader.parse(Data(w.out.utf8)).get()
        XCTAssertEqual(back.text, "Northwind Traders & Sons Ltd. <UK>")
    }

    func testFaultHasTheShapeOfSection5_3() throws {
        let r = NAVSOAPFault.tableRelation("The field No. of table Purchase Line contains a value (9999) that cannot be found.").response
        XCTAssertEqual(r.status, 500)
        let text = String(decoding: r.body, as: UTF8.self)
        XCTAssertTrue(
            text.contains(
                "<faultcode xmlns:a=\"urn:microsoft-dynamics-schemas/error\">a:Microsoft.Dynamics.Nav.Types.Exceptions.NavCSideValidateTableRelationException</faultcode>"
            ), text)
        XCTAssertTrue(text.contains("<faultstring xml:lang=\"en-US\">The field No. of table Purchase Line"), text)
        let root = try SOAPXMLReader.parse(r.body).get()
        let fault = try XCTUnwrap(root.child("Body", namespace: NAVSOAPNamespace.envelope)?.child("Fault", namespace: NAVSOAPNamespace.envelope))
        XCTAssertEqual(fault.child("detail")?.child("string", namespace: NAVSOAPNamespace.serialization)?.text, fault.child("faultstring")?.text)
    }

    func testKeysRoundTripAndChangeWithTheVersion() throws {
        let k1 = NAVSOAPKey.make(table: 81, primaryKey: ["GENERAL", "EXPENSES", "10000"], version: 1)
        let k2 = NAVSOAPKey.make(table: 81, primaryKey: ["GENERAL", "EXPENSES", "10000"], version: 2)
        XCTAssertNotEqual(k1, k2)
        let parsed = try XCTUnwrap(NAVSOAPKey.parse(k2))
        XCTAssertEqual(parsed.table, 81)
        XCTAssertEqual(parsed.primaryKey, ["GENERAL", "EXPENSES", "10000"])
        XCTAssertEqual(parsed.version, 2)
        XCTAssertNil(NAVSOAPKey.parse("garbage"))
        XCTAssertNil(NAVSOAPKey.parse("99;abc;1;"))
        XCTAssertTrue(NAVSOAPKey.less(["9000"], ["10000"]))
        XCTAssertTrue(NAVSOAPKey.less(["A", "20000"], ["B", "10000"]))
    }

    func testNAVFilterSyntax() throws {
        func m(_ criteria: String, _ value: String, _ type: SOAPFieldType = .code) throws -> Bool {
            try SOAPFilter.parse(criteria, type: type).matches(value, type: type)
        }
        XCTAssertTrue(try m("600000..600199", "600120"))
        XCTAssertFalse(try m("600000..600199", "200100"))
        XCTAssertTrue(try m("600100..", "600998"))
        XCTAssertTrue(try m("..200200", "200100"))
        XCTAssertTrue(try m("600110|600120", "600120"))
        XCTAssertFalse(try m("600110|600120", "600130"))
        XCTAssertTrue(try m("EMP*", "EMP-0001"))
        XCTAssertFalse(try m("EMP*", "AMEX-US"))
        XCTAssertTrue(try m("EMP-000?", "EMP-0003"))
        XCTAssertTrue(try m("<>EMP-0001", "EMP-0002"))
        XCTAssertFalse(try m("<>EMP-0001", "EMP-0001"))
        XCTAssertTrue(try m("''", ""))
        XCTAssertFalse(try m("''", "USD"))
        XCTAssertTrue(try m("<>''", "EUR"))
        XCTAssertTrue(try m("@*nguyen*", "Alice Nguyen", .text))
        XCTAssertFalse(try m("*nguyen*", "Alice Nguyen", .text))
        XCTAssertTrue(try m("@alice nguyen", "Alice Nguyen", .text))
        XCTAssertTrue(try m("'A&B|C'", "A&B|C", .text))
        XCTAssertTrue(try m(">=100", "100", .decimal))
        XCTAssertTrue(try m(">99.5", "100", .decimal))
        XCTAssertFalse(try m("<100", "100", .decimal))
        XCTAssertTrue(try m("<=100", "45.5", .decimal))
        XCTAssertTrue(try m("=45.50", "45.5", .decimal))
        XCTAssertTrue(try m("<>0", "-3", .decimal))
        XCTAssertTrue(try m("9000..10000", "9500", .integer), "numbers compare numerically")
        XCTAssertTrue(try m("2026-01-01..2026-12-31", "2026-11-05", .date))
        XCTAssertTrue(try m("true", "true", .boolean))
        XCTAssertFalse(try m("No", "true", .boolean))
        let accountType = NAVSOAPPages.accountType
        XCTAssertTrue(try m("Posting", "Posting", accountType))
        XCTAssertTrue(try m("Heading|End_Total", "End-Total", accountType))
        XCTAssertTrue(try m("Posting..Total", "Heading", accountType), "options order by ordinal")
        XCTAssertTrue(try m("(600110|600120)&<>600110", "600120"))
        for bad in ["abc", "1..x"] { XCTAssertThrowsError(try SOAPFilter.parse(bad, type: .decimal), bad) }
        XCTAssertThrowsError(try SOAPFilter.parse("Nonsense", type: accountType))
        XCTAssertThrowsError(try SOAPFilter.parse("'open", type: .text))
        XCTAssertThrowsError(try SOAPFilter.parse("(A|B", type: .code))
    }

    func testOptionXMLNames() {
        XCTAssertEqual(SOAPOptionName.xml("G/L Account"), "G_L_Account")
        XCTAssertEqual(SOAPOptionName.xml(" "), "_blank_")
        XCTAssertEqual(SOAPOptionName.xml("Bank Account"), "Bank_Account")
        XCTAssertEqual(SOAPOptionName.xml("Charge (Item)"), "Charge_Item")
        XCTAssertEqual(SOAPOptionName.xml("Begin-Total"), "Begin_Total")
        XCTAssertEqual(SOAPValueText.format(Decimal(string: "45.50")!), "45.5")
        XCTAssertEqual(SOAPValueText.format(Decimal(string: "-12.000")!), "-12")
        XCTAssertNil(SOAPValueText.decimal("1e5"))
        XCTAssertNil(SOAPValueText.decimal("45,5"))
    }

    func testWSDLIsWellFormedAndListsTypesAndOperations() throws {
        let text = NAVSOAPWSDL.page(NAVSOAPPages.purchaseInvoice, location: "http://x/DynamicsNAV110/WS/C/Page/PurchaseInvoice")
        let root = try SOAPXMLReader.parse(Data(text.utf8)).get()
        XCTAssertEqual(root.name, "definitions")
        for needle in [
            "name=\"PurchaseInvoice\"", "name=\"PurchaseInvoice_List\"", "name=\"PurchaseInvoice_Fields\"",
            "name=\"Purch_Invoice_Line\"", "name=\"Purch_Invoice_Line_List\"", "name=\"PurchLines\"", "value=\"G_L_Account\"",
            "value=\"_blank_\"", "name=\"Delete_PurchLines\"", "name=\"ReadMultiple_Result\"", "name=\"GetRecIdFromKey\"",
            "name=\"ReadByRecId\"", "name=\"IsUpdated\"", "name=\"UpdateMultiple\"",
            "soapAction=\"urn:microsoft-dynamics-schemas/page/purchaseinvoice:Create\"",
        ] {
            XCTAssertTrue(text.contains(needle), needle)
        }
        let journal = NAVSOAPWSDL.page(NAVSOAPPages.generalJournal, location: "x")
        let create = try XCTUnwrap(journal.range(of: "<xsd:element name=\"Create\">"))
        let firstParam = journal[create.upperBound...].range(of: "name=\"")!
        XCTAssertTrue(journal[firstParam.upperBound...].hasPrefix("CurrentJnlBatchName"), "CurrentJnlBatchName comes first")
        let posted = NAVSOAPWSDL.page(NAVSOAPPages.postedPurchaseInvoices, location: "x")
        XCTAssertFalse(posted.contains("name=\"Create\""), "a non-editable page offers no write operations")
        let codeunit = NAVSOAPWSDL.codeunit(.expensePosting, location: "x")
        XCTAssertTrue(codeunit.contains("name=\"PostPurchaseInvoice_Result\"") && codeunit.contains("name=\"return_value\""))
        XCTAssertNoThrow(try SOAPXMLReader.parse(Data(codeunit.utf8)).get())
    }
}
