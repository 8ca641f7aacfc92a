import Foundation
import XCTest

@testable import Sandbox

/// Drives a `D365Simulator` directly with `SimRequest` values, as a real client would over HTTP.
struct D365Harness {
    static let base = "http://127.0.0.1:1"
    static let tenant = "northwind.onmicrosoft.com"
    static let clientId = "3f1c9a52-7d4e-4b8a-9c61-2e5f8d0b7a14"
    static let secret = "sandbox-only-client-secret-7Qk2"

    static var sampleSeed: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("samples/sandbox/d365.json")
    }

    let sim: D365Simulator
    let seedFile: URL

    /// The sample seed, optionally edited (as a JSONSerialization tree) into a temporary copy first.
    init(edit: ((inout [String: Any]) -> Void)? = nil) throws {
        if let edit {
            let data = try Data(contentsOf: D365Harness.sampleSeed)
            var root = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            edit(&root)
            let url = FileManager.default.temporaryDirectory.appendingPathComponent("d365-seed-\(UUID().uuidString).json")
            try JSONSerialization.data(withJSONObject: root).write(to: url)
            seedFile = url
        } else {
            seedFile = D365Harness.sampleSeed
        }
        sim = try D365Simulator(seedFile: seedFile)
    }

    static func encode(_ s: String) -> String {
        var allowed = CharacterSet.urlQueryAllowed
        allowed.remove(charactersIn: "&+=?#")
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s
    }

    /// `query` pairs are percent-encoded like a client would.
    func send(
        _ method: String, _ path: String, query: [(String, String)] = [], rawQuery: String? = nil,
        body: String? = nil, headers: [String: String] = [:], token: String? = nil
    ) async -> SimResponse {
        var h = headers
        if let token { h["authorization"] = "Bearer \(token)" }
        if body != nil, h["content-type"] == nil { h["content-type"] = "application/json;odata.metadata=minimal" }
        var q = rawQuery
        if !query.isEmpty { q = query.map { "\(D365Harness.encode($0.0))=\(D365Harness.encode($0.1))" }.joined(separator: "&") }
        let request = SimRequest(method: method, path: path, query: q, headers: h, body: Data((body ?? "").utf8), baseURL: D365Harness.base)
        guard let response = await sim.handle(request) else {
            XCTFail("simulator did not answer \(method) \(path)")
            return SimResponse(status: 599)
        }
        return response
    }

    /// Follows an absolute link (e.g. `@odata.nextLink`).
    func follow(_ link: String, token: String) async -> SimResponse {
        let rest = String(link.dropFirst(D365Harness.base.count))
        let parts = rest.split(separator: "?", maxSplits: 1).map(String.init)
        return await send("GET", parts[0], rawQuery: parts.count > 1 ? parts[1] : nil, token: token)
    }

    func tokenResponse(v1: Bool = false, form: [(String, String)], headers: [String: String] = [:]) async -> SimResponse {
        let body = form.map { "\(D365Harness.encode($0.0))=\(D365Harness.encode($0.1))" }.joined(separator: "&")
        var h = headers
        h["content-type"] = "application/x-www-form-urlencoded"
        let path = v1 ? "/\(D365Harness.tenant)/oauth2/token" : "/\(D365Harness.tenant)/oauth2/v2.0/token"
        return await send("POST", path, body: body, headers: h)
    }

    func token() async throws -> String {
        let r = await tokenResponse(form: [
            ("grant_type", "client_credentials"), ("client_id", D365Harness.clientId),
            ("client_secret", D365Harness.secret), ("scope", "\(D365Harness.base)/.default"),
        ])
        XCTAssertEqual(r.status, 200)
        return try XCTUnwrap(json(r)["access_token"] as? String)
    }

    func json(_ r: SimResponse) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: r.body) as? [String: Any]) ?? [:]
    }

    /// Exact (literal-preserving) parse, for money.
    func exact(_ r: SimResponse) throws -> D365JSON { try D365JSONParser.parse(r.body) }

    func header(_ r: SimResponse, _ name: String) -> String? {
        r.headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }

    func values(_ r: SimResponse) -> [[String: Any]] { json(r)["value"] as? [[String: Any]] ?? [] }

    func innerMessage(_ r: SimResponse) -> String {
        ((json(r)["error"] as? [String: Any])?["innererror"] as? [String: Any])?["message"] as? String ?? ""
    }

    func control(_ method: String, _ path: String, query: [(String, String)] = [], body: String? = nil) async -> SimResponse {
        await send(method, path, query: query, body: body)
    }

    // MARK: Invoice helpers

    static let headerBody = """
        {"dataAreaId":"usmf","InvoiceNumber":"EXP-90000001","InvoiceAccount":"EMP-0001","VendorAccount":"EMP-0001",
         "InvoiceDate":"2026-11-05T12:00:00Z","Date":"2026-11-05T12:00:00Z","Currency":"USD",
         "InvoiceDescription":"Expensify report 90000001","DimensionDisplayValue":"010-W01-","ImportedAmount":657.14}
        """

    func createHeader(_ body: String = D365Harness.headerBody, token: String) async throws -> String {
        let r = await send("POST", "/data/VendorInvoiceHeaders", body: body, token: token)
        XCTAssertEqual(r.status, 201, String(decoding: r.body, as: UTF8.self))
        return try XCTUnwrap(json(r)["HeaderReference"] as? String)
    }

    func lineBody(_ ref: String, _ extra: String) -> String {
        "{\"dataAreaId\":\"usmf\",\"HeaderReference\":\"\(ref)\",\"Currency\":\"USD\",\"MainAccountDisplayValue\":\"600120\",\(extra)}"
    }
}

