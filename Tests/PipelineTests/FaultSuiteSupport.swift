import ConnectorCore
import ConnectorLedger
import Foundation
import XCTest

/// Settings and checks shared by the fault suite (kills, random faults, bad input).
///
/// Default: small enough for CI. `ML_SOAK=1` runs the manual soak (100 kills per load mode, more random-fault nights).
/// `ML_FAULT_SEED=<n>` replays a run: every failure message prints the seed it used.
enum FaultSuite {
    static let environment = ProcessInfo.processInfo.environment
    static var soak: Bool { environment["ML_SOAK"] == "1" }

    static func number(_ name: String, default value: Int) -> Int {
        environment[name].flatMap(Int.init).map { max(1, $0) } ?? value
    }

    /// The seed of this run: `ML_FAULT_SEED`, else a fresh one (printed with every failure).
    static func seed() -> UInt64 {
        if let s = environment["ML_FAULT_SEED"].flatMap(UInt64.init) { return s }
        var system = SystemRandomNumberGenerator()
        return system.next() % 1_000_000_000
    }

    /// SplitMix64: the random delays and choices of a run, replayable from its seed.
    struct Random: RandomNumberGenerator {
        private var state: UInt64
        init(seed: UInt64) { state = seed }
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// Adds `count` copies of seed report 90000001 (three expenses, one in EUR) under new IDs, approved after every
    /// earlier batch's watermark and unlabelled; returns their IDs.
    @discardableResult
    static func addReports(_ h: Harness, count: Int, firstID: Int) async throws -> [String] {
        let seed =
            try JSONSerialization.jsonObject(with: Data(contentsOf: Harness.repo.appendingPathComponent("samples/sandbox/expensify.json")))
            as! [String: Any]
        let template = (seed["reports"] as! [[String: Any]]).first { $0["reportID"] as? String == "90000001" }!
        var reports: [[String: Any]] = []
        var ids: [String] = []
        for n in 0..<count {
            let id = String(firstID + n)
            var report = template
            report["reportID"] = id
            report["labels"] = [String]()
            report["approved"] = "2026-11-21 08:00:00"
            var expenses = report["transactionList"] as! [[String: Any]]
            for i in expenses.indices { expenses[i]["transactionID"] = "\(id)\(i)" }
            report["transactionList"] = expenses
            reports.append(report)
            ids.append(id)
        }
        _ = try await h.control("POST", "/_sandbox/expensify/reports", body: reports)
        return ids
    }

    /// Every invoice the sandbox D365 holds: InvoiceNumber → how many headers carry it, their lines and line total,
    /// company and currency.
    struct Stored {
        var headers = 0
        var lines = 0
        var total = Decimal(0)
        var company = ""
        var currency = ""
    }

    static func stored(_ h: Harness) async throws -> [String: Stored] {
        let any = try await h.control("GET", "/_sandbox/d365/invoices")
        var out: [String: Stored] = [:]
        for invoice in (any as? [String: Any])?["invoices"] as? [[String: Any]] ?? [] {
            guard let number = invoice["InvoiceNumber"] as? String else { continue }
            let lines = invoice["lines"] as? [[String: Any]] ?? []
            var s = out[number] ?? Stored()
            s.headers += 1
            s.lines += lines.count
            s.total += lines.reduce(Decimal(0)) { $0 + dec($1["NetAmount"]) }
            s.company = invoice["dataAreaId"] as? String ?? ""
            s.currency = invoice["Currency"] as? String ?? ""
            out[number] = s
        }
        return out
    }

