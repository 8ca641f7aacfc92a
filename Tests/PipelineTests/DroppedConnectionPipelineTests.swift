import ConnectorCore
import ConnectorLedger
import Foundation
import XCTest

/// End to end: a night in which D365 applies one invoice header POST and then closes the connection without
/// answering. The run must hear it at once (no 60 s stall), find the header by its key, complete it, and leave
/// exactly what a night without the fault leaves.
final class DroppedConnectionPipelineTests: XCTestCase {
    /// InvoiceNumber → (header count, line count, line total) from the sandbox's stored invoices.
    private func stored(_ h: Harness) async throws -> [String: (headers: Int, lines: Int, total: Decimal)] {
        let any = try await h.control("GET", "/_sandbox/d365/invoices")
        let list = (any as? [String: Any])?["invoices"] as? [[String: Any]] ?? []
        var out: [String: (headers: Int, lines: Int, total: Decimal)] = [:]
        for invoice in list {
            guard let number = invoice["InvoiceNumber"] as? String else { continue }
            let lines = invoice["lines"] as? [[String: Any]] ?? []
            let total = lines.reduce(Decimal(0)) { $0 + dec($1["NetAmount"]) }
            let previous = out[number] ?? (0, 0, 0)
            out[number] = (previous.headers + 1, previous.lines + lines.count, previous.total + total)
        }
        return out
    }

    func testADroppedHeaderPostIsFoundByLookupAndNothingIsDoubled() async throws {
        // The per-request path (batchSize 0), where a header is its own POST; the same night without the fault, for comparison.
        let perRequest: (inout [String: Any]) -> Void = { c in
            var t = c["target"] as! [String: Any]
            t["batchSize"] = 0
            c["target"] = t
        }
        let baseline = try await Harness(configEdit: perRequest)
        defer { baseline.stop() }
        try baseline.cli(["run"])
        let expected = try await stored(baseline)
        XCTAssertGreaterThan(expected.count, 3)

        let h = try await Harness(configEdit: perRequest)
        defer { h.stop() }
        _ = try await h.control(
            "POST", "/_sandbox/d365/faults",
            body: ["count": 1, "drop": true, "method": "POST", "entitySet": "VendorInvoiceHeaders"])
        let start = Date()
        let run = try h.cli(["run", "--json"])
        let elapsed = Date().timeIntervalSince(start)
        XCTAssertLessThan(elapsed, 20, "no transport timeout was waited for (URLSession waited 60 s per drop)")

        let log = try await h.control("GET", "/_sandbox/d365/requests")
        let requests = (log as? [String: Any])?["requests"] as? [[String: Any]] ?? []
        XCTAssertEqual(requests.filter { $0["dropped"] as? Bool == true }.count, 1, "the fault fired")

        let got = try await stored(h)
        XCTAssertEqual(Set(got.keys), Set(expected.keys))
        for (number, e) in expected {
            let g = try XCTUnwrap(got[number])
            XCTAssertEqual(g.headers, 1, "\(number) has one header")
            XCTAssertEqual(g.lines, e.lines, "\(number) lines")
            XCTAssertEqual(g.total, e.total, "\(number) total")
        }

        let summary = try JSONValue.parse(run.stdout)
        XCTAssertEqual(summary["load"]?["failed"]?.int64Value, 0, run.stdout)
        XCTAssertEqual(summary["load"]?["completed"]?.int64Value, 1, "the dropped header was found and completed: \(run.stdout)")
        let results = try h.csv("load/results.csv")
        XCTAssertEqual(results.filter { $0["status"] == "completed" }.count, 1)

        let ledger = try Ledger(path: h.dir.appendingPathComponent("ledger.sqlite").path)
        let batch = try XCTUnwrap(try ledger.latestBatch())
        let events = try ledger.auditEvents(batchID: batch.id)
        XCTAssertEqual(
            events.filter { $0.event == "http.no_answer" && $0.detail.contains("VendorInvoiceHeaders") }.count, 1,
            "\(events.map(\.detail))")

        // The export was streamed to export.json; the ledger holds its SHA-256 as computed by sha256sum.
        let export = try h.latestBatch().appendingPathComponent("extract/export.json")
        let extract = try XCTUnwrap(try ledger.stageRuns(batchID: batch.id).first { $0.stage == .extract })
        XCTAssertEqual(extract.files["export.json"], try sha256sum(export))
    }

    private func sha256sum(_ file: URL) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["sha256sum", file.path]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(String(decoding: data, as: UTF8.self).prefix(64))
    }
}
