import ConnectorCore
import ConnectorLedger
import Foundation
import Logging
import XCTest

@testable import Pipeline

/// Reading loaded documents back for reconciliation from Business Central (API v2.0) and NAV (OData v4 pages, SOAP
/// pages): documents are loaded by the real CLI over loopback HTTP into the sandbox, then the target is built the way
/// the pipeline builds it and asked for `snapshot` of what the ledger recorded. What it reads must equal the staged
/// `invoices.json` to the cent, follow changes made in the sandbox behind the connector's back (an altered line, a
/// deleted draft, a posted document), and take a bounded number of requests.
final class BCNAVSnapshotTests: XCTestCase {
    static let traders = "Northwind Traders & Sons Ltd."
    /// Copies of report 90000001 (Traders & Sons, vendor EMP-0001) added to the Expensify sandbox, so one company
    /// holds more documents than one read chunk (15 keys).
    static let extraReports = 30
    var h: Harness!

    override func tearDown() async throws { h?.stop() }

    // MARK: Setup

    func start(_ sample: String, journal: Bool = false) async throws {
        h = try await Harness(sample: sample) { config in
            guard journal else { return }
            var t = config["target"] as! [String: Any]
            t["document"] = "generalJournal"
            config["target"] = t
        }
        _ = try await FaultSuite.addReports(h, count: Self.extraReports, firstID: 73_000_000)
        let r = try h.cli(["run"], expect: nil)
        XCTAssertTrue([0, 3].contains(r.code), r.stdout + r.stderr)
    }

    func context() throws -> PipelineContext {
        var env = ProcessInfo.processInfo.environment
        for (k, v) in Harness.secrets { env[k] = v }
        let config = try ConnectorConfig.load(try Data(contentsOf: h.configURL), source: h.configURL.path)
        var logger = Logger(label: "snapshot-test")
        logger.logLevel = .critical
        return try PipelineContext(config: config, logger: logger, command: "reconcile", environment: env)
    }

    /// The documents the ledger recorded as loaded in the newest batch, as reconciliation hands them to the target.
    func loaded(_ ctx: PipelineContext) throws -> [TrackedDocument] {
        let batch = try XCTUnwrap(try ctx.ledger.latestBatch()).id
        return try ctx.ledger.documents(batchID: batch).filter { $0.state == .loaded }.map {
            TrackedDocument(key: $0.key, company: $0.company, erpReference: $0.erpReference, number: $0.erpNumber)
        }
    }

