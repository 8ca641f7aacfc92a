import ConnectorCore
import Foundation
import XCTest

@testable import ConnectorHTTP

/// `CurlTransport` over real loopback sockets against `LoopbackServer` (a raw POSIX HTTP/1.1 server that counts
/// connections and requests and can close a connection without answering).
final class CurlTransportTests: XCTestCase {
    private let transport = CurlTransport()

    private func request(
        _ method: String, _ server: LoopbackServer, _ path: String, headers: [String: String] = [:],
        body: Data? = nil, timeout: TimeInterval = 10, idempotent: Bool? = nil
    ) -> HTTPRequest {
        HTTPRequest(
            method: method, url: URL(string: server.url.absoluteString + path)!, headers: headers, body: body,
            timeout: timeout, isIdempotent: idempotent)
    }

    /// Bytes that differ at every position of a repeating cycle, so a shifted or truncated copy cannot compare equal.
    private func pattern(_ count: Int) -> Data {
        Data((0..<count).map { UInt8(truncatingIfNeeded: ($0 &* 31) ^ ($0 >> 11)) })
    }

    func testGetAndPostRoundTripSendHeadersAndBodyAsGiven() async throws {
        let server = try LoopbackServer { r in
            .respond(
                r.method == "GET" ? 200 : 201,
                headers: [
                    ("X-Custom-Header", "v1"), ("Content-Type", "text/plain"),
                    ("Set-Thing", "a"), ("Set-Thing", "b"),
                ],
                body: Data("\(r.method) \(r.target) \(r.body.count)".utf8))
        }
        defer { server.stop() }

        let get = try await transport.send(request("GET", server, "/a/b?x=1&y=%20", headers: ["X-Request-ID": "42", "Accept": "application/json"]))
        XCTAssertEqual(get.status, 200)
        XCTAssertEqual(get.text, "GET /a/b?x=1&y=%20 0")
        XCTAssertEqual(get.header("x-custom-header"), "v1")
        XCTAssertEqual(get.header("X-CUSTOM-HEADER"), "v1")
        XCTAssertEqual(get.headers["content-type"], "text/plain")
        XCTAssertEqual(get.headers["set-thing"], "a, b")
        XCTAssertTrue(get.headers.keys.allSatisfy { $0 == $0.lowercased() })

        let big = pattern(2 * 1024 * 1024)
        let post = try await transport.send(request("POST", server, "/create", headers: ["Content-Type": "application/json"], body: big))
        XCTAssertEqual(post.status, 201)
        XCTAssertEqual(post.text, "POST /create \(big.count)")

        let patch = try await transport.send(request("PATCH", server, "/e(1)", body: Data("{\"a\":1}".utf8)))
        XCTAssertEqual(patch.status, 201)
        let emptyPost = try await transport.send(request("POST", server, "/empty"))
        XCTAssertEqual(emptyPost.status, 201)

        let seen = server.requests
        XCTAssertEqual(seen.map(\.method), ["GET", "POST", "PATCH", "POST"])
        XCTAssertEqual(seen[0].header("X-Request-ID"), "42")
        XCTAssertEqual(seen[0].header("Accept"), "application/json")
        XCTAssertEqual(seen[1].body, big, "the body arrives byte for byte")
        XCTAssertEqual(seen[1].header("content-type"), "application/json")
        XCTAssertNil(seen[1].header("Expect"), "no Expect: 100-continue, even for a 2 MB body")
        XCTAssertEqual(seen[2].body, Data("{\"a\":1}".utf8))
        XCTAssertNil(seen[2].header("Content-Type"), "no Content-Type the caller did not give")
        XCTAssertEqual(seen[3].header("Content-Length"), "0")
    }

    func testStatusCodesAreAnswersAndRedirectsAreNotFollowed() async throws {
        let server = try LoopbackServer { r in
            switch r.target {
            case "/moved": return .respond(302, headers: [("Location", "/elsewhere")])
            case "/busy": return .respond(503, headers: [("Retry-After", "7")], body: Data("busy".utf8))
            default: return .respond(Int(r.target.dropFirst()) ?? 500, body: Data("{\"error\":1}".utf8))
            }
        }
        defer { server.stop() }
        for status in [201, 204, 400, 404, 500] {
            let r = try await transport.send(request("GET", server, "/\(status)"))
            XCTAssertEqual(r.status, status)
        }
        let busy = try await transport.send(request("GET", server, "/busy"))
        XCTAssertEqual(busy.status, 503)
        XCTAssertEqual(busy.header("Retry-After"), "7")
        XCTAssertEqual(busy.text, "busy")
        let moved = try await transport.send(request("GET", server, "/moved"))
        XCTAssertEqual(moved.status, 302)
        XCTAssertEqual(moved.header("location"), "/elsewhere")
        XCTAssertFalse(server.requests.contains { $0.target == "/elsewhere" }, "no redirect is followed")
    }

