import ConnectorCore
import ConnectorHTTP
import Foundation
import XCTest

@testable import NAVSOAP

/// NAVSOAPClient over real HTTP (libcurl) against a loopback server answering canned NAV responses: paging,
/// faults, 401, throttling, and a Create whose connection drops (never resent).
final class NAVSOAPClientTests: XCTestCase {
    static let user = "EXPENSEAPI"
    static let key = Secret("c2FuZGJveC1vbmx5LW5hdi1hY2Nlc3Mta2V5LTAwMDE=")
    static let company = "Northwind Traders & Sons Ltd."

    /// A counter the server's handler can share across connection threads.
    final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var n = 0
        func next() -> Int {
            lock.withLock {
                n += 1
                return n
            }
        }
    }

    private func client(_ server: LoopbackServer, capture: LogCapture = LogCapture()) -> (NAVSOAPClient, HTTPClient) {
        let http = HTTPClient(transport: CurlTransport(), retry: noRetryDelays, logger: capture.logger, system: "nav-soap")
        let client = NAVSOAPClient(
            soapRoot: server.url.appendingPathComponent("DynamicsNAV110"), company: Self.company,
            authorization: BasicAuthorization(user: Self.user, key: Self.key), http: http, logger: capture.logger)
        return (client, http)
    }

    private static func envelope(_ body: String) -> Data {
        Data(
            """
            <Soap:Envelope xmlns:Soap="http://schemas.xmlsoap.org/soap/envelope/"><Soap:Body>\(body)</Soap:Body></Soap:Envelope>
            """.utf8)
    }

    private static func vendorPage(_ numbers: [Int]) -> Data {
        let records = numbers.map { "<VendorCard><Key>12;key-\($0);</Key><No>EMP-000\($0)</No><Name>Vendor \($0)</Name></VendorCard>" }.joined()
        return envelope(
            "<ReadMultiple_Result xmlns=\"urn:microsoft-dynamics-schemas/page/vendorcard\"><ReadMultiple_Result>\(records)</ReadMultiple_Result></ReadMultiple_Result>"
        )
    }

    private static func bookmark(_ body: Data) -> String? {
        let text = String(decoding: body, as: UTF8.self)
        guard let start = text.range(of: "<bookmarkKey>"), let end = text.range(of: "</bookmarkKey>") else { return nil }
        return String(text[start.upperBound..<end.lowerBound])
    }

    private static let xml = [("Content-Type", "text/xml; charset=utf-8")]

    func testReadMultipleFollowsBookmarkKeysOverThreePagesUntilAnEmptyPage() async throws {
        let server = try LoopbackServer { request in
            switch Self.bookmark(request.body) {
            case nil: return .respond(200, headers: Self.xml, body: Self.vendorPage([1, 2]))
            case "12;key-2;": return .respond(200, headers: Self.xml, body: Self.vendorPage([3, 4]))
            case "12;key-4;": return .respond(200, headers: Self.xml, body: Self.vendorPage([5]))
            default:
                return .respond(
                    200, headers: Self.xml,
                    body: Self.envelope("<ReadMultiple_Result xmlns=\"urn:microsoft-dynamics-schemas/page/vendorcard\"/>"))
            }
        }
        defer { server.stop() }
        let (client, _) = client(server)
        let vendors = try await client.readMultiple(service: "VendorCard", filters: [.equals("Name", "Smith & Sons")], setSize: 2)
        XCTAssertEqual(vendors.map { $0["No"] }, ["EMP-0001", "EMP-0002", "EMP-0003", "EMP-0004", "EMP-0005"])
        XCTAssertEqual(client.requestCount, 4)
        let requests = server.requests
        XCTAssertEqual(requests.map { Self.bookmark($0.body) }, [nil, "12;key-2;", "12;key-4;", "12;key-5;"])
        for request in requests {
            XCTAssertEqual(request.method, "POST")
            XCTAssertEqual(request.target, "/DynamicsNAV110/WS/Northwind%20Traders%20%26%20Sons%20Ltd./Page/VendorCard")
            XCTAssertEqual(request.header("SOAPAction"), "\"urn:microsoft-dynamics-schemas/page/vendorcard:ReadMultiple\"")
            XCTAssertEqual(request.header("Content-Type"), "text/xml; charset=utf-8")
            XCTAssertEqual(request.header("Authorization"), "Basic " + Data("EXPENSEAPI:\(Self.key.reveal())".utf8).base64EncodedString())
            XCTAssertTrue(String(decoding: request.body, as: UTF8.self).contains("<Criteria>'Smith &amp; Sons'</Criteria>"))
        }
    }

    func testReadMultipleStopsWhenAPageRepeatsAKey() async throws {
        let server = try LoopbackServer { _ in .respond(200, headers: Self.xml, body: Self.vendorPage([1, 2])) }
        defer { server.stop() }
        let (client, _) = client(server)
        do {
            _ = try await client.readMultiple(service: "VendorCard", setSize: 2)
            XCTFail("expected a paging loop error")
        } catch let error as ConnectorError {
            XCTAssertEqual(error.code, NAVSOAPErrorCode.pagingLoop)
        }
        XCTAssertEqual(server.requests.count, 2)
    }

    func testAFaultOnCreateBecomesItsErrorAndIsNotRetriedOrAmbiguous() async throws {
        let fault = """
            <s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault><faultcode xmlns:a="urn:microsoft-dynamics-schemas/error">a:Microsoft.Dynamics.Nav.Types.Exceptions.NavCSideValidateTableRelationException</faultcode><faultstring xml:lang="en-US">The field Account No. of table Gen. Journal Line contains a value (9999) that cannot be found in the related table (G/L Account).</faultstring></s:Fault></s:Body></s:Envelope>
            """
        let server = try LoopbackServer { _ in .respond(500, headers: Self.xml, body: Data(fault.utf8)) }
        defer { server.stop() }
        let capture = LogCapture()
        let (client, _) = client(server, capture: capture)
        do {
            _ = try await client.create(
                service: "GeneralJournal", record: NAVRecord(["Account_No": "9999", "Amount": "1"]), unbound: [("CurrentJnlBatchName", "EXPENSES")])
            XCTFail("expected a fault")
        } catch let error as ConnectorError {
            XCTAssertEqual(error.code, "nav.soap.fault.NavCSideValidateTableRelationException")
            XCTAssertEqual(error.context["nav.field"], "Account No.")
            XCTAssertEqual(error.context["nav.value"], "9999")
            XCTAssertTrue(error.message.contains("Create on GeneralJournal"), error.message)
            XCTAssertFalse(error.isTransient)
            XCTAssertFalse(error.description.contains(Self.key.reveal()))
        }
        XCTAssertEqual(server.requests.count, 1, "a fault is NAV's final answer: not repeated")
        XCTAssertFalse(capture.allText.contains(Self.key.reveal()))
    }

    func testUnauthorizedNamesTheUserAndKeyWithoutRevealingThem() async throws {
        let server = try LoopbackServer { _ in .respond(401) }
        defer { server.stop() }
        let capture = LogCapture()
        let (client, _) = client(server, capture: capture)
        do {
            _ = try await client.read(service: "VendorCard", key: [("No", "EMP-0001")])
            XCTFail("expected 401")
        } catch let error as ConnectorError {
            XCTAssertEqual(error.code, NAVSOAPErrorCode.unauthorized)
            XCTAssertTrue(error.message.contains("user name") && error.message.contains("web service access key"), error.message)
            let basic = Data("EXPENSEAPI:\(Self.key.reveal())".utf8).base64EncodedString()
            for secret in [Self.key.reveal(), basic] {
                XCTAssertFalse(error.description.contains(secret))
                XCTAssertFalse(capture.allText.contains(secret))
            }
        }
        XCTAssertEqual(server.requests.count, 2, "one repeat with refreshed credentials, then the error")
    }

    func testThrottlingIsRetriedWithAndWithoutRetryAfterEvenForACreate() async throws {
        let counter = Counter()
        let created = Self.envelope(
            "<Create_Result xmlns=\"urn:microsoft-dynamics-schemas/page/purchaseinvoice\"><PurchaseInvoice><Key>28;k;1;</Key><No>PI-100001</No><PurchLines><Purch_Invoice_Line><Key>l1</Key><No>600130</No></Purch_Invoice_Line></PurchLines></PurchaseInvoice></Create_Result>"
        )
        let server = try LoopbackServer { _ in
            switch counter.next() {
            case 1: return .respond(429, headers: [("Retry-After", "0")])
            case 2: return .respond(429)
            default: return .respond(200, headers: Self.xml, body: created)
            }
        }
        defer { server.stop() }
        let (client, http) = client(server)
        let invoice = try await client.create(service: "PurchaseInvoice", record: try NAVSOAPEnvelopeTests.purchaseInvoice())
        XCTAssertEqual(invoice["No"], "PI-100001")
        XCTAssertEqual(invoice.part("PurchLines").first?.key, "l1")
        XCTAssertEqual(server.requests.count, 3)
        let attempts = await http.requestCount
        XCTAssertEqual(attempts, 3)
        XCTAssertEqual(client.requestCount, 1, "one SOAP call, retried by HTTPClient")
    }

    func testServiceUnavailableWithRetryAfterThenSuccessOnARead() async throws {
        let counter = Counter()
        let server = try LoopbackServer { _ in
            counter.next() == 1
                ? .respond(503, headers: [("Retry-After", "0")])
                : .respond(200, headers: Self.xml, body: Self.envelope("<Read_Result xmlns=\"urn:microsoft-dynamics-schemas/page/vendorcard\"/>"))
        }
        defer { server.stop() }
        let (client, _) = client(server)
        let missing = try await client.read(service: "VendorCard", key: [("No", "NOPE")])
        XCTAssertNil(missing, "an empty Read_Result is not found, not an error")
        XCTAssertEqual(server.requests.count, 2)
    }

    func testACreateWhoseConnectionDropsIsNotResent() async throws {
        let server = try LoopbackServer { request in
            String(decoding: request.body, as: UTF8.self).contains("<Create ")
                ? .closeWithoutAnswer : .respond(200, headers: Self.xml, body: Self.vendorPage([]))
        }
        defer { server.stop() }
        let (client, _) = client(server)
        _ = try await client.readMultiple(service: "VendorCard", setSize: 0)  // warms a keep-alive connection
        do {
            _ = try await client.create(service: "PurchaseInvoice", record: try NAVSOAPEnvelopeTests.purchaseInvoice())
            XCTFail("expected a network error")
        } catch let error as ConnectorError {
            XCTAssertEqual(error.code, ErrorCode.httpNetwork)
            XCTAssertEqual(error.context["ambiguous"], "true")
            XCTAssertEqual(error.context["nav.soap.operation"], "Create")
            XCTAssertTrue(error.isTransient)
        }
        let creates = server.requests.filter { String(decoding: $0.body, as: UTF8.self).contains("<Create ") }
        XCTAssertEqual(creates.count, 1, "the server saw the Create exactly once")
    }

    func testA500WithoutAFaultIsAmbiguousForAWriteAndRetriedForARead() async throws {
        let server = try LoopbackServer { _ in .respond(500, body: Data("<html>proxy error</html>".utf8)) }
        defer { server.stop() }
        let (client, _) = client(server)
        do {
            _ = try await client.callCodeunit(service: "ExpensePosting", method: "PostPurchaseInvoice", parameters: [("documentNo", "PI-100001")])
            XCTFail("expected an ambiguous error")
        } catch let error as ConnectorError {
            XCTAssertEqual(error.code, ErrorCode.httpAmbiguous)
        }
        XCTAssertEqual(server.requests.count, 1)
        XCTAssertEqual(server.requests[0].target, "/DynamicsNAV110/WS/Northwind%20Traders%20%26%20Sons%20Ltd./Codeunit/ExpensePosting")
        do {
            _ = try await client.read(service: "VendorCard", key: [("No", "EMP-0001")])
            XCTFail("expected a server error")
        } catch let error as ConnectorError {
            XCTAssertEqual(error.code, NAVSOAPErrorCode.serverError)
            XCTAssertTrue(error.isTransient)
        }
        XCTAssertEqual(server.requests.count, 1 + noRetryDelays.maxAttempts)
    }

    func testIsUpdatedAndOtherPageOperationsReadTheirDoubleNestedResults() async throws {
        let server = try LoopbackServer { request in
            let body = String(decoding: request.body, as: UTF8.self)
            let ns = "urn:microsoft-dynamics-schemas/page/purchaseinvoice"
            if body.contains("<IsUpdated ") {
                return .respond(
                    200, headers: Self.xml,
                    body: Self.envelope("<IsUpdated_Result xmlns=\"\(ns)\"><IsUpdated_Result>false</IsUpdated_Result></IsUpdated_Result>"))
            }
            return .respond(
                200, headers: Self.xml,
                body: Self.envelope(
                    "<GetRecIdFromKey_Result xmlns=\"\(ns)\"><GetRecIdFromKey_Result>Purchase Header: Invoice,PI-100001</GetRecIdFromKey_Result></GetRecIdFromKey_Result>"
                ))
        }
        defer { server.stop() }
        let (client, _) = client(server)
        let changed = try await client.isUpdated(service: "PurchaseInvoice", key: "28;k;1;")
        XCTAssertFalse(changed)
        let result = try await client.pageOperation(
            service: "PurchaseInvoice", operation: "GetRecIdFromKey", content: [.leaf("Key", "28;k;1;")], idempotent: true)
        XCTAssertEqual(result.child("GetRecIdFromKey_Result", in: result.namespace)?.text, "Purchase Header: Invoice,PI-100001")
        XCTAssertEqual(
            server.requests.map { $0.header("SOAPAction") },
            [
                "\"urn:microsoft-dynamics-schemas/page/purchaseinvoice:IsUpdated\"",
                "\"urn:microsoft-dynamics-schemas/page/purchaseinvoice:GetRecIdFromKey\"",
            ])
    }

    func testCompanyNamesArePathEncoded() {
        XCTAssertEqual(NAVSOAPClient.pathSegment("Northwind Traders & Sons Ltd."), "Northwind%20Traders%20%26%20Sons%20Ltd.")
        XCTAssertEqual(NAVSOAPClient.pathSegment("Northwind K.K."), "Northwind%20K.K.")
        XCTAssertEqual(NAVSOAPClient.pathSegment("Café/1?#"), "Caf%C3%A9%2F1%3F%23")
    }
}
