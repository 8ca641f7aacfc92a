import Foundation
import XCTest

@testable import Sandbox

/// Drives a whole `Sandbox` (Entra token endpoint, BC API, NAV OData) with `SimRequest` values, as a client would.
struct NAVHarness {
    static let base = "http://127.0.0.1:1"
    static let bcRoot = "/v2.0/northwind.onmicrosoft.com/production/api/v2.0"
    static let navRoot = "/DynamicsNAV110/ODataV4"
    static let traders = "Northwind Traders & Sons Ltd."
    static let uk = "Northwind UK Ltd."
    static let basic = "Basic " + Data("EXPENSEAPI:c2FuZGJveC1vbmx5LW5hdi1hY2Nlc3Mta2V5LTAwMDE=".utf8).base64EncodedString()

    let sandbox: Sandbox

    init() throws {
        let seeds = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("samples/sandbox")
        sandbox = try Sandbox(options: SandboxOptions(seedDirectory: seeds))
    }

    static func encode(_ s: String) -> String {
        var allowed = CharacterSet.urlQueryAllowed
        allowed.remove(charactersIn: "&+=?#'")
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s
    }

    func send(_ method: String, _ path: String, query: [(String, String)] = [], body: String? = nil, headers: [String: String] = [:]) async
        -> SimResponse
    {
        var h = headers
        if body != nil, h["content-type"] == nil { h["content-type"] = "application/json" }
        let q = query.isEmpty ? nil : query.map { "\(NAVHarness.encode($0.0))=\(NAVHarness.encode($0.1))" }.joined(separator: "&")
        let request = SimRequest(method: method, path: path, query: q, headers: h, body: Data((body ?? "").utf8), baseURL: NAVHarness.base)
        return await sandbox.handle(request)
    }

    func token(scope: String = "https://api.businesscentral.dynamics.com/.default") async throws -> String {
        let form = [
            ("grant_type", "client_credentials"), ("client_id", D365Harness.clientId), ("client_secret", D365Harness.secret), ("scope", scope),
        ].map { "\($0.0)=\(NAVHarness.encode($0.1))" }.joined(separator: "&")
        let r = await send(
            "POST", "/northwind.onmicrosoft.com/oauth2/v2.0/token", body: form, headers: ["content-type": "application/x-www-form-urlencoded"])
        XCTAssertEqual(r.status, 200, String(decoding: r.body, as: UTF8.self))
        return try XCTUnwrap(json(r)["access_token"] as? String)
    }

    /// A BC API request (`path` relative to `api/v2.0/`).
    func bc(
        _ method: String, _ path: String, token: String, query: [(String, String)] = [], body: String? = nil, headers: [String: String] = [:]
    ) async -> SimResponse {
        var h = headers
        h["authorization"] = "Bearer \(token)"
        return await send(method, NAVHarness.bcRoot + "/" + path, query: query, body: body, headers: h)
    }

