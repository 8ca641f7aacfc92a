import Foundation
import XCTest

@testable import Sandbox

#if canImport(Glibc)
    import Glibc
#endif

/// The `drop` fault: the sandbox plays a server that processes a request and then closes the TCP connection
/// without answering.
final class D365DropFaultTests: XCTestCase {
    func testDropAppliesTheWriteThenMarksTheAnswerToBeDropped() async throws {
        let h = try D365Harness()
        let token = try await h.token()
        let added = await h.control(
            "POST", "/_sandbox/d365/faults",
            body: #"{"count":1,"drop":true,"method":"POST","entitySet":"VendorInvoiceHeaders"}"#)
        XCTAssertEqual(added.status, 200)
        let listed = h.json(added)["faults"] as? [[String: Any]]
        XCTAssertEqual(listed?.first?["drop"] as? Bool, true)
        XCTAssertNil(listed?.first?["status"])

        let read = await h.send("GET", "/data/VendorsV2", token: token)
        XCTAssertFalse(read.dropConnection, "a GET does not match a POST rule")
        let dropped = await h.send("POST", "/data/VendorInvoiceHeaders", body: D365Harness.headerBody, token: token)
        XCTAssertTrue(dropped.dropConnection)
        let invoices = h.json(await h.control("GET", "/_sandbox/d365/invoices"))["invoices"] as? [[String: Any]]
        XCTAssertEqual(invoices?.map { $0["InvoiceNumber"] as? String }, ["EXP-90000001"], "the write was applied")

        let next = await h.send(
            "POST", "/data/VendorInvoiceHeaders",
            body: D365Harness.headerBody.replacingOccurrences(of: "EXP-90000001", with: "EXP-90000002"), token: token)
        XCTAssertEqual(next.status, 201)
        XCTAssertFalse(next.dropConnection, "count 1: only the first matching request is dropped")

        let log = h.json(await h.control("GET", "/_sandbox/d365/requests"))["requests"] as? [[String: Any]] ?? []
        let posts = log.filter { $0["url"] as? String == "/data/VendorInvoiceHeaders" }
        XCTAssertEqual(posts.map { $0["dropped"] as? Bool }, [true, nil])
        XCTAssertEqual(posts.first?["status"] as? Int, 201, "the log keeps the answer the client never got")
    }

    func testDropRulesAreValidatedAndNeverMatchInsideABatch() async throws {
        let h = try D365Harness()
        let withStatus = await h.control("POST", "/_sandbox/d365/faults", body: #"{"count":1,"drop":true,"status":500}"#)
        XCTAssertEqual(withStatus.status, 400)
        let neither = await h.control("POST", "/_sandbox/d365/faults", body: #"{"count":1}"#)
        XCTAssertEqual(neither.status, 400)

        let token = try await h.token()
        _ = await h.control("POST", "/_sandbox/d365/faults", body: #"{"count":1,"drop":true,"entitySet":"VendorInvoiceHeaders"}"#)
        let header =
            #"{"dataAreaId":"usmf","InvoiceNumber":"EXP-B1","InvoiceAccount":"EMP-0001","VendorAccount":"EMP-0001","Currency":"USD","InvoiceDate":"2026-11-05T12:00:00Z","DimensionDisplayValue":"010-W01-"}"#
        let body =
            "--batch_b\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n"
            + "POST VendorInvoiceHeaders HTTP/1.1\r\nContent-Type: application/json\r\n\r\n\(header)\r\n--batch_b--\r\n"
        let batch = await h.send("POST", "/data/$batch", body: body, headers: ["content-type": "multipart/mixed; boundary=batch_b"], token: token)
        XCTAssertEqual(batch.status, 200)
        XCTAssertFalse(batch.dropConnection, "an operation inside a $batch is never dropped on its own")
        let rules = h.json(await h.control("GET", "/_sandbox/d365/faults"))["faults"] as? [Any]
        XCTAssertEqual(rules?.count, 1, "the rule is still waiting for a top-level request")

        _ = await h.control("DELETE", "/_sandbox/d365/faults")
        _ = await h.control("POST", "/_sandbox/d365/faults", body: #"{"count":1,"drop":true,"entitySet":"$batch"}"#)
        let whole = await h.send(
            "POST", "/data/$batch", body: body.replacingOccurrences(of: "EXP-B1", with: "EXP-B2"),
            headers: ["content-type": "multipart/mixed; boundary=batch_b"], token: token)
        XCTAssertTrue(whole.dropConnection, "a whole $batch can be dropped after it was applied")
        let invoices = h.json(await h.control("GET", "/_sandbox/d365/invoices"))["invoices"] as? [[String: Any]]
        XCTAssertEqual(invoices?.compactMap { $0["InvoiceNumber"] as? String }.sorted(), ["EXP-B1", "EXP-B2"])
    }

    /// `after`: the rule lets that many matching requests through first, counting only those it matches.
    func testAfterLetsTheFirstMatchingRequestsThroughThenTriggers() async throws {
        let h = try D365Harness()
        let negative = await h.control("POST", "/_sandbox/d365/faults", body: #"{"count":1,"drop":true,"after":-1}"#)
        XCTAssertEqual(negative.status, 400)
        let token = try await h.token()
        let added = await h.control(
            "POST", "/_sandbox/d365/faults",
            body: #"{"count":1,"drop":true,"method":"POST","entitySet":"VendorInvoiceHeaders","after":2}"#)
        XCTAssertEqual((h.json(added)["faults"] as? [[String: Any]])?.first?["after"] as? Int, 2)

        var outcomes: [String] = []
        for n in 1...4 {
            let read = await h.send("GET", "/data/VendorsV2", token: token)
            XCTAssertFalse(read.dropConnection, "a GET is not counted by a POST rule")
            let body = D365Harness.headerBody.replacingOccurrences(of: "EXP-90000001", with: "EXP-9000000\(n)")
            let post = await h.send("POST", "/data/VendorInvoiceHeaders", body: body, token: token)
            outcomes.append(post.dropConnection ? "dropped" : String(post.status))
        }
        XCTAssertEqual(outcomes, ["201", "201", "dropped", "201"])
        let invoices = h.json(await h.control("GET", "/_sandbox/d365/invoices"))["invoices"] as? [[String: Any]]
        XCTAssertEqual(
            invoices?.compactMap { $0["InvoiceNumber"] as? String }.sorted(),
            ["EXP-90000001", "EXP-90000002", "EXP-90000003", "EXP-90000004"], "the dropped request was applied too")
        let rules = h.json(await h.control("GET", "/_sandbox/d365/faults"))["faults"] as? [Any]
        XCTAssertEqual(rules?.count, 0, "count 1: used up")
    }

    /// Over a real socket: the server reads the POST, stores the invoice and closes without a byte of answer.
    func testOnTheWireTheConnectionClosesWithoutAnyResponseByte() async throws {
        let seeds = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("samples/sandbox")
        let sandbox = try Sandbox(options: SandboxOptions(port: 0, seedDirectory: seeds))
        let ready = AsyncStream<URL>.makeStream()
        let server = Task { try await sandbox.run(handleSignals: false) { url in ready.continuation.yield(url) } }
        defer { server.cancel() }
        var iterator = ready.stream.makeAsyncIterator()
        let url = await iterator.next()
        let port = try XCTUnwrap(url?.port)

        let form =
            "grant_type=client_credentials&client_id=\(D365Harness.clientId)&client_secret=\(D365Harness.secret)"
            + "&scope=\(D365Harness.encode("http://127.0.0.1:\(port)/.default"))"
        let tokenAnswer = try RawHTTP.exchange(
            port: port, "POST", "/\(D365Harness.tenant)/oauth2/v2.0/token",
            contentType: "application/x-www-form-urlencoded", body: form)
        let tokenJSON = try XCTUnwrap(try JSONSerialization.jsonObject(with: RawHTTP.body(tokenAnswer.bytes)) as? [String: Any])
        let token = try XCTUnwrap(tokenJSON["access_token"] as? String)
        _ = try RawHTTP.exchange(
            port: port, "POST", "/_sandbox/d365/faults", contentType: "application/json",
            body: #"{"count":1,"drop":true,"method":"POST","entitySet":"VendorInvoiceHeaders"}"#)

        let start = Date()
        let dropped = try RawHTTP.exchange(
            port: port, "POST", "/data/VendorInvoiceHeaders", contentType: "application/json",
            body: D365Harness.headerBody, headers: ["Authorization": "Bearer \(token)"])
        XCTAssertEqual(dropped.bytes.count, 0, "not one byte of an answer: \(String(decoding: dropped.bytes, as: UTF8.self))")
        XCTAssertTrue(dropped.closedByServer)
        XCTAssertLessThan(Date().timeIntervalSince(start), 2)

        let invoices = try RawHTTP.exchange(port: port, "GET", "/_sandbox/d365/invoices")
        XCTAssertTrue(String(decoding: invoices.bytes, as: UTF8.self).hasPrefix("HTTP/1.1 200"))
        XCTAssertTrue(
            String(decoding: RawHTTP.body(invoices.bytes), as: UTF8.self).contains("\"InvoiceNumber\":\"EXP-90000001\""),
            "the dropped POST was applied")
    }
}

/// One request over a fresh loopback TCP connection (`Connection: close`), read until the server closes it.
enum RawHTTP {
    struct Answer {
        var bytes: Data
        var closedByServer: Bool
    }

    static func exchange(
        port: Int, _ method: String, _ path: String, contentType: String? = nil, body: String = "",
        headers: [String: String] = [:]
    ) throws -> Answer {
        #if os(Linux)
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
            let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw POSIXError(.EIO) }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        guard connected else { throw POSIXError(.ECONNREFUSED) }
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\nContent-Length: \(body.utf8.count)\r\n"
        if let contentType { head += "Content-Type: \(contentType)\r\n" }
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        let request = Data((head + "\r\n" + body).utf8)
        let sent = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        guard sent == request.count else { throw POSIXError(.EIO) }
        var received = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n > 0 {
                received.append(contentsOf: buffer[0..<n])
                continue
            }
            if n == 0 { return Answer(bytes: received, closedByServer: true) }
            if errno == EINTR { continue }
            if errno == ECONNRESET { return Answer(bytes: received, closedByServer: true) }
            return Answer(bytes: received, closedByServer: false)
        }
    }

    /// The body after the header block (the sandbox answers `Connection: close` requests with Content-Length).
    static func body(_ bytes: Data) -> Data {
        guard let end = bytes.range(of: Data("\r\n\r\n".utf8)) else { return Data() }
        return Data(bytes[end.upperBound...])
    }
}
