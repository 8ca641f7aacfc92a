import Foundation
import XCTest

@testable import Sandbox

/// The SOAP front end over real HTTP: auth, WSDL, disco, and hostile or broken requests, each answered with a SOAP
/// fault (nothing expanded, nothing fetched), after which the server still answers.
final class NAVSOAPRobustnessTests: XCTestCase {
    var server: NAVSOAPServer!

    override func setUp() async throws { server = try await NAVSOAPServer.start() }
    override func tearDown() async throws { server.stop() }

    let envelopeStart = "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body>"
    let envelopeEnd = "</soap:Body></soap:Envelope>"
    var vendorPath: String { NAVSOAPServer.path(NAVSOAPServer.us, "Page", "VendorCard") }

    func assertStillServing(file: StaticString = #filePath, line: UInt = #line) throws {
        let r = try server.page("VendorCard", "Read", "<No>EMP-0001</No>")
        XCTAssertEqual(r.status, 200, r.text, file: file, line: line)
        XCTAssertEqual(SOAPAnswer.records(try SOAPAnswer.result(r), "VendorCard").first?["Name"], "Alice Nguyen", file: file, line: line)
    }

    func testBadCredentialsGet401WithAnEmptyBody() throws {
        let wrongKey = "Basic " + Data("EXPENSEAPI:wrong".utf8).base64EncodedString()
        let wrongUser = "Basic " + Data("SOMEONE:c2FuZGJveC1vbmx5LW5hdi1hY2Nlc3Mta2V5LTAwMDE=".utf8).base64EncodedString()
        for auth in [nil, wrongKey, wrongUser, "Bearer abc", "Basic !!!"] as [String?] {
            let post = try server.exchange("POST", vendorPath, body: envelopeStart + envelopeEnd, auth: auth)
            XCTAssertEqual(post.status, 401, auth ?? "none")
            XCTAssertEqual(post.body.count, 0)
            XCTAssertEqual(try server.exchange("GET", vendorPath, auth: auth).status, 401)
        }
        let lowerUser = "Basic " + Data("expenseapi:c2FuZGJveC1vbmx5LW5hdi1hY2Nlc3Mta2V5LTAwMDE=".utf8).base64EncodedString()
        XCTAssertEqual(try server.exchange("GET", vendorPath, auth: lowerUser).status, 200, "NAV user names are case-insensitive")
    }

    func testGETServesTheWSDLAndTheDiscoList() throws {
        let wsdl = try server.exchange("GET", NAVSOAPServer.path(NAVSOAPServer.us, "Page", "GeneralJournal"))
        XCTAssertEqual(wsdl.status, 200)
        let root = try SOAPXMLReader.parse(wsdl.body).get()
        XCTAssertEqual(root.name, "definitions")
        XCTAssertTrue(wsdl.text.contains("targetNamespace=\"urn:microsoft-dynamics-schemas/page/generaljournal\""))
        XCTAssertTrue(wsdl.text.contains("<xsd:enumeration value=\"Bal_Account_No\"/>"), "GeneralJournal_Fields")
        XCTAssertTrue(
            wsdl.text.contains("location=\"http://127.0.0.1:\(server.port)\(NAVSOAPServer.path(NAVSOAPServer.us, "Page", "GeneralJournal"))\""))
        let codeunit = try server.exchange("GET", NAVSOAPServer.path(NAVSOAPServer.us, "Codeunit", "ExpensePosting"))
        XCTAssertTrue(codeunit.text.contains("urn:microsoft-dynamics-schemas/codeunit/ExpensePosting"))
        let disco = try server.exchange("GET", "/DynamicsNAV110/WS/\(NAVSOAPServer.encode(NAVSOAPServer.uk))/services")
        XCTAssertEqual(disco.status, 200)
        let refs = try SOAPXMLReader.parse(disco.body).get().children.map(\.name)
        XCTAssertEqual(refs.count, NAVSOAPPages.all.count + 1)
        XCTAssertTrue(disco.text.contains("/WS/Northwind%20UK%20Ltd./Page/PurchaseInvoice\""), disco.text)
        XCTAssertTrue(disco.text.contains("/Codeunit/ExpensePosting\""))
    }

    func testUnknownCompanyServiceAndOperationAreFaults() throws {
        let company = try server.exchange("GET", NAVSOAPServer.path("CRONUS International Ltd.", "Page", "VendorCard"))
        XCTAssertEqual(company.status, 404)
        XCTAssertTrue(try SOAPAnswer.fault(company).1.contains("CRONUS International Ltd."))
        let service = try server.exchange("GET", NAVSOAPServer.path(NAVSOAPServer.us, "Page", "Customer"))
        XCTAssertEqual(service.status, 404)
        XCTAssertTrue(try SOAPAnswer.fault(service).1.contains("'Customer'"))
        let op = try server.page("VendorCard", "Explode", "<No>1</No>")
        XCTAssertEqual(op.status, 500)
        XCTAssertTrue(try SOAPAnswer.fault(op).1.contains("'Explode'"))
        let posted = try server.page("PostedPurchaseInvoices", "Create", "<PostedPurchaseInvoices><No>X</No></PostedPurchaseInvoices>")
        XCTAssertEqual(posted.status, 500, "a read-only page has no Create")
        let method = try server.codeunit("PostEverything", "")
        XCTAssertTrue(try SOAPAnswer.fault(method).1.contains("PostEverything"))
    }