    /// A NAV OData request (`path` relative to `ODataV4/`), Basic auth.
    func nav(_ method: String, _ path: String, query: [(String, String)] = [], body: String? = nil, headers: [String: String] = [:]) async
        -> SimResponse
    {
        var h = headers
        if h["authorization"] == nil { h["authorization"] = NAVHarness.basic }
        let encoded = path.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "&"))) ?? path
        return await send(method, NAVHarness.navRoot + "/" + encoded, query: query, body: body, headers: h)
    }

    /// The OData company segment: `Company('Northwind%20Traders%20%26%20Sons%20Ltd.')` (quotes doubled).
    static func company(_ name: String) -> String { "Company('\(name.replacingOccurrences(of: "'", with: "''"))')" }

    func control(_ method: String, _ path: String, query: [(String, String)] = [], body: String? = nil) async -> SimResponse {
        await send(method, path, query: query, body: body)
    }

    func json(_ r: SimResponse) -> [String: Any] { (try? JSONSerialization.jsonObject(with: r.body) as? [String: Any]) ?? [:] }
    func values(_ r: SimResponse) -> [[String: Any]] { json(r)["value"] as? [[String: Any]] ?? [] }
    func text(_ r: SimResponse) -> String { String(decoding: r.body, as: UTF8.self) }
    func header(_ r: SimResponse, _ name: String) -> String? { r.headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
    func errorCode(_ r: SimResponse) -> String { (json(r)["error"] as? [String: Any])?["code"] as? String ?? "" }
    /// The error message without the `  CorrelationId:  <guid>.` suffix (asserted to be there).
    func errorMessage(_ r: SimResponse, file: StaticString = #filePath, line: UInt = #line) -> String {
        let m = (json(r)["error"] as? [String: Any])?["message"] as? String ?? ""
        guard let range = m.range(of: "  CorrelationId:  ") else {
            XCTFail("no CorrelationId suffix in '\(m)'", file: file, line: line)
            return m
        }
        return String(m[..<range.lowerBound])
    }

    func companyId(_ name: String, token: String) async throws -> String {
        let r = await bc("GET", "companies", token: token, query: [("$filter", "name eq '\(name.replacingOccurrences(of: "'", with: "''"))'")])
        XCTAssertEqual(r.status, 200, text(r))
        let v = values(r)
        XCTAssertEqual(v.count, 1)
        return try XCTUnwrap(v.first?["id"] as? String)
    }

    func documents(_ company: String) async -> [String: Any] {
        json(await control("GET", "/_sandbox/nav/documents", query: [("company", company)]))
    }

    /// Creates a draft invoice with one account line; returns (invoice id, line id).
    func draft(
        _ cid: String, token: String, vendor: String = "EMP-0001", invoiceNo: String? = "EXP-0001", account: String = "600120", cost: String = "45.5"
    ) async throws -> (String, String) {
        let inv = invoiceNo.map { ",\"vendorInvoiceNumber\":\"\($0)\"" } ?? ""
        let r = await bc(
            "POST", "companies(\(cid))/purchaseInvoices", token: token,
            body: "{\"vendorNumber\":\"\(vendor)\",\"postingDate\":\"2026-11-05\"\(inv)}")
        XCTAssertEqual(r.status, 201, text(r))
        let id = try XCTUnwrap(json(r)["id"] as? String)
        let l = await bc(
            "POST", "companies(\(cid))/purchaseInvoices(\(id))/purchaseInvoiceLines", token: token,
            body: "{\"lineType\":\"Account\",\"lineObjectNumber\":\"\(account)\",\"description\":\"Taxi\",\"unitCost\":\(cost),\"quantity\":1}")
        XCTAssertEqual(l.status, 201, text(l))
        return (id, try XCTUnwrap(json(l)["id"] as? String))
    }
}

final class BCSupportTests: XCTestCase {
    func testSeedHasTheFirmsCompaniesAndChart() async throws {
        let h = try NAVHarness()
        let companies = await h.sandbox.nav.store.companies().map(\.name)
        XCTAssertEqual(companies, [NAVHarness.traders, NAVHarness.uk, "Northwind K.K."])
        let accounts = try await h.sandbox.nav.store.rows(
            company: NAVHarness.uk, service: "GLAccountCard", filters: [NAVFilter(field: "No", criteria: "600150..600199")])
        XCTAssertEqual(accounts.map { $0["No"]?.soapText }, ["600150", "600160", "600199"])
        XCTAssertEqual(accounts[1]["Direct_Posting"], .boolean(false))
        XCTAssertEqual(accounts[2]["Blocked"], .boolean(true))
        let vendors = try await h.sandbox.nav.store.rows(
            company: NAVHarness.uk, service: "VendorCard", filters: [NAVFilter(field: "Blocked", criteria: "<>' '")])
        XCTAssertEqual(vendors.map { $0["No"]?.soapText }, ["EMP-1002"])
        XCTAssertEqual(vendors.first?["Blocked"]?.soapText, "Payment")
    }

    func testKeysETagsAndOptionNames() throws {
        let key = NAVVersioning.soapKey(table: 38, primaryKey: ["Invoice", "PI-100001"], version: 1042)
        let parsed = try XCTUnwrap(NAVVersioning.parseSOAPKey(key))
        XCTAssertEqual(parsed.table, 38)
        XCTAssertEqual(parsed.primaryKey, ["Invoice", "PI-100001"])
        XCTAssertEqual(parsed.version, 1042)
        let etag = NAVVersioning.etag(1042)
        XCTAssertTrue(etag.hasPrefix("W/\""))
        XCTAssertEqual(NAVVersioning.version(fromETag: etag), 1042)
        XCTAssertEqual(NAVOption("G/L Account").xmlName, "G_L_Account")
        XCTAssertEqual(NAVOption.blank.xmlName, "_blank_")
        XCTAssertEqual(NAVOption("Charge (Item)").xmlName, "Charge_Item")
        XCTAssertEqual(NAVOptionSet.journalAccountType.parse("G_L_Account")?.caption, "G/L Account")
        XCTAssertEqual(NAVNames.fieldName("Buy-from Vendor No."), "Buy_from_Vendor_No")
        XCTAssertEqual(NAVNames.fieldName("Line Discount %"), "Line_Discount_Percent")
        XCTAssertEqual(NAVNames.shortcutField(3), "ShortcutDimCode_x005B_3_x005D_")
        XCTAssertTrue(NAVFilterSyntax.matches("600120", "600100..600199"))
        XCTAssertTrue(NAVFilterSyntax.matches("EMP-0002", "EMP-0001|EMP-0002"))
        XCTAssertTrue(NAVFilterSyntax.matches("", "''"))
        XCTAssertTrue(NAVFilterSyntax.matches("Taxi airport", "@*TAXI*"))
        XCTAssertFalse(NAVFilterSyntax.matches("0", "<>0"))
    }

    func testStorePostsAJournalAndRefusesAnUnbalancedOne() async throws {
        let h = try NAVHarness()
        let store = h.sandbox.nav.store
        _ = try await store.insert(
            company: NAVHarness.traders, service: "GeneralJournal",
            fields: [
                ("Posting_Date", "2026-11-05"), ("Document_No", "EXP-1"), ("Account_Type", "G_L_Account"), ("Account_No", "600120"),
                ("Amount", "45.5"),
            ],
            journalBatch: "EXPENSES")
        do {
            _ = try await store.postJournalBatch(company: NAVHarness.traders, template: "GENERAL", batch: "EXPENSES")
            XCTFail("an unbalanced document must not post")
        } catch let e as NAVError {
            XCTAssertEqual(
                e.message,
                "Document No. EXP-1 is out of balance by 45.50. Please check that Posting Date, Document Type, Document No. and amount are correct for each line."
            )
        }
        _ = try await store.insert(
            company: NAVHarness.traders, service: "GeneralJournal",
            fields: [("Posting_Date", "2026-11-05"), ("Document_No", "EXP-1"), ("Account_No", "200200"), ("Amount", "-45.5")],
            journalBatch: "EXPENSES")
        let entries = try await store.postJournalBatch(company: NAVHarness.traders, template: "GENERAL", batch: "EXPENSES")
        XCTAssertEqual(entries.map(\.amount), [Decimal(string: "45.5")!, Decimal(string: "-45.5")!])
        let rest = try await store.rows(company: NAVHarness.traders, service: "GeneralJournal", journalBatch: "EXPENSES")
        XCTAssertTrue(rest.isEmpty)
    }
}
