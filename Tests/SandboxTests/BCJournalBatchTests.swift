import Foundation
import XCTest

@testable import Sandbox

final class BCJournalBatchTests: XCTestCase {
    func testJournalLinesPostAndRefusals() async throws {
        let h = try NAVHarness()
        let token = try await h.token()
        let cid = try await h.companyId(NAVHarness.traders, token: token)
        let journals = await h.bc("GET", "companies(\(cid))/journals", token: token)
        XCTAssertEqual(h.values(journals).map { $0["code"] as? String }, ["DEFAULT", "EXPENSES"])
        let jid = try XCTUnwrap(h.values(journals).last?["id"] as? String)
        let empty = await h.bc("POST", "companies(\(cid))/journals(\(jid))/Microsoft.NAV.post", token: token)
        XCTAssertEqual(h.errorMessage(empty), "There is nothing to post.")
        let debit = await h.bc(
            "POST", "companies(\(cid))/journals(\(jid))/journalLines", token: token,
            body:
                #"{"accountType":"G/L Account","accountNumber":"600120","postingDate":"2026-11-05","documentNumber":"EXP-0042","externalDocumentNumber":"RPT-0042","amount":45.50,"description":"Taxi"}"#
        )
        XCTAssertEqual(debit.status, 201, h.text(debit))
        XCTAssertEqual(h.json(debit)["lineNumber"] as? Int, 10000)
        XCTAssertEqual(h.json(debit)["journalDisplayName"] as? String, "EXPENSES")
        let unknown = await h.bc(
            "POST", "companies(\(cid))/journals(\(jid))/journalLines", token: token, body: #"{"accountType":"G/L Account","accountNumber":"999999"}"#)
        XCTAssertEqual(h.errorMessage(unknown), "The \"accountNumber\" does not match to an Account.")
        let unbalanced = await h.bc("POST", "companies(\(cid))/journals(\(jid))/Microsoft.NAV.post", token: token)
        XCTAssertEqual(
            h.errorMessage(unbalanced),
            "Document No. EXP-0042 is out of balance by 45.50. Please check that Posting Date, Document Type, Document No. and amount are correct for each line."
        )
        let credit = await h.bc(
            "POST", "companies(\(cid))/journals(\(jid))/journalLines", token: token,
            body: #"{"accountType":"Vendor","accountNumber":"EMP-0001","postingDate":"2026-11-05","documentNumber":"EXP-0042","amount":-45.50}"#)
        XCTAssertEqual(credit.status, 201, h.text(credit))
        let lineId = try XCTUnwrap(h.json(credit)["id"] as? String)
        let dim = await h.bc(
            "POST", "companies(\(cid))/journalLines(\(lineId))/dimensionSetLines", token: token, body: #"{"code":"DEPARTMENT","valueCode":"020"}"#)
        XCTAssertEqual(dim.status, 201, h.text(dim))
        let top = await h.bc("GET", "companies(\(cid))/journalLines", token: token)
        XCTAssertEqual(h.errorMessage(top), "You must specify a journal batch ID or a journal ID to get a journal line.")
        let docs = await h.documents(NAVHarness.traders)
        XCTAssertEqual((docs["journalLines"] as? [[String: Any]])?.map { $0["amount"] as? String }, ["45.5", "-45.5"])
        let post = await h.bc("POST", "companies(\(cid))/journals(\(jid))/Microsoft.NAV.post", token: token)
        XCTAssertEqual(post.status, 204, h.text(post))
        let after = await h.documents(NAVHarness.traders)
        XCTAssertEqual((after["journalLines"] as? [[String: Any]])?.count, 0, "posting deletes the lines")
        let entries = try XCTUnwrap(after["glEntries"] as? [[String: Any]])
        XCTAssertEqual(entries.map { $0["documentNumber"] as? String }, ["EXP-0042", "EXP-0042"])
        XCTAssertEqual(entries.last?["dimensions"] as? [String: String], ["DEPARTMENT": "020"])

        // API v2.0 shows G/L entries with debitAmount and creditAmount (no amount), and their dimension set lines.
        let read = await h.bc(
            "GET", "companies(\(cid))/generalLedgerEntries", token: token,
            query: [("$filter", "documentNumber eq 'EXP-0042'"), ("$expand", "dimensionSetLines")])
        XCTAssertEqual(read.status, 200, h.text(read))
        let rows = h.values(read)
        XCTAssertEqual(rows.map { $0["accountNumber"] as? String }, ["600120", "200100"])
        XCTAssertEqual(rows.map { dec($0["debitAmount"]) }, [dec("45.5"), 0])
        XCTAssertEqual(rows.map { dec($0["creditAmount"]) }, [0, dec("45.5")])
        XCTAssertNil(rows.first?["amount"])
        let dims = (rows.last?["dimensionSetLines"] as? [[String: Any]])?.map { "\($0["code"] ?? "")=\($0["valueCode"] ?? "")" }
        XCTAssertEqual(dims, ["DEPARTMENT=020"])
        XCTAssertEqual((rows.first?["dimensionSetLines"] as? [[String: Any]])?.count, 0)
    }

    /// Exact decimal of a JSON number (NSNumber) or string.
    private func dec(_ v: Any?) -> Decimal {
        if let s = v as? String { return Decimal(string: s, locale: Locale(identifier: "en_US_POSIX")) ?? .nan }
        if let n = v as? NSNumber { return Decimal(string: n.stringValue, locale: Locale(identifier: "en_US_POSIX")) ?? .nan }
        return .nan
    }

    private func op(_ id: String, _ cid: String, _ vendor: String, group: String? = nil) -> String {
        let g = group.map { ",\"atomicityGroup\":\"\($0)\"" } ?? ""
        return """
            {"id":"\(id)","method":"POST","url":"companies(\(cid))/purchaseInvoices","headers":{"Content-Type":"application/json"},
             "body":{"vendorNumber":"\(vendor)","vendorInvoiceNumber":"B-\(id)"}\(g)}
            """
    }

    func testJSONBatchIndependentSnapshotAndLimit() async throws {
        let h = try NAVHarness()
        let token = try await h.token()
        let cid = try await h.companyId(NAVHarness.traders, token: token)
        let batchPath = "$batch"
        let mixed = "{\"requests\":[\(op("1", cid, "EMP-0001")),\(op("2", cid, "NOBODY"))]}"
        let r = await h.bc("POST", batchPath, token: token, body: mixed)
        XCTAssertEqual(r.status, 200, h.text(r))
        let responses = try XCTUnwrap(h.json(r)["responses"] as? [[String: Any]])
        XCTAssertEqual(responses.map { $0["status"] as? Int }, [201, 400])
        XCTAssertEqual(((responses[1]["body"] as? [String: Any])?["error"] as? [String: Any])?["code"] as? String, "Application_DialogException")
        var docs = await h.documents(NAVHarness.traders)
        XCTAssertEqual((docs["purchaseInvoices"] as? [[String: Any]])?.count, 1, "without Isolation each operation stands alone")

        let snap = await h.bc("POST", batchPath, token: token, body: mixed, headers: ["isolation": "snapshot"])
        XCTAssertEqual(snap.status, 200)
        docs = await h.documents(NAVHarness.traders)
        XCTAssertEqual((docs["purchaseInvoices"] as? [[String: Any]])?.count, 1, "Isolation: snapshot rolls the whole batch back")

        let grouped = "{\"requests\":[\(op("a", cid, "EMP-0002", group: "g")),\(op("b", cid, "NOBODY", group: "g")),\(op("c", cid, "EMP-0001"))]}"
        let g = await h.bc("POST", batchPath, token: token, body: grouped)
        let gs = try XCTUnwrap(h.json(g)["responses"] as? [[String: Any]])
        XCTAssertEqual(gs.map { $0["status"] as? Int }, [424, 400, 201])
        docs = await h.documents(NAVHarness.traders)
        XCTAssertEqual((docs["purchaseInvoices"] as? [[String: Any]])?.count, 2)

        let many = "{\"requests\":[" + (1...101).map { op(String($0), cid, "EMP-0001") }.joined(separator: ",") + "]}"
        let tooMany = await h.bc("POST", batchPath, token: token, body: many)
        XCTAssertEqual(tooMany.status, 400)
        let entries = (try? JSONSerialization.jsonObject(with: (await h.control("GET", "/_sandbox/nav/requests")).body) as? [[String: Any]]) ?? []
        XCTAssertEqual(entries.last?["batchOperations"] as? Int, 101)
        XCTAssertEqual(entries.last?["api"] as? String, "bc")
    }

    func testPagingWithMaxPageSizeAndNextLink() async throws {
        let h = try NAVHarness()
        let token = try await h.token()
        let cid = try await h.companyId(NAVHarness.traders, token: token)
        var r = await h.bc("GET", "companies(\(cid))/vendors", token: token, headers: ["prefer": "odata.maxpagesize=2"])
        var seen: [String] = []
        while true {
            XCTAssertEqual(r.status, 200, h.text(r))
            seen += h.values(r).compactMap { $0["number"] as? String }
            guard let next = h.json(r)["@odata.nextLink"] as? String else { break }
            XCTAssertEqual(h.values(r).count, 2)
            let rest = String(next.dropFirst(NAVHarness.base.count)).split(separator: "?", maxSplits: 1).map(String.init)
            r = await h.sandbox.handle(
                SimRequest(
                    method: "GET", path: rest[0], query: rest.count > 1 ? rest[1] : nil,
                    headers: ["authorization": "Bearer \(token)", "prefer": "odata.maxpagesize=2"], body: Data(), baseURL: NAVHarness.base))
        }
        XCTAssertEqual(seen, ["EMP-0001", "EMP-0002", "EMP-0003", "V-IVAN-01", "AMEX-US"])
        let selected = await h.bc(
            "GET", "companies(\(cid))/vendors", token: token,
            query: [("$filter", "number eq 'EMP-0003' or number eq 'AMEX-US'"), ("$select", "number,blocked")])
        XCTAssertEqual(h.values(selected).map { $0["blocked"] as? String }, ["All", " "])
        XCTAssertNil(h.values(selected).first?["displayName"])
    }

    func testThrottlingWithAndWithoutRetryAfterAndInjectedFaults() async throws {
        let h = try NAVHarness()
        let token = try await h.token()
        _ = await h.control("POST", "/_sandbox/nav/settings", body: #"{"requestsPerWindow":2,"windowSeconds":300}"#)
        for _ in 0..<2 {
            let r = await h.bc("GET", "companies", token: token)
            XCTAssertEqual(r.status, 200)
        }
        let limited = await h.bc("GET", "companies", token: token)
        XCTAssertEqual(limited.status, 429)
        XCTAssertNotNil(Int(h.header(limited, "Retry-After") ?? ""))
        _ = await h.control("POST", "/_sandbox/nav/settings", body: #"{"requestsPerWindow":2,"windowSeconds":300,"retryAfterOn429":false}"#)
        for _ in 0..<2 { _ = await h.bc("GET", "companies", token: token) }
        let bare = await h.bc("GET", "companies", token: token)
        XCTAssertEqual(bare.status, 429)
        XCTAssertNil(h.header(bare, "Retry-After"))

        _ = await h.control("POST", "/_sandbox/nav/settings", body: #"{"requestsPerWindow":6000}"#)
        let f = await h.control("POST", "/_sandbox/nav/faults", body: #"{"count":1,"status":503,"retryAfter":2,"api":"bc"}"#)
        XCTAssertEqual(f.status, 200)
        let unavailable = await h.bc("GET", "companies", token: token)
        XCTAssertEqual(unavailable.status, 503)
        XCTAssertEqual(h.header(unavailable, "Retry-After"), "2")
        let cid = try await h.companyId(NAVHarness.traders, token: token)
        _ = await h.control("POST", "/_sandbox/nav/faults", body: #"{"count":1,"drop":true,"method":"POST","pathContains":"purchaseInvoices"}"#)
        let dropped = await h.bc("POST", "companies(\(cid))/purchaseInvoices", token: token, body: #"{"vendorNumber":"EMP-0001"}"#)
        XCTAssertTrue(dropped.dropConnection)
        let docs = await h.documents(NAVHarness.traders)
        XCTAssertEqual((docs["purchaseInvoices"] as? [[String: Any]])?.count, 1, "a dropped request was processed")
        let stats = h.json(await h.control("GET", "/_sandbox/stats"))
        XCTAssertGreaterThan((stats["requests"] as? [String: Int])?["bc"] ?? 0, 5)
    }

    func testControlRoutesUpdateAndPostAndReset() async throws {
        let h = try NAVHarness()
        let token = try await h.token()
        let cid = try await h.companyId(NAVHarness.traders, token: token)
        _ = try await h.draft(cid, token: token)
        let u = await h.control(
            "POST", "/_sandbox/nav/update",
            body: #"{"company":"Northwind Traders & Sons Ltd.","table":"glAccount","key":"600120","fields":{"blocked":true}}"#)
        XCTAssertEqual(u.status, 200, h.text(u))
        let refused = await h.control("POST", "/_sandbox/nav/post", query: [("company", NAVHarness.traders), ("purchaseInvoice", "PI-100001")])
        XCTAssertEqual(refused.status, 400)
        XCTAssertEqual(h.json(refused)["error"] as? String, "Blocked must be equal to 'No'  in G/L Account: No.=600120. Current value is 'Yes'.")
        _ = await h.control(
            "POST", "/_sandbox/nav/update",
            body: #"{"company":"Northwind Traders & Sons Ltd.","table":"glAccount","key":"600120","fields":{"blocked":false}}"#)
        let posted = await h.control("POST", "/_sandbox/nav/post", query: [("company", NAVHarness.traders), ("purchaseInvoice", "PI-100001")])
        XCTAssertEqual(posted.status, 200, h.text(posted))
        XCTAssertEqual(h.json(posted)["posted"] as? String, "PPI-200001")
        let del = await h.control(
            "POST", "/_sandbox/nav/update",
            body: #"{"company":"Northwind Traders & Sons Ltd.","table":"vendor","key":"EMP-0001","fields":{"blocked":"All"}}"#)
        XCTAssertEqual(h.json(del)["blocked"] as? String, "All")
        let reset = await h.control("POST", "/_sandbox/nav/reset")
        XCTAssertEqual(reset.status, 200)
        let docs = await h.documents(NAVHarness.traders)
        XCTAssertEqual((docs["postedPurchaseInvoices"] as? [[String: Any]])?.count, 0)
        let unknown = await h.control("GET", "/_sandbox/nav/nope")
        XCTAssertEqual(unknown.status, 404)
    }
}
