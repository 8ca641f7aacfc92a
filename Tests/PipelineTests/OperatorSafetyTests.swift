import Foundation
import XCTest

/// What a new operator runs into: personal data is owner-only, an emptied ledger is refused, file errors name the path.
final class OperatorSafetyTests: XCTestCase {
    func mode(_ path: String) throws -> Int {
        ((try FileManager.default.attributesOfItem(atPath: path))[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }

    func testLedgerStagedFilesAndFoldersAreOwnerOnly() async throws {
        let h = try await Harness()
        defer { h.stop() }
        try h.cli(["extract"])
        try h.cli(["transform"])
        let ledger = h.dir.appendingPathComponent("ledger.sqlite").path
        XCTAssertEqual(try mode(ledger), 0o600, "ledger")
        let batch = try h.latestBatch()
        XCTAssertEqual(try mode(h.stagingRoot.path), 0o700, "staging root")
        XCTAssertEqual(try mode(batch.path), 0o700, "batch folder")
        var checked = 0
        for case let relative as String in FileManager.default.enumerator(atPath: batch.path)! {
            let path = batch.appendingPathComponent(relative).path
            var isDirectory: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
            XCTAssertEqual(try mode(path), isDirectory.boolValue ? 0o700 : 0o600, relative)
            checked += 1
        }
        XCTAssertGreaterThan(checked, 8)
    }

    func testAnEmptiedLedgerIsRefusedUnlessANewOneIsMeant() async throws {
        let h = try await Harness()
        defer { h.stop() }
        let ledger = h.dir.appendingPathComponent("ledger.sqlite")
        FileManager.default.createFile(atPath: ledger.path, contents: Data())
        let refused = try h.cli(["extract"], expect: 2)
        XCTAssertTrue(refused.stderr.contains("ledger.empty") && refused.stderr.contains("--new-ledger"), refused.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: h.stagingRoot.path), "nothing was done")
        try h.cli(["extract", "--new-ledger"])
    }

    func testAReadOnlyStagingFolderGivesACodedErrorNamingThePath() async throws {
        guard getuid() != 0 else {
            // root ignores permission bits; use a path under a regular file instead, which no one can create.
            let h = try await Harness { c in c["staging"] = ["root": "/dev/null/staging"] }
            defer { h.stop() }
            let r = try h.cli(["extract"], expect: 1)
            XCTAssertTrue(r.stderr.contains("staging.io_failed") && r.stderr.contains("/dev/null/staging"), r.stderr)
            XCTAssertFalse(r.stderr.contains("NSCocoaErrorDomain"), r.stderr)
            return
        }
        let h = try await Harness()
        defer { h.stop() }
        try FileManager.default.createDirectory(at: h.stagingRoot, withIntermediateDirectories: true)
        try FileManager.default.setAttributes([.posixPermissions: 0o500], ofItemAtPath: h.stagingRoot.path)
        let r = try h.cli(["extract"], expect: 1)
        XCTAssertTrue(r.stderr.contains("staging.io_failed") && r.stderr.contains(h.stagingRoot.path), r.stderr)
    }
}
