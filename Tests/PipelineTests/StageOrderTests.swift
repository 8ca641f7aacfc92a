import ConnectorLedger
import Foundation
import XCTest

/// Stages rerun by hand cannot undo work, and edited staged inputs are refused by name.
final class StageOrderTests: XCTestCase {
    func testAnEditedExtractIsRefusedByTransformNamingTheFile() async throws {
        let h = try await Harness()
        defer { h.stop() }
        try h.cli(["extract"])
        let records = try h.latestBatch().appendingPathComponent("extract/records.jsonl")
        let text = try String(contentsOf: records, encoding: .utf8).replacingOccurrences(of: "\"amount\":45230", with: "\"amount\":945230")
        try text.write(to: records, atomically: true, encoding: .utf8)
        let r = try h.cli(["transform"], expect: 1)
        XCTAssertTrue(r.stderr.contains("staging.tampered") && r.stderr.contains("extract/records.jsonl"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: try h.latestBatch().appendingPathComponent("transform/invoices.json").path))
    }

    func testAStageCannotBeRepeatedOnceALaterOneRan() async throws {
        let h = try await Harness()
        defer { h.stop() }
        try h.cli(["run"])
        let batch = try h.latestBatch().lastPathComponent
        for stage in ["extract", "transform", "load"] {
            let r = try h.cli([stage, "--batch", batch], expect: 1)
            XCTAssertTrue(r.stderr.contains("stage.order") && r.stderr.contains("cannot run again for batch \(batch)"), "\(stage): \(r.stderr)")
        }
        // The batch's files and states are untouched: its invoices are still there and nothing went back to extracted.
        let ledger = try Ledger(path: h.dir.appendingPathComponent("ledger.sqlite").path)
        XCTAssertEqual(try ledger.report("90000001")?.state, .committed)
        XCTAssertEqual(try ledger.report("90000003")?.state, .held)
        let invoices = try Data(contentsOf: try h.latestBatch().appendingPathComponent("transform/invoices.json"))
        XCTAssertGreaterThan(invoices.count, 100)
    }

    func testCommitNeedsALoadNewerThanTheNewestTransform() async throws {
        let h = try await Harness()
        defer { h.stop() }
        try h.cli(["extract"])
        try h.cli(["transform"])
        try h.cli(["load"])
        // transform cannot run again after load, so the newest transform is the one load used: commit proceeds.
        try h.cli(["commit"])
        let batch = try h.latestBatch().lastPathComponent
        let r = try h.cli(["transform", "--batch", batch], expect: 1)
        XCTAssertTrue(r.stderr.contains("'load' already ran") || r.stderr.contains("'commit' already ran"), r.stderr)
    }

    func testABatchFolderIsNeverOverwritten() async throws {
        let h = try await Harness()
        defer { h.stop() }
        // A folder named like the batch the next run would create (this second, and the next few) already exists.
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyyMMdd-HHmmss"
        var planted: [URL] = []
        for offset in 0..<3 {
            let dir = h.stagingRoot.appendingPathComponent(f.string(from: Date().addingTimeInterval(Double(offset))))
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            try Data("keep me".utf8).write(to: dir.appendingPathComponent("note.txt"))
            planted.append(dir)
        }
        try h.cli(["extract"])
        for dir in planted {
            XCTAssertEqual(try String(contentsOf: dir.appendingPathComponent("note.txt"), encoding: .utf8), "keep me")
            XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("extract").path), dir.lastPathComponent)
        }
    }
}