    /// Asserts that every invoice is held once; that each invoice's stored line total equals, to the cent, its total
    /// in the `reports.csv` of the last batch whose transform made it ready; and, when every report was ready in one
    /// batch only, that per company and currency the stored totals equal the sum of every batch's control totals.
    static func assertPostedOnceAndCentExact(_ h: Harness, context: String, file: StaticString = #filePath, line: UInt = #line) async throws {
        let stored = try await stored(h)
        XCTAssertFalse(stored.isEmpty, "nothing was posted — \(context)", file: file, line: line)
        for (number, s) in stored.sorted(by: { $0.key < $1.key }) where s.headers != 1 {
            XCTFail("\(number) is held \(s.headers) times — \(context)", file: file, line: line)
        }
        var controlTotals: [String: Decimal] = [:]
        var invoiceTotals: [String: Decimal] = [:]
        var readyIn: [String: Int] = [:]
        let batches = try FileManager.default.contentsOfDirectory(atPath: h.stagingRoot.path).filter { $0.hasPrefix("2") }.sorted()
        for batch in batches {
            let folder = h.stagingRoot.appendingPathComponent(batch).appendingPathComponent("transform")
            guard let totals = try? Data(contentsOf: folder.appendingPathComponent("control-totals.csv")),
                let reports = try? Data(contentsOf: folder.appendingPathComponent("reports.csv"))
            else { continue }
            for row in CSVRows.parse(totals) where row["main_account"] == "(all)" {
                controlTotals["\(row["company"] ?? "") \(row["currency"] ?? "")", default: 0] += dec(row["amount"] ?? "")
            }
            for row in CSVRows.parse(reports) where row["status"] == "ready" {
                for (invoice, total) in [("employee_invoice", "employee_total"), ("card_invoice", "card_total")] {
                    guard let number = row[invoice], !number.isEmpty else { continue }
                    invoiceTotals[number] = dec(row[total] ?? "")
                    readyIn[number, default: 0] += 1
                }
            }
        }
        XCTAssertEqual(Set(stored.keys), Set(invoiceTotals.keys), "every ready invoice is stored, nothing else — \(context)", file: file, line: line)
        for (number, total) in invoiceTotals.sorted(by: { $0.key < $1.key }) {
            guard let s = stored[number] else { continue }
            XCTAssertEqual(s.total, total, "\(number): stored lines vs transform's total — \(context)", file: file, line: line)
        }
        guard readyIn.values.allSatisfy({ $0 == 1 }) else { return }
        var actual: [String: Decimal] = [:]
        for s in stored.values { actual["\(s.company) \(s.currency)", default: 0] += s.total }
        XCTAssertEqual(
            actual, controlTotals, "stored totals per company and currency vs the control totals of \(batches.count) batches — \(context)",
            file: file, line: line)
    }

    /// Asserts that nothing is left half-done in the ledger: every document `loaded`, every report committed, held
    /// or with nothing to post; returns the documents.
    @discardableResult
    static func assertNothingPending(_ h: Harness, context: String, file: StaticString = #filePath, line: UInt = #line) throws -> [String:
        DocumentRecord]
    {
        let ledger = try Ledger(path: h.dir.appendingPathComponent("ledger.sqlite").path)
        var documents: [String: DocumentRecord] = [:]
        var reports: [String: ReportRecord] = [:]
        for batch in try ledger.batches(limit: 100_000) {
            for d in try ledger.documents(batchID: batch.id) { documents[d.key] = d }
            for r in try ledger.reports(lastBatchID: batch.id) { reports[r.reportID] = r }
        }
        for d in documents.values.sorted(by: { $0.key < $1.key }) where d.state != .loaded {
            XCTFail("document \(d.key) is \(d.state.rawValue) (\(d.error ?? "-")) — \(context)", file: file, line: line)
        }
        for r in reports.values.sorted(by: { $0.reportID < $1.reportID }) where ![.committed, .held, .empty].contains(r.state) {
            XCTFail("report \(r.reportID) is \(r.state.rawValue) — \(context)", file: file, line: line)
        }
        return documents
    }

    /// The `http.error` / `http.no_answer` audit events of every batch.
    static func httpAudit(_ h: Harness) throws -> [AuditEvent] {
        let ledger = try Ledger(path: h.dir.appendingPathComponent("ledger.sqlite").path)
        return try ledger.auditEvents().filter { $0.event == "http.error" || $0.event == "http.no_answer" }
    }
}
