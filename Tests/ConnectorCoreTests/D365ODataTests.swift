import ConnectorCore
import ConnectorHTTP
import Foundation
import Logging
import OData
import XCTest

@testable import Dynamics365

final class D365ODataFilterTests: XCTestCase {
    func testStringLiteralsDoubleQuotes() {
        XCTAssertEqual(ODataLiteral.string("O'Brien").text, "'O''Brien'")
        XCTAssertEqual(ODataLiteral.string("''").text, "''''''")
        XCTAssertEqual(ODataLiteral.string("").text, "''")
        XCTAssertEqual(ODataLiteral.number("1").text, "1")
    }

    func testOrChainsInsteadOfIn() {
        XCTAssertNil(ODataFilter.anyOf("InvoiceNumber", []))
        XCTAssertEqual(ODataFilter.anyOf("InvoiceNumber", ["EXP-1"]), "InvoiceNumber eq 'EXP-1'")
        XCTAssertEqual(ODataFilter.anyOf("InvoiceNumber", ["EXP-1", "it's"]), "(InvoiceNumber eq 'EXP-1' or InvoiceNumber eq 'it''s')")
        let filter = ODataFilter.and([ODataFilter.eq("dataAreaId", "usmf"), nil, ODataFilter.anyOf("HeaderReference", ["1", "2"])])
        XCTAssertEqual(filter, "dataAreaId eq 'usmf' and (HeaderReference eq '1' or HeaderReference eq '2')")
        XCTAssertFalse(filter?.contains(" in ") ?? true)
        XCTAssertNil(ODataFilter.and([nil, nil]))
    }

    func testCollectionURLIsStrictlyPercentEncoded() throws {
        let filter = "dataAreaId eq 'usmf' and VendorGroupId eq 'A+B&C=D'"
        let url = try XCTUnwrap(
            ODataURL.collection(
                root: "https://erp.example/data", entitySet: "VendorsV2", filter: filter,
                select: ["VendorAccountNumber", "CurrencyCode"], crossCompany: true))
        XCTAssertEqual(
            url.absoluteString,
            "https://erp.example/data/VendorsV2?cross-company=true&$filter=dataAreaId%20eq%20%27usmf%27%20and%20VendorGroupId%20eq%20%27A%2BB%26C%3DD%27&$select=VendorAccountNumber%2CCurrencyCode"
        )
        let query = try XCTUnwrap(url.query)
        let parts = query.split(separator: "&").map { $0.split(separator: "=", maxSplits: 1).map(String.init) }
        XCTAssertEqual(parts.map { $0[0] }, ["cross-company", "$filter", "$select"])
        XCTAssertEqual(parts[1][1].removingPercentEncoding, filter)

        let bare = try XCTUnwrap(
            ODataURL.collection(root: "https://erp.example/data", entitySet: "Ledgers", filter: nil, select: [], crossCompany: false))
        XCTAssertEqual(bare.absoluteString, "https://erp.example/data/Ledgers")
    }

    func testEntityURLKeyPredicate() throws {
        let url = try XCTUnwrap(
            ODataURL.entity(
                root: "https://erp.example/data", entitySet: "VendorInvoiceLines",
                key: [
                    ("dataAreaId", .string("usmf")), ("HeaderReference", .string("APIH-1")),
                    ("InvoiceLineNumber", .number("2")),
                ]))
        XCTAssertEqual(
            url.absoluteString, "https://erp.example/data/VendorInvoiceLines(dataAreaId=%27usmf%27,HeaderReference=%27APIH-1%27,InvoiceLineNumber=2)")
    }
}

final class D365ODataErrorTests: XCTestCase {
    func testInfologIsSplitAndNoiseDropped() {
        let body = """
            {"error":{"code":"","message":"An error has occurred.","innererror":{"message":"Write failed for table row of type 'PurchPurchaseOrderLineV2Entity'. Infolog: Warning: Item 'L-10780-02' is blocked for 'Purchase order'.; Warning: validateWrite failed on data source 'PurchLine (PurchLine)'.","type":"Microsoft.Dynamics.Platform.Integration.Services.OData.AxODataWriteException","stacktrace":""}}}
            """
        XCTAssertEqual(D365ErrorMessage.parse(Data(body.utf8)), "Item 'L-10780-02' is blocked for 'Purchase order'.")
    }