final class D365SupportTests: XCTestCase {
    func testSampleSeedLoadsWithTheFirmsFacts() async throws {
        let seed = try D365Seed.load(D365Harness.sampleSeed)
        XCTAssertEqual(seed.settings.pageSize, 5)
        XCTAssertEqual(seed.companies.map(\.dataAreaId), ["usmf", "gbsi", "jpmf"])
        XCTAssertEqual(seed.registrations.first?.userId, "svc-expensify")
        XCTAssertEqual(seed.users.first?.defaultCompany, "usmf")
        let vendors = seed.store.rows("VendorsV2")
        XCTAssertEqual(vendors.filter { $0.string("dataAreaId") == "usmf" && $0.string("VendorGroupId") == "EMP" }.count, 15)
        XCTAssertEqual(seed.store.vendor(company: "usmf", account: "EMP-0003")?.member("OnHoldStatus"), "Invoice")
        XCTAssertEqual(seed.store.vendor(company: "usmf", account: "EMP-0002")?.string("PrimaryEmailAddress"), "Bob.Martin@Northwind.Example")
        XCTAssertEqual(seed.store.vendor(company: "gbsi", account: "EMP-1003")?.string("CurrencyCode"), "EUR")
        XCTAssertEqual(seed.store.vendor(company: "usmf", account: "V-IVAN-01")?.string("VendorGroupId"), "CONS")
        XCTAssertEqual(
            seed.store.row(D365Schema.mainAccounts, key: ["ChartOfAccounts": .string("Shared"), "MainAccountId": .string("600199")])?
                .member("IsSuspended"), "Yes")
        let old = seed.store.rows("FinancialDimensionValues").filter { $0.string("DimensionValue") == "OLD1" }
        XCTAssertEqual(old.count, 3)
        XCTAssertTrue(old.allSatisfy { $0.member("IsSuspended") == "Yes" })
    }

    func testJSONParserKeepsNumberLiteralsAndOrder() throws {
        let v = try D365JSONParser.parse(#"{"b":0.10,"a":[1e2,-0.0001,"x\u00e9\n"],"c":null}"#)
        XCTAssertEqual(v["b"], .number("0.10"))
        XCTAssertEqual(v.objectValue?.keys, ["b", "a", "c"])
        XCTAssertEqual(v["a"]?.arrayValue?[2], .string("xé\n"))
        XCTAssertEqual(D365JSONWriter.string(v), #"{"b":0.10,"a":[1e2,-0.0001,"xé\n"],"c":null}"#)
        XCTAssertThrowsError(try D365JSONParser.parse("{\"a\":01}"))
        XCTAssertThrowsError(try D365JSONParser.parse("[1,]"))
        XCTAssertNil(D365Decimal.parse("12abc"))
        XCTAssertEqual(D365Decimal.parse("657.14"), Decimal(string: "657.14"))
    }

    func testDatesParseAndFormatInUTC() {
        XCTAssertEqual(D365Date.parse("2026-11-05T12:00:00Z")?.iso, "2026-11-05T12:00:00Z")
        XCTAssertEqual(D365Date.parse("2026-11-05T01:30:00+02:00")?.iso, "2026-11-04T23:30:00Z")
        XCTAssertEqual(D365Date.parse("2026-11-05T10:00:00.123Z")?.noon.iso, "2026-11-05T12:00:00Z")
        XCTAssertEqual(D365Date.unset.iso, "1900-01-01T12:00:00Z")
        XCTAssertNil(D365Date.parse("2026-11-05"))
        XCTAssertNil(D365Date.parse("2026-02-30T00:00:00Z"))
    }

    func testSimulatorIgnoresOtherSystemsRoutes() async throws {
        let h = try D365Harness()
        let r = await h.sim.handle(
            SimRequest(
                method: "POST", path: "/Integration-Server/ExpensifyIntegrations", query: nil,
                headers: [:], body: Data(), baseURL: D365Harness.base))
        XCTAssertNil(r)
        let unknown = await h.control("GET", "/_sandbox/d365/nope")
        XCTAssertEqual(unknown.status, 404)
    }
}
