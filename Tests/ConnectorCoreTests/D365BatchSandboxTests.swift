import ConnectorCore
import ConnectorHTTP
import Dynamics365
import Foundation
import Logging
import XCTest

/// `D365Target.loadAll` with `$batch` over the wire against the D365 F&O and Entra simulators (`ml-sandbox`),
/// seeded with the sample firm (samples/FIRM.md).
final class D365BatchSandboxTests: XCTestCase {
    private var sandbox: SandboxProcess!

    override func setUp() async throws {
        sandbox = try SandboxProcess.start()
    }

    override func tearDown() async throws {
        sandbox?.stop()
    }

    private actor Results {
        var all: [DocumentLoadResult] = []
        func add(_ r: DocumentLoadResult) { all.append(r) }
    }

    /// Forwards to the network, but for the first `lose` `$batch` requests throws the real answer away and reports
    /// a 502, as a proxy does when the server is slow: the changesets were applied, the client cannot know it.
    private final class LosingTransport: HTTPTransport, @unchecked Sendable {
        private let inner = CurlTransport()
        private let lock = NSLock()
        private var lose: Int

        init(lose: Int) { self.lose = lose }

        func send(_ request: HTTPRequest) async throws -> HTTPResponse {
            let response = try await inner.send(request)
            let drop = request.url.path.hasSuffix("/$batch") && lock.withLock {
                guard lose > 0 else { return false }
                lose -= 1
                return true
            }
            return drop ? HTTPResponse(status: 502, headers: ["Content-Type": "text/html"], body: Data("<html>Bad Gateway</html>".utf8)) : response
        }
    }

    private func target(batchSize: Int, capture: LogCapture = LogCapture(), transport: any HTTPTransport = CurlTransport())
        -> (D365Target, HTTPClient) {
        let http = HTTPClient(transport: transport, retry: RetryPolicy(maxAttempts: 3, baseDelay: 0.01, maxDelay: 0.05, jitter: 0),
                              logger: capture.logger, system: "d365")
        let settings = D365Settings(environmentURL: sandbox.url, authorityURL: sandbox.url, tenant: "northwind.onmicrosoft.com",
                                    clientID: "3f1c9a52-7d4e-4b8a-9c61-2e5f8d0b7a14",
                                    clientSecret: Secret("sandbox-only-client-secret-7Qk2"), batchSize: batchSize)
        return (D365Target(settings: settings, http: http, logger: capture.logger), http)
    }

    private func document(_ key: String, company: String = "usmf", vendor: String = "EMP-0001", currency: String = "USD",
                          lines: [(amount: String, account: String)]) -> InvoiceDocument {
        let invoiceLines = lines.enumerated().map { i, l in
            InvoiceLine(lineNumber: i + 1, transactionID: "T\(i + 1)", description: "\(key) line \(i + 1): O'Brien & \"Söhne\"",
                        amount: l.amount, mainAccount: l.account, dimensionDisplayValue: "010-W01-", category: "Meals", merchant: "m",
                        expenseDate: "2026-11-02")
        }
        var total = Decimal(0)
        for l in lines { total += DecimalText.parse(l.amount) ?? 0 }
        return InvoiceDocument(key: key, kind: .employee, reportID: key, reportName: "r", policyID: "A1B2C3D4E5F60001", company: company,
                               vendorAccount: vendor, employeeEmail: "e@northwind.example", currency: currency, invoiceDate: "2026-11-12",
                               postingDate: "2026-11-13", description: "Expensify \(key)", dimensionDisplayValue: "010-W01-",
                               total: DecimalText.plain(total), lines: invoiceLines)
    }

    /// `count` documents with 1…5 lines and varied exact amounts; every fourth one in yen for jpmf.
    private func documents(_ prefix: String, count: Int) -> [InvoiceDocument] {
        let accounts = ["600100", "600110", "600120", "600130", "600140", "600150"]
        return (1...count).map { i in
            let yen = i % 4 == 0
            let lines = (1...(1 + (i - 1) % 5)).map { j -> (String, String) in
                let whole = i * 37 + j * 11
                let amount = yen ? String(whole * 100) : "\(j == 3 ? "-" : "")\(whole).\(String(format: "%02d", (i * 13 + j * 29) % 100))"
                return (amount, accounts[(i + j) % accounts.count])
            }
            let key = "\(prefix)-\(String(format: "%04d", i))"
            return yen ? document(key, company: "jpmf", vendor: "EMP-2001", currency: "JPY", lines: lines) : document(key, lines: lines)
        }
    }

