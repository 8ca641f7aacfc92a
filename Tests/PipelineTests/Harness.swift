import ConnectorCore
import Foundation
import Sandbox
import XCTest

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A running sandbox (in this process, on a free loopback port) plus a scratch folder with a config
/// pointed at it, and helpers to run the real `ml-connector` binary against it over HTTP.
final class Harness: @unchecked Sendable {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let secrets = [
        "EXPENSIFY_PARTNER_USER_ID": "aa_finance_northwind_example",
        "EXPENSIFY_PARTNER_USER_SECRET": "5c1d0a7e9b2f4c6d8e0a1b3c5d7e9f1a2b4c6d8e",
        "D365_CLIENT_SECRET": "sandbox-only-client-secret-7Qk2",
        "BC_CLIENT_SECRET": "sandbox-only-client-secret-7Qk2",
        "NAV_ACCESS_KEY": "c2FuZGJveC1vbmx5LW5hdi1hY2Nlc3Mta2V5LTAwMDE=",
    ]

    let baseURL: URL
    let dir: URL
    let configURL: URL
    private let task: Task<Void, any Error>

    /// - Parameter sample: the sample configuration to start from (`samples/config.json` for D365, `config-bc.json`, …);
    ///   every target URL that names the sample sandbox address is pointed at this sandbox.
    ///   `seedDirectory` replaces `samples/sandbox` (a test's edited copy of the seeds).
    init(sample: String = "config.json", seedDirectory: URL? = nil, configEdit: (inout [String: Any]) -> Void = { _ in }) async throws {
        let seeds = seedDirectory ?? Harness.repo.appendingPathComponent("samples/sandbox")
        let sandbox = try Sandbox(options: SandboxOptions(port: 0, seedDirectory: seeds))
        let ready = AsyncStream<URL>.makeStream()
        task = Task { try await sandbox.run(handleSignals: false) { url in ready.continuation.yield(url) } }
        var it = ready.stream.makeAsyncIterator()
        guard let url = await it.next() else { throw XCTSkip("sandbox did not start") }
        baseURL = url
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("mlc-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var config =
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: Harness.repo.appendingPathComponent(sample.hasPrefix("samples/") ? sample : "samples/" + sample)))
            as! [String: Any]
        var ex = config["expensify"] as! [String: Any]
        ex["endpoint"] = url.absoluteString + "/Integration-Server/ExpensifyIntegrations"
        config["expensify"] = ex
        var t = config["target"] as! [String: Any]
        for (k, v) in t {
            if let text = v as? String, text.hasPrefix("http://127.0.0.1:8765") {
                t[k] = url.absoluteString + text.dropFirst("http://127.0.0.1:8765".count)
            }
        }
        config["target"] = t
        config["staging"] = ["root": dir.appendingPathComponent("staging").path]
        config["ledger"] = ["path": dir.appendingPathComponent("ledger.sqlite").path]
        configEdit(&config)
        configURL = dir.appendingPathComponent("config.json")
        try JSONSerialization.data(withJSONObject: config, options: [.prettyPrinted, .sortedKeys]).write(to: configURL)
    }

    func stop() {
        task.cancel()
        try? FileManager.default.removeItem(at: dir)
    }

    var stagingRoot: URL { dir.appendingPathComponent("staging") }

    /// The newest batch folder.
    func latestBatch() throws -> URL {
        let names = try FileManager.default.contentsOfDirectory(atPath: stagingRoot.path).filter { $0.hasPrefix("2") }.sorted()
        guard let last = names.last else { throw NSError(domain: "harness", code: 1, userInfo: [NSLocalizedDescriptionKey: "no batch"]) }
        return stagingRoot.appendingPathComponent(last)
    }

    struct CLIResult {
        var code: Int32
        var stdout: String
        var stderr: String
    }

    /// The real `ml-connector` binary: beside the test bundle, else the debug build.
    static var binary: URL {
        let exe = URL(fileURLWithPath: ProcessInfo.processInfo.arguments[0]).deletingLastPathComponent().appendingPathComponent("ml-connector")
        return FileManager.default.fileExists(atPath: exe.path) ? exe : repo.appendingPathComponent(".build/debug/ml-connector")
    }

    /// A process of the real binary with the harness config, the sandbox's secrets (unless `secrets` is false, so
    /// the credential store is used) and `extra` variables; not started.
    func process(_ args: [String], env extra: [String: String] = [:], secrets: Bool = true) -> Process {
        let p = Process()
        p.executableURL = Harness.binary
        p.arguments = args + ["--config", configURL.path]
        var env = ProcessInfo.processInfo.environment
        for (k, v) in Harness.secrets {
            if secrets { env[k] = v } else { env.removeValue(forKey: k) }
        }
        for (k, v) in extra { env[k] = v }
        p.environment = env
        return p
    }

    /// Starts the real binary without waiting for it, its output in pipes.
    func start(_ args: [String], env extra: [String: String] = [:]) throws -> (process: Process, stdout: Pipe, stderr: Pipe) {
        let p = process(args, env: extra)
        let out = Pipe()
        let err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        return (p, out, err)
    }

    /// Runs the real `ml-connector` binary with the harness config and the sandbox's secrets.
    @discardableResult
    func cli(_ args: [String], expect: Int32? = 0, env extra: [String: String] = [:], file: StaticString = #filePath, line: UInt = #line) throws
        -> CLIResult
    {
        let (p, out, err) = try start(args, env: extra)
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let r = CLIResult(code: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
        if let expect, r.code != expect {
            XCTFail(
                "ml-connector \(args.joined(separator: " ")) exited \(r.code), expected \(expect)\nstdout:\n\(r.stdout)\nstderr:\n\(r.stderr)",
                file: file, line: line)
        }
        return r
    }

    /// JSON from a sandbox control route (or any sandbox URL).
    func control(_ method: String, _ path: String, body: Any? = nil) async throws -> Any {
        var req = URLRequest(url: URL(string: baseURL.absoluteString + path)!)
        req.httpMethod = method
        if let body {
            req.httpBody = try JSONSerialization.data(withJSONObject: body)
            req.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let (data, resp) = try await URLSession.shared.data(for: req)
        let status = (resp as? HTTPURLResponse)?.statusCode ?? 0
        guard (200..<300).contains(status) else {
            throw NSError(
                domain: "harness", code: status,
                userInfo: [NSLocalizedDescriptionKey: "\(method) \(path) → \(status): \(String(decoding: data, as: UTF8.self))"])
        }
        if data.isEmpty { return [:] }
        return try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
    }

    func csv(_ relative: String, batch: URL? = nil) throws -> [[String: String]] {
        let b = try batch ?? latestBatch()
        return CSVRows.parse(try Data(contentsOf: b.appendingPathComponent(relative)))
    }
}

/// Minimal RFC 4180 reader for assertions (independent of the product's own).
enum CSVRows {
    static func parse(_ data: Data) -> [[String: String]] {
        var records: [[String]] = []
        var field = ""
        var record: [String] = []
        var quoted = false
        var chars = Array(String(decoding: data, as: UTF8.self))[...]
        if chars.first == "\u{FEFF}" { chars.removeFirst() }  // the byte order mark for Excel
        while let c = chars.popFirst() {
            if quoted {
                if c == "\"" {
                    if chars.first == "\"" {
                        field.append("\"")
                        chars.removeFirst()
                    } else {
                        quoted = false
                    }
                } else {
                    field.append(c)
                }
            } else if c == "\"" {
                quoted = true
            } else if c == "," {
                record.append(field)
                field = ""
            } else if c == "\n" {
                record.append(field)
                records.append(record)
                record = []
                field = ""
            } else {
                field.append(c)
            }
        }
        guard let header = records.first else { return [] }
        return records.dropFirst().map { r in Dictionary(uniqueKeysWithValues: header.enumerated().map { ($1, $0 < r.count ? r[$0] : "") }) }
    }
}

/// Decimal text → exact Decimal.
func dec(_ s: String) -> Decimal { Decimal(string: s, locale: Locale(identifier: "en_US_POSIX")) ?? .nan }
func dec(_ any: Any?) -> Decimal {
    if let s = any as? String { return dec(s) }
    if let n = any as? NSNumber { return dec(n.stringValue) }
    return .nan
}

extension Harness {
    /// Every invoice the sandbox D365 holds, keyed by InvoiceNumber, with exact decimal amounts.
    func d365Invoices() async throws -> [String: JSONValue] {
        var req = URLRequest(url: URL(string: baseURL.absoluteString + "/_sandbox/d365/invoices")!)
        req.httpMethod = "GET"
        let (data, _) = try await URLSession.shared.data(for: req)
        let v = try JSONValue.parse(data)
        var list: [JSONValue] = v.arrayValue ?? []
        if list.isEmpty, let l = v["invoices"]?.arrayValue { list = l }
        if list.isEmpty, let l = v["value"]?.arrayValue { list = l }
        var out: [String: JSONValue] = [:]
        for inv in list {
            let header = inv["header"] ?? inv
            if let n = header["InvoiceNumber"]?.stringValue { out[n] = inv }
        }
        return out
    }
}

extension Harness {
    /// An Expensify policy's employee e-mails (lowercased) as the sandbox holds them now.
    func policyEmails(_ policy: String) async throws -> Set<String> {
        let answer = try await control("GET", "/_sandbox/expensify/policies")
        let policies = try XCTUnwrap(answer as? [[String: Any]])
        let p = try XCTUnwrap(policies.first { $0["id"] as? String == policy })
        return Set((p["employees"] as? [[String: Any]] ?? []).compactMap { ($0["email"] as? String)?.lowercased() })
    }
}
