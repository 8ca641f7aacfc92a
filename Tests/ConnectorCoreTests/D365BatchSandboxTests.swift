import ConnectorCore
import ConnectorHTTP
import Dynamics365
import Foundation
import Logging
import XCTest

/// `D365Target.loadAll` with `$batch` over the wire against the D365 F&O and Entra simulators (`ml-sandbox`),
/// seeded with the sample firm (samples/FIRM.md), for every strategy and every kind of server.
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

    /// Forwards to the network, but for the `$batch` writes chosen by `lose` (called with the request body) throws
    /// the answer away and reports no answer at all, as when a connection drops after the server did the work.
    /// With `forward` false the request never reaches the server.
    private final class LosingTransport: HTTPTransport, @unchecked Sendable {
        private let inner = CurlTransport()
        private let lock = NSLock()
        private var remaining: Int
        private let matches: @Sendable (String) -> Bool
        private let forward: Bool
        private(set) var lost: [String] = []

        init(count: Int = 1, forward: Bool = true, matching: @escaping @Sendable (String) -> Bool) {
            remaining = count
            matches = matching
            self.forward = forward
        }

        func send(_ request: HTTPRequest) async throws -> HTTPResponse {
            let body = String(decoding: request.body ?? Data(), as: UTF8.self)
            let drop =
                request.url.path.hasSuffix("/$batch") && body.contains("POST ")
                && lock.withLock {
                    guard remaining > 0, matches(body) else { return false }
                    remaining -= 1
                    lost.append(body)
                    return true
                }
            guard drop else { return try await inner.send(request) }
            if forward { _ = try await inner.send(request) }
            throw ConnectorError("http.network", "The connection closed before an answer came.", isTransient: true)
        }
    }

    private func target(
        batchSize: Int = 10, keys: D365KeyAssignment = .server, strategy: D365BatchStrategy = .twoPhase,
        capture: LogCapture = LogCapture(), transport: any HTTPTransport = CurlTransport()
    ) -> (D365Target, HTTPClient) {
        let http = HTTPClient(
            transport: transport, retry: RetryPolicy(maxAttempts: 3, baseDelay: 0.01, maxDelay: 0.05, jitter: 0),
            logger: capture.logger, system: "d365")
        let settings = D365Settings(
            environmentURL: sandbox.url, authorityURL: sandbox.url, tenant: "northwind.onmicrosoft.com",
            clientID: "3f1c9a52-7d4e-4b8a-9c61-2e5f8d0b7a14",
            clientSecret: Secret("sandbox-only-client-secret-7Qk2"), batchSize: batchSize,
            keyAssignment: keys, batchStrategy: strategy)
        return (D365Target(settings: settings, http: http, logger: capture.logger), http)
    }

    private func settings(_ json: String) async throws {
        let (status, _) = try await sandbox.control("POST", "/_sandbox/d365/settings", json)
        XCTAssertEqual(status, 200)
    }

    private func document(
        _ key: String, company: String = "usmf", vendor: String = "EMP-0001", currency: String = "USD",
        lines: [(amount: String, account: String)]
    ) -> InvoiceDocument {
        let invoiceLines = lines.enumerated().map { i, l in
            InvoiceLine(
                lineNumber: i + 1, transactionID: "T\(i + 1)", description: "\(key) line \(i + 1): O'Brien & \"Söhne\"",
                amount: l.amount, mainAccount: l.account, dimensionDisplayValue: "010-W01-", category: "Meals", merchant: "m",
                expenseDate: "2026-11-02")
        }
        var total = Decimal(0)
        for l in lines { total += DecimalText.parse(l.amount) ?? 0 }
        return InvoiceDocument(
            key: key, kind: .employee, reportID: key, reportName: "r", policyID: "A1B2C3D4E5F60001", company: company,
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

    private func load(
        _ d365: D365Target, _ docs: [InvoiceDocument], existing: [String: ExistingDocument] = [:],
        concurrency: Int = 2
    ) async -> [String: DocumentLoadResult] {
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
    private func parts(_ entry: JSONValue) -> [JSONValue] { entry["parts"]?.arrayValue ?? [] }
    private func method(_ part: JSONValue) -> String { part["method"]?.stringValue ?? "" }

    /// `$batch` requests that write (hold a POST or DELETE part), in order.
    private func writeBatches(_ log: [JSONValue]) -> [JSONValue] {
        log.filter { url($0) == "/data/$batch" && parts($0).contains { method($0) != "GET" } }
    }

    /// The parts of all write batches that create (POST) in `entitySet` itself (not through a navigation).
    private func creates(_ log: [JSONValue], _ entitySet: String) -> [JSONValue] {
        writeBatches(log).flatMap(parts).filter {
            let path = url($0)
            return method($0) == "POST" && (path == "/data/\(entitySet)" || path.hasPrefix("/data/\(entitySet)?"))
        }
    }

    /// The invoice holds exactly the document: amounts to the cent, lines in order.
    private func assertHolds(_ invoice: JSONValue?, _ doc: InvoiceDocument, file: StaticString = #filePath, line: UInt = #line) {
        guard let invoice else { return XCTFail("\(doc.key) is not in D365", file: file, line: line) }
        XCTAssertEqual(invoice["dataAreaId"]?.stringValue, doc.company, file: file, line: line)
        XCTAssertEqual(invoice["ImportedAmount"]?.decimalValue, DecimalText.parse(doc.total), doc.key, file: file, line: line)
        let lines = invoice["lines"]?.arrayValue ?? []
        XCTAssertEqual(lines.compactMap { $0["InvoiceLineNumber"]?.decimalValue }, doc.lines.map { Decimal($0.lineNumber) }, file: file, line: line)
        XCTAssertEqual(
            lines.compactMap { $0["NetAmount"]?.decimalValue }, doc.lines.compactMap { DecimalText.parse($0.amount) },
            doc.key, file: file, line: line)
        XCTAssertEqual(lines.compactMap { $0["LineDescription"]?.stringValue }, doc.lines.map(\.description), file: file, line: line)
        XCTAssertEqual(lines.compactMap { $0["MainAccountDisplayValue"]?.stringValue }, doc.lines.map(\.mainAccount), file: file, line: line)
        XCTAssertTrue(lines.allSatisfy { $0["HeaderReference"] == invoice["HeaderReference"] }, file: file, line: line)
    }

    /// Sums of line amounts per company and currency, from the documents and from what the sandbox stored.
    private func assertControlTotals(_ docs: [InvoiceDocument], _ invoices: [String: JSONValue], file: StaticString = #filePath, line: UInt = #line) {
        var expected: [String: Decimal] = [:]
        for doc in docs { for l in doc.lines { expected[doc.company + " " + doc.currency, default: 0] += DecimalText.parse(l.amount) ?? .nan } }
        var stored: [String: Decimal] = [:]
        for doc in docs {
            guard let invoice = invoices[doc.key] else { continue }
            let group = (invoice["dataAreaId"]?.stringValue ?? "") + " " + (invoice["Currency"]?.stringValue ?? "")
            for l in invoice["lines"]?.arrayValue ?? [] { stored[group, default: 0] += l["NetAmount"]?.decimalValue ?? .nan }
        }
        XCTAssertEqual(stored, expected, "control totals to the cent", file: file, line: line)
    }

    // MARK: - Strategies end to end

    func testTwoPhaseWritesHeadersThenLinesInFewRequestsWithExactAmountsAndARerunWritesNothing() async throws {
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
        assertControlTotals(docs, invoices)

        let log = try await requestLog()
        let batches = writeBatches(log)
        XCTAssertEqual(batches.count, 4, "two header batches, two line batches")
        XCTAssertTrue(log.allSatisfy { !url($0).hasPrefix("/data/VendorInvoice") }, "no per-document writes")
        XCTAssertEqual(creates(log, "VendorInvoiceHeaders").count, 20, "one header create per document")
        XCTAssertEqual(creates(log, "VendorInvoiceLines").count, docs.reduce(0) { $0 + $1.lines.count })
        XCTAssertFalse(batches.flatMap(parts).contains { url($0).hasPrefix("$") }, "no $n references")
        XCTAssertTrue(batches.flatMap(parts).allSatisfy { $0["status"]?.int64Value == 201 })
        // Every header travels before any line of its invoice.
        for batch in batches.prefix(2) { XCTAssertTrue(parts(batch).allSatisfy { url($0).hasPrefix("/data/VendorInvoiceHeaders") }) }
        let sent = await http.requestCount
        XCTAssertEqual(sent, log.count, "every attempt is counted, the token request included")
        XCTAssertEqual(sent, 5, "one token request and four $batch requests for 20 documents")
        XCTAssertFalse(capture.allText.contains("sandbox-only-client-secret"))
        XCTAssertFalse(capture.allText.contains("O'Brien"), "no bodies in the logs")

        // Rerun: everything is found, every page of every read inside $batch requests (the seed serves pages of 5)...
        try await sandbox.control("DELETE", "/_sandbox/d365/requests")
        let paged = try await d365.findExisting(docs)
        XCTAssertEqual(paged.count, 20)
        XCTAssertTrue(docs.allSatisfy { paged[$0.key]?.lineNumbers == $0.lines.map(\.lineNumber) })
        let pagedLookups = try await requestLog()
        XCTAssertTrue(
            pagedLookups.allSatisfy { url($0) == "/data/$batch" && parts($0).allSatisfy { method($0) == "GET" } },
            "\(pagedLookups.map { url($0) })")
        XCTAssertTrue(pagedLookups.flatMap(parts).contains { url($0).contains("skiptoken") }, "next pages are read inside a $batch too")
        // ... and with F&O's page size, one $batch of reads for the headers and one for their lines.
        try await settings(#"{"pageSize":10000}"#)
        try await sandbox.control("DELETE", "/_sandbox/d365/requests")
        let existing = try await d365.findExisting(docs)
        XCTAssertEqual(existing.count, 20)
        let lookups = try await requestLog()
        XCTAssertEqual(lookups.count, 2, "\(lookups.map { url($0) })")
        XCTAssertTrue(lookups.allSatisfy { url($0) == "/data/$batch" && parts($0).allSatisfy { method($0) == "GET" } })
        let rerun = await load(d365, docs, existing: existing)
        XCTAssertTrue(docs.allSatisfy { rerun[$0.key]?.status == .alreadyPresent && rerun[$0.key]?.linesWritten == 0 })
        let rerunLog = try await requestLog()
        XCTAssertEqual(rerunLog.count, 2, "the rerun writes nothing")
        let after = try await invoicesByNumber()
        XCTAssertEqual(after.count, 20)
    }

    func testReferencesStrategyPutsHeaderAndLinesInOneChangesetOnAServerThatTakesThem() async throws {
        let (d365, http) = target(batchSize: 10, strategy: .references)
        let docs = documents("EXP-R", count: 8)
        let results = await load(d365, docs)
        XCTAssertTrue(docs.allSatisfy { results[$0.key]?.status == .created })
        let invoices = try await invoicesByNumber()
        for doc in docs { assertHolds(invoices[doc.key], doc) }
        let log = try await requestLog()
        XCTAssertEqual(writeBatches(log).count, 1)
        XCTAssertEqual(creates(log, "VendorInvoiceHeaders").count, 8)
        XCTAssertTrue(writeBatches(log).flatMap(parts).contains { url($0).hasSuffix(")/VendorInvoiceLine") }, "lines go through the $n reference")
        let sent = await http.requestCount
        XCTAssertEqual(sent, 2, "token and one $batch")
        let learned = await d365.learnedCapabilities()
        XCTAssertEqual(learned, [:])
    }

    func testAServerRefusingReferencesTurnsTheRunTwoPhaseAndTheTargetRemembersIt() async throws {
        try await settings(#"{"contentIdReferences":false}"#)
        let capture = LogCapture()
        let (d365, _) = target(batchSize: 10, strategy: .references, capture: capture)
        let docs = documents("EXP-X", count: 6)
        let results = await load(d365, docs, concurrency: 1)
        XCTAssertTrue(
            docs.allSatisfy { results[$0.key]?.status == .created }, "\(results.values.map { "\($0.key) \($0.status) \($0.errorMessage ?? "")" })")
        let invoices = try await invoicesByNumber()
        XCTAssertEqual(invoices.count, 6)
        for doc in docs { assertHolds(invoices[doc.key], doc) }

        let log = try await requestLog()
        let batches = writeBatches(log)
        // The first $batch: every changeset refused at its first $n line, exactly as the independent server did.
        let refused = parts(batches[0]).filter { $0["status"]?.int64Value == 400 }
        XCTAssertEqual(refused.count, 6)
        XCTAssertTrue(refused.allSatisfy { url($0).hasPrefix("$") }, "\(refused)")
        XCTAssertEqual(batches.count, 3, "the refused batch, then headers, then lines")
        XCTAssertFalse(batches.dropFirst().flatMap(parts).contains { url($0).hasPrefix("$") })
        XCTAssertEqual(creates(Array(batches.dropFirst()), "VendorInvoiceHeaders").count, 6, "each header once after the refusal")
        let learned = await d365.learnedCapabilities()
        XCTAssertEqual(learned, [D365Capability.contentIDReferences: D365Capability.unsupported])
        XCTAssertEqual(capture.entries.filter { $0.level == .warning }.count, 1, "one warning for the run")

        // A later run that is told what was learned starts two-phase: not one $n is sent.
        try await sandbox.control("DELETE", "/_sandbox/d365/requests")
        let (next, _) = target(batchSize: 10, strategy: .references)
        await next.useCapabilities(learned)
        let more = documents("EXP-Y", count: 3)
        let second = await load(next, more, concurrency: 1)
        XCTAssertTrue(more.allSatisfy { second[$0.key]?.status == .created })
        let nextLog = try await requestLog()
        XCTAssertEqual(writeBatches(nextLog).count, 2)
        XCTAssertFalse(writeBatches(nextLog).flatMap(parts).contains { url($0).hasPrefix("$") || $0["status"]?.int64Value == 400 })
    }

    func testClientKeysSendHeaderAndLinesTogetherUnderTheReferenceDerivedFromTheKey() async throws {
        try await settings(#"{"manualHeaderReference":"allow"}"#)
        let (d365, http) = target(batchSize: 10, keys: .client)
        let docs = documents("EXP-C", count: 8)
        let results = await load(d365, docs)
        XCTAssertTrue(docs.allSatisfy { results[$0.key]?.status == .created && results[$0.key]?.erpReference == $0.key })
        let invoices = try await invoicesByNumber()
        for doc in docs {
            assertHolds(invoices[doc.key], doc)
            XCTAssertEqual(invoices[doc.key]?["HeaderReference"]?.stringValue, doc.key)
        }
        assertControlTotals(docs, invoices)
        let log = try await requestLog()
        XCTAssertEqual(writeBatches(log).count, 1, "one $batch: each invoice one changeset with its header and lines")
        XCTAssertEqual(parts(writeBatches(log)[0]).count, docs.reduce(0) { $0 + 1 + $1.lines.count })
        let sent = await http.requestCount
        XCTAssertEqual(sent, 2)

        // A rerun finds them all under their keys and writes nothing.
        let existing = try await d365.findExisting(docs)
        let rerun = await load(d365, docs, existing: existing)
        XCTAssertTrue(docs.allSatisfy { rerun[$0.key]?.status == .alreadyPresent })
        let after = try await invoicesByNumber()
        XCTAssertEqual(after.count, docs.count)
    }

    func testClientKeysOnAServerThatAssignsEveryReferenceFallBackToTwoPhaseAndAreRemembered() async throws {
        try await settings(#"{"manualHeaderReference":"reject"}"#)
        let capture = LogCapture()
        let (d365, _) = target(batchSize: 10, keys: .client, capture: capture)
        let docs = documents("EXP-S", count: 5)
        let results = await load(d365, docs, concurrency: 1)
        XCTAssertTrue(
            docs.allSatisfy { results[$0.key]?.status == .created }, "\(results.values.map { "\($0.key) \($0.status) \($0.errorMessage ?? "")" })")
        let invoices = try await invoicesByNumber()
        for doc in docs {
            assertHolds(invoices[doc.key], doc)
            XCTAssertTrue(invoices[doc.key]?["HeaderReference"]?.stringValue?.hasPrefix("0000") ?? false, "the server's number")
        }
        let log = try await requestLog()
        XCTAssertEqual(writeBatches(log).count, 3, "the refused batch, then headers, then lines")
        XCTAssertTrue(parts(writeBatches(log)[0]).allSatisfy { $0["status"]?.int64Value == 400 })
        let learned = await d365.learnedCapabilities()
        XCTAssertEqual(learned, [D365Capability.clientHeaderReference: D365Capability.refused])
        XCTAssertEqual(capture.entries.filter { $0.level == .warning }.count, 1)
    }

    // MARK: - Lost answers, refusals, reruns

    func testALostAnswerInTheHeadersPhaseIsSettledByLookupWithNothingDoubled() async throws {
        let losing = LosingTransport { !$0.contains("/data/VendorInvoiceLines ") }
        let (d365, _) = target(batchSize: 10, transport: losing)
        let docs = documents("EXP-LH", count: 7)
        let results = await load(d365, docs, concurrency: 1)
        XCTAssertEqual(losing.lost.count, 1)
        XCTAssertTrue(
            docs.allSatisfy { results[$0.key]?.status == .created && results[$0.key]?.linesWritten == $0.lines.count },
            "\(results.values.map { "\($0.key) \($0.status) \($0.errorMessage ?? "")" })")

        let invoices = try await invoicesByNumber()
        XCTAssertEqual(invoices.count, docs.count)
        for doc in docs { assertHolds(invoices[doc.key], doc) }
        assertControlTotals(docs, invoices)
        let log = try await requestLog()
        XCTAssertEqual(creates(log, "VendorInvoiceHeaders").count, docs.count, "no header is sent twice")
        // The lost batch is followed by a lookup before its invoices' lines are written.
        let sequence = log.map { entry -> String in
            guard url(entry) == "/data/$batch" else { return "other" }
            return parts(entry).allSatisfy { method($0) == "GET" } ? "read" : "write"
        }.filter { $0 != "other" }
        XCTAssertEqual(sequence.first, "write")
        XCTAssertEqual(sequence.last, "write")
        XCTAssertEqual(sequence.filter { $0 == "write" }.count, 2, "\(sequence)")
        XCTAssertTrue(sequence.dropFirst().dropLast().allSatisfy { $0 == "read" } && sequence.count > 2, "\(sequence)")
    }

    func testALostAnswerInTheLinesPhaseIsSettledByLookupWithNothingDoubled() async throws {
        let losing = LosingTransport { $0.contains("/data/VendorInvoiceLines ") }
        let (d365, _) = target(batchSize: 10, transport: losing)
        let docs = documents("EXP-LL", count: 7)
        let results = await load(d365, docs, concurrency: 1)
        XCTAssertEqual(losing.lost.count, 1)
        XCTAssertTrue(
            docs.allSatisfy { results[$0.key]?.status == .created }, "\(results.values.map { "\($0.key) \($0.status) \($0.errorMessage ?? "")" })")

        let invoices = try await invoicesByNumber()
        XCTAssertEqual(invoices.count, docs.count)
        for doc in docs { assertHolds(invoices[doc.key], doc) }
        let log = try await requestLog()
        XCTAssertEqual(creates(log, "VendorInvoiceHeaders").count, docs.count)
        XCTAssertEqual(creates(log, "VendorInvoiceLines").count, docs.reduce(0) { $0 + $1.lines.count }, "no line is sent twice")
        XCTAssertEqual(writeBatches(log).count, 2)
    }

    func testARequestThatNeverArrivedIsNotSentAgainInTheSameRunAndTheNextRunCreatesIt() async throws {
        let losing = LosingTransport(forward: false) { _ in true }
        let (d365, _) = target(batchSize: 10, transport: losing)
        let docs = documents("EXP-N", count: 4).filter { $0.company == "usmf" }
        let first = await load(d365, docs, concurrency: 1)
        XCTAssertTrue(docs.allSatisfy { first[$0.key]?.status == .failed && first[$0.key]?.errorCode == "http.network" })
        XCTAssertTrue(first[docs[0].key]?.errorMessage?.contains("not sent again in this run") ?? false)
        let none = try await invoicesByNumber()
        XCTAssertTrue(none.isEmpty)

        let (next, _) = target(batchSize: 10)
        let existing = try await next.findExisting(docs)
        XCTAssertTrue(existing.isEmpty)
        let second = await load(next, docs, existing: existing)
        XCTAssertTrue(docs.allSatisfy { second[$0.key]?.status == .created })
        let invoices = try await invoicesByNumber()
        for doc in docs { assertHolds(invoices[doc.key], doc) }
    }

    func testAFailedBatchIsLookedUpAndSentAgainWithoutDuplicates() async throws {
        let (d365, _) = target(batchSize: 5)
        try await sandbox.control("POST", "/_sandbox/d365/faults", #"{"count":1,"status":500,"entitySet":"$batch"}"#)
        let docs = documents("EXP-F", count: 5)
        let results = await load(d365, docs, concurrency: 1)
        XCTAssertTrue(docs.allSatisfy { results[$0.key]?.status == .created }, "\(results.values.map { "\($0.key) \($0.status)" })")

        let invoices = try await invoicesByNumber()
        XCTAssertEqual(invoices.count, 5)
        for doc in docs { assertHolds(invoices[doc.key], doc) }
        let log = try await requestLog()
        let batches = log.filter { url($0) == "/data/$batch" }
        XCTAssertEqual(batches.first?["status"]?.int64Value, 500)
        XCTAssertTrue(parts(batches[1]).allSatisfy { method($0) == "GET" }, "looked up before anything was sent again")
        XCTAssertEqual(creates(log, "VendorInvoiceHeaders").filter { $0["status"]?.int64Value == 201 }.count, 5)
    }

    func testRefusedLinesTakeTheirNewHeaderBackSoNoEmptyInvoiceIsLeft() async throws {
        let (d365, _) = target(batchSize: 10)
        var docs = documents("EXP-V", count: 10).filter { $0.company == "usmf" }
        let bad = 3
        docs[bad].lines[1].mainAccount = "699999"
        let results = await load(d365, docs, concurrency: 1)

        let failed = try XCTUnwrap(results[docs[bad].key])
        XCTAssertEqual(failed.status, .failed)
        XCTAssertEqual(failed.errorCode, "d365.validation")
        XCTAssertTrue(failed.errorMessage?.hasPrefix("Main account '699999' does not exist") ?? false, failed.errorMessage ?? "")
        XCTAssertFalse(failed.errorMessage?.contains("validateWrite") ?? true)
        XCTAssertNil(failed.erpReference)
        XCTAssertEqual(failed.linesWritten, 0)
        for (i, doc) in docs.enumerated() where i != bad { XCTAssertEqual(results[doc.key]?.status, .created, doc.key) }

        let invoices = try await invoicesByNumber()
        XCTAssertNil(invoices[docs[bad].key], "the header was deleted again: no invoice without its lines")
        XCTAssertEqual(invoices.count, docs.count - 1)
        for (i, doc) in docs.enumerated() where i != bad { assertHolds(invoices[doc.key], doc) }
        let log = try await requestLog()
        let deletes = writeBatches(log).flatMap(parts).filter { method($0) == "DELETE" }
        XCTAssertEqual(deletes.count, 1)
        XCTAssertEqual(deletes.first?["status"]?.int64Value, 204)

        // Fixed, it goes through on the next run.
        var fixed = docs[bad]
        fixed.lines[1].mainAccount = "600120"
        let (next, _) = target(batchSize: 10)
        let existing = try await next.findExisting([fixed])
        XCTAssertTrue(existing.isEmpty)
        let second = await load(next, [fixed], existing: existing)
        XCTAssertEqual(second[fixed.key]?.status, .created)
        let after = try await invoicesByNumber()
        assertHolds(after[fixed.key], fixed)
    }

    func testExistingDocumentsAreCompletedInBatchesAndDuplicateNumbersAreHandledLikeSingleLoads() async throws {
        let (single, _) = target(batchSize: 0)
        // A document left half-written by an earlier per-document run (line 2 refused: suspended account).
        let partial = document("EXP-E-0001", lines: [("10.00", "600120"), ("20.00", "600199"), ("30.00", "600130")])
        let first = await single.load(partial, existing: nil)
        XCTAssertEqual(first.linesWritten, 1)
        var fixed = partial
        fixed.lines[1].mainAccount = "600140"
        // The same again, but its missing lines are still refused: its header holds a line, so it stays.
        let stillBad = document("EXP-E-0004", lines: [("1.00", "600120"), ("2.00", "600199")])
        _ = await single.load(stillBad, existing: nil)
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
        let existing = try await d365.findExisting([fixed, stillBad])
        let results = await load(d365, [fixed, stillBad, pending, posted] + fresh, existing: existing)

        XCTAssertEqual(results[fixed.key]?.status, .completed)
        XCTAssertEqual(results[fixed.key]?.linesWritten, 2)
        XCTAssertEqual(results[stillBad.key]?.status, .failed)
        XCTAssertEqual(results[stillBad.key]?.erpReference, existing[stillBad.key]?.erpReference, "a header holding lines is kept")
        XCTAssertEqual(results[pending.key]?.status, .alreadyPresent, "a number already pending is found, not created twice")
        XCTAssertEqual(results[posted.key]?.status, .locked)
        XCTAssertEqual(results[posted.key]?.errorCode, "d365.duplicate_invoice")
        for doc in fresh { XCTAssertEqual(results[doc.key]?.status, .created) }

        let invoices = try await invoicesByNumber()
        assertHolds(invoices[fixed.key], fixed)
        assertHolds(invoices[pending.key], pending)
        XCTAssertEqual(invoices[stillBad.key]?["lines"]?.arrayValue?.count, 1)
        XCTAssertEqual(invoices[posted.key]?["posted"], .bool(true))
        for doc in fresh { assertHolds(invoices[doc.key], doc) }
        let log = try await requestLog()
        XCTAssertFalse(log.contains { url($0).hasPrefix("/data/VendorInvoice") && $0["method"]?.stringValue == "POST" }, "no per-document writes")
        XCTAssertEqual(
            creates(log, "VendorInvoiceLines").count,
            2 + 1 + fresh.reduce(0) { $0 + $1.lines.count }, "the missing lines once each, and the new invoices' lines")
        XCTAssertFalse(writeBatches(log).flatMap(parts).contains { method($0) == "DELETE" })
    }

    func testAServerWithoutBatchGetsOneWarningPerDocumentLoadsAndIsRemembered() async throws {
        let capture = LogCapture()
        let (d365, _) = target(batchSize: 2, capture: capture)
        try await sandbox.control("POST", "/_sandbox/d365/faults", #"{"count":10,"status":404,"entitySet":"$batch"}"#)
        let docs = documents("EXP-NB", count: 6)
        let results = await load(d365, docs, concurrency: 1)
        XCTAssertTrue(docs.allSatisfy { results[$0.key]?.status == .created })
        let invoices = try await invoicesByNumber()
        for doc in docs { assertHolds(invoices[doc.key], doc) }
        let log = try await requestLog()
        XCTAssertEqual(log.filter { url($0) == "/data/$batch" }.count, 1, "after the 404, no further $batch is tried")
        XCTAssertEqual(log.filter { url($0) == "/data/VendorInvoiceHeaders" && $0["method"]?.stringValue == "POST" }.count, 6)
        let warnings = capture.entries.filter { $0.level == .warning && $0.message.contains("$batch") }
        XCTAssertEqual(warnings.count, 1)
        let learned = await d365.learnedCapabilities()
        XCTAssertEqual(learned, [D365Capability.batch: D365Capability.unsupported])
    }

    func testAnExpiredTokenOnBatchIsRefreshedOnce() async throws {
        let (d365, http) = target(batchSize: 10)
        try await sandbox.control("POST", "/_sandbox/d365/faults", #"{"count":1,"status":401,"entitySet":"$batch"}"#)
        let docs = documents("EXP-T", count: 3)
        let results = await load(d365, docs)
        XCTAssertTrue(docs.allSatisfy { results[$0.key]?.status == .created })
        let log = try await requestLog()
        XCTAssertEqual(log.filter { url($0) == "/data/$batch" }.compactMap { $0["status"]?.int64Value }, [401, 200, 200])
        let sent = await http.requestCount
        XCTAssertEqual(sent, 5, "token, $batch 401, fresh token, headers $batch, lines $batch")
        let invoices = try await invoicesByNumber()
        XCTAssertEqual(invoices.count, 3)
    }
}
