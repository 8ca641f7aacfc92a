import Foundation
import XCTest

@testable import Sandbox

/// Drives `ExpensifySimulator.handle` directly with `SimRequest` values.
struct ExpensifyHarness {
    static let partnerUserID = "aa_finance_northwind_example"
    static let partnerUserSecret = "5c1d0a7e9b2f4c6d8e0a1b3c5d7e9f1a2b4c6d8e"
    static let credentials =
        #""credentials":{"partnerUserID":"aa_finance_northwind_example","partnerUserSecret":"5c1d0a7e9b2f4c6d8e0a1b3c5d7e9f1a2b4c6d8e"}"#
    static let onReceive = #"{"immediateResponse":["returnRandomFileName"]}"#
    static let idsTemplate = "<#list reports as r>${r.reportID}<#sep>,</#list>"

    static var seedURL: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("samples/sandbox/expensify.json")
    }

    let sim: ExpensifySimulator

    /// A simulator loaded from the sample seed, with "today" fixed inside the seed's month.
    static func make(today: String = "2026-11-22") async throws -> ExpensifyHarness {
        let sim = try ExpensifySimulator(seedFile: seedURL)
        await sim.setToday(today)
        return ExpensifyHarness(sim: sim)
    }

    enum Encoding { case urlencoded, multipart, query }

    static func formEncode(_ s: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s
    }

    func post(
        _ fields: [(String, String)], encoding: Encoding = .urlencoded, method: String = "POST",
        path: String = "/Integration-Server/ExpensifyIntegrations"
    ) async -> SimResponse {
        var headers: [String: String] = [:]
        var body = Data()
        var query: String?
        let encoded = fields.map { "\(Self.formEncode($0.0))=\(Self.formEncode($0.1))" }.joined(separator: "&")
        switch encoding {
        case .urlencoded:
            headers["content-type"] = "application/x-www-form-urlencoded"
            body = Data(encoded.utf8)
        case .query:
            query = encoded
        case .multipart:
            let boundary = "----mlConnectorBoundary7MA4YWxkTrZu0gW"
            headers["content-type"] = "multipart/form-data; boundary=\(boundary)"
            var text = ""
            for (name, value) in fields {
                text += "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n"
            }
            text += "--\(boundary)--\r\n"
            body = Data(text.utf8)
        }
        let request = SimRequest(method: method, path: path, query: query, headers: headers, body: body, baseURL: "http://127.0.0.1:1")
        return await sim.handle(request) ?? SimResponse(status: -1)
    }

    func job(_ json: String, template: String? = nil, encoding: Encoding = .urlencoded) async -> SimResponse {
        var fields = [("requestJobDescription", json)]
        if let template { fields.append(("template", template)) }
        return await post(fields, encoding: encoding)
    }

    func exportJob(
        inputSettings: String, outputSettings: String = #"{"fileExtension":"csv"}"#, onFinish: String? = nil,
        test: String? = nil, onReceive: String? = ExpensifyHarness.onReceive
    ) -> String {
        var parts = [#""type":"file""#, Self.credentials, #""inputSettings":\#(inputSettings)"#, #""outputSettings":\#(outputSettings)"#]
        if let onReceive { parts.append(#""onReceive":\#(onReceive)"#) }
        if let onFinish { parts.append(#""onFinish":\#(onFinish)"#) }
        if let test { parts.append(#""test":\#(test)"#) }
        return "{" + parts.joined(separator: ",") + "}"
    }

    func export(
        inputSettings: String, template: String = ExpensifyHarness.idsTemplate, outputSettings: String = #"{"fileExtension":"csv"}"#,
        onFinish: String? = nil, test: String? = nil, onReceive: String? = ExpensifyHarness.onReceive
    ) async -> SimResponse {
        await job(
            exportJob(inputSettings: inputSettings, outputSettings: outputSettings, onFinish: onFinish, test: test, onReceive: onReceive),
            template: template)
    }

    /// Exports, checks the plain-text file name answer, downloads and returns the file text.
    func exportText(
        inputSettings: String, template: String = ExpensifyHarness.idsTemplate, onFinish: String? = nil,
        test: String? = nil, file: StaticString = #filePath, line: UInt = #line
    ) async throws -> String {
        let r = await export(inputSettings: inputSettings, template: template, onFinish: onFinish, test: test)
        let name = Self.text(r)
        XCTAssertEqual(r.status, 200, name, file: file, line: line)
        guard Self.header(r, "Content-Type")?.hasPrefix("text/plain") == true else {
            XCTFail("export failed: \(name)", file: file, line: line)
            return ""
        }
        let d = await download(name)
        XCTAssertEqual(d.status, 200, file: file, line: line)
        return Self.text(d)
    }

    /// Report IDs an export with these filters selects (comma list in the rendered file).
    func exportIDs(_ inputSettings: String, file: StaticString = #filePath, line: UInt = #line) async throws -> [String] {
        let text = try await exportText(inputSettings: inputSettings, file: file, line: line)
        return text.isEmpty ? [] : text.components(separatedBy: ",")
    }

    func download(_ name: String, fileSystem: String? = "integrationServer") async -> SimResponse {
        var json = #"{"type":"download",\#(Self.credentials),"fileName":"\#(name)""#
        if let fileSystem { json += #","fileSystem":"\#(fileSystem)""# }
        return await job(json + "}")
    }

    func control(_ method: String, _ path: String, query: String? = nil, body: String? = nil) async -> SimResponse {
        let request = SimRequest(
            method: method, path: "/_sandbox/expensify" + path, query: query,
            headers: body == nil ? [:] : ["content-type": "application/json"],
            body: Data((body ?? "").utf8), baseURL: "http://127.0.0.1:1")
        return await sim.handle(request) ?? SimResponse(status: -1)
    }

    static func text(_ r: SimResponse) -> String { String(decoding: r.body, as: UTF8.self) }

    static func header(_ r: SimResponse, _ name: String) -> String? {
        r.headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }

    static func json(_ r: SimResponse) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: r.body)) as? [String: Any] ?? [:]
    }

    static func array(_ r: SimResponse) -> [[String: Any]] {
        (try? JSONSerialization.jsonObject(with: r.body)) as? [[String: Any]] ?? []
    }

    /// The Integration Server error envelope: HTTP status, responseCode, responseMessage.
    static func envelope(_ r: SimResponse) -> (http: Int, code: Int?, message: String) {
        let o = json(r)
        return (r.status, o["responseCode"] as? Int, o["responseMessage"] as? String ?? "")
    }
}

final class ExpensifySupportTests: XCTestCase {
    func testSeedHoldsEveryReportOfTheFirmWithStatesAndLabels() async throws {
        let h = try await ExpensifyHarness.make()
        let reports = ExpensifyHarness.array(await h.control("GET", "/reports"))
        let ids = reports.compactMap { $0["reportID"] as? String }
        XCTAssertEqual(
            ids,
            [
                "90000001", "90000002", "90000003", "90000004", "90000005", "90000006", "90000007", "90000008",
                "90000009", "90000010", "90000011", "90000012", "90000013", "90000021", "90000022", "90000031",
                "90000041", "90000051",
            ])
        let byID = Dictionary(uniqueKeysWithValues: reports.map { ($0["reportID"] as? String ?? "", $0) })
        XCTAssertEqual(byID["90000012"]?["state"] as? String, "SUBMITTED")
        XCTAssertEqual(byID["90000012"]?["status"] as? String, "Processing")
        XCTAssertEqual(byID["90000005"]?["status"] as? String, "Reimbursed")
        XCTAssertEqual(byID["90000013"]?["labels"] as? [String], ["ml-connector"])
        XCTAssertEqual(byID["90000010"]?["expenseCount"] as? Int, 0)
        for (id, report) in byID where id != "90000012" {
            let approved = try XCTUnwrap(report["approved"] as? String, id)
            XCTAssertTrue(approved >= "2026-11-02" && approved <= "2026-11-20 99", "\(id) approved \(approved)")
        }
        XCTAssertNil(byID["90000012"]?["approved"])
    }

    func testSeedTotalsMatchTheFirmsExpectedAmounts() async throws {
        let h = try await ExpensifyHarness.make()
        let totals = Dictionary(
            uniqueKeysWithValues: ExpensifyHarness.array(await h.control("GET", "/reports")).map {
                ($0["reportID"] as? String ?? "", $0["total"] as? Int ?? -1)
            })
        XCTAssertEqual(totals["90000001"], 65714)
        XCTAssertEqual(totals["90000002"], 4501)
        XCTAssertEqual(totals["90000004"], 34550)
        XCTAssertEqual(totals["90000005"], 42275)
        XCTAssertEqual(totals["90000021"], 46745)
        XCTAssertEqual(totals["90000031"], 40136)
        XCTAssertEqual(totals["90000041"], 2_550_000)
        XCTAssertEqual(totals["90000009"], 1500)
    }

    func testSeedCarriesTheNastyValues() throws {
        let text = try String(contentsOf: ExpensifyHarness.seedURL, encoding: .utf8)
        XCTAssertTrue(text.contains(#"Hotel \"Adlon\" Kempinski"#))
        XCTAssertTrue(text.contains(#"\nReceipt scan kept under C:\\path"#))
        XCTAssertTrue(text.contains("寿司 Ginza"))
        XCTAssertTrue(text.contains("Müller & Söhne"))
        XCTAssertTrue(text.contains(#""receiptObject": {}"#))
        let seed = try ExpensifySeed.load(from: ExpensifyHarness.seedURL)
        for report in seed.reports {
            for expense in report.expenses {
                let id = try XCTUnwrap(expense.string("transactionID"))
                XCTAssertEqual(id.count, 16, id)
                XCTAssertTrue(id.allSatisfy(\.isNumber), id)
            }
        }
        XCTAssertEqual(
            seed.settings.rateLimitWindows,
            [
                ExpensifyRateWindow(limit: 50, milliseconds: 10_000), ExpensifyRateWindow(limit: 300, milliseconds: 60_000),
            ])
    }

    func testSeedRejectsMoneyThatIsNotWholeCents() {
        let json =
            #"{"policies":[{"id":"P1"}],"reports":[{"reportID":"1","policyID":"P1","state":"APPROVED","transactionList":[{"transactionID":"1","amount":12.5}]}]}"#
        XCTAssertThrowsError(try ExpensifySeed(json: try ExpensifyJSONParser.parseObject(json))) { error in
            XCTAssertTrue("\(error)".contains("whole cents"), "\(error)")
        }
    }
}
