import Foundation
import XCTest

@testable import Sandbox

final class D365BatchTests: XCTestCase {
    private struct Op {
        var id: String
        var method = "POST"
        var url: String
        var body: String?
    }

    private func changeset(_ name: String, _ ops: [Op]) -> String {
        var s = "Content-Type: multipart/mixed; boundary=\(name)\r\n\r\n"
        for op in ops {
            s += "--\(name)\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\nContent-ID: \(op.id)\r\n\r\n"
            s += "\(op.method) \(op.url) HTTP/1.1\r\nContent-Type: application/json;odata.metadata=minimal\r\n\r\n"
            s += (op.body ?? "") + "\r\n"
        }
        return s + "--\(name)--\r\n"
    }

    private func batch(_ parts: [String]) -> String {
        parts.map { "--batch_b\r\n" + $0 }.joined() + "--batch_b--\r\n"
    }

    private func send(_ h: D365Harness, _ body: String, token: String, prefer: String? = nil) async -> (SimResponse, String) {
        var headers = ["content-type": "multipart/mixed; boundary=batch_b", "accept": "multipart/mixed"]
        if let prefer { headers["prefer"] = prefer }
        let r = await h.send("POST", "/data/$batch", body: body, headers: headers, token: token)
        return (r, String(decoding: r.body, as: UTF8.self))
    }

    private func header(_ number: String, vendor: String = "EMP-1001", company: String = "gbsi", currency: String = "GBP") -> String {
        "{\"dataAreaId\":\"\(company)\",\"InvoiceNumber\":\"\(number)\",\"InvoiceAccount\":\"\(vendor)\",\"VendorAccount\":\"\(vendor)\",\"Currency\":\"\(currency)\",\"InvoiceDate\":\"2026-11-05T12:00:00Z\",\"DimensionDisplayValue\":\"010-E01-\"}"
    }

    private func statusLines(_ text: String) -> [String] {
        text.components(separatedBy: "\r\n").filter { $0.hasPrefix("HTTP/1.1 ") }
    }

