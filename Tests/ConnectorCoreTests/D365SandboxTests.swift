import ConnectorCore
import ConnectorHTTP
import Dynamics365
import Foundation
import Logging
import XCTest

/// `D365Target` over the wire against the D365 F&O and Entra simulators, seeded with the sample firm
/// (samples/FIRM.md).
final class D365SandboxTests: XCTestCase {
    private var sandbox: SandboxProcess!

    override func setUp() async throws {
        sandbox = try SandboxProcess.start()
    }

    override func tearDown() async throws {
        sandbox?.stop()
    }

    private func target(capture: LogCapture = LogCapture(), chunk: Int = 20) -> (D365Target, HTTPClient) {
        let http = HTTPClient(
            transport: CurlTransport(), retry: RetryPolicy(maxAttempts: 3, baseDelay: 0.01, maxDelay: 0.05, jitter: 0),
            logger: capture.logger, system: "d365")
        let settings = D365Settings(
            environmentURL: sandbox.url, authorityURL: sandbox.url, tenant: "northwind.onmicrosoft.com",
            clientID: "3f1c9a52-7d4e-4b8a-9c61-2e5f8d0b7a14",
            clientSecret: Secret("sandbox-only-client-secret-7Qk2"), lookupChunkSize: chunk, batchSize: 0)
        return (D365Target(settings: settings, http: http, logger: capture.logger), http)
    }

