import ConnectorCore
import ConnectorHTTP
import Expensify
import Foundation
import Logging
import XCTest

/// `ExpensifyClient` over the wire against the Integration Server simulator, seeded with the sample firm
/// (samples/FIRM.md), using the bundled export template.
final class ExpensifyClientSandboxTests: XCTestCase {
    private var sandbox: SandboxProcess!
    private let partnerSecret = "5c1d0a7e9b2f4c6d8e0a1b3c5d7e9f1a2b4c6d8e"

    override func setUp() async throws {
        sandbox = try SandboxProcess.start()
    }

    override func tearDown() async throws {
        sandbox?.stop()
    }

    private func client(secret: String? = nil, capture: LogCapture = LogCapture()) -> (ExpensifyClient, HTTPClient) {
        let http = HTTPClient(
            transport: CurlTransport(), retry: RetryPolicy(maxAttempts: 3, baseDelay: 0.01, maxDelay: 0.05, jitter: 0),
            logger: capture.logger, system: "expensify")
        let endpoint = sandbox.url.appendingPathComponent("Integration-Server/ExpensifyIntegrations")
        let credentials = ExpensifyCredentials(partnerUserID: "aa_finance_northwind_example", partnerUserSecret: Secret(secret ?? partnerSecret))
        return (ExpensifyClient(endpoint: endpoint, credentials: credentials, http: http, logger: capture.logger), http)
    }

    private let approved = ExportFilter(reportStates: ["APPROVED", "REIMBURSED"], approvedAfter: "2026-10-01", markedAsExported: "ml-connector")

    private func export(_ expensify: ExpensifyClient, _ filter: ExportFilter) async throws -> [JSONValue] {
        let name = try await expensify.exportReports(filter, template: try ExpensifyClient.bundledTemplate(), fileBasename: "mlc-test-")
        XCTAssertTrue(name.hasPrefix("mlc-test-") && name.hasSuffix(".json"), name)
        let data = try await expensify.download(fileName: name)
        return try XCTUnwrap(try JSONValue.parse(data).arrayValue)
    }

    func testExportDownloadAndLabelTheSampleFirm() async throws {
        let capture = LogCapture()
        let (expensify, http) = client(capture: capture)
        let reports = try await export(expensify, approved)
        let ids = Set(reports.compactMap { $0["reportID"]?.stringValue })
        XCTAssertTrue(ids.isSuperset(of: ["90000001", "90000002", "90000041", "90000051"]), "\(ids.sorted())")
        XCTAssertFalse(ids.contains("90000012"), "SUBMITTED is not exported")
        XCTAssertFalse(ids.contains("90000013"), "already labelled ml-connector")

        // Text with quotes, newlines and backslashes and yen in hundredths survive template and transport.
        let berlin = try XCTUnwrap(reports.first { $0["reportID"]?.stringValue == "90000001" })
        let merchants = berlin["transactionList"]?.arrayValue?.compactMap { $0["merchant"]?.stringValue } ?? []
        XCTAssertTrue(merchants.contains("Hotel \"Adlon\" Kempinski"), "\(merchants)")
        let japan = try XCTUnwrap(reports.first { $0["reportID"]?.stringValue == "90000041" })
        XCTAssertTrue(japan["transactionList"]?.arrayValue?.contains { $0["amount"] == .number("150000") } ?? false)

        try await expensify.markExported(reportIDs: ["90000001", "90000041"], label: "ml-connector")
        let (_, state) = try await sandbox.control("GET", "/_sandbox/expensify/reports")
        let labelled = (state?["reports"]?.arrayValue ?? state?.arrayValue ?? []).filter {
            $0["labels"]?.arrayValue?.contains(.string("ml-connector")) == true
        }.compactMap { $0["reportID"]?.stringValue }
        XCTAssertEqual(Set(labelled), ["90000001", "90000013", "90000041"])

        let again = Set(try await export(expensify, approved).compactMap { $0["reportID"]?.stringValue })
        XCTAssertEqual(again, ids.subtracting(["90000001", "90000041"]))
        let sent = await http.requestCount
        XCTAssertEqual(sent, 5)
        XCTAssertFalse(capture.allText.contains(partnerSecret))
    }

