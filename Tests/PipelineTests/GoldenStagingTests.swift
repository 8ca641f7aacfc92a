import Foundation
import XCTest

/// Pins the staged review files of the sample firm byte for byte, so a refactor cannot change what finance
/// reviews or what load sends without a deliberate update of the golden copies.
///
/// To accept an intended change: `UPDATE_GOLDEN=1 swift test --filter GoldenStagingTests`, then review the diff.
final class GoldenStagingTests: XCTestCase {
    static let goldenDir = Harness.repo.appendingPathComponent("Tests/PipelineTests/Golden/sample-firm")
    /// The files transform writes (all of them), and what extract stages for it: normalised records, catalog, master data.
    static let pinned = [
        "transform/invoices.json", "transform/invoice-lines.csv", "transform/exceptions.csv",
        "transform/control-totals.csv", "transform/reports.csv", "extract/reference.json",
        "extract/records.jsonl", "extract/catalog.json",
    ]

    func testSampleFirmStagedFilesAreByteIdenticalToTheGoldenCopies() async throws {
        let h = try await Harness()
        defer { h.stop() }
        try h.cli(["extract"])
        try h.cli(["transform"])
        let batch = try h.latestBatch()
        let update = ProcessInfo.processInfo.environment["UPDATE_GOLDEN"] == "1"
        for name in Self.pinned {
            let produced = try Data(contentsOf: batch.appendingPathComponent(name))
            let golden = Self.goldenDir.appendingPathComponent(name)
            if update {
                try FileManager.default.createDirectory(at: golden.deletingLastPathComponent(), withIntermediateDirectories: true)
                try produced.write(to: golden)
                continue
            }
            let expected = try Data(contentsOf: golden)
            XCTAssertFalse(produced.isEmpty, "\(name) is empty")
            if produced != expected {
                let p = String(decoding: produced, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
                let e = String(decoding: expected, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
                let first = zip(p, e).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(p.count, e.count)
                XCTFail(
                    """
                    \(name) differs from its golden copy at line \(first + 1) (\(p.count) vs \(e.count) lines):
                      produced: \(first < p.count ? String(p[first]) : "<end>")
                      golden:   \(first < e.count ? String(e[first]) : "<end>")
                    """)
            }
        }
    }
}