    func testSequentialRequestsToOneHostReuseOneConnection() async throws {
        let server = try LoopbackServer { _ in .respond(200, body: Data("ok".utf8)) }
        defer { server.stop() }
        for i in 0..<6 {
            let r = try await transport.send(request("GET", server, "/item/\(i)"))
            XCTAssertEqual(r.status, 200)
        }
        let idempotentPost = try await transport.send(request("POST", server, "/job", body: Data("a=1".utf8), idempotent: true))
        XCTAssertEqual(idempotentPost.status, 200)
        XCTAssertEqual(server.connectionsAccepted, 1, "keep-alive: seven requests, one connection")
        XCTAssertEqual(server.requests.map(\.indexOnConnection), Array(0..<7))

        // A request that must not be repeated always gets a connection of its own.
        let create = try await transport.send(request("POST", server, "/create", body: Data("{}".utf8)))
        XCTAssertEqual(create.status, 200)
        XCTAssertEqual(server.connectionsAccepted, 2)
        XCTAssertEqual(server.requests.last?.indexOnConnection, 0)
    }

    func testAHundredRequestsAreInFlightAtOnce() async throws {
        let gate = Gate(opensAt: 100)
        let server = try LoopbackServer { r in
            gate.arrive()
            // Nobody is answered until all hundred are at the server (or 15 s passed).
            return gate.wait(timeout: 15) ? .respond(200, body: Data(r.target.utf8)) : .respond(504)
        }
        defer { server.stop() }
        let transport = self.transport
        let results = try await withThrowingTaskGroup(of: (Int, HTTPResponse).self) { group in
            for i in 0..<100 {
                let req = request("GET", server, "/n/\(i)")
                group.addTask { (i, try await transport.send(req)) }
            }
            var all: [Int: HTTPResponse] = [:]
            for try await (i, r) in group { all[i] = r }
            return all
        }
        XCTAssertEqual(results.count, 100)
        for (i, r) in results {
            XCTAssertEqual(r.status, 200, "request \(i)")
            XCTAssertEqual(r.text, "/n/\(i)")
        }
        XCTAssertEqual(server.connectionsAccepted, 100, "a hundred transfers in flight need a hundred connections")
    }

    func testAStalledServerTimesOutAfterTheRequestTimeout() async throws {
        let server = try LoopbackServer { _ in .wait(30, then: .respond(200)) }
        defer { server.stop() }
        let start = Date()
        do {
            _ = try await transport.send(request("GET", server, "/slow", timeout: 1))
            XCTFail("expected a timeout")
        } catch let error as ConnectorError {
            let elapsed = Date().timeIntervalSince(start)
            XCTAssertEqual(error.code, "http.network")
            XCTAssertTrue(error.isTransient)
            XCTAssertEqual(error.context["curl.code"], "28", error.message)
            XCTAssertGreaterThanOrEqual(elapsed, 0.9)
            XCTAssertLessThan(elapsed, 5, "a 1 s stall timeout, not the server's 30 s")
        }
    }

    func testAConnectionClosedWithoutAnAnswerIsReportedAtOnce() async throws {
        let server = try LoopbackServer { _ in .closeWithoutAnswer }
        defer { server.stop() }
        let start = Date()
        do {
            _ = try await transport.send(request("POST", server, "/data/VendorInvoiceHeaders", body: Data("{}".utf8)))
            XCTFail("expected a network error")
        } catch let error as ConnectorError {
            XCTAssertEqual(error.code, "http.network")
            XCTAssertTrue(error.isTransient)
            XCTAssertEqual(error.context["http.host"], "127.0.0.1")
            XCTAssertLessThan(Date().timeIntervalSince(start), 1, "reported at once, not after a timeout")
            XCTAssertFalse(error.message.contains("VendorInvoiceHeaders"), "errors name the host, not the path")
        }
        XCTAssertEqual(server.requests.count, 1)

        // Through HTTPClient: a POST that may have been applied is must-look-up, never resent; a GET is retried.
        let client = HTTPClient(transport: transport, retry: noRetryDelays, logger: LogCapture().logger, system: "d365")
        do {
            _ = try await client.send(request("POST", server, "/create", body: Data("{}".utf8)), idempotent: false)
            XCTFail("expected a network error")
        } catch let error as ConnectorError {
            XCTAssertEqual(error.code, "http.network")
            XCTAssertEqual(error.context["ambiguous"], "true")
        }
        XCTAssertEqual(server.requests.filter { $0.target == "/create" }.count, 1)
        _ = try? await client.send(request("GET", server, "/read"), idempotent: true)
        XCTAssertEqual(server.requests.filter { $0.target == "/read" }.count, noRetryDelays.maxAttempts)
    }

