import Foundation
import XCTest

@testable import Sandbox

final class D365RoutingTests: XCTestCase {
    func testDataRequiresAValidBearerToken() async throws {
        let h = try D365Harness()
        for token in [nil, "not-a-token"] as [String?] {
            let r = await h.send("GET", "/data/VendorsV2", token: token)
            XCTAssertEqual(r.status, 401)
            XCTAssertEqual(h.header(r, "WWW-Authenticate"), "Bearer")
            XCTAssertTrue(r.body.isEmpty)
        }
        let metadata = await h.send("GET", "/data/$metadata")
        XCTAssertEqual(metadata.status, 401)
    }

    func testAppNotRegisteredInFinanceAndOperationsGets401() async throws {
        let h = try D365Harness { root in
            root["entraApplications"] = [[String: Any]]()
        }
        let token = try await h.token()  // Entra still issues the token.
        let r = await h.send("GET", "/data/VendorsV2", token: token)
        XCTAssertEqual(r.status, 401)
    }

    func testUnknownSetWrongCaseAndMalformedKeyAreRouting404s() async throws {
        let h = try D365Harness()
        let token = try await h.token()
        for path in [
            "/data/Vendors", "/data/vendorsV2", "/data/VendorsV2(dataAreaId='usmf')",
            "/data/VendorsV2(dataAreaId='usmf',VendorAccountNumber=1)", "/data/VendorsV2(dataareaid='usmf',VendorAccountNumber='EMP-0001')",
            "/data/VendorInvoiceLines(dataAreaId='usmf',HeaderReference='1',InvoiceLineNumber='1')",
            "/data/VendorsV2(dataAreaId='usmf',VendorAccountNumber='EMP-0001')/Nope",
        ] {
            let r = await h.send("GET", path, token: token)
            XCTAssertEqual(r.status, 404, path)
            let message = h.json(r)["Message"] as? String ?? ""
            XCTAssertTrue(message.hasPrefix("No HTTP resource was found that matches the request URI '\(D365Harness.base)"), message)
        }
    }

    func testSlashInKeyNeedsDoubleEncoding() async throws {
        let h = try D365Harness()
        let token = try await h.token()
        let ref = try await h.createHeader(
            D365Harness.headerBody.replacingOccurrences(
                of: "\"dataAreaId\":\"usmf\"",
                with: "\"dataAreaId\":\"usmf\",\"HeaderReference\":\"EXP/1\""),
            token: token)
        XCTAssertEqual(ref, "EXP/1")
        let single = await h.send("GET", "/data/VendorInvoiceHeaders(dataAreaId='usmf',HeaderReference='EXP%2F1')", token: token)
        XCTAssertEqual(single.status, 404)
        XCTAssertNotNil(h.json(single)["Message"])
        let double = await h.send("GET", "/data/VendorInvoiceHeaders(dataAreaId='usmf',HeaderReference='EXP%252F1')", token: token)
        XCTAssertEqual(double.status, 200)
        XCTAssertEqual(h.json(double)["HeaderReference"] as? String, "EXP/1")
    }

    func testServiceDocumentAndMetadata() async throws {
        let h = try D365Harness()
        let token = try await h.token()
        let root = await h.send("GET", "/data/", token: token)
        XCTAssertEqual(root.status, 200)
        let names = h.values(root).compactMap { $0["name"] as? String }
        for set in [
            "VendorInvoiceHeaders", "VendorInvoiceLines", "VendorsV2", "MainAccounts", "Ledgers", "FinancialDimensionValues",
            "DimensionAttributes", "DimensionIntegrationFormats", "DimensionParameters", "Currencies",
        ] {
            XCTAssertTrue(names.contains(set), set)
        }
        let md = await h.send("GET", "/data/$metadata", token: token)
        XCTAssertEqual(md.status, 200)
        let xml = String(decoding: md.body, as: UTF8.self)
        XCTAssertTrue(
            xml.contains(
                "<EntityType Name=\"VendorInvoiceLine\">\n<Key>\n<PropertyRef Name=\"dataAreaId\" />\n<PropertyRef Name=\"HeaderReference\" />\n<PropertyRef Name=\"InvoiceLineNumber\" />"
            ))
        XCTAssertTrue(xml.contains("<Property Name=\"InvoiceLineNumber\" Type=\"Edm.Decimal\""))
        XCTAssertTrue(
            xml.contains("<NavigationProperty Name=\"VendorInvoiceLine\" Type=\"Collection(Microsoft.Dynamics.DataEntities.VendorInvoiceLine)\""))
        for e in [
            "NoYes", "VendInvoiceRequestStatus", "PurchInvoiceLineType", "LedgerJournalACType", "DimensionLedgerAccountType",
            "CustVendorBlocked", "HcmWorkerStatus", "DimensionSegmentDelimiter",
        ] {
            XCTAssertTrue(xml.contains("<EnumType Name=\"\(e)\">"), e)
        }
        XCTAssertTrue(xml.contains("<EntitySet Name=\"VendorsV2\" EntityType=\"Microsoft.Dynamics.DataEntities.VendorV2\">"))
    }

    func testKeyReadWithQuoteEscapes() async throws {
        let h = try D365Harness()
        let token = try await h.token()
        _ = try await h.createHeader(
            D365Harness.headerBody.replacingOccurrences(
                of: "\"dataAreaId\":\"usmf\"",
                with: "\"dataAreaId\":\"usmf\",\"HeaderReference\":\"O'NEIL-1\""),
            token: token)
        let r = await h.send("GET", "/data/VendorInvoiceHeaders(dataAreaId='usmf',HeaderReference='O''NEIL-1')", token: token)
        XCTAssertEqual(r.status, 200)
        XCTAssertEqual(h.json(r)["HeaderReference"] as? String, "O'NEIL-1")
        XCTAssertEqual(h.json(r)["@odata.context"] as? String, "\(D365Harness.base)/data/$metadata#VendorInvoiceHeaders/$entity")
        XCTAssertNotNil(h.header(r, "ETag"))
        let missing = await h.send("GET", "/data/VendorInvoiceHeaders(dataAreaId='usmf',HeaderReference='NOPE')", token: token)
        XCTAssertEqual(missing.status, 404)
        XCTAssertNotNil(h.json(missing)["error"])
    }

    func testVendorKeyReadIsCaseInsensitiveLikeSQLServer() async throws {
        let h = try D365Harness()
        let token = try await h.token()
        let r = await h.send("GET", "/data/VendorsV2(dataAreaId='USMF',VendorAccountNumber='emp-0002')", token: token)
        XCTAssertEqual(r.status, 200)
        XCTAssertEqual(h.json(r)["VendorAccountNumber"] as? String, "EMP-0002")
        XCTAssertEqual(h.json(r)["dataAreaId"] as? String, "usmf")
    }

    func testMasterDataIsReadOnly() async throws {
        let h = try D365Harness()
        let token = try await h.token()
        let r = await h.send("POST", "/data/VendorsV2", body: #"{"VendorAccountNumber":"X"}"#, token: token)
        XCTAssertEqual(r.status, 405)
        let p = await h.send("PATCH", "/data/MainAccounts(ChartOfAccounts='Shared',MainAccountId='600100')", body: #"{"Name":"X"}"#, token: token)
        XCTAssertEqual(p.status, 405)
    }
}
