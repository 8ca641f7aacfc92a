import Foundation
import XCTest

/// The nightly job with its secrets only in the encrypted store, through the real CLI.
final class CredentialStoreEndToEndTests: XCTestCase {
    func cli(_ h: Harness, _ args: [String], stdin: String? = nil, env: [String: String], expect: Int32 = 0) throws -> Harness.CLIResult {
        let p = h.process(args, env: env, secrets: false)
        let input = Pipe()
        let out = Pipe()
        let err = Pipe()
        p.standardInput = input
        p.standardOutput = out
        p.standardError = err
        try p.run()
        if let stdin { input.fileHandleForWriting.write(Data((stdin + "\n").utf8)) }
        try input.fileHandleForWriting.close()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let r = Harness.CLIResult(code: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
        XCTAssertEqual(r.code, expect, "\(args) → \(r.stdout)\n\(r.stderr)")
        return r
    }

    func testNightlyRunReadsItsSecretsFromTheStoreAndNothingPrintsThem() async throws {
        let h = try await Harness()
        defer { h.stop() }
        let missing = try cli(h, ["check-config"], env: [:], expect: 2)
        XCTAssertTrue(missing.stdout.contains("D365_CLIENT_SECRET"), missing.stdout)
        for (name, value) in Harness.secrets.sorted(by: { $0.key < $1.key }) {
            try cli(h, ["credentials", "set", name], stdin: value, env: [:])
        }
        let keyFile = h.dir.appendingPathComponent("credentials.key").path
        XCTAssertEqual((try FileManager.default.attributesOfItem(atPath: keyFile)[.posixPermissions] as? NSNumber)?.intValue, 0o600)
        let list = try cli(h, ["credentials", "list"], env: [:])
        XCTAssertTrue(list.stdout.contains("D365_CLIENT_SECRET") && list.stdout.contains("EXPENSIFY_PARTNER_USER_SECRET"), list.stdout)
        try cli(h, ["check-config"], env: [:])
        let run = try cli(h, ["run"], env: [:])
        XCTAssertTrue(run.stdout.contains("Invoices created:"), run.stdout)

        try cli(h, ["credentials", "rotate-key"], env: [:])
        XCTAssertFalse(FileManager.default.fileExists(atPath: keyFile + ".new"))
        let rerun = try cli(h, ["run"], env: [:])
        XCTAssertTrue(rerun.stdout.contains("Invoices created:   0"), rerun.stdout)

        // An environment variable still wins over the store (a wrong one fails the token request).
        let wrong = try cli(h, ["extract"], env: ["D365_CLIENT_SECRET": "not-the-secret"], expect: 1)
        XCTAssertTrue(wrong.stderr.contains("entra"), wrong.stderr)

        // No secret in any output, nor in any file but the sealed store.
        let outputs = [missing, list, run, rerun, wrong].map { $0.stdout + $0.stderr }.joined()
        for value in Harness.secrets.values where value.count > 12 { XCTAssertFalse(outputs.contains(value), "secret printed") }
        let sealed = try Data(contentsOf: h.dir.appendingPathComponent("credentials.sealed"))
        XCTAssertNil(String(decoding: sealed, as: UTF8.self).range(of: Harness.secrets["D365_CLIENT_SECRET"]!))

        try cli(h, ["credentials", "remove", "D365_CLIENT_SECRET"], env: [:])
        let gone = try cli(h, ["extract"], env: [:], expect: 2)
        XCTAssertTrue(gone.stderr.contains("credentials set D365_CLIENT_SECRET"), gone.stderr)
    }
}