    /// libcurl resends a request by itself when a *reused* connection dies before any answer byte. The server here
    /// keeps a connection alive after a GET, then reads each POST and closes without answering (it applied it).
    func testANonIdempotentPostIsNeverResentWhenTheServerClosesWithoutAnswering() async throws {
        let server = try LoopbackServer { r in r.method == "POST" ? .closeWithoutAnswer : .respond(200, body: Data("warm".utf8)) }
        defer { server.stop() }
        let client = HTTPClient(transport: transport, retry: noRetryDelays, logger: LogCapture().logger, system: "d365")

        _ = try await client.send(request("GET", server, "/warm"), idempotent: true)
        do {
            _ = try await client.send(request("POST", server, "/create", body: Data("{\"n\":1}".utf8)), idempotent: false)
            XCTFail("expected a network error")
        } catch let error as ConnectorError {
            XCTAssertEqual(error.code, "http.network")
            XCTAssertEqual(error.context["ambiguous"], "true")
        }
        let posts = server.requests.filter { $0.method == "POST" }
        XCTAssertEqual(posts.count, 1, "the server saw the POST exactly once")
        XCTAssertEqual(posts.first?.indexOnConnection, 0, "on a connection of its own, which libcurl never retries")

        // The hazard is real: the same POST marked idempotent rides the kept-alive connection and libcurl resends it.
        let before = server.requests.count
        _ = try await transport.send(request("GET", server, "/warm"))
        _ = try? await transport.send(request("POST", server, "/again", body: Data("{\"n\":2}".utf8), idempotent: true))
        let again = server.requests.dropFirst(before).filter { $0.target == "/again" }
        XCTAssertEqual(again.count, 2, "libcurl's own resend on a reused connection (which FRESH_CONNECT prevents)")
        XCTAssertGreaterThan(again.first?.indexOnConnection ?? 0, 0, "the first copy travelled on a reused connection")
        XCTAssertEqual(again.last?.indexOnConnection, 0, "the resend on a fresh one")
    }

    func testDownloadStreamsAMultiMegabyteBodyToAFile() async throws {
        let payload = pattern(12 * 1024 * 1024 + 7)
        let server = try LoopbackServer { r in
            r.target == "/missing"
                ? .respond(404, body: Data("{\"error\":\"gone\"}".utf8))
                : .respond(200, headers: [("Content-Type", "application/json")], body: payload)
        }
        defer { server.stop() }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("curl-download-\(UUID().uuidString).bin")
        defer { try? FileManager.default.removeItem(at: file) }
        try Data("old content that must be replaced".utf8).write(to: file)

        let response = try await transport.download(request("POST", server, "/export", body: Data("a=1".utf8), idempotent: true), to: file)
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.header("content-type"), "application/json")
        XCTAssertTrue(response.body.isEmpty, "the body went to the file, not to memory")
        XCTAssertEqual(try Data(contentsOf: file), payload)

        let missing = try await transport.download(request("GET", server, "/missing"), to: file)
        XCTAssertEqual(missing.status, 404)
        XCTAssertEqual(try String(contentsOf: file, encoding: .utf8), "{\"error\":\"gone\"}", "the file holds this answer only")

