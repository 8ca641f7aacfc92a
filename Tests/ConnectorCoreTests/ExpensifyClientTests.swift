import ConnectorCore
import ConnectorHTTP
import Foundation
import Logging
import XCTest

@testable import Expensify

final class ExpensifyClientJobTests: XCTestCase {
    private let credentials = ExpensifyCredentials(partnerUserID: "aa_finance_northwind_example", partnerUserSecret: Secret("s3cr3t+/=&"))

    func testExportJobHasEveryFilterAndNoOnFinish() throws {
        let filter = ExportFilter(
            reportStates: ["APPROVED", "REIMBURSED"], approvedAfter: "2026-10-31", markedAsExported: "ml-connector",
            policyIDs: ["A1B2C3D4E5F60001", "A1B2C3D4E5F60002"], reportIDs: ["90000001", "90000002"], limit: 250)
        let job = ExpensifyJobs.export(filter, fileBasename: "mlc-batch-7", credentials: credentials)
        XCTAssertEqual(
            job.serializedString(),
            """
            {"credentials":{"partnerUserID":"aa_finance_northwind_example","partnerUserSecret":"s3cr3t+/=&"},\
            "inputSettings":{"filters":{"approvedAfter":"2026-10-31","markedAsExported":"ml-connector",\
            "policyIDList":"A1B2C3D4E5F60001,A1B2C3D4E5F60002","reportIDList":"90000001,90000002"},\
            "limit":"250","reportState":"APPROVED,REIMBURSED","type":"combinedReportData"},\
            "onReceive":{"immediateResponse":["returnRandomFileName"]},\
            "outputSettings":{"fileBasename":"mlc-batch-7","fileExtension":"json"},"type":"file"}
            """)
        XCTAssertNil(job["onFinish"])
        XCTAssertNil(job["test"])
    }

    func testExportJobLeavesOutUnsetFilters() {
        let job = ExpensifyJobs.export(
            ExportFilter(reportStates: ["APPROVED"], approvedAfter: "2026-11-01"), fileBasename: "x",
            credentials: credentials)
        XCTAssertEqual(job["inputSettings"]?["filters"], .object(["approvedAfter": .string("2026-11-01")]))
        XCTAssertNil(job["inputSettings"]?["limit"])
        XCTAssertEqual(job["inputSettings"]?["reportState"], .string("APPROVED"))
    }

    func testPolicyGetterUsesJSONArrays() {
        let job = ExpensifyJobs.policies(["A1B2C3D4E5F60001", "A1B2C3D4E5F60004"], credentials: credentials)
        XCTAssertEqual(job["type"], .string("get"))
        XCTAssertEqual(
            job["inputSettings"],
            .object([
                "type": .string("policy"),
                "fields": .array([.string("categories"), .string("tags"), .string("reportFields")]),
                "policyIDList": .array([.string("A1B2C3D4E5F60001"), .string("A1B2C3D4E5F60004")]),
            ]))
    }

    func testDownloadJob() {
        let job = ExpensifyJobs.download(fileName: "mlc-batch-7b3eb23c5.json", credentials: credentials)
        XCTAssertEqual(job["type"], .string("download"))
        XCTAssertEqual(job["fileName"], .string("mlc-batch-7b3eb23c5.json"))
        XCTAssertEqual(job["fileSystem"], .string("integrationServer"))
    }

    func testMarkExportedJobLabelsExactlyTheGivenReports() {
        let job = ExpensifyJobs.markExported(reportIDs: ["90000001", "90000006"], label: "ml-connector", credentials: credentials)
        XCTAssertEqual(job["type"], .string("file"))
        XCTAssertEqual(job["inputSettings"]?["filters"], .object(["reportIDList": .string("90000001,90000006")]))
        XCTAssertNil(job["inputSettings"]?["filters"]?["markedAsExported"])
        XCTAssertEqual(job["inputSettings"]?["reportState"], .string("OPEN,SUBMITTED,APPROVED,REIMBURSED,ARCHIVED"))
        XCTAssertEqual(job["onFinish"], .array([.object(["actionName": .string("markAsExported"), "label": .string("ml-connector")])]))
        XCTAssertNil(job["test"])
    }

