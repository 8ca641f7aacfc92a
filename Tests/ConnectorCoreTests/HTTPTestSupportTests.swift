import ConnectorCore
import ConnectorHTTP
import Foundation
import Logging
import XCTest

#if canImport(Glibc)
    import Glibc
#endif

// Shared helpers for the HTTP, Expensify and D365 unit tests (no test cases here).

/// A transport that answers from a script, in order, and records what it was sent. It stands in for the
/// network at the `HTTPTransport` seam only, to test client-side policy (retries, token refresh, error
/// mapping); behaviour against a server is tested over the wire with the sandbox.
final class ScriptedTransport: HTTPTransport, @unchecked Sendable {
    enum Step {
        case respond(HTTPResponse)
        case fail(ConnectorError)
    }

    private let lock = NSLock()
    private var steps: [Step]
    private var sent: [HTTPRequest] = []
    private let delayNanoseconds: UInt64

    init(_ steps: [Step], delayNanoseconds: UInt64 = 0) {
        self.steps = steps
        self.delayNanoseconds = delayNanoseconds
    }

    var requests: [HTTPRequest] { lock.withLock { sent } }

    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        let step: Step? = lock.withLock {
            sent.append(request)
            return steps.isEmpty ? nil : steps.removeFirst()
        }
        if delayNanoseconds > 0 { try await Task.sleep(nanoseconds: delayNanoseconds) }
        switch step {
        case .respond(let response): return response
        case .fail(let error): throw error
        case nil: throw ConnectorError("test.script_exhausted", "The scripted transport has no more answers.")
        }
    }
}

extension HTTPResponse {
    static func json(_ status: Int, _ text: String, headers: [String: String] = [:]) -> HTTPResponse {
        HTTPResponse(status: status, headers: headers.merging(["Content-Type": "application/json"]) { a, _ in a }, body: Data(text.utf8))
    }

    static func text(_ status: Int, _ text: String) -> HTTPResponse {
        HTTPResponse(status: status, headers: ["Content-Type": "text/plain"], body: Data(text.utf8))
    }
}

extension ConnectorError {
    static let network = ConnectorError("http.network", "No answer (test).", isTransient: true)
}

/// Collects log entries (message, level and metadata rendered as text) for assertions.
final class LogCapture: @unchecked Sendable {
    struct Entry {
        var level: Logger.Level
        var message: String
        var metadata: [String: String]
        var text: String { message + " " + metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ") }
    }

    private let lock = NSLock()
    private var stored: [Entry] = []

    var entries: [Entry] { lock.withLock { stored } }
    var allText: String { entries.map(\.text).joined(separator: "\n") }

    func append(_ entry: Entry) { lock.withLock { stored.append(entry) } }

    var logger: Logger {
        let capture = self
        var logger = Logger(label: "test") { _ in CaptureHandler(capture: capture) }
        logger.logLevel = .trace
        return logger
    }

    struct CaptureHandler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            var merged: [String: String] = [:]
            for (k, v) in metadata { merged[k] = "\(v)" }
            for (k, v) in event.metadata ?? [:] { merged[k] = "\(v)" }
            capture.append(Entry(level: event.level, message: "\(event.message)", metadata: merged))
        }
    }
}

/// A deterministic random source (SplitMix64) for jitter tests.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// `a=1&b=x` → pairs, decoded the way a strict form decoder does (`+` as space, then percent-decoding).
func decodeForm(_ data: Data?) -> [String: String] {
    let text = String(decoding: data ?? Data(), as: UTF8.self)
    var out: [String: String] = [:]
    for pair in text.split(separator: "&") {
        let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        func dec(_ s: Substring) -> String { s.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "" }
        out[dec(parts[0])] = parts.count > 1 ? dec(parts[1]) : ""
    }
    return out
}

let noRetryDelays = RetryPolicy(maxAttempts: 3, baseDelay: 0, maxDelay: 0, jitter: 0)

/// The real simulators (`ml-sandbox`, built with the package) in a child process on a free loopback port,
/// for over-the-wire tests. The test target does not depend on the `Sandbox` library, so it runs the
/// executable; `stop()` ends it.
final class SandboxProcess: @unchecked Sendable {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    let url: URL
    private let process: Process

    private init(url: URL, process: Process) {
        self.url = url
        self.process = process
    }

    /// Starts the sandbox; skips the test when the executable has not been built.
    static func start() throws -> SandboxProcess {
        let besideTests = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("ml-sandbox")
        let candidates = [besideTests, repo.appendingPathComponent(".build/debug/ml-sandbox")]
        guard let binary = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw XCTSkip("ml-sandbox is not built; run `swift build --product ml-sandbox`")
        }
        let ready = FileManager.default.temporaryDirectory.appendingPathComponent("mlc-sandbox-\(UUID().uuidString).url")
        let process = Process()
        process.executableURL = binary
        process.arguments = [
            "--port", String(try freeLoopbackPort()), "--seeds", repo.appendingPathComponent("samples/sandbox").path,
            "--ready-file", ready.path,
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if let data = FileManager.default.contents(atPath: ready.path), let text = String(data: data, encoding: .utf8),
                let url = URL(string: text.trimmingCharacters(in: .whitespacesAndNewlines)), url.port != nil
            {
                try? FileManager.default.removeItem(at: ready)
                return SandboxProcess(url: url, process: process)
            }
            guard process.isRunning else { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        throw ConnectorError("test.sandbox", "ml-sandbox did not start")
    }

    func stop() {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }

    /// Calls a `/_sandbox/...` control route; returns the status and parsed JSON body.
    @discardableResult
    func control(_ method: String, _ path: String, _ body: String? = nil) async throws -> (Int, JSONValue?) {
        guard let target = URL(string: url.absoluteString + path) else { throw ConnectorError("test.url", path) }
        let response = try await CurlTransport().send(
            HTTPRequest(
                method: method, url: target, headers: body == nil ? [:] : ["Content-Type": "application/json"],
                body: body.map { Data($0.utf8) }, timeout: 10))
        return (response.status, try? JSONValue.parse(response.body))
    }

    /// A port nobody listens on right now (bound to 0, read back, released).
    private static func freeLoopbackPort() throws -> Int {
        #if os(Linux)
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
            let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw ConnectorError("test.port", "socket() failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                bind(fd, raw, length) == 0 && getsockname(fd, raw, &length) == 0
            }
        }
        guard bound else { throw ConnectorError("test.port", "bind() failed") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
