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

/// The controls that play a person changing or discarding a pending invoice after load, and the posted-invoice BI
/// entities the post control fills (reconciliation reads them back).
final class D365InvoiceChangeControlTests: XCTestCase {
    /// A pending invoice with two lines (10.00 on 600120, 25.50 on 600130), its HeaderReference.
    func invoice(_ h: D365Harness, token: String) async throws -> String {
        let ref = try await h.createHeader(token: token)
        for (n, amount, account) in [(1, "10.00", "600120"), (2, "25.50", "600130")] {
            let body = h.lineBody(ref, #""InvoiceLineNumber":\#(n),"ReceiveNow":1,"UnitPrice":\#(amount),"NetAmount":\#(amount)"#)
                .replacingOccurrences(of: "\"600120\"", with: "\"\(account)\"")
            let r = await h.send("POST", "/data/VendorInvoiceLines", body: body, token: token)
            XCTAssertEqual(r.status, 201, h.bodyText(r))
        }
        return ref
    }

    func testAlterChangesAPendingLinesAmountAndAccountExactly() async throws {
        let h = try D365Harness()
        let token = try await h.token()
        let ref = try await invoice(h, token: token)
        let altered = await h.control(
            "POST", "/_sandbox/d365/invoices/alter", query: [("dataAreaId", "usmf"), ("InvoiceNumber", "EXP-90000001"), ("InvoiceLineNumber", "2")],
            body: #"{"NetAmount":24.99,"MainAccountDisplayValue":"600110"}"#)
        XCTAssertEqual(altered.status, 200, h.bodyText(altered))
        let read = await h.send(
            "GET", "/data/VendorInvoiceLines", query: [("$filter", "HeaderReference eq '\(ref)' and InvoiceLineNumber eq 2")], token: token)
        let line = try XCTUnwrap(h.values(read).first)
        XCTAssertTrue(h.bodyText(read).contains("\"NetAmount\":24.99"), h.bodyText(read))
        XCTAssertEqual(line["MainAccountDisplayValue"] as? String, "600110")
        let untouched = await h.send(
            "GET", "/data/VendorInvoiceLines", query: [("$filter", "HeaderReference eq '\(ref)' and InvoiceLineNumber eq 1")], token: token)
        XCTAssertTrue(h.bodyText(untouched).contains("\"NetAmount\":10"), h.bodyText(untouched))

        let noLine = await h.control(
            "POST", "/_sandbox/d365/invoices/alter", query: [("dataAreaId", "usmf"), ("HeaderReference", ref), ("InvoiceLineNumber", "9")],
            body: #"{"NetAmount":1}"#)
        XCTAssertEqual(noLine.status, 404)
        let nothing = await h.control(
            "POST", "/_sandbox/d365/invoices/alter", query: [("dataAreaId", "usmf"), ("HeaderReference", ref), ("InvoiceLineNumber", "1")], body: "{}"
        )
        XCTAssertEqual(nothing.status, 400)
    }

    func testDeleteRemovesAPendingInvoiceWithItsLinesAndRefusesAPostedOne() async throws {
        let h = try D365Harness()
        let token = try await h.token()
        let ref = try await invoice(h, token: token)
        let deleted = await h.control("POST", "/_sandbox/d365/invoices/delete", query: [("dataAreaId", "usmf"), ("HeaderReference", ref)])
        XCTAssertEqual(deleted.status, 200, h.bodyText(deleted))
        XCTAssertEqual(h.json(deleted)["lines"] as? Int, 2)
        let headers = await h.send("GET", "/data/VendorInvoiceHeaders", query: [("$filter", "HeaderReference eq '\(ref)'")], token: token)
        XCTAssertEqual(h.values(headers).count, 0)
        let lines = await h.send("GET", "/data/VendorInvoiceLines", query: [("$filter", "HeaderReference eq '\(ref)'")], token: token)
        XCTAssertEqual(h.values(lines).count, 0)
        let again = await h.control("POST", "/_sandbox/d365/invoices/delete", query: [("dataAreaId", "usmf"), ("HeaderReference", ref)])
        XCTAssertEqual(again.status, 404)

        let second = try await invoice(h, token: token)
        let posted = await h.control("POST", "/_sandbox/d365/post", query: [("dataAreaId", "usmf"), ("HeaderReference", second)])
        XCTAssertEqual(posted.status, 200, h.bodyText(posted))
        let refused = await h.control("POST", "/_sandbox/d365/invoices/delete", query: [("dataAreaId", "usmf"), ("InvoiceNumber", "EXP-90000001")])
        XCTAssertEqual(refused.status, 409, h.bodyText(refused))
        let alterPosted = await h.control(
            "POST", "/_sandbox/d365/invoices/alter", query: [("dataAreaId", "usmf"), ("HeaderReference", second), ("InvoiceLineNumber", "1")],
            body: #"{"NetAmount":1}"#)
        XCTAssertEqual(alterPosted.status, 409)
    }

    func testPostingFillsTheBIEntitiesWithExactAmountsAndTheMainAccount() async throws {
        let h = try D365Harness()
        let token = try await h.token()
        let ref = try await invoice(h, token: token)
        let posted = await h.control("POST", "/_sandbox/d365/post", query: [("dataAreaId", "usmf"), ("HeaderReference", ref)])
        XCTAssertEqual(posted.status, 200, h.bodyText(posted))
        let voucher = try XCTUnwrap(h.json(posted)["voucher"] as? String)

        let journal = await h.send(
            "GET", "/data/VendInvoiceJourBiEntities", query: [("cross-company", "true"), ("$filter", "InvoiceId eq 'EXP-90000001'")], token: token)
        XCTAssertEqual(journal.status, 200, h.bodyText(journal))
        let head = try XCTUnwrap(h.values(journal).first)
        XCTAssertEqual(head["LedgerVoucher"] as? String, voucher)
        XCTAssertEqual(head["CurrencyCode"] as? String, "USD")
        XCTAssertTrue(h.bodyText(journal).contains("\"InvoiceAmount\":35.5"), h.bodyText(journal))

        let trans = await h.send(
            "GET", "/data/VendInvoiceTransBiEntities",
            query: [("cross-company", "true"), ("$filter", "dataAreaId eq 'usmf' and InvoiceId eq 'EXP-90000001'"), ("$orderby", "LineNum")],
            token: token)
        XCTAssertEqual(trans.status, 200, h.bodyText(trans))
        let rows = h.values(trans)
        XCTAssertEqual(rows.count, 2)
        XCTAssertTrue(h.bodyText(trans).contains("\"LineAmount\":25.5"), h.bodyText(trans))
        let dims = try XCTUnwrap(rows.last?["LedgerDimensionValuesJson"] as? String)
        let parsed = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(dims.utf8)) as? [String: Any])
        XCTAssertEqual(parsed["MainAccount"] as? String, "600130")
        let write = await h.send("POST", "/data/VendInvoiceJourBiEntities", body: #"{"dataAreaId":"usmf"}"#, token: token)
        XCTAssertEqual(write.status, 405)
    }
}

extension D365Harness {
    fileprivate func bodyText(_ r: SimResponse) -> String { String(decoding: r.body, as: UTF8.self) }
}