    /// The staged documents of the newest batch, by key.
    func staged() throws -> [String: InvoiceDocument] {
        let data = try Data(contentsOf: try h.latestBatch().appendingPathComponent("transform/invoices.json"))
        let docs = try JSONDecoder().decode([InvoiceDocument].self, from: data)
        return Dictionary(docs.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
    }

    /// A fresh target built as the pipeline builds it, its snapshot and the HTTP requests it took.
    func snapshot(_ ctx: PipelineContext, _ docs: [TrackedDocument]) async throws -> (result: [String: ERPDocumentSnapshot], requests: Int) {
        let target = try ctx.target()
        let result = try await target.snapshot(docs)
        return (result, await target.requestCount())
    }

    /// Read chunks of 15 keys per company: the unit the request bound is counted in.
    static func chunks(_ docs: [TrackedDocument]) -> Int {
        Dictionary(grouping: docs, by: \.company).values.reduce(0) { $0 + ($1.count + 14) / 15 }
    }

    func companyQuery(_ company: String) -> String { company.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? company }

    /// `GET /_sandbox/nav/documents` of a company.
    func documents(_ company: String) async throws -> [String: Any] {
        try await h.control("GET", "/_sandbox/nav/documents?company=" + companyQuery(company)) as? [String: Any] ?? [:]
    }

    func update(_ body: [String: Any]) async throws { _ = try await h.control("POST", "/_sandbox/nav/update", body: body) }

    // MARK: Assertions

    /// Behind the connector's back, in the sandbox: line 1 of EXP90000001 altered (amount 12.34, another account of the
    /// same company), the draft EXP90000002 deleted, EXP90000021 posted. Returns the keys and the new account.
    func alterDeleteAndPost(_ staged: [String: InvoiceDocument]) async throws -> (
        altered: String, otherAccount: String, deleted: String, posted: String, draftNumbers: [String: String]
    ) {
        var invoices: [String: [String: Any]] = [:]
        var companyOf: [String: String] = [:]
        for c in BCPipelineTests.companies {
            for inv in try await documents(c)["purchaseInvoices"] as? [[String: Any]] ?? [] {
                let key = inv["vendorInvoiceNumber"] as? String ?? ""
                invoices[key] = inv
                companyOf[key] = c
            }
        }
        let altered = "EXP90000001"
        let alteredLine = try XCTUnwrap((invoices[altered]?["lines"] as? [[String: Any]])?.first)
        let tradersAccounts = staged.values.filter { $0.company.lowercased() == Self.traders.lowercased() }.flatMap(\.lines).map(\.mainAccount)
        let otherAccount = try XCTUnwrap(tradersAccounts.sorted().first { $0 != staged[altered]?.lines.first?.mainAccount })
        try await update([
            "company": Self.traders, "table": "purchaseInvoiceLine",
            "key": "\(invoices[altered]?["number"] as? String ?? "")/\(alteredLine["sequence"] as? Int ?? 0)",
            "fields": ["unitCost": "12.34", "accountNumber": otherAccount],
        ])
        let deleted = "EXP90000002"
        try await update([
            "company": Self.traders, "table": "purchaseInvoice", "key": invoices[deleted]?["number"] as? String ?? "", "fields": [:], "delete": true,
        ])
        let posted = "EXP90000021"
        let postedCompany = try XCTUnwrap(companyOf[posted])
        _ = try await h.control(
            "POST", "/_sandbox/nav/post?company=\(companyQuery(postedCompany))&purchaseInvoice=\(invoices[posted]?["number"] as? String ?? "")")
        return (altered, otherAccount, deleted, posted, invoices.compactMapValues { $0["number"] as? String })
    }

    /// The snapshot holds exactly the staged lines: account, amount (exact text) and, where the ERP returns them,
    /// dimensions (`dimensionCodes`: the codes the target can show; nil to skip).
    func assertSnapshot(
        _ s: ERPDocumentSnapshot?, equals d: InvoiceDocument, status: ERPDocumentStatus, currency: String?, dimensionCodes: Set<String>?,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        guard let s else { return XCTFail("\(d.key) missing from the snapshot", file: file, line: line) }
        XCTAssertEqual(s.key, d.key, file: file, line: line)
        XCTAssertEqual(s.company.lowercased(), d.company.lowercased(), d.key, file: file, line: line)
        XCTAssertEqual(s.status, status, d.key, file: file, line: line)
        XCTAssertEqual(s.currency, currency, d.key, file: file, line: line)
        XCTAssertEqual(s.lines.map(\.account), d.lines.map(\.mainAccount), "\(d.key) accounts", file: file, line: line)
        XCTAssertEqual(s.lines.map(\.amount), d.lines.map(\.amount), "\(d.key) amounts", file: file, line: line)
        if let codes = dimensionCodes {
            let expected = d.lines.map { l in (l.dimensions ?? [:]).filter { codes.contains($0.key) && !$0.value.isEmpty } }
            XCTAssertEqual(s.lines.map(\.dimensions), expected, "\(d.key) dimensions", file: file, line: line)
        }
    }

    /// Every loaded document is in the snapshot and matches its staged lines.
    func assertAllMatch(
        _ result: [String: ERPDocumentSnapshot], _ docs: [TrackedDocument], _ staged: [String: InvoiceDocument],
        currency: (InvoiceDocument) -> String?,
        dimensionCodes: Set<String>?, file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertEqual(Set(result.keys), Set(docs.map(\.key)), "every key asked for is answered", file: file, line: line)
        for t in docs {
            guard let d = staged[t.key] else {
                XCTFail("\(t.key) is loaded but not staged", file: file, line: line)
                continue
            }
            assertSnapshot(result[t.key], equals: d, status: .draft, currency: currency(d), dimensionCodes: dimensionCodes, file: file, line: line)
        }
    }

    func assertBounded(_ requests: Int, _ docs: [TrackedDocument], perChunk: Int, fixed: Int, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertGreaterThan(docs.count, 30, "the sample must exceed two read chunks", file: file, line: line)
        XCTAssertLessThanOrEqual(requests, perChunk * Self.chunks(docs) + fixed, "requests for \(docs.count) documents", file: file, line: line)
        XCTAssertLessThan(requests, docs.count, "fewer requests than documents", file: file, line: line)
    }

    // MARK: Business Central

    func testBCPurchaseInvoicesReadBackExactlyThenFollowAnAlteredLineADeletedDraftAndAPostedInvoice() async throws {
        try await start("config-bc.json")
        let ctx = try context()
        let docs = try loaded(ctx)
        let staged = try staged()
        let first = try await snapshot(ctx, docs)
        assertAllMatch(
            first.result, docs, staged, currency: { $0.currency }, dimensionCodes: ["DEPARTMENT", "COSTCENTER", "BUSINESSUNIT", "PROJECT"])
        // One token, the companies, and JSON $batch requests of 100 GET operations (15 keys each).
        XCTAssertGreaterThan(docs.count, 30)
        XCTAssertLessThanOrEqual(first.requests, 2 + (Self.chunks(docs) + 99) / 100, "requests for \(docs.count) documents")

        // Behind the connector's back: a line altered, a draft deleted, an invoice posted.
        let (altered, otherAccount, deleted, posted, draftNumbers) = try await alterDeleteAndPost(staged)

        let second = try await snapshot(ctx, docs).result
        let a = try XCTUnwrap(second[altered])
        XCTAssertEqual(a.status, .draft)
        XCTAssertEqual(a.lines.first?.amount, "12.34", "the altered amount")
        XCTAssertEqual(a.lines.first?.account, otherAccount, "the altered account")
        XCTAssertEqual(Array(a.lines.dropFirst().map(\.amount)), Array(staged[altered]!.lines.dropFirst().map(\.amount)))
        XCTAssertEqual(
            second[deleted],
            ERPDocumentSnapshot(
                key: deleted, company: docs.first { $0.key == deleted }!.company, status: .deleted, number: nil, currency: nil, lines: []))
        assertSnapshot(second[posted], equals: staged[posted]!, status: .posted, currency: staged[posted]!.currency, dimensionCodes: nil)
        XCTAssertNotEqual(second[posted]?.number, draftNumbers[posted], "the posted number")
        for t in docs where ![altered, deleted, posted].contains(t.key) {
            assertSnapshot(second[t.key], equals: staged[t.key]!, status: .draft, currency: staged[t.key]!.currency, dimensionCodes: nil)
        }
    }

    func testBCJournalReadsTheUnpostedLinesThenTheGLEntriesOncePosted() async throws {
        try await start("config-bc.json", journal: true)
        let ctx = try context()
        let docs = try loaded(ctx)
        let staged = try staged()
        let first = try await snapshot(ctx, docs)
        // The journal API carries no currency: the company's own (BC's journal path holds other currencies at transform).
        assertAllMatch(
            first.result, docs, staged, currency: { $0.currency }, dimensionCodes: ["DEPARTMENT", "COSTCENTER", "BUSINESSUNIT", "PROJECT"])
        // A token, the companies, one journal id per company, and $batch requests of 100 operations (per company its
        // currency, per chunk the journal lines and the G/L entries).
        let companies = Set(docs.map(\.company)).count
        XCTAssertGreaterThan(docs.count, 30)
        XCTAssertLessThanOrEqual(
            first.requests, 2 + companies + (companies + 2 * Self.chunks(docs) + 99) / 100, "requests for \(docs.count) documents")

        // Traders & Sons: one expense line altered, one document's lines deleted; another company's batch posted.
        let lines = try await documents(Self.traders)["journalLines"] as? [[String: Any]] ?? []
        func journalKey(_ l: [String: Any]) -> String { "\(l["template"] ?? "")/\(l["batch"] ?? "")/\(l["lineNumber"] ?? "")" }
        let altered = "EXP90000001"
        let alteredLine = try XCTUnwrap(lines.first { ($0["documentNumber"] as? String) == altered })
        try await update(["company": Self.traders, "table": "journalLine", "key": journalKey(alteredLine), "fields": ["amount": "99.99"]])
        let deleted = "EXP90000002"
        for l in lines where (l["documentNumber"] as? String) == deleted {
            try await update(["company": Self.traders, "table": "journalLine", "key": journalKey(l), "fields": [:], "delete": true])
        }
        let other = try XCTUnwrap(docs.first { $0.company.lowercased() != Self.traders.lowercased() })
        let otherCompany = try XCTUnwrap(BCPipelineTests.companies.first { $0.lowercased() == other.company.lowercased() })
        _ = try await h.control("POST", "/_sandbox/nav/post?company=\(companyQuery(otherCompany))&journalBatch=GENERAL/EXPENSES")

        let second = try await snapshot(ctx, docs).result
        XCTAssertEqual(second[altered]?.status, .draft)
        XCTAssertEqual(second[altered]?.lines.first?.amount, "99.99")
        XCTAssertEqual(second[deleted]?.status, .deleted)
        XCTAssertEqual(second[deleted]?.lines, [])
        for t in docs where t.company == other.company {
            // Posted: the G/L entries of the document number (debit − credit, dimension set lines), without the
            // balancing account's.
            assertSnapshot(
                second[t.key], equals: staged[t.key]!, status: .posted, currency: staged[t.key]!.currency,
                dimensionCodes: ["DEPARTMENT", "COSTCENTER", "BUSINESSUNIT", "PROJECT"])
        }
    }

    // MARK: NAV

    /// The staged currency as NAV shows it through the target: blank on the page is the configured local currency.
    static let navDimensions: Set<String> = ["DEPARTMENT", "COSTCENTER", "BUSINESSUNIT", "PROJECT"]

    func navInvoices(soap: Bool) async throws {
        try await start(soap ? "samples/config-nav-soap.json" : "samples/config-nav-odata.json")
        let ctx = try context()
        let docs = try loaded(ctx)
        let staged = try staged()
        let first = try await snapshot(ctx, docs)
        assertAllMatch(first.result, docs, staged, currency: { $0.currency }, dimensionCodes: Self.navDimensions)
        // Per company and chunk of 15 keys: the drafts with their lines, the posted list (SOAP reads until an empty page).
        assertBounded(first.requests, docs, perChunk: soap ? 4 : 2, fixed: 0)

        let (altered, otherAccount, deleted, posted, _) = try await alterDeleteAndPost(staged)

        let second = try await snapshot(ctx, docs)
        XCTAssertEqual(second.result[altered]?.lines.first?.amount, "12.34", "the altered amount")
        XCTAssertEqual(second.result[altered]?.lines.first?.account, otherAccount, "the altered account")
        XCTAssertEqual(second.result[deleted]?.status, .deleted)
        XCTAssertEqual(second.result[deleted]?.lines, [])
        // Posted: found in PostedPurchaseInvoices, its lines from the G/L entries of the posted number.
        assertSnapshot(second.result[posted], equals: staged[posted]!, status: .posted, currency: staged[posted]!.currency, dimensionCodes: nil)
        XCTAssertTrue(second.result[posted]?.number?.hasPrefix("PPI-") == true, "\(second.result[posted]?.number ?? "-")")
        for t in docs where ![altered, deleted, posted].contains(t.key) {
            assertSnapshot(second.result[t.key], equals: staged[t.key]!, status: .draft, currency: staged[t.key]!.currency, dimensionCodes: nil)
        }
        // One more read per chunk that found posted invoices: their G/L entries.
        assertBounded(second.requests, docs, perChunk: soap ? 6 : 3, fixed: 0)
    }

    func testNAVODataPurchaseInvoicesReadBackInBoundedReads() async throws { try await navInvoices(soap: false) }

    func testNAVSOAPPurchaseInvoicesReadBackInBoundedReads() async throws { try await navInvoices(soap: true) }

    func navJournal(soap: Bool) async throws {
        try await start(soap ? "samples/config-nav-soap.json" : "samples/config-nav-odata.json", journal: true)
        let ctx = try context()
        let docs = try loaded(ctx)
        let staged = try staged()
        let first = try await snapshot(ctx, docs)
        assertAllMatch(first.result, docs, staged, currency: { $0.currency }, dimensionCodes: Self.navDimensions)
        // Per company and chunk: the journal lines and the G/L entries.
        assertBounded(first.requests, docs, perChunk: soap ? 4 : 2, fixed: 0)

        let lines = try await documents(Self.traders)["journalLines"] as? [[String: Any]] ?? []
        func journalKey(_ l: [String: Any]) -> String { "\(l["template"] ?? "")/\(l["batch"] ?? "")/\(l["lineNumber"] ?? "")" }
        let deleted = "EXP90000002"
        for l in lines where (l["documentNumber"] as? String) == deleted {
            try await update(["company": Self.traders, "table": "journalLine", "key": journalKey(l), "fields": [:], "delete": true])
        }
        _ = try await h.control("POST", "/_sandbox/nav/post?company=\(companyQuery(Self.traders))&journalBatch=GENERAL/EXPENSES")
        // Another company's unposted document: one expense line's amount and account altered.
        let other = try XCTUnwrap(docs.first { $0.company.lowercased() != Self.traders.lowercased() })
        let otherCompany = try XCTUnwrap(BCPipelineTests.companies.first { $0.lowercased() == other.company.lowercased() })
        let otherLines = try await documents(otherCompany)["journalLines"] as? [[String: Any]] ?? []
        let alteredLine = try XCTUnwrap(otherLines.first { ($0["documentNumber"] as? String) == other.key })
        let was = alteredLine["accountNumber"] as? String ?? ""
        let otherAccount =
            staged.values.filter { $0.company.lowercased() == other.company.lowercased() }.flatMap(\.lines).map(\.mainAccount).sorted()
            .first { $0 != was } ?? was
        let newAmount = staged[other.key]?.currency == "JPY" ? "7770" : "77.70"
        try await update([
            "company": otherCompany, "table": "journalLine", "key": journalKey(alteredLine),
            "fields": ["amount": newAmount, "accountNumber": otherAccount],
        ])
        let second = try await snapshot(ctx, docs).result
        XCTAssertEqual(second[deleted]?.status, .deleted)
        XCTAssertEqual(second[other.key]?.status, .draft)
        XCTAssertEqual(second[other.key]?.lines.first?.account, otherAccount, "the altered account")
        XCTAssertEqual(second[other.key]?.lines.first?.amount, newAmount, "the altered amount")
        for t in docs where t.company.lowercased() == Self.traders.lowercased() && t.key != deleted {
            // Posted: the G/L entries of the document number, without the balancing account's.
            assertSnapshot(second[t.key], equals: staged[t.key]!, status: .posted, currency: staged[t.key]!.currency, dimensionCodes: nil)
        }
        for t in docs where t.company.lowercased() != Self.traders.lowercased() && t.key != other.key {
            assertSnapshot(
                second[t.key], equals: staged[t.key]!, status: .draft, currency: staged[t.key]!.currency, dimensionCodes: Self.navDimensions)
        }
    }

    func testNAVODataJournalReadsLinesThenGLEntries() async throws { try await navJournal(soap: false) }

    func testNAVSOAPJournalReadsLinesThenGLEntries() async throws { try await navJournal(soap: true) }
}