    func testChangesetCreatesHeaderAndLinesThroughContentIdReferences() async throws {
        let h = try D365Harness()
        let token = try await h.token()
        let body = batch([
            changeset(
                "changeset_1",
                [
                    Op(id: "1", url: "\(D365Harness.base)/data/VendorInvoiceHeaders", body: header("EXP-90000021")),
                    Op(
                        id: "2", url: "$1/VendorInvoiceLine",
                        body: #"{"LineDescription":"Airfare","NetAmount":234.50,"MainAccountDisplayValue":"600100"}"#),
                    Op(
                        id: "3", url: "$1/VendorInvoiceLine",
                        body: #"{"LineDescription":"Lodging","NetAmount":189.00,"MainAccountDisplayValue":"600110"}"#),
                ])
        ])
        let (r, text) = await send(h, body, token: token)
        XCTAssertEqual(r.status, 200)
        let contentType = try XCTUnwrap(h.header(r, "Content-Type"))
        XCTAssertTrue(contentType.hasPrefix("multipart/mixed; boundary=batchresponse_"), contentType)
        XCTAssertTrue(text.contains("Content-Type: multipart/mixed; boundary=changesetresponse_"))
        XCTAssertEqual(statusLines(text), ["HTTP/1.1 201 Created", "HTTP/1.1 201 Created", "HTTP/1.1 201 Created"])
        XCTAssertTrue(text.contains("Content-ID: 2"))
        XCTAssertTrue(
            text.contains("Location: \(D365Harness.base)/data/VendorInvoiceLines(dataAreaId='gbsi',HeaderReference='00000001',InvoiceLineNumber=2)"))
        let invoices = try h.exact(await h.control("GET", "/_sandbox/d365/invoices", query: [("dataAreaId", "gbsi")]))
        let invoice = try XCTUnwrap(invoices["invoices"]?.arrayValue?.first)
        XCTAssertEqual(invoice["lines"]?.arrayValue?.compactMap { $0["HeaderReference"]?.stringValue }, ["00000001", "00000001"])
        XCTAssertEqual(invoice["lines"]?.arrayValue?.compactMap { $0["dataAreaId"]?.stringValue }, ["gbsi", "gbsi"])
        XCTAssertEqual(invoice["lineTotal"], .number("423.5"))
    }

    func testFailedChangesetIsRolledBackAndAnsweredByOneErrorPart() async throws {
        let h = try D365Harness()
        let token = try await h.token()
        let body = batch([
            changeset(
                "cs_a",
                [
                    Op(id: "1", url: "VendorInvoiceHeaders", body: header("EXP-A")),
                    Op(id: "2", url: "$1/VendorInvoiceLine", body: #"{"NetAmount":10}"#),
                ]),
            changeset(
                "cs_b",
                [
                    Op(id: "1", url: "/data/VendorInvoiceHeaders", body: header("EXP-B", vendor: "EMP-1002")),
                    Op(id: "2", url: "$1/VendorInvoiceLine", body: #"{"NetAmount":45,"DimensionDisplayValue":"020-OLD1-"}"#),
                ]),
        ])
        let (r, text) = await send(h, body, token: token)
        XCTAssertEqual(r.status, 200)
        XCTAssertEqual(statusLines(text), ["HTTP/1.1 201 Created", "HTTP/1.1 201 Created", "HTTP/1.1 400 Bad Request"])
        XCTAssertTrue(text.contains("Value 'OLD1' for dimension 'CostCenter' is suspended"))
        XCTAssertEqual(
            text.components(separatedBy: "boundary=changesetresponse_").count - 1, 1, "only the successful changeset is a changeset response")
        let invoices = try h.exact(await h.control("GET", "/_sandbox/d365/invoices"))
        XCTAssertEqual(invoices["invoices"]?.arrayValue?.compactMap { $0["InvoiceNumber"]?.stringValue }, ["EXP-A"], "no trace of EXP-B")
        // The rolled-back header did not consume a number.
        let next = try await h.createHeader(header("EXP-C"), token: token)
        XCTAssertEqual(next, "00000002")
    }

    func testProcessingStopsAfterAFailureUnlessContinueOnError() async throws {
        let h = try D365Harness()
        let token = try await h.token()
        let parts = [
            changeset("cs_1", [Op(id: "1", url: "VendorInvoiceHeaders", body: header("EXP-1", vendor: "NOPE"))]),
            changeset("cs_2", [Op(id: "1", url: "VendorInvoiceHeaders", body: header("EXP-2"))]),
        ]
        let (_, stopped) = await send(h, batch(parts), token: token)
        XCTAssertEqual(statusLines(stopped), ["HTTP/1.1 400 Bad Request"])
        let (_, continued) = await send(h, batch(parts), token: token, prefer: "odata.continue-on-error")
        XCTAssertEqual(statusLines(continued), ["HTTP/1.1 400 Bad Request", "HTTP/1.1 201 Created"])
    }

    func testReadsOutsideChangesetsAndGetInsideChangesetRejected() async throws {
        let h = try D365Harness()
        let token = try await h.token()
        let get =
            "Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\nGET \(D365Harness.base)/data/Currencies?$filter=CurrencyCode%20eq%20'JPY' HTTP/1.1\r\nAccept: application/json\r\n\r\n"
        let (r, text) = await send(h, batch([get]), token: token)
        XCTAssertEqual(r.status, 200)
        XCTAssertEqual(statusLines(text), ["HTTP/1.1 200 OK"])
        XCTAssertTrue(text.contains("\"CurrencyCode\":\"JPY\""))
        XCTAssertTrue(text.contains("\"GeneralRoundingRule\":1"))
        let (_, bad) = await send(h, batch([changeset("cs", [Op(id: "1", method: "GET", url: "Currencies")])]), token: token)
        XCTAssertEqual(statusLines(bad), ["HTTP/1.1 400 Bad Request"])
        let unknownRef = await send(h, batch([changeset("cs", [Op(id: "1", url: "$9/VendorInvoiceLine", body: "{}")])]), token: token)
        XCTAssertEqual(statusLines(unknownRef.1), ["HTTP/1.1 404 Not Found"])
    }

    func testBatchNeedsABoundaryAndAuth() async throws {
        let h = try D365Harness()
        let token = try await h.token()
        let r = await h.send("POST", "/data/$batch", body: "x", headers: ["content-type": "application/json"], token: token)
        XCTAssertEqual(r.status, 400)
        let unauth = await h.send("POST", "/data/$batch", body: batch([]), headers: ["content-type": "multipart/mixed; boundary=batch_b"])
        XCTAssertEqual(unauth.status, 401)
    }

    func testBatchCountsAsOneRequestAndIsLoggedWithItsParts() async throws {
        let h = try D365Harness()
        let token = try await h.token()
        _ = await h.control("POST", "/_sandbox/d365/settings", body: #"{"requestsPerWindow":2,"windowSeconds":60}"#)
        let body = batch([
            changeset(
                "cs",
                [
                    Op(id: "1", url: "VendorInvoiceHeaders", body: header("EXP-1")),
                    Op(id: "2", url: "$1/VendorInvoiceLine", body: #"{"NetAmount":1}"#),
                    Op(id: "3", url: "$1/VendorInvoiceLine", body: #"{"NetAmount":2}"#),
                ])
        ])
        let (first, _) = await send(h, body, token: token)
        XCTAssertEqual(first.status, 200)
        let second = await h.send("GET", "/data/Currencies", token: token)
        XCTAssertEqual(second.status, 200, "three operations in one $batch used one slot")
        let third = await h.send("GET", "/data/Currencies", token: token)
        XCTAssertEqual(third.status, 429)
        let log = h.json(await h.control("GET", "/_sandbox/d365/requests"))["requests"] as? [[String: Any]] ?? []
        let batchEntry = try XCTUnwrap(log.first { $0["url"] as? String == "/data/$batch" })
        let parts = batchEntry["parts"] as? [[String: Any]] ?? []
        XCTAssertEqual(parts.compactMap { $0["status"] as? Int }, [201, 201, 201])
        XCTAssertEqual(parts.last?["url"] as? String, "/data/VendorInvoiceHeaders(dataAreaId='gbsi',HeaderReference='00000001')/VendorInvoiceLine")
    }

    func testFaultNamingAnEntitySetFailsTheMatchingOperationInsideABatch() async throws {
        let h = try D365Harness()
        let token = try await h.token()
        _ = await h.control("POST", "/_sandbox/d365/faults", body: #"{"count":1,"status":500,"method":"POST","entitySet":"VendorInvoiceLines"}"#)
        let body = batch([
            changeset(
                "cs",
                [
                    Op(id: "1", url: "VendorInvoiceHeaders", body: header("EXP-F")),
                    Op(id: "2", url: "$1/VendorInvoiceLine", body: #"{"NetAmount":1}"#),
                ])
        ])
        let (r, text) = await send(h, body, token: token)
        XCTAssertEqual(r.status, 200)
        XCTAssertEqual(statusLines(text), ["HTTP/1.1 500 Internal Server Error"])
        let none = h.json(await h.control("GET", "/_sandbox/d365/invoices"))["invoices"] as? [Any]
        XCTAssertEqual(none?.count, 0, "the changeset was rolled back")
        let (_, retried) = await send(h, body, token: token)
        XCTAssertEqual(statusLines(retried), ["HTTP/1.1 201 Created", "HTTP/1.1 201 Created"])
    }

    func testFaultWithoutEntitySetFailsTheWholeBatch() async throws {
        let h = try D365Harness()
        let token = try await h.token()
        _ = await h.control("POST", "/_sandbox/d365/faults", body: #"{"count":1,"status":503,"retryAfter":3,"entitySet":"$batch"}"#)
        let (r, _) = await send(h, batch([changeset("cs", [Op(id: "1", url: "VendorInvoiceHeaders", body: header("EXP-G"))])]), token: token)
        XCTAssertEqual(r.status, 503)
        XCTAssertEqual(h.header(r, "Retry-After"), "3")
    }

    func testAServerWithoutContentIdReferencesRefusesEveryDollarSegmentLikeTheIndependentServer() async throws {
        let h = try D365Harness()
        let token = try await h.token()
        let settings = await h.control("POST", "/_sandbox/d365/settings", body: #"{"contentIdReferences":false}"#)
        XCTAssertEqual(settings.status, 200)
        XCTAssertEqual(try h.exact(settings)["contentIdReferences"], .bool(false))
        let body = batch([
            changeset(
                "cs",
                [
                    Op(id: "1", url: "VendorInvoiceHeaders", body: header("EXP-R1")),
                    Op(id: "2", url: "$1/VendorInvoiceLine", body: #"{"NetAmount":1}"#),
                ])
        ])
        let (r, text) = await send(h, body, token: token, prefer: "odata.continue-on-error")
        XCTAssertEqual(r.status, 200)
        XCTAssertEqual(statusLines(text), ["HTTP/1.1 400 Bad Request"])
        XCTAssertTrue(text.contains(#""message":"Resource not found for the segment '$1'""#), text)
        XCTAssertTrue(text.contains("Content-ID: 2"))
        let none = h.json(await h.control("GET", "/_sandbox/d365/invoices"))["invoices"] as? [Any]
        XCTAssertEqual(none?.count, 0, "the header of the refused changeset was rolled back")
        // Explicit references still work: a header, then its lines with the HeaderReference from the answer.
        let (_, ok) = await send(h, batch([changeset("cs", [Op(id: "1", url: "VendorInvoiceHeaders", body: header("EXP-R1"))])]), token: token)
        XCTAssertEqual(statusLines(ok), ["HTTP/1.1 201 Created"])
        XCTAssertTrue(ok.contains(#""HeaderReference":"00000001""#))
        let line = #"{"dataAreaId":"gbsi","HeaderReference":"00000001","InvoiceLineNumber":1,"NetAmount":1}"#
        let (_, lines) = await send(h, batch([changeset("cs", [Op(id: "1", url: "VendorInvoiceLines", body: line)])]), token: token)
        XCTAssertEqual(statusLines(lines), ["HTTP/1.1 201 Created"])
    }

    func testManualHeaderReferencesAreKeptOrRefusedAsConfigured() async throws {
        let h = try D365Harness()
        let token = try await h.token()
        let manual = header("EXP-M1").replacingOccurrences(of: "{", with: #"{"HeaderReference":"EXP-M1","#)
        let (_, kept) = await send(h, batch([changeset("cs", [Op(id: "1", url: "VendorInvoiceHeaders", body: manual)])]), token: token)
        XCTAssertEqual(statusLines(kept), ["HTTP/1.1 201 Created"], "allowed by default: the number sequence takes manual numbers")
        XCTAssertTrue(kept.contains(#""HeaderReference":"EXP-M1""#))

        _ = await h.control("POST", "/_sandbox/d365/settings", body: #"{"manualHeaderReference":"reject"}"#)
        let other = header("EXP-M2").replacingOccurrences(of: "{", with: #"{"HeaderReference":"EXP-M2","#)
        let (_, refused) = await send(h, batch([changeset("cs", [Op(id: "1", url: "VendorInvoiceHeaders", body: other)])]), token: token)
        XCTAssertEqual(statusLines(refused), ["HTTP/1.1 400 Bad Request"])
        XCTAssertTrue(refused.contains("does not allow manual numbers"), refused)
        // Without a reference the server assigns one.
        let (_, assigned) = await send(h, batch([changeset("cs", [Op(id: "1", url: "VendorInvoiceHeaders", body: header("EXP-M2"))])]), token: token)
        XCTAssertEqual(statusLines(assigned), ["HTTP/1.1 201 Created"])
        XCTAssertTrue(assigned.contains(#""HeaderReference":"00000001""#), assigned)
        let bad = await h.control("POST", "/_sandbox/d365/settings", body: #"{"manualHeaderReference":"sometimes"}"#)
        XCTAssertEqual(bad.status, 400)
    }

    func testDeletingAHeaderInsideABatchTakesItsLinesWithIt() async throws {
        let h = try D365Harness()
        let token = try await h.token()
        let body = batch([
            changeset(
                "cs",
                [
                    Op(id: "1", url: "VendorInvoiceHeaders", body: header("EXP-D1")),
                    Op(id: "2", url: "$1/VendorInvoiceLine", body: #"{"NetAmount":1}"#),
                ])
        ])
        _ = await send(h, body, token: token)
        let delete =
            "Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\nContent-ID: 1\r\n\r\n"
            + "DELETE \(D365Harness.base)/data/VendorInvoiceHeaders(dataAreaId=%27gbsi%27,HeaderReference=%2700000001%27) HTTP/1.1\r\n\r\n"
        let (_, text) = await send(h, batch(["Content-Type: multipart/mixed; boundary=cs\r\n\r\n--cs\r\n" + delete + "--cs--\r\n"]), token: token)
        XCTAssertEqual(statusLines(text), ["HTTP/1.1 204 No Content"])
        let none = h.json(await h.control("GET", "/_sandbox/d365/invoices"))["invoices"] as? [Any]
        XCTAssertEqual(none?.count, 0)
        let lines = h.json(await h.send("GET", "/data/VendorInvoiceLines", rawQuery: "cross-company=true", token: token))["value"] as? [Any]
        XCTAssertEqual(lines?.count, 0)
    }
}