    private func document(
        _ key: String, company: String = "usmf", vendor: String = "EMP-0001", currency: String = "USD",
        lines: [(amount: String, account: String)]
    ) -> InvoiceDocument {
        let invoiceLines = lines.enumerated().map { i, l in
            InvoiceLine(
                lineNumber: i + 1, transactionID: "T\(i + 1)", description: "Line \(i + 1): O'Brien & \"Söhne\"", amount: l.amount,
                mainAccount: l.account, dimensionDisplayValue: "010-W01-", category: "Meals", merchant: "m",
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

    /// Invoices the simulator holds for `company`, pending and posted.
    private func invoices(_ company: String) async throws -> [JSONValue] {
        let (_, json) = try await sandbox.control("GET", "/_sandbox/d365/invoices?dataAreaId=\(company)")
        return json?["invoices"]?.arrayValue ?? []
    }

    func testReferenceDataOfTheSampleFirm() async throws {
        let capture = LogCapture()
        let (d365, http) = target(capture: capture)
        let reference = try await d365.fetchReferenceData(companies: ["jpmf", "USMF", "gbsi"], vendorGroup: nil)

        XCTAssertEqual(reference.target, "d365fo")
        XCTAssertEqual(reference.companies.map(\.id), ["gbsi", "jpmf", "usmf"])
        XCTAssertEqual(reference.companies.map(\.currency), ["GBP", "JPY", "USD"])
        XCTAssertEqual(reference.dimensionFormat, ["Department", "CostCenter", "BusinessUnit"])
        XCTAssertEqual(reference.dimensionDelimiter, "-")
        XCTAssertEqual(reference.mainAccounts.map(\.id), reference.mainAccounts.map(\.id).sorted())
        XCTAssertEqual(reference.mainAccounts.first { $0.id == "600199" }?.isSuspended, true)
        XCTAssertEqual(reference.mainAccounts.first { $0.id == "600120" }?.isSuspended, false)

        let usmf = try XCTUnwrap(reference.company("usmf"))
        XCTAssertEqual(usmf.vendors.map(\.account), usmf.vendors.map(\.account).sorted())
        XCTAssertEqual(usmf.vendors.first { $0.account == "EMP-0003" }?.blocksInvoices, true)
        XCTAssertEqual(usmf.vendors.first { $0.account == "EMP-0002" }?.email, "Bob.Martin@Northwind.Example")
        XCTAssertNotNil(usmf.vendors.first { $0.account == "V-IVAN-01" && $0.group == "CONS" })
        XCTAssertNotNil(usmf.dimensionValues.first { $0.dimension == "CostCenter" && $0.value == "PL-01" })
        XCTAssertEqual(reference.company("gbsi")?.dimensionValues.first { $0.value == "OLD1" }?.isSuspended, true)
        XCTAssertEqual(reference.company("gbsi")?.vendors.first { $0.account == "EMP-1003" }?.currency, "EUR")

        // Company reads carry cross-company=true and an explicit dataAreaId filter; one paged read per entity.
        let (_, log) = try await sandbox.control("GET", "/_sandbox/d365/requests")
        let urls = (log?["requests"]?.arrayValue ?? []).compactMap { $0["url"]?.stringValue?.removingPercentEncoding }
        let vendorReads = urls.filter { $0.hasPrefix("/data/VendorsV2") && !$0.contains("skiptoken") }
        XCTAssertEqual(vendorReads.count, 3)
        XCTAssertTrue(vendorReads.allSatisfy { $0.contains("cross-company=true") && $0.contains("dataAreaId eq '") }, "\(vendorReads)")
        XCTAssertEqual(urls.filter { $0.hasPrefix("/data/Ledgers") }.count, 1)
        let sent = await http.requestCount
        XCTAssertEqual(sent, urls.count, "every attempt is counted, the token request included")

        let employees = try await target().0.fetchReferenceData(companies: ["usmf"], vendorGroup: "EMP")
        XCTAssertFalse(employees.companies[0].vendors.isEmpty)
        XCTAssertTrue(employees.companies[0].vendors.allSatisfy { $0.group == "EMP" })
        XCTAssertFalse(capture.allText.contains("sandbox-only-client-secret"))
    }

    func testCreateFindAndRerunWithExactAmounts() async throws {
        let (d365, _) = target(chunk: 2)
        let us = document("EXP-T-0001", lines: [("452.30", "600100"), ("217.34", "600110"), ("-12.50", "600130")])
        let quote = document("EXP-T-0'2", lines: [("99.99", "600120")])
        let yen = document(
            "EXP-T-0003", company: "jpmf", vendor: "EMP-2001", currency: "JPY",
            lines: [("1500", "600130"), ("19800", "600110")])
        let none = try await d365.findExisting([us, quote, yen])
        XCTAssertTrue(none.isEmpty)

        for doc in [us, quote, yen] {
            let result = await d365.load(doc, existing: nil)
            XCTAssertEqual(result.status, .created, "\(result)")
            XCTAssertEqual(result.linesWritten, doc.lines.count)
            XCTAssertNotNil(result.erpReference)
        }

        let japanInvoices = try await invoices("jpmf")
        let japan = try XCTUnwrap(japanInvoices.first { $0["InvoiceNumber"]?.stringValue == "EXP-T-0003" })
        XCTAssertEqual(japan["ImportedAmount"]?.decimalValue, 21300)
        XCTAssertEqual(japan["lines"]?.arrayValue?.compactMap { $0["UnitPrice"]?.decimalValue }, [1500, 19800])
        let usInvoices = try await invoices("usmf")
        let usInvoice = try XCTUnwrap(usInvoices.first { $0["InvoiceNumber"]?.stringValue == "EXP-T-0001" })
        XCTAssertEqual(usInvoice["ImportedAmount"]?.decimalValue, DecimalText.parse("657.14"))
        XCTAssertEqual(
            usInvoice["lines"]?.arrayValue?.compactMap { $0["NetAmount"]?.decimalValue },
            [DecimalText.parse("452.30"), DecimalText.parse("217.34"), DecimalText.parse("-12.50")].compactMap { $0 })
        XCTAssertEqual(usInvoice["lines"]?.arrayValue?.last?["LineDescription"]?.stringValue, "Line 3: O'Brien & \"Söhne\"")

        let found = try await d365.findExisting([us, quote, yen, document("EXP-T-NONE", lines: [("1.00", "600120")])])
        XCTAssertEqual(Set(found.keys), ["EXP-T-0001", "EXP-T-0'2", "EXP-T-0003"])
        XCTAssertEqual(found["EXP-T-0001"]?.lineNumbers, [1, 2, 3])
        XCTAssertEqual(found["EXP-T-0003"]?.company, "jpmf")

        let rerun = await d365.load(us, existing: found["EXP-T-0001"])
        XCTAssertEqual(rerun.status, .alreadyPresent)
        XCTAssertEqual(rerun.linesWritten, 0)
        let blind = await d365.load(quote, existing: nil)
        XCTAssertEqual(blind.status, .alreadyPresent, "a number already pending is found, not created twice: \(blind)")
        let count = try await invoices("usmf").filter { $0["InvoiceNumber"]?.stringValue == "EXP-T-0'2" }.count
        XCTAssertEqual(count, 1)
    }

    func testMissingLinesAreAddedAfterAFailedLine() async throws {
        let (d365, _) = target()
        // Main account 600199 is suspended: the header and line 1 are written, line 2 is refused.
        let broken = document("EXP-T-0100", lines: [("10.00", "600120"), ("20.00", "600199"), ("30.00", "600130")])
        let first = await d365.load(broken, existing: nil)
        XCTAssertEqual(first.status, .failed)
        XCTAssertEqual(first.errorCode, "d365.validation")
        XCTAssertEqual(first.linesWritten, 1)
        let reference = try XCTUnwrap(first.erpReference)

        let fixed = document("EXP-T-0100", lines: [("10.00", "600120"), ("20.00", "600140"), ("30.00", "600130")])
        let existing = try await d365.findExisting([fixed])
        XCTAssertEqual(existing["EXP-T-0100"]?.lineNumbers, [1])
        XCTAssertEqual(existing["EXP-T-0100"]?.erpReference, reference)
        let second = await d365.load(fixed, existing: existing["EXP-T-0100"])
        XCTAssertEqual(second.status, .completed, "\(second)")
        XCTAssertEqual(second.linesWritten, 2)
        XCTAssertEqual(second.erpReference, reference)
    }

    func testValidationErrorsAndPostedInvoices() async throws {
        let (d365, _) = target()
        let held = await d365.load(document("EXP-T-0200", vendor: "EMP-0003", lines: [("612.00", "600100")]), existing: nil)
        XCTAssertEqual(held.status, .failed)
        XCTAssertEqual(held.errorCode, "d365.validation")
        XCTAssertTrue(held.errorMessage?.contains("EMP-0003") ?? false, held.errorMessage ?? "")
        XCTAssertFalse(held.errorMessage?.contains("validateWrite") ?? true)

        let doc = document("EXP-T-0201", lines: [("89.99", "600150")])
        let created = await d365.load(doc, existing: nil)
        let reference = try XCTUnwrap(created.erpReference)
        let (status, _) = try await sandbox.control("POST", "/_sandbox/d365/post?dataAreaId=usmf&HeaderReference=\(reference)")
        XCTAssertEqual(status, 200)
        // Posting takes the invoice out of the pending tables; its number stays taken.
        let after = try await d365.findExisting([doc])
        XCTAssertNil(after[doc.key])
        let rerun = await d365.load(doc, existing: nil)
        XCTAssertEqual(rerun.status, .locked, "\(rerun)")
        XCTAssertEqual(rerun.errorCode, "d365.duplicate_invoice")
        XCTAssertFalse(rerun.isConfirmed)
    }

    func testAmbiguousHeaderFailureCreatesNothingAndThrottlingAndExpiredTokensAreRidden() async throws {
        let (d365, http) = target()
        try await sandbox.control("POST", "/_sandbox/d365/faults", #"{"count":1,"status":502,"method":"POST","entitySet":"VendorInvoiceHeaders"}"#)
        let doc = document("EXP-T-0300", lines: [("1.00", "600120"), ("2.00", "600120")])
        let ambiguous = await d365.load(doc, existing: nil)
        XCTAssertEqual(ambiguous.status, .failed)
        XCTAssertEqual(ambiguous.errorCode, "http.ambiguous")
        let nothing = try await d365.findExisting([doc])
        XCTAssertTrue(nothing.isEmpty)

        try await sandbox.control(
            "POST", "/_sandbox/d365/faults", #"{"count":1,"status":429,"retryAfter":0,"method":"POST","entitySet":"VendorInvoiceLines"}"#)
        try await sandbox.control("POST", "/_sandbox/d365/faults", #"{"count":1,"status":401,"method":"POST","entitySet":"VendorInvoiceHeaders"}"#)
        let before = await http.requestCount
        let ok = await d365.load(doc, existing: nil)
        XCTAssertEqual(ok.status, .created, "\(ok)")
        XCTAssertEqual(ok.linesWritten, 2)
        let after = await http.requestCount
        let countedByTarget = await d365.requestCount()
        XCTAssertEqual(after, countedByTarget)
        // header 401, token, header again, line 429, line again, line 2
        XCTAssertEqual(after - before, 6)
    }

    /// The server stores a header and a line, then closes each connection without answering: with the libcurl
    /// transport the target hears it at once, looks the key up, and goes on; nothing is written twice.
    func testDroppedConnectionsAfterAppliedWritesAreSettledByLookupAtOnce() async throws {
        let (d365, _) = target()
        try await sandbox.control("POST", "/_sandbox/d365/faults", #"{"count":1,"drop":true,"method":"POST","entitySet":"VendorInvoiceHeaders"}"#)
        try await sandbox.control("POST", "/_sandbox/d365/faults", #"{"count":1,"drop":true,"method":"POST","entitySet":"VendorInvoiceLines"}"#)
        let doc = document("EXP-T-0400", lines: [("1.00", "600120"), ("2.00", "600120"), ("3.00", "600130")])
        let start = Date()
        let result = await d365.load(doc, existing: nil)
        XCTAssertLessThan(Date().timeIntervalSince(start), 5, "no timeout waited for")
        XCTAssertEqual(result.status, .completed, "the header was found by its key and completed: \(result)")
        XCTAssertEqual(result.linesWritten, 3)
        let stored = try await invoices("usmf").filter { $0["InvoiceNumber"]?.stringValue == "EXP-T-0400" }
        XCTAssertEqual(stored.count, 1, "one header")
        XCTAssertEqual(stored.first?["lines"]?.arrayValue?.compactMap { $0["InvoiceLineNumber"]?.decimalValue }, [1, 2, 3], "each line once")
        let (_, log) = try await sandbox.control("GET", "/_sandbox/d365/requests")
        let dropped = log?["requests"]?.arrayValue?.filter { $0["dropped"] == .bool(true) }.count
        XCTAssertEqual(dropped, 2)
    }
}