    func testFormBodyIsStrictlyEncodedAndRoundTrips() throws {
        let job = ExpensifyJobs.export(ExportFilter(markedAsExported: "A&B = C+D"), fileBasename: "x", credentials: credentials)
        let template = "<#list reports as report>${report.total?c}+&=</#list>"
        let body = ExpensifyJobs.formBody(job: job, template: template)
        let text = String(decoding: body, as: UTF8.self)
        XCTAssertTrue(text.hasPrefix("requestJobDescription=%7B%22credentials%22"))
        XCTAssertEqual(text.filter { $0 == "&" }.count, 1, "only the field separator is a raw &")
        XCTAssertEqual(text.filter { $0 == "=" }.count, 2, "only the two field separators are raw =")
        XCTAssertFalse(text.contains("+"))
        let fields = decodeForm(body)
        XCTAssertEqual(fields["template"], template)
        let decodedJob = try JSONValue.parse(try XCTUnwrap(fields["requestJobDescription"]))
        XCTAssertEqual(decodedJob, job)
        XCTAssertEqual(decodedJob["credentials"]?["partnerUserSecret"], .string("s3cr3t+/=&"))
    }
}

final class ExpensifyClientResponseTests: XCTestCase {
    private let secret = Secret("0123456789abcdef0123456789abcdef01234567")

    private func classify(_ response: HTTPResponse) -> ConnectorError? {
        if case .failure(let error) = ExpensifyClient.classify(response, operation: "export", secret: secret) { return error }
        return nil
    }

