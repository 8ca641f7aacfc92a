import Foundation
import XCTest

@testable import Sandbox

final class BCInvoiceTests: XCTestCase {
    func testCompanyByNameWithAmpersandDotAndQuote() async throws {
        let h = try NAVHarness()
        let token = try await h.token()
        let id = try await h.companyId(NAVHarness.traders, token: token)
        XCTAssertEqual(id, "8f3a6c1e-2b7d-4e59-9a04-6d1c5e7b2f01")
        let kk = try await h.companyId("Northwind K.K.", token: token)
        XCTAssertNotEqual(kk, id)
        let none = await h.bc("GET", "companies", token: token, query: [("$filter", "name eq 'O''Brien & Co.'")])
        XCTAssertEqual(none.status, 200)
        XCTAssertTrue(h.values(none).isEmpty)
        let unknown = await h.bc("GET", "companies(00000000-0000-0000-0000-000000000001)/vendors", token: token)
        XCTAssertEqual(unknown.status, 404)
    }

    func testCreateLinesDimensionSetLinesAndPost() async throws {
        let h = try NAVHarness()
        let token = try await h.token()
        let cid = try await h.companyId(NAVHarness.traders, token: token)
        let (id, lineId) = try await h.draft(cid, token: token)
        let dim = await h.bc(
            "POST", "companies(\(cid))/purchaseInvoices(\(id))/purchaseInvoiceLines(\(lineId))/dimensionSetLines", token: token,
            body: #"{"code":"DEPARTMENT","valueCode":"010"}"#)
        XCTAssertEqual(dim.status, 201, h.text(dim))
        XCTAssertEqual(h.json(dim)["parentType"] as? String, "Purchase Invoice Line")
        XCTAssertEqual(h.json(dim)["valueDisplayName"] as? String, "Sales")
        let dimId = try XCTUnwrap(h.json(dim)["id"] as? String)
        let top = await h.bc(
            "POST", "companies(\(cid))/purchaseInvoiceLines(\(lineId))/dimensionSetLines", token: token,
            body: #"{"code":"PROJECT","valueCode":"P100"}"#)
        XCTAssertEqual(top.status, 201, h.text(top))
        let bad = await h.bc(
            "POST", "companies(\(cid))/purchaseInvoiceLines(\(lineId))/dimensionSetLines", token: token,
            body: #"{"code":"COSTCENTER","valueCode":"NOPE"}"#)
        XCTAssertEqual(h.errorMessage(bad), "The \"valueCode\" does not match to a Dimension Value.")
        let etag = try XCTUnwrap(h.json(top)["@odata.etag"] as? String)
        let changed = await h.bc(
            "PATCH", "companies(\(cid))/purchaseInvoiceLines(\(lineId))/dimensionSetLines(\(dimId))", token: token, body: #"{"valueCode":"020"}"#,
            headers: ["if-match": etag])
        XCTAssertEqual(changed.status, 200, h.text(changed))
        let header = await h.bc(
            "POST", "companies(\(cid))/purchaseInvoices(\(id))/dimensionSetLines", token: token, body: #"{"code":"COSTCENTER","valueCode":"W01"}"#)
        XCTAssertEqual(header.status, 201)
        let got = await h.bc(
            "GET", "companies(\(cid))/purchaseInvoices(\(id))", token: token, query: [("$expand", "purchaseInvoiceLines($expand=dimensionSetLines)")])
        XCTAssertEqual(h.json(got)["shortcutDimension2Code"] as? String, "W01", "a global dimension set line is the shortcut code")
        XCTAssertEqual(h.json(got)["status"] as? String, "Draft")
        XCTAssertEqual(h.json(got)["currencyCode"] as? String, "USD")
        let number = try XCTUnwrap(h.json(got)["number"] as? String)
        XCTAssertEqual(number, "PI-100001")

        let post = await h.bc("POST", "companies(\(cid))/purchaseInvoices(\(id))/Microsoft.NAV.post", token: token)
        XCTAssertEqual(post.status, 204, h.text(post))
        let after = await h.bc("GET", "companies(\(cid))/purchaseInvoices(\(id))", token: token)
        XCTAssertEqual(h.json(after)["status"] as? String, "Open", "the id is kept and the status becomes Open")
        let again = await h.bc("POST", "companies(\(cid))/purchaseInvoices(\(id))/Microsoft.NAV.post", token: token)
        XCTAssertEqual(h.errorMessage(again), "The action can be applied to a draft invoice only.")
        let docs = await h.documents(NAVHarness.traders)
        let posted = try XCTUnwrap((docs["postedPurchaseInvoices"] as? [[String: Any]])?.first)
        XCTAssertEqual(posted["preAssignedNo"] as? String, "PI-100001")
        XCTAssertEqual(posted["amount"] as? String, "45.5")
        let line = try XCTUnwrap((posted["lines"] as? [[String: Any]])?.first)
        XCTAssertEqual(line["dimensions"] as? [String: String], ["DEPARTMENT": "020", "PROJECT": "P100"])
        let entries = try XCTUnwrap(docs["glEntries"] as? [[String: Any]])
        XCTAssertEqual(entries.map { $0["accountNumber"] as? String }, ["600120", "200100"])
        XCTAssertEqual(entries.map { $0["amount"] as? String }, ["45.5", "-45.5"])
    }

    func testDeepInsertAndTotals() async throws {
        let h = try NAVHarness()
        let token = try await h.token()
        let cid = try await h.companyId(NAVHarness.uk, token: token)
        let r = await h.bc(
            "POST", "companies(\(cid))/purchaseInvoices", token: token,
            body: """
                {"vendorNumber":"EMP-1003","vendorInvoiceNumber":"R-1","postingDate":"2026-11-05","purchaseInvoiceLines":[
                 {"lineType":"Account","lineObjectNumber":"600110","unitCost":110,"quantity":2},
                 {"lineType":"Account","lineObjectNumber":"600130","unitCost":12.34,"quantity":1}]}
                """)
        XCTAssertEqual(r.status, 201, h.text(r))
        let exact = try D365JSONParser.parse(r.body)
        XCTAssertEqual(exact["totalAmountIncludingTax"], .number("232.34"))
        XCTAssertEqual(exact["currencyCode"], .string("EUR"), "the vendor's currency")
        XCTAssertEqual(exact["purchaseInvoiceLines"]?.arrayValue?.count, 2)
        let bad = await h.bc(
            "POST", "companies(\(cid))/purchaseInvoices", token: token,
            body: #"{"vendorNumber":"EMP-1001","purchaseInvoiceLines":[{"lineType":"Account","lineObjectNumber":"999999","unitCost":1}]}"#)
        XCTAssertEqual(h.errorMessage(bad), "Account does not exist.")
        let docs = await h.documents(NAVHarness.uk)
        XCTAssertEqual((docs["purchaseInvoices"] as? [[String: Any]])?.count, 1, "a failed deep insert stores nothing")
    }

    func testCreateValidationMessages() async throws {
        let h = try NAVHarness()
        let token = try await h.token()
        let cid = try await h.companyId(NAVHarness.traders, token: token)
        let cases: [(String, String)] = [
            (#"{"vendorInvoiceNumber":"X"}"#, "A \"vendorNumber\" or a \"vendorID\" must be provided."),
            (#"{"vendorNumber":"NOBODY"}"#, "The vendor cannot be found."),
            (#"{"vendorNumber":"EMP-0001","currencyCode":"XYZ"}"#, "The \"currencyCode\" does not match to a Currency."),
        ]
        for (body, message) in cases {
            let r = await h.bc("POST", "companies(\(cid))/purchaseInvoices", token: token, body: body)
            XCTAssertEqual(r.status, 400)
            XCTAssertEqual(h.errorMessage(r), message)
        }
        let (id, _) = try await h.draft(cid, token: token)
        let both = await h.bc(
            "POST", "companies(\(cid))/purchaseInvoices(\(id))/purchaseInvoiceLines", token: token,
            body: #"{"itemId":"5d115c9c-44e3-ea11-bb43-000d3a2feca1","accountId":"5d115c9c-44e3-ea11-bb43-000d3a2feca2"}"#)
        XCTAssertEqual(h.errorMessage(both), "Both \"itemId\" and \"accountId\" are specified. Specify only one of them.")
        let lines = await h.bc("GET", "companies(\(cid))/purchaseInvoiceLines", token: token)
        XCTAssertEqual(h.errorMessage(lines), "You must specify an Id or a Document Id to get the lines.")
        let filtered = await h.bc("GET", "companies(\(cid))/purchaseInvoiceLines", token: token, query: [("$filter", "documentId eq \(id)")])
        XCTAssertEqual(h.values(filtered).count, 1)
    }

    func testEachPostingRefusalHasTheReferenceMessage() async throws {
        let h = try NAVHarness()
        let token = try await h.token()
        let cid = try await h.companyId(NAVHarness.traders, token: token)
        func post(_ id: String) async -> SimResponse {
            await h.bc("POST", "companies(\(cid))/purchaseInvoices(\(id))/Microsoft.NAV.post", token: token)
        }
        let (missing, _) = try await h.draft(cid, token: token, invoiceNo: nil)
        let missingPost = await post(missing)
        XCTAssertEqual(
            h.errorMessage(missingPost),
            "Vendor Invoice No. must have a value in Purchase Header: Document Type=Invoice, No.=PI-100001. It cannot be zero or empty.")
        let (blocked, _) = try await h.draft(cid, token: token, invoiceNo: "B-1", account: "600199")
        let b = await post(blocked)
        XCTAssertEqual(h.errorCode(b), "Application_FieldValidationException")
        XCTAssertEqual(h.errorMessage(b), "Blocked must be equal to 'No'  in G/L Account: No.=600199. Current value is 'Yes'.")
        let (direct, _) = try await h.draft(cid, token: token, invoiceNo: "D-1", account: "600160")
        let awaited1 = await post(direct)
        XCTAssertEqual(h.errorMessage(awaited1), "Direct Posting must be equal to 'Yes'  in G/L Account: No.=600160. Current value is 'No'.")
        let (dimmed, line) = try await h.draft(cid, token: token, invoiceNo: "DIM-1")
        let d = await h.bc(
            "POST", "companies(\(cid))/purchaseInvoiceLines(\(line))/dimensionSetLines", token: token,
            body: #"{"code":"COSTCENTER","valueCode":"OLD1"}"#)
        XCTAssertEqual(d.status, 201, "a blocked value is accepted on the line and refused at posting")
        let awaited2 = await post(dimmed)
        XCTAssertEqual(h.errorMessage(awaited2), "Dimension Value COSTCENTER - OLD1 is blocked.")
        let (carol, _) = try await h.draft(cid, token: token, vendor: "EMP-0003", invoiceNo: "C-1")
        let awaited3 = await post(carol)
        XCTAssertEqual(h.errorMessage(awaited3), "You cannot post this type of document when Vendor EMP-0003 is blocked with type All")
        let (first, _) = try await h.draft(cid, token: token, invoiceNo: "DUP-1")
        let (second, _) = try await h.draft(cid, token: token, invoiceNo: "DUP-1")
        let ok = await post(first)
        XCTAssertEqual(ok.status, 204)
        let awaited4 = await post(second)
        XCTAssertEqual(h.errorMessage(awaited4), "Purchase Invoice DUP-1 already exists for this vendor.")
        // Blocked "Payment" does not block invoices.
        let ukId = try await h.companyId(NAVHarness.uk, token: token)
        let (erin, _) = try await h.draft(ukId, token: token, vendor: "EMP-1002", invoiceNo: "E-1")
        let e = await h.bc("POST", "companies(\(ukId))/purchaseInvoices(\(erin))/Microsoft.NAV.post", token: token)
        XCTAssertEqual(e.status, 204, h.text(e))
    }

    func testIfMatchRulesAnd401Shape() async throws {
        let h = try NAVHarness()
        let token = try await h.token()
        let cid = try await h.companyId(NAVHarness.traders, token: token)
        let (id, _) = try await h.draft(cid, token: token)
        let path = "companies(\(cid))/purchaseInvoices(\(id))"
        let missing = await h.bc("PATCH", path, token: token, body: #"{"vendorInvoiceNumber":"EXP-2"}"#)
        XCTAssertEqual(missing.status, 400)
        XCTAssertEqual(h.errorCode(missing), "BadRequest_InvalidToken")
        let current = await h.bc("GET", path, token: token)
        let etag = try XCTUnwrap(h.json(current)["@odata.etag"] as? String)
        let ok = await h.bc("PATCH", path, token: token, body: #"{"vendorInvoiceNumber":"EXP-2"}"#, headers: ["if-match": etag])
        XCTAssertEqual(ok.status, 200, h.text(ok))
        XCTAssertNotEqual(h.json(ok)["@odata.etag"] as? String, etag, "every write changes the ETag")
        let stale = await h.bc("PATCH", path, token: token, body: #"{"vendorInvoiceNumber":"EXP-3"}"#, headers: ["if-match": etag])
        XCTAssertEqual(stale.status, 409)
        XCTAssertEqual(h.errorCode(stale), "Request_EntityChanged")
        XCTAssertEqual(h.errorMessage(stale), "Another user has already changed the record.")
        _ = await h.control("POST", "/_sandbox/nav/settings", body: #"{"staleETagStatus":412}"#)
        let stale412 = await h.bc("DELETE", path, token: token, headers: ["if-match": etag])
        XCTAssertEqual(stale412.status, 412)
        let star = await h.bc("DELETE", path, token: token, headers: ["if-match": "*"])
        XCTAssertEqual(star.status, 204)
        let collection = await h.bc("PATCH", "companies(\(cid))/purchaseInvoices", token: token, body: "{}")
        XCTAssertEqual(h.errorCode(collection), "BadRequest_MethodNotAllowed")

        let anonymous = await h.send("GET", NAVHarness.bcRoot + "/companies")
        XCTAssertEqual(anonymous.status, 401)
        XCTAssertEqual(h.errorCode(anonymous), "Authentication_InvalidCredentials")
        XCTAssertEqual(h.errorMessage(anonymous), "The server has rejected the client credentials.")
        let d365Token = try await h.token(scope: "https://northwind.operations.dynamics.com/.default")
        let wrongAudience = await h.bc("GET", "companies", token: d365Token)
        XCTAssertEqual(wrongAudience.status, 401, "a token for F&O is not a token for Business Central")
    }
}