        let unwritable = URL(fileURLWithPath: "/nonexistent-dir-\(UUID().uuidString)/x.json")
        do {
            _ = try await transport.download(request("GET", server, "/export"), to: unwritable)
            XCTFail("expected a file error")
        } catch let error as ConnectorError {
            XCTAssertEqual(error.code, "http.file_write")
        }
    }

    func testHTTPClientDownloadRetriesUnderTheSameRulesAndKeepsOnlyTheFinalBody() async throws {
        let counter = Counter()
        let server = try LoopbackServer { _ in
            counter.next() == 0
                ? .respond(503, headers: [("Retry-After", "0")], body: Data("try later".utf8))
                : .respond(200, body: Data("[1,2,3]".utf8))
        }
        defer { server.stop() }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("curl-download-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: file) }
        let client = HTTPClient(transport: transport, retry: noRetryDelays, logger: LogCapture().logger, system: "expensify")
        let response = try await client.download(request("POST", server, "/dl", body: Data("a=1".utf8)), to: file, idempotent: true)
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(try String(contentsOf: file, encoding: .utf8), "[1,2,3]")
        XCTAssertEqual(server.requests.count, 2)
    }

    func testCancellingTheTaskRemovesTheTransfer() async throws {
        let server = try LoopbackServer { r in r.target == "/slow" ? .wait(30, then: .respond(200)) : .respond(200, body: Data("fine".utf8)) }
        defer { server.stop() }
        let transport = self.transport
        let req = request("GET", server, "/slow", timeout: 60)
        let task = Task { try await transport.send(req) }
        XCTAssertTrue(server.wait { $0.requests.count == 1 }, "the request reached the server")
        let start = Date()
        task.cancel()
        do {
            _ = try await task.value
            XCTFail("expected cancellation")
        } catch is CancellationError {
            XCTAssertLessThan(Date().timeIntervalSince(start), 2)
        }
        XCTAssertTrue(server.wait { $0.connectionsClosedByClient == 1 }, "the transfer's connection was closed")

        let after = try await transport.send(request("GET", server, "/next"))
        XCTAssertEqual(after.text, "fine", "the transport goes on serving")

        let cancelledFirst = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await transport.send(req)
        }
        do {
            _ = try await cancelledFirst.value
            XCTFail("expected cancellation")
        } catch is CancellationError {}
        XCTAssertEqual(server.requests.filter { $0.target == "/slow" }.count, 1, "a task cancelled before sending sends nothing")
    }

    func testARefusedConnectionIsATransientNetworkError() async throws {
        do {
            _ = try await transport.send(
                HTTPRequest(
                    method: "POST", url: URL(string: "http://127.0.0.1:1/x?secret=s3cr3t")!,
                    body: Data("a=1".utf8), timeout: 5))
            XCTFail("expected a network error")
        } catch let error as ConnectorError {
            XCTAssertEqual(error.code, "http.network")
            XCTAssertTrue(error.isTransient)
            XCTAssertEqual(error.context["http.host"], "127.0.0.1")
            XCTAssertFalse("\(error)".contains("s3cr3t"))
        }
    }

    #if os(Linux)
        /// Event-loop threads alive in this process (each named `curl-event-loop`).
        private func loopThreads() -> Int {
            let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
            return tasks.filter { id in
                let name = (try? String(contentsOfFile: "/proc/self/task/\(id)/comm", encoding: .utf8)) ?? ""
                return name.hasPrefix("curl-event-loop")
            }.count
        }

        func testReleasingATransportEndsItsEventLoopThread() async throws {
            let server = try LoopbackServer { _ in .respond(200) }
            defer { server.stop() }
            let before = loopThreads()
            XCTAssertGreaterThanOrEqual(before, 1, "this test case's own transport runs one")
            for _ in 0..<10 {
                let transport = CurlTransport()
                let r = try await transport.send(request("GET", server, "/"))
                XCTAssertEqual(r.status, 200)
            }
            let deadline = Date().addingTimeInterval(5)
            while loopThreads() > before, Date() < deadline { try await Task.sleep(nanoseconds: 10_000_000) }
            XCTAssertLessThanOrEqual(loopThreads(), before, "each released transport stopped its thread")
        }
    #endif

    func testHeaderInjectionIsRefusedBeforeAnythingIsSent() async throws {
        let server = try LoopbackServer { _ in .respond(200) }
        defer { server.stop() }
        do {
            _ = try await transport.send(request("GET", server, "/", headers: ["X-A": "1\r\nX-Evil: 2"]))
            XCTFail("expected a refusal")
        } catch let error as ConnectorError {
            XCTAssertEqual(error.code, "http.invalid_header")
        }
        XCTAssertEqual(server.connectionsAccepted, 0)
    }
}

/// Opens once `opensAt` parties arrived.
private final class Gate: @unchecked Sendable {
    private let condition = NSCondition()
    private var arrived = 0
    private let opensAt: Int

    init(opensAt: Int) { self.opensAt = opensAt }

    func arrive() {
        condition.lock()
        arrived += 1
        condition.broadcast()
        condition.unlock()
    }

    func wait(timeout: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        condition.lock()
        defer { condition.unlock() }
        while arrived < opensAt {
            if !condition.wait(until: deadline) { return arrived >= opensAt }
        }
        return true
    }
}

private final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0

    func next() -> Int {
        lock.withLock {
            defer { value += 1 }
            return value
        }
    }
}