    func testPolicyGetter() async throws {
        let (expensify, _) = client()
        let info = try await expensify.getPolicies(["A1B2C3D4E5F60001", "A1B2C3D4E5F60004"])
        XCTAssertEqual(info.objectValue?.keys.sorted(), ["A1B2C3D4E5F60001", "A1B2C3D4E5F60004"])
        let categories = info["A1B2C3D4E5F60001"]?["categories"]?.arrayValue ?? []
        XCTAssertTrue(categories.contains { $0["name"] == .string("Airfare") && $0["glCode"] == .string("6010") })
        XCTAssertNotNil(info["A1B2C3D4E5F60001"]?["tags"]?.arrayValue)
        XCTAssertNil(info["A1B2C3D4E5F60001"]?["employees"], "employees are not asked for until employee sync")

        do {
            _ = try await expensify.getPolicies(["0000000000000000"])
            XCTFail("an unknown policy is an error")
        } catch let error as ConnectorError {
            XCTAssertEqual(error.code, "expensify.410")
        }
    }

    func testWrongSecretIsAnAuthErrorWithoutTheSecret() async throws {
        let wrong = "ffffffffffffffffffffffffffffffffffffffff"
        let capture = LogCapture()
        let (expensify, _) = client(secret: wrong, capture: capture)
        do {
            _ = try await expensify.exportReports(approved, template: "x", fileBasename: "x")
            XCTFail("expected an auth error")
        } catch let error as ConnectorError {
            XCTAssertEqual(error.code, "expensify.auth")
            XCTAssertFalse(error.description.contains(wrong))
        }
        XCTAssertFalse(capture.allText.contains(wrong))
    }

    func testRateLimitingIsRiddenOutThenReported() async throws {
        let (expensify, http) = client()
        try await sandbox.control("POST", "/_sandbox/expensify/faults", #"{"count":1,"httpStatus":200,"responseCode":429}"#)
        try await sandbox.control("POST", "/_sandbox/expensify/faults", #"{"count":1,"httpStatus":429,"responseCode":429}"#)
        let info = try await expensify.getPolicies(["A1B2C3D4E5F60002"])
        XCTAssertNotNil(info["A1B2C3D4E5F60002"])
        let sent = await http.requestCount
        XCTAssertEqual(sent, 3)

        try await sandbox.control("POST", "/_sandbox/expensify/faults", #"{"count":10,"httpStatus":429,"responseCode":429}"#)
        do {
            _ = try await expensify.getPolicies(["A1B2C3D4E5F60002"])
            XCTFail("expected rate limiting")
        } catch let error as ConnectorError {
            XCTAssertEqual(error.code, "expensify.rate_limited")
            XCTAssertTrue(error.isTransient)
        }
    }

    func testExportIsStreamedToTheStagedFileByteForByte() async throws {
        let (expensify, _) = client()
        let name = try await expensify.exportReports(approved, template: try ExpensifyClient.bundledTemplate(), fileBasename: "mlc-test-")
        let inMemory = try await expensify.download(fileName: name)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mlc-dl-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("export.json")
        try await expensify.download(fileName: name, to: file)
        XCTAssertEqual(try Data(contentsOf: file), inMemory)
        XCTAssertGreaterThan(inMemory.count, 1000)

        let other = dir.appendingPathComponent("missing.json")
        do {
            try await expensify.download(fileName: "nothing-here.json", to: other)
            XCTFail("expected an error")
        } catch let error as ConnectorError {
            XCTAssertTrue(error.code.hasPrefix("expensify."), error.code)
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["export.json"])
    }

    func testUnknownFileIsAnError() async throws {
        let (expensify, _) = client()
        do {
            _ = try await expensify.download(fileName: "nothing-here.json")
            XCTFail("expected an error")
        } catch let error as ConnectorError {
            XCTAssertTrue(error.code.hasPrefix("expensify."), error.code)
        }
    }
}
