import Foundation
import XCTest

@testable import Sandbox

final class D365ControlTests: XCTestCase {
    func testVendorEditLiftsAHold() async throws {
        let h = try D365Harness()
        let token = try await h.token()
        let body = D365Harness.headerBody.replacingOccurrences(of: "EMP-0001", with: "EMP-0003")
        let held = await h.send("POST", "/data/VendorInvoiceHeaders", body: body, token: token)
        XCTAssertEqual(held.status, 400)
        let patch = await h.control(
            "PATCH", "/_sandbox/d365/vendors", query: [("dataAreaId", "usmf"), ("VendorAccountNumber", "EMP-0003")],
            body: #"{"OnHoldStatus":"No","PrimaryEmailAddress":"carol.diaz@northwind.example"}"#)
        XCTAssertEqual(patch.status, 200)
        XCTAssertEqual(h.json(patch)["OnHoldStatus"] as? String, "No")
        let read = await h.send("GET", "/data/VendorsV2(dataAreaId='usmf',VendorAccountNumber='EMP-0003')", token: token)
        XCTAssertEqual(h.json(read)["OnHoldStatus"] as? String, "No")
        let ok = await h.send("POST", "/data/VendorInvoiceHeaders", body: body, token: token)
        XCTAssertEqual(ok.status, 201)
        let badField = await h.control(
            "PATCH", "/_sandbox/d365/vendors", query: [("dataAreaId", "usmf"), ("VendorAccountNumber", "EMP-0003")],
            body: #"{"OnHoldStatus":"Sometimes"}"#)
        XCTAssertEqual(badField.status, 400)
        let missing = await h.control(
            "PATCH", "/_sandbox/d365/vendors", query: [("dataAreaId", "usmf"), ("VendorAccountNumber", "EMP-9999")],
            body: #"{"OnHoldStatus":"All"}"#)
        XCTAssertEqual(missing.status, 404)
    }

    func testVendorCreateRoute() async throws {
        let h = try D365Harness()
        let token = try await h.token()
        let created = await h.control(
            "POST", "/_sandbox/d365/vendors",
            body: #"{"dataAreaId":"jpmf","VendorAccountNumber":"EMP-2002","VendorGroupId":"EMP","CurrencyCode":"JPY"}"#)
        XCTAssertEqual(created.status, 201)
        let r = await h.send(
            "GET", "/data/VendorsV2", query: [("cross-company", "true"), ("$filter", "dataAreaId eq 'jpmf' and VendorGroupId eq 'EMP'")],
            token: token)
        XCTAssertEqual(h.values(r).compactMap { $0["VendorAccountNumber"] as? String }, ["EMP-2001", "EMP-2002"])
    }

    func testRequestLogHasMethodPathStatusButNoSecrets() async throws {
        let h = try D365Harness()
        let token = try await h.token()
        _ = await h.send("GET", "/data/VendorsV2", query: [("$filter", "VendorGroupId eq 'EMP'"), ("cross-company", "true")], token: token)
        _ = await h.send("GET", "/data/Nope", token: token)
        let logResponse = await h.control("GET", "/_sandbox/d365/requests")
        let text = String(decoding: logResponse.body, as: UTF8.self)
        XCTAssertFalse(text.contains(D365Harness.secret))
        XCTAssertFalse(text.contains(token))
        let entries = h.json(logResponse)["requests"] as? [[String: Any]] ?? []
        XCTAssertEqual(entries.compactMap { $0["method"] as? String }, ["POST", "GET", "GET"])
        XCTAssertEqual(entries.compactMap { $0["status"] as? Int }, [200, 200, 404])
        XCTAssertEqual(entries.first?["url"] as? String, "/\(D365Harness.tenant)/oauth2/v2.0/token")
        XCTAssertEqual(entries[1]["url"] as? String, "/data/VendorsV2?$filter=VendorGroupId%20eq%20'EMP'&cross-company=true")
        XCTAssertEqual(entries[1]["clientId"] as? String, D365Harness.clientId)
        _ = await h.control("DELETE", "/_sandbox/d365/requests")
        let emptied = await h.control("GET", "/_sandbox/d365/requests")
        XCTAssertEqual((h.json(emptied)["requests"] as? [Any])?.count, 0)
    }

    func testResetReloadsTheSeed() async throws {
        let h = try D365Harness()
        let token = try await h.token()
        _ = try await h.createHeader(token: token)
        _ = await h.control("POST", "/_sandbox/d365/settings", body: #"{"pageSize":50}"#)
        let reset = await h.control("POST", "/_sandbox/d365/reset")
        XCTAssertEqual(reset.status, 200)
        let invoices = h.json(await h.control("GET", "/_sandbox/d365/invoices"))["invoices"] as? [Any]
        XCTAssertEqual(invoices?.count, 0)
        let settings = await h.control("GET", "/_sandbox/d365/settings")
        XCTAssertEqual(h.json(settings)["pageSize"] as? Int, 5)
        let after = await h.send("GET", "/data/VendorsV2", token: token)
        XCTAssertEqual(after.status, 200, "issued tokens survive a data reset")
        XCTAssertEqual(h.values(after).count, 5)
        let ref = try await h.createHeader(token: token)
        XCTAssertEqual(ref, "00000001")
    }

    func testSettingsRouteRejectsUnknownSettings() async throws {
        let h = try D365Harness()
        let r = await h.control("POST", "/_sandbox/d365/settings", body: #"{"pagesize":5}"#)
        XCTAssertEqual(r.status, 400)
        let lifetime = await h.control("POST", "/_sandbox/entra/settings", body: #"{"tokenLifetime":60}"#)
        XCTAssertEqual(h.json(lifetime)["tokenLifetimeSeconds"] as? Int, 60)
        let missing = await h.control("POST", "/_sandbox/entra/settings")
        XCTAssertEqual(missing.status, 400)
    }

    func testPostingNeedsAnExistingInvoiceWithLines() async throws {
        let h = try D365Harness()
        let token = try await h.token()
        let ref = try await h.createHeader(token: token)
        let empty = await h.control("POST", "/_sandbox/d365/post", query: [("dataAreaId", "usmf"), ("HeaderReference", ref)])
        XCTAssertEqual(empty.status, 400)
        let unknown = await h.control("POST", "/_sandbox/d365/post", query: [("dataAreaId", "usmf"), ("HeaderReference", "nope")])
        XCTAssertEqual(unknown.status, 404)
        let filtered = h.json(await h.control("GET", "/_sandbox/d365/invoices", query: [("posted", "true")]))["invoices"] as? [Any]
        XCTAssertEqual(filtered?.count, 0)
    }
}
