import ConnectorCore
import ConnectorHTTP
import Foundation
import Logging
import XCTest

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