    func testUnknownFieldAndParameterAreFaultsNamingThem() throws {
        let field = try server.page("VendorCard", "Create", "<VendorCard><No>V-NEW</No><Nickname>Bob</Nickname></VendorCard>")
        XCTAssertEqual(field.status, 500)
        XCTAssertTrue(try SOAPAnswer.fault(field).1.contains("'Nickname'"))
        let filter = try server.page("VendorCard", "ReadMultiple", "<filter><Field>Color</Field><Criteria>x</Criteria></filter>")
        XCTAssertTrue(try SOAPAnswer.fault(filter).1.contains("'Color'"))
        let param = try server.page("VendorCard", "Read", "<No>EMP-0001</No><Extra>1</Extra>")
        XCTAssertTrue(try SOAPAnswer.fault(param).1.contains("'Extra'"))
        let line = try server.page(
            "PurchaseInvoice", "Create",
            "<PurchaseInvoice><Buy_from_Vendor_No>EMP-0001</Buy_from_Vendor_No><PurchLines><Purch_Invoice_Line><Colour>red</Colour></Purch_Invoice_Line></PurchLines></PurchaseInvoice>"
        )
        XCTAssertTrue(try SOAPAnswer.fault(line).1.contains("'Colour'"))
    }

    func testMalformedXMLWrongNamespaceAndEmptyBodyAreFaults() throws {
        let cases = [
            "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body><Read",
            "this is not XML",
            "",
            "<Envelope><Body><Read xmlns=\"urn:microsoft-dynamics-schemas/page/vendorcard\"/></Body></Envelope>",
            "<e:Envelope xmlns:e=\"http://www.w3.org/2003/05/soap-envelope\"><e:Body/></e:Envelope>",
            envelopeStart + "<Read xmlns=\"urn:microsoft-dynamics-schemas/page/customer\"><No>1</No></Read>" + envelopeEnd,
            envelopeStart + envelopeEnd,
        ]
        for body in cases {
            let r = try server.exchange("POST", vendorPath, body: body, headers: ["SOAPAction": "\"Read\""])
            XCTAssertEqual(r.status, 500, body)
            let (code, message) = try SOAPAnswer.fault(r)
            XCTAssertEqual(code, "s:Client", body)
            XCTAssertFalse(message.isEmpty)
        }
        try assertStillServing()
    }

    func testBillionLaughsIsRefusedWithoutExpanding() throws {
        var dtd = "<!DOCTYPE lolz [<!ENTITY lol \"lol\">"
        for i in 1...9 {
            let prev = i == 1 ? "lol" : "lol\(i - 1)"
            dtd += "<!ENTITY lol\(i) \"" + String(repeating: "&\(prev);", count: 10) + "\">"
        }
        dtd += "]>"
        let body =
            "<?xml version=\"1.0\"?>" + dtd + envelopeStart
            + "<Read xmlns=\"urn:microsoft-dynamics-schemas/page/vendorcard\"><No>&lol9;</No></Read>" + envelopeEnd
        let start = Date()
        let r = try server.exchange("POST", vendorPath, body: body)
        XCTAssertLessThan(Date().timeIntervalSince(start), 5)
        XCTAssertEqual(r.status, 500)
        XCTAssertEqual(try SOAPAnswer.fault(r).1, "DTD is prohibited in this XML document.")
        XCTAssertLessThan(r.body.count, 2000, "nothing expanded into the answer")
        try assertStillServing()
    }

    func testExternalEntityIsNeverFetched() throws {
        for body in [
            "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>" + envelopeStart
                + "<Read xmlns=\"urn:microsoft-dynamics-schemas/page/vendorcard\"><No>&x;</No></Read>" + envelopeEnd,
            "<!DOCTYPE soap:Envelope SYSTEM \"http://127.0.0.1:\(server.port)/_sandbox/health\">" + envelopeStart + envelopeEnd,
            envelopeStart + "<Read xmlns=\"urn:microsoft-dynamics-schemas/page/vendorcard\"><No>&x;</No></Read>" + envelopeEnd,
        ] {
            let r = try server.exchange("POST", vendorPath, body: body)
            XCTAssertEqual(r.status, 500)
            XCTAssertFalse(r.text.contains("root:"), "no file content in the answer")
            XCTAssertNotNil(try? SOAPAnswer.fault(r))
        }
        try assertStillServing()
    }

    func testHugeBodyIsRefusedWith413Fault() throws {
        let filler = String(repeating: "x", count: SOAPXMLReader.defaultMaxBytes + 1)
        let r = try server.exchange("POST", vendorPath, body: filler)
        XCTAssertEqual(r.status, 413)
        XCTAssertTrue(try SOAPAnswer.fault(r).1.contains("maximum message size"))
        try assertStillServing()
    }

    func testDeeplyNestedBodyIsRefused() throws {
        let deep = String(repeating: "<a>", count: 5000) + String(repeating: "</a>", count: 5000)
        let r = try server.exchange(
            "POST", vendorPath,
            body: envelopeStart + "<Read xmlns=\"urn:microsoft-dynamics-schemas/page/vendorcard\">" + deep + "</Read>" + envelopeEnd)
        XCTAssertEqual(r.status, 500)
        XCTAssertNotNil(try? SOAPAnswer.fault(r))
        try assertStillServing()
    }
}