    func testSeveralInfologEntriesAreKeptInOrderWithoutRepeats() {
        let text =
            "Write failed for table row of type 'VendorInvoiceLineEntity'. Infolog: Error: Value 'OLD1' for dimension 'CostCenter' is suspended.; Error: Main account 600199 is suspended.; Error: Value 'OLD1' for dimension 'CostCenter' is suspended.; Info: Update has been canceled."
        XCTAssertEqual(
            D365ErrorMessage.cleanInfolog(text),
            "Value 'OLD1' for dimension 'CostCenter' is suspended.; Main account 600199 is suspended.")
    }

    func testNoiseOnlyFallsBackToTheWholeInnerMessage() {
        let body =
            #"{"error":{"code":"","message":"An error has occurred.","innererror":{"message":"Write failed for table row of type 'X'. Infolog: Warning: validateWrite failed on data source 'T (T)'."}}}"#
        XCTAssertEqual(
            D365ErrorMessage.parse(Data(body.utf8)),
            "Write failed for table row of type 'X'. Infolog: Warning: validateWrite failed on data source 'T (T)'.")
    }

    func testOtherShapes() {
        XCTAssertEqual(
            D365ErrorMessage.parse(Data(#"{"error":{"code":"","message":"More than one resource was found when selecting for update."}}"#.utf8)),
            "More than one resource was found when selecting for update.")
        XCTAssertEqual(
            D365ErrorMessage.parse(
                Data(#"{"Message":"No HTTP resource was found that matches the request URI 'https://erp.example/data/VendorInvoiceHeader'."}"#.utf8)),
            "No HTTP resource was found that matches the request URI 'https://erp.example/data/VendorInvoiceHeader'.")
        XCTAssertNil(D365ErrorMessage.parse(Data("<html>oops</html>".utf8)))
        XCTAssertNil(D365ErrorMessage.parse(Data()))
    }

    func testStatusMapping() {
        let validation = D365Errors.error(
            for: .json(400, #"{"error":{"innererror":{"message":"Infolog: Error: Vendor EMP-0003 is on hold."}}}"#),
            entitySet: "VendorInvoiceHeaders", method: "POST")
        XCTAssertEqual(validation.code, "d365.validation")
        XCTAssertEqual(validation.message, "Vendor EMP-0003 is on hold.")
        XCTAssertEqual(validation.context["d365.entity_set"], "VendorInvoiceHeaders")
        XCTAssertFalse(validation.isTransient)

        let notFound = D365Errors.error(for: .json(404, #"{"Message":"No HTTP resource was found"}"#), entitySet: "X", method: "GET")
        XCTAssertEqual(notFound.code, "d365.not_found")
        XCTAssertEqual(notFound.message, "No HTTP resource was found")

        XCTAssertEqual(D365Errors.error(for: .json(401, ""), entitySet: "X", method: "GET").code, "d365.unauthorized")
        XCTAssertEqual(D365Errors.error(for: .json(403, ""), entitySet: "X", method: "GET").code, "d365.forbidden")
        let throttled = D365Errors.error(for: .json(429, ""), entitySet: "X", method: "GET")
        XCTAssertEqual(throttled.code, "d365.throttled")
        XCTAssertTrue(throttled.isTransient)
        XCTAssertTrue(D365Errors.error(for: .json(500, ""), entitySet: "X", method: "GET").isTransient)
    }
}

final class D365ODataClientTests: XCTestCase {
    private actor CountingTokens: TokenProvider {
        var calls: [Bool] = []
        func token(forceRefresh: Bool) async throws -> Secret {
            calls.append(forceRefresh)
            return Secret(forceRefresh ? "fresh-token-\(calls.count)" : "cached-token")
        }
    }

    private func client(_ transport: ScriptedTransport, tokens: any TokenProvider, capture: LogCapture = LogCapture()) -> ODataClient {
        let http = HTTPClient(transport: transport, retry: noRetryDelays, logger: capture.logger, system: "d365")
        return ODataClient(
            base: URL(string: "https://erp.example/")!, servicePath: "/data", authorization: BearerAuthorization(tokens: tokens),
            http: http, logger: capture.logger, system: "d365", errors: D365Errors.mapping)
    }

    func testSendsODataHeadersAndFollowsNextLinks() async throws {
        let transport = ScriptedTransport([
            .respond(.json(200, #"{"value":[{"A":1}],"@odata.nextLink":"https://erp.example/data/Ledgers?$skiptoken=2"}"#)),
            .respond(.json(200, #"{"value":[{"A":2},{"A":3}]}"#)),
        ])
        let tokens = CountingTokens()
        let rows = try await client(transport, tokens: tokens).getAll("Ledgers", select: ["A"], crossCompany: true)
        XCTAssertEqual(rows.map { $0["A"] }, [.number("1"), .number("2"), .number("3")])
        XCTAssertEqual(
            transport.requests.map(\.url.absoluteString),
            ["https://erp.example/data/Ledgers?cross-company=true&$select=A", "https://erp.example/data/Ledgers?$skiptoken=2"])
        let headers = transport.requests[0].headers
        XCTAssertEqual(headers["OData-Version"], "4.0")
        XCTAssertEqual(headers["OData-MaxVersion"], "4.0")
        XCTAssertEqual(headers["Accept"], "application/json;odata.metadata=minimal")
        XCTAssertEqual(headers["Authorization"], "Bearer cached-token")
        XCTAssertNil(headers["Content-Type"])
    }

    func testNextLinksNamingAnotherHostAreFollowedOnTheConfiguredEnvironment() async throws {
        let transport = ScriptedTransport([
            .respond(.json(200, #"{"value":[{"A":1}],"@odata.nextLink":"https://evil.example/data/Ledgers?$skip=1"}"#)),
            .respond(.json(200, #"{"value":[{"A":2}],"@odata.nextLink":"https://evil.example/elsewhere?x=1"}"#)),
        ])
        do {
            _ = try await client(transport, tokens: CountingTokens()).getAll("Ledgers")
            XCTFail("a link outside /data/ must be refused")
        } catch let error as ConnectorError {
            XCTAssertEqual(error.code, "d365.unexpected_response")
        }
        // The token went to the configured host only, with the first link's path and query.
        XCTAssertEqual(
            transport.requests.map(\.url.absoluteString),
            ["https://erp.example/data/Ledgers", "https://erp.example/data/Ledgers?$skip=1"])
        XCTAssertTrue(transport.requests.allSatisfy { $0.url.host == "erp.example" })
    }

    func testA401RefreshesTheTokenOnceAndRetriesOnce() async throws {
        let transport = ScriptedTransport([.respond(.json(401, "")), .respond(.json(201, #"{"HeaderReference":"APIH-7"}"#))])
        let tokens = CountingTokens()
        let created = try await client(transport, tokens: tokens).create("VendorInvoiceHeaders", body: ["ImportedAmount": .number("10.50")])
        XCTAssertEqual(created["HeaderReference"], .string("APIH-7"))
        let calls = await tokens.calls
        XCTAssertEqual(calls, [false, true])
        XCTAssertEqual(transport.requests.map { $0.headers["Authorization"] }, ["Bearer cached-token", "Bearer fresh-token-2"])
        XCTAssertEqual(String(decoding: transport.requests[0].body ?? Data(), as: UTF8.self), #"{"ImportedAmount":10.50}"#)
        XCTAssertEqual(transport.requests[0].headers["Content-Type"], "application/json;odata.metadata=minimal")
    }

    func testASecond401IsUnauthorized() async throws {
        let transport = ScriptedTransport([.respond(.json(401, "")), .respond(.json(401, "")), .respond(.json(200, "{}"))])
        let tokens = CountingTokens()
        do {
            _ = try await client(transport, tokens: tokens).getAll("VendorsV2")
            XCTFail("expected unauthorized")
        } catch let error as ConnectorError {
            XCTAssertEqual(error.code, "d365.unauthorized")
        }
        XCTAssertEqual(transport.requests.count, 2)
    }

    func testTokensNeverReachTheLogs() async throws {
        let capture = LogCapture()
        let transport = ScriptedTransport([.respond(.json(401, "")), .respond(.json(200, #"{"value":[]}"#))])
        _ = try await client(transport, tokens: CountingTokens(), capture: capture).getAll("VendorsV2")
        XCTAssertFalse(capture.allText.contains("token-"), capture.allText)
    }
}