    func testJSONErrorUnderHTTP200IsAnError() throws {
        let error = try XCTUnwrap(classify(.json(200, #"{"responseMessage":"Required parameter 'policyIDList' is missing","responseCode":410}"#)))
        XCTAssertEqual(error.code, "expensify.410")
        XCTAssertEqual(error.message, "Required parameter 'policyIDList' is missing")
        XCTAssertEqual(error.context["expensify.response_code"], "410")
        XCTAssertFalse(error.isTransient)
    }

    func testAuthFailures() throws {
        XCTAssertEqual(classify(.json(200, #"{"responseCode":401,"responseMessage":"Incorrect credentials"}"#))?.code, "expensify.auth")
        XCTAssertEqual(classify(.json(200, #"{"responseCode":407,"responseMessage":"Session expired"}"#))?.code, "expensify.auth")
        XCTAssertEqual(classify(.text(401, "Unauthorized"))?.code, "expensify.auth")
        XCTAssertEqual(classify(.text(407, ""))?.code, "expensify.auth")
    }

    func testRateLimitIsTransient() throws {
        let http = try XCTUnwrap(classify(.json(429, #"{"responseCode":429,"responseMessage":"You have been rate-limited."}"#)))
        XCTAssertEqual(http.code, "expensify.rate_limited")
        XCTAssertTrue(http.isTransient)
        let body = try XCTUnwrap(classify(.json(200, #"{"responseCode":429}"#)))
        XCTAssertEqual(body.code, "expensify.rate_limited")
        XCTAssertTrue(body.isTransient)
    }

    func testDataIsNotAnError() {
        XCTAssertNil(classify(.text(200, "exportb3eb23c5-5d6f-4387-a846-99d7375c09f5.json")))
        XCTAssertNil(classify(.json(200, #"[{"reportID":"90000001","responseCode":410}]"#)), "a JSON array is data")
        XCTAssertNil(classify(.json(200, #"{"reports":[]}"#)), "an object without responseCode is data")
        XCTAssertNil(classify(.json(200, #"{"responseCode":200,"policyInfo":{}}"#)))
        XCTAssertNil(classify(HTTPResponse(status: 200, body: Data([0xFF, 0xD8, 0x00]))))
    }

    func testServerErrorsWithoutEnvelope() throws {
        let error = try XCTUnwrap(classify(.text(502, "<html>Bad gateway</html>")))
        XCTAssertEqual(error.code, "expensify.http_502")
        XCTAssertTrue(error.isTransient)
    }

    func testSecretIsScrubbedFromMessages() throws {
        let error = try XCTUnwrap(
            classify(.json(200, #"{"responseCode":500,"responseMessage":"Bad secret 0123456789abcdef0123456789abcdef01234567"}"#)))
        XCTAssertEqual(error.message, "Bad secret <redacted>")
    }

    func testFileNameParsing() throws {
        XCTAssertEqual(try ExpensifyClient.fileName(from: .text(200, "  mlcb3eb23c5.json\n"), operation: "export"), "mlcb3eb23c5.json")
        XCTAssertThrowsError(try ExpensifyClient.fileName(from: .text(200, " \n"), operation: "export"))
        XCTAssertThrowsError(try ExpensifyClient.fileName(from: .json(200, #"{"responseCode":200}"#), operation: "export"))
    }

    func testBundledTemplateIsReadable() throws {
        let template = try ExpensifyClient.bundledTemplate()
        XCTAssertTrue(template.contains("reports"), "the template's root is `reports`")
    }
}

final class ExpensifyClientRetryTests: XCTestCase {
    private let endpoint = URL(string: "https://integrations.example/Integration-Server/ExpensifyIntegrations")!
    private let credentials = ExpensifyCredentials(partnerUserID: "aa_finance", partnerUserSecret: Secret("top-secret-value"))

    private func client(_ transport: ScriptedTransport, capture: LogCapture) -> (ExpensifyClient, HTTPClient) {
        let http = HTTPClient(transport: transport, retry: noRetryDelays, logger: capture.logger, system: "expensify")
        return (ExpensifyClient(endpoint: endpoint, credentials: credentials, http: http, logger: capture.logger), http)
    }

    func testResponseCode429IsRetriedThenSucceeds() async throws {
        let capture = LogCapture()
        let transport = ScriptedTransport([
            .respond(.json(200, #"{"responseCode":429,"responseMessage":"You have been rate-limited."}"#)),
            .respond(.text(200, "mlc3f1.json")),
        ])
        let (expensify, http) = client(transport, capture: capture)
        let name = try await expensify.exportReports(ExportFilter(approvedAfter: "2026-11-01"), template: "t", fileBasename: "mlc")
        XCTAssertEqual(name, "mlc3f1.json")
        let count = await http.requestCount
        XCTAssertEqual(count, 2)
        let request = try XCTUnwrap(transport.requests.first)
        XCTAssertEqual(request.method, "POST")
        XCTAssertEqual(request.url, endpoint)
        XCTAssertEqual(request.headers["Content-Type"], "application/x-www-form-urlencoded")
        XCTAssertFalse(capture.allText.contains("top-secret-value"))
    }

    func testPersistentRateLimitEndsAsRateLimited() async throws {
        let transport = ScriptedTransport(Array(repeating: .respond(.json(200, #"{"responseCode":429}"#)), count: 5))
        let (expensify, _) = client(transport, capture: LogCapture())
        do {
            _ = try await expensify.getPolicies(["A1B2C3D4E5F60001"])
            XCTFail("expected rate limiting")
        } catch let error as ConnectorError {
            XCTAssertEqual(error.code, "expensify.rate_limited")
            XCTAssertTrue(error.isTransient)
        }
        XCTAssertEqual(transport.requests.count, 3)
    }

    func testDownloadReturnsAJSONArrayAsData() async throws {
        let file = #"[{"reportID":"90000001","responseCode":"not an envelope"}]"#
        let transport = ScriptedTransport([.respond(.json(200, file))])
        let (expensify, _) = client(transport, capture: LogCapture())
        let data = try await expensify.download(fileName: "mlc3f1.json")
        XCTAssertEqual(String(decoding: data, as: UTF8.self), file)
        let job = try JSONValue.parse(try XCTUnwrap(decodeForm(transport.requests.first?.body)["requestJobDescription"]))
        XCTAssertEqual(job["fileName"], .string("mlc3f1.json"))
    }

    private func scratch() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mlc-dl-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    func testDownloadToFileWritesTheExportAndLeavesNoPartialFile() async throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let body = #"[{"reportID":"90000001","responseCode":"not an envelope"}]"#
        let transport = ScriptedTransport([.respond(.json(200, #"{"responseCode":429}"#)), .respond(.json(200, body))])
        let (expensify, _) = client(transport, capture: LogCapture())
        let file = dir.appendingPathComponent("export.json")
        try await expensify.download(fileName: "mlc3f1.json", to: file)
        XCTAssertEqual(try String(contentsOf: file, encoding: .utf8), body)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["export.json"])
        XCTAssertEqual(transport.requests.count, 2, "a responseCode 429 is retried for downloads too")
    }

    func testDownloadToFileDetectsAnErrorEnvelopeUnderHTTP200AndKeepsNothing() async throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let transport = ScriptedTransport([.respond(.json(200, #" {"responseCode":404,"responseMessage":"File not found: x.json"}"#))])
        let (expensify, _) = client(transport, capture: LogCapture())
        let file = dir.appendingPathComponent("export.json")
        do {
            try await expensify.download(fileName: "x.json", to: file)
            XCTFail("expected an error")
        } catch let error as ConnectorError {
            XCTAssertEqual(error.code, "expensify.404")
            XCTAssertEqual(error.message, "File not found: x.json")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), [], "neither the file nor a partial one")
    }

    func testOnlyASmallJSONObjectIsReadBackAsAPossibleEnvelope() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("f.json")
        try Data("\n {\"responseCode\":500}".utf8).write(to: file)
        XCTAssertEqual(ExpensifyClient.errorEnvelope(try ExpensifyClient.envelopeCandidate(file))?.code, 500)
        try Data("[{\"responseCode\":500}]".utf8).write(to: file)
        XCTAssertEqual(try ExpensifyClient.envelopeCandidate(file), Data())
        var big = Data("{\"pad\":\"".utf8)
        big.append(Data(repeating: UInt8(ascii: "x"), count: 2 << 20))
        big.append(Data("\",\"responseCode\":500}".utf8))
        try big.write(to: file)
        XCTAssertEqual(try ExpensifyClient.envelopeCandidate(file), Data(), "a large object is data, never read into memory")
    }

    func testGetPoliciesReturnsPolicyInfo() async throws {
        let transport = ScriptedTransport([.respond(.json(200, #"{"responseCode":200,"policyInfo":{"P1":{"categories":[]}}}"#))])
        let (expensify, _) = client(transport, capture: LogCapture())
        let info = try await expensify.getPolicies(["P1"])
        XCTAssertEqual(info, .object(["P1": .object(["categories": .array([])])]))
        let empty = try await expensify.getPolicies([])
        XCTAssertEqual(empty, .object([:]))
        XCTAssertEqual(transport.requests.count, 1, "no request for an empty id list")
    }

    func testMarkExportedSendsTheLabellingJobAndItsTemplate() async throws {
        let transport = ScriptedTransport([.respond(.text(200, "mlconnector-label1.txt"))])
        let (expensify, _) = client(transport, capture: LogCapture())
        try await expensify.markExported(reportIDs: ["90000001"], label: "ml-connector")
        try await expensify.markExported(reportIDs: [], label: "ml-connector")
        XCTAssertEqual(transport.requests.count, 1)
        let fields = decodeForm(transport.requests[0].body)
        XCTAssertEqual(fields["template"], ExpensifyJobs.labelTemplate)
        let job = try JSONValue.parse(try XCTUnwrap(fields["requestJobDescription"]))
        XCTAssertEqual(job["onFinish"]?.arrayValue?.first?["label"], .string("ml-connector"))
    }

    func testAuthErrorIsNotRetriedAndCarriesNoSecret() async throws {
        let transport = ScriptedTransport([
            .respond(.json(200, #"{"responseCode":401,"responseMessage":"Invalid credentials for top-secret-value"}"#))
        ])
        let (expensify, _) = client(transport, capture: LogCapture())
        do {
            _ = try await expensify.download(fileName: "x.json")
            XCTFail("expected an auth error")
        } catch let error as ConnectorError {
            XCTAssertEqual(error.code, "expensify.auth")
            XCTAssertFalse(error.description.contains("top-secret-value"))
        }
        XCTAssertEqual(transport.requests.count, 1)
    }
}