    private func load(_ d365: D365Target, _ docs: [InvoiceDocument], existing: [String: ExistingDocument] = [:],
                      concurrency: Int = 2) async -> [String: DocumentLoadResult] {
        let results = Results()
        await d365.loadAll(docs, existing: existing, concurrency: concurrency) { await results.add($0) }
        let all = await results.all
        XCTAssertEqual(all.map(\.key).sorted(), docs.map(\.key).sorted(), "exactly one result per document")
        return Dictionary(all.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
    }

    /// Every invoice the simulator holds (pending and posted), by invoice number; fails on a number held twice.
    private func invoicesByNumber() async throws -> [String: JSONValue] {
        let (_, json) = try await sandbox.control("GET", "/_sandbox/d365/invoices")
        var out: [String: JSONValue] = [:]
        for invoice in json?["invoices"]?.arrayValue ?? [] {
            let number = invoice["InvoiceNumber"]?.stringValue ?? ""
            XCTAssertNil(out[number], "invoice number \(number) is held twice")
            out[number] = invoice
        }
        return out
    }

    /// The sandbox's request log: (method, path, status, `$batch` parts).
    private func requestLog() async throws -> [JSONValue] {
        let (_, log) = try await sandbox.control("GET", "/_sandbox/d365/requests")
        return log?["requests"]?.arrayValue ?? []
    }

    private func url(_ entry: JSONValue) -> String { entry["url"]?.stringValue?.removingPercentEncoding ?? "" }

    /// The invoice holds exactly the document: amounts to the cent, lines in order.
    private func assertHolds(_ invoice: JSONValue?, _ doc: InvoiceDocument, file: StaticString = #filePath, line: UInt = #line) {
        guard let invoice else { return XCTFail("\(doc.key) is not in D365", file: file, line: line) }
        XCTAssertEqual(invoice["dataAreaId"]?.stringValue, doc.company, file: file, line: line)
        XCTAssertEqual(invoice["ImportedAmount"]?.decimalValue, DecimalText.parse(doc.total), doc.key, file: file, line: line)
        let lines = invoice["lines"]?.arrayValue ?? []
        XCTAssertEqual(lines.compactMap { $0["InvoiceLineNumber"]?.decimalValue }, doc.lines.map { Decimal($0.lineNumber) }, file: file, line: line)
        XCTAssertEqual(lines.compactMap { $0["NetAmount"]?.decimalValue }, doc.lines.compactMap { DecimalText.parse($0.amount) },
                       doc.key, file: file, line: line)
        XCTAssertEqual(lines.compactMap { $0["LineDescription"]?.stringValue }, doc.lines.map(\.description), file: file, line: line)
        XCTAssertEqual(lines.compactMap { $0["MainAccountDisplayValue"]?.stringValue }, doc.lines.map(\.mainAccount), file: file, line: line)
        XCTAssertTrue(lines.allSatisfy { $0["HeaderReference"] == invoice["HeaderReference"] }, file: file, line: line)
    }

    func testTwentyDocumentsTravelInTwoBatchesWithExactAmountsAndARerunFindsThemAll() async throws {
        let capture = LogCapture()
        let (d365, http) = target(batchSize: 10, capture: capture)
        let docs = documents("EXP-B", count: 20)
        let results = await load(d365, docs)

        for doc in docs {
            XCTAssertEqual(results[doc.key]?.status, .created, "\(String(describing: results[doc.key]))")
            XCTAssertEqual(results[doc.key]?.linesWritten, doc.lines.count)
        }
        let invoices = try await invoicesByNumber()
        XCTAssertEqual(invoices.count, 20)
        for doc in docs {
            assertHolds(invoices[doc.key], doc)
            XCTAssertEqual(results[doc.key]?.erpReference, invoices[doc.key]?["HeaderReference"]?.stringValue)
        }

        let log = try await requestLog()
        let batches = log.filter { url($0) == "/data/$batch" }
        XCTAssertEqual(batches.count, 2)
        XCTAssertTrue(log.allSatisfy { !url($0).hasPrefix("/data/VendorInvoice") }, "no per-document writes")
        let parts = batches.flatMap { $0["parts"]?.arrayValue ?? [] }
        XCTAssertEqual(parts.count, docs.reduce(0) { $0 + 1 + $1.lines.count })
        XCTAssertTrue(parts.allSatisfy { $0["status"]?.int64Value == 201 })
        XCTAssertTrue(parts.contains { ($0["url"]?.stringValue ?? "").hasSuffix("')/VendorInvoiceLine") }, "lines go through the $n reference")
        let sent = await http.requestCount
        XCTAssertEqual(sent, log.count, "every attempt is counted, the token request included")
        let perDocument = docs.reduce(0) { $0 + 1 + $1.lines.count }
        XCTAssertEqual(sent, 3, "one token request and two $batch requests for 20 documents (per document: \(perDocument) writes)")
        XCTAssertLessThan(Double(sent) / Double(docs.count), 0.2)
        print("D365 $batch: \(sent) HTTP requests for \(docs.count) documents (\(Double(sent) / Double(docs.count)) per document); per document loading would send \(perDocument) writes plus the token")
        XCTAssertFalse(capture.allText.contains("sandbox-only-client-secret"))
        XCTAssertFalse(capture.allText.contains("O'Brien"), "no bodies in the logs")

        // Rerun: everything is found and nothing is written.
        try await sandbox.control("DELETE", "/_sandbox/d365/requests")
        let existing = try await d365.findExisting(docs)
        XCTAssertEqual(existing.count, 20)
        let rerun = await load(d365, docs, existing: existing)
        XCTAssertTrue(docs.allSatisfy { rerun[$0.key]?.status == .alreadyPresent && rerun[$0.key]?.linesWritten == 0 })
        let rerunLog = try await requestLog()
        XCTAssertTrue(rerunLog.allSatisfy { $0["method"]?.stringValue == "GET" }, "\(rerunLog.map { url($0) })")
        let after = try await invoicesByNumber()
        XCTAssertEqual(after.count, 20)
    }

    func testAnInvalidMainAccountFailsOnlyItsDocumentAndLeavesNoOrphanHeader() async throws {
        let (d365, http) = target(batchSize: 10)
        var docs = documents("EXP-V", count: 10).filter { $0.company == "usmf" }
        let bad = 3
        docs[bad].lines[1].mainAccount = "699999"
        let results = await load(d365, docs, concurrency: 1)

        let failed = try XCTUnwrap(results[docs[bad].key])
        XCTAssertEqual(failed.status, .failed)
        XCTAssertEqual(failed.errorCode, "d365.validation")
        XCTAssertTrue(failed.errorMessage?.contains("Main account '699999' does not exist") ?? false, failed.errorMessage ?? "")
        XCTAssertFalse(failed.errorMessage?.contains("validateWrite") ?? true)
        XCTAssertNil(failed.erpReference)
        XCTAssertEqual(failed.linesWritten, 0)
        for (i, doc) in docs.enumerated() where i != bad {
            XCTAssertEqual(results[doc.key]?.status, .created, doc.key)
        }

        let invoices = try await invoicesByNumber()
        XCTAssertNil(invoices[docs[bad].key], "the failed changeset was rolled back: no header without its lines")
        XCTAssertEqual(invoices.count, docs.count - 1)
        for (i, doc) in docs.enumerated() where i != bad { assertHolds(invoices[doc.key], doc) }
        let nothing = try await d365.findExisting([docs[bad]])
        XCTAssertTrue(nothing.isEmpty)
        // One $batch did it all: the server went on after the failed changeset.
        let log = try await requestLog()
        XCTAssertEqual(log.filter { url($0) == "/data/$batch" }.count, 1)
        let sent = await http.requestCount
        XCTAssertEqual(sent, 3, "token, $batch, the lookup above")

        // Fixed, it goes through on the next run.
        var fixed = docs[bad]
        fixed.lines[1].mainAccount = "600120"
        let second = await load(d365, [fixed])
        XCTAssertEqual(second[fixed.key]?.status, .created)
        let after = try await invoicesByNumber()
        assertHolds(after[fixed.key], fixed)
    }

    func testAFailedBatchIsLookedUpAndResentPerDocumentWithoutDuplicates() async throws {
        let (d365, _) = target(batchSize: 5)
        try await sandbox.control("POST", "/_sandbox/d365/faults", #"{"count":1,"status":500,"entitySet":"$batch"}"#)
        let docs = documents("EXP-F", count: 5)
        let results = await load(d365, docs, concurrency: 1)
        XCTAssertTrue(docs.allSatisfy { results[$0.key]?.status == .created }, "\(results.values.map { "\($0.key) \($0.status)" })")

        let invoices = try await invoicesByNumber()
        XCTAssertEqual(invoices.count, 5)
        for doc in docs { assertHolds(invoices[doc.key], doc) }
        let log = try await requestLog()
        let urls = log.map { url($0) }
        XCTAssertEqual(urls.filter { $0 == "/data/$batch" }.count, 1)
        XCTAssertEqual(log.first { url($0) == "/data/$batch" }?["status"]?.int64Value, 500)
        let batchIndex = try XCTUnwrap(urls.firstIndex(of: "/data/$batch"))
        let firstHeaderPost = try XCTUnwrap(log.firstIndex { url($0) == "/data/VendorInvoiceHeaders" && $0["method"]?.stringValue == "POST" })
        XCTAssertTrue(urls[batchIndex..<firstHeaderPost].contains { $0.hasPrefix("/data/VendorInvoiceHeaders?") },
                      "looked up before anything was sent again: \(urls)")
        XCTAssertEqual(log.filter { url($0) == "/data/VendorInvoiceHeaders" && $0["method"]?.stringValue == "POST" }.count, 5)
    }

    func testALostAnswerAfterCommitContinuesWhatWasWrittenAndResendsOnlyTheRest() async throws {
        let (d365, http) = target(batchSize: 10, transport: LosingTransport(lose: 1))
        let docs = documents("EXP-L", count: 6).filter { $0.company == "usmf" }
        // The first line operation inside the batch fails, so that document's changeset is rolled back.
        try await sandbox.control("POST", "/_sandbox/d365/faults",
                                  #"{"count":1,"status":400,"method":"POST","entitySet":"VendorInvoiceLines","message":"Simulated line failure."}"#)
        let results = await load(d365, docs, concurrency: 1)

        // The rolled-back document (the first) was not found, so it was sent again per document and created;
        // the others were found complete and are not written twice.
        XCTAssertEqual(results[docs[0].key]?.status, .created)
        for doc in docs.dropFirst() {
            XCTAssertEqual(results[doc.key]?.status, .alreadyPresent, doc.key)
            XCTAssertNotNil(results[doc.key]?.erpReference)
        }
        XCTAssertTrue(results.values.allSatisfy(\.isConfirmed))
        let invoices = try await invoicesByNumber()
        XCTAssertEqual(invoices.count, docs.count)
        for doc in docs { assertHolds(invoices[doc.key], doc) }

        let log = try await requestLog()
        let headerPosts = log.filter { url($0) == "/data/VendorInvoiceHeaders" && $0["method"]?.stringValue == "POST" }
        XCTAssertEqual(headerPosts.count, 1, "only the rolled-back document is posted again")
        XCTAssertEqual(log.filter { url($0) == "/data/$batch" }.count, 1)
        let sent = await http.requestCount
        XCTAssertEqual(sent, log.count)
    }

    func testExistingDocumentsGoPerDocumentAndDuplicateNumbersAreHandledLikeSingleLoads() async throws {
        let (single, _) = target(batchSize: 0)
        // A document left half-written by an earlier run (line 2 refused: suspended account).
        let partial = document("EXP-E-0001", lines: [("10.00", "600120"), ("20.00", "600199"), ("30.00", "600130")])
        let first = await single.load(partial, existing: nil)
        XCTAssertEqual(first.linesWritten, 1)
        var fixed = partial
        fixed.lines[1].mainAccount = "600140"
        // A document already pending that the caller does not know about, and one already posted.
        let pending = document("EXP-E-0002", lines: [("5.55", "600120")])
        _ = await single.load(pending, existing: nil)
        let posted = document("EXP-E-0003", lines: [("7.77", "600120")])
        let postedLoad = await single.load(posted, existing: nil)
        let postedRef = try XCTUnwrap(postedLoad.erpReference)
        try await sandbox.control("POST", "/_sandbox/d365/post?dataAreaId=usmf&HeaderReference=\(postedRef)")
        let fresh = documents("EXP-E-N", count: 3).filter { $0.company == "usmf" }
        try await sandbox.control("DELETE", "/_sandbox/d365/requests")

        let (d365, _) = target(batchSize: 10)
        let existing = try await d365.findExisting([fixed])
        let results = await load(d365, [fixed, pending, posted] + fresh, existing: existing)

        XCTAssertEqual(results[fixed.key]?.status, .completed)
        XCTAssertEqual(results[fixed.key]?.linesWritten, 2)
        XCTAssertEqual(results[pending.key]?.status, .alreadyPresent, "a number already pending is found, not created twice")
        XCTAssertEqual(results[posted.key]?.status, .locked)
        XCTAssertEqual(results[posted.key]?.errorCode, "d365.duplicate_invoice")
        for doc in fresh { XCTAssertEqual(results[doc.key]?.status, .created) }

        let invoices = try await invoicesByNumber()
        assertHolds(invoices[fixed.key], fixed)
        assertHolds(invoices[pending.key], pending)
        XCTAssertEqual(invoices[posted.key]?["posted"], .bool(true))
        for doc in fresh { assertHolds(invoices[doc.key], doc) }
        let log = try await requestLog()
        XCTAssertEqual(log.filter { url($0) == "/data/$batch" }.count, 1, "new documents share one $batch")
        XCTAssertEqual(log.filter { url($0) == "/data/VendorInvoiceLines" && $0["method"]?.stringValue == "POST" }.count, 2,
                       "the existing document gets its two missing lines the per-document way")
        XCTAssertFalse(log.contains { url($0) == "/data/VendorInvoiceHeaders" && $0["method"]?.stringValue == "POST" })
    }

    func testAServerWithoutBatchGetsOneWarningAndPerDocumentLoads() async throws {
        let capture = LogCapture()
        let (d365, _) = target(batchSize: 2, capture: capture)
        try await sandbox.control("POST", "/_sandbox/d365/faults", #"{"count":10,"status":404,"entitySet":"$batch"}"#)
        let docs = documents("EXP-N", count: 6)
        let results = await load(d365, docs, concurrency: 1)
        XCTAssertTrue(docs.allSatisfy { results[$0.key]?.status == .created })
        let invoices = try await invoicesByNumber()
        for doc in docs { assertHolds(invoices[doc.key], doc) }
        let log = try await requestLog()
        XCTAssertEqual(log.filter { url($0) == "/data/$batch" }.count, 1, "after the 404, no further $batch is tried")
        XCTAssertEqual(log.filter { url($0) == "/data/VendorInvoiceHeaders" && $0["method"]?.stringValue == "POST" }.count, 6)
        let warnings = capture.entries.filter { $0.level == .warning && $0.message.contains("$batch") }
        XCTAssertEqual(warnings.count, 1)
    }

    func testAnExpiredTokenOnBatchIsRefreshedOnce() async throws {
        let (d365, http) = target(batchSize: 10)
        try await sandbox.control("POST", "/_sandbox/d365/faults", #"{"count":1,"status":401,"entitySet":"$batch"}"#)
        let docs = documents("EXP-T", count: 3)
        let results = await load(d365, docs)
        XCTAssertTrue(docs.allSatisfy { results[$0.key]?.status == .created })
        let log = try await requestLog()
        XCTAssertEqual(log.filter { url($0) == "/data/$batch" }.compactMap { $0["status"]?.int64Value }, [401, 200])
        let sent = await http.requestCount
        XCTAssertEqual(sent, 4, "token, $batch 401, fresh token, $batch")
        let invoices = try await invoicesByNumber()
        XCTAssertEqual(invoices.count, 3)
    }
}
