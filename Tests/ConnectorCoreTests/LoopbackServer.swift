import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A raw HTTP/1.1 server on a loopback port for transport tests: plain POSIX sockets, one thread per connection,
/// keep-alive, and an answer chosen per request by the test (respond, wait, or close without a byte of answer).
/// It records every connection accepted and every request read, so tests can count what really reached the wire.
final class LoopbackServer: @unchecked Sendable {
    struct Request: Sendable {
        var method: String
        /// Path and query as sent.
        var target: String
        /// Header fields as received (name case kept), in order.
        var headers: [(name: String, value: String)]
        var body: Data
        /// 0-based number of the connection (in accept order) and of the request on that connection.
        var connection: Int
        var indexOnConnection: Int

        func header(_ name: String) -> String? { headers.first { $0.name.lowercased() == name.lowercased() }?.value }
    }

    indirect enum Action: Sendable {
        case respond(Int, headers: [(String, String)] = [], body: Data = Data())
        /// Reads the request, then closes the connection without sending anything.
        case closeWithoutAnswer
        /// Waits (noticing when the client hangs up), then does `then`.
        case wait(TimeInterval, then: Action)
    }

    let port: Int
    var url: URL { URL(string: "http://127.0.0.1:\(port)")! }

    private let listener: Int32
    private let handler: @Sendable (Request) -> Action
    private let lock = NSLock()
    private var received: [Request] = []
    private var accepted = 0
    private var hungUp = 0
    private var openSockets: Set<Int32> = []
    private var stopped = false

    init(_ handler: @escaping @Sendable (Request) -> Action) throws {
        self.handler = handler
        #if os(Linux)
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
            let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw POSIXError(.EIO) }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                bind(fd, raw, length) == 0 && getsockname(fd, raw, &length) == 0 && listen(fd, 512) == 0
            }
        }
        guard ok else {
            close(fd)
            throw POSIXError(.EADDRINUSE)
        }
        listener = fd
        port = Int(UInt16(bigEndian: address.sin_port))
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    deinit { stop() }

    var requests: [Request] { lock.withLock { received } }
    var connectionsAccepted: Int { lock.withLock { accepted } }
    /// Connections the client closed while the server was waiting to answer.
    var connectionsClosedByClient: Int { lock.withLock { hungUp } }

    func stop() {
        let sockets: Set<Int32>? = lock.withLock {
            if stopped { return nil }
            stopped = true
            return openSockets
        }
        guard let sockets else { return }
        shutdown(listener, Int32(SHUT_RDWR))
        for s in sockets { shutdown(s, Int32(SHUT_RDWR)) }
    }

    /// Waits up to `timeout` seconds for `condition` on the server's records.
    func wait(timeout: TimeInterval = 5, until condition: (LoopbackServer) -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition(self) { return true }
            usleep(5_000)
        }
        return condition(self)
    }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 {
                if errno == EINTR { continue }
                break
            }
            let number: Int? = lock.withLock {
                guard !stopped else { return nil }
                accepted += 1
                openSockets.insert(client)
                return accepted - 1
            }
            guard let number else {
                close(client)
                break
            }
            let thread = Thread { [self] in serve(client, connection: number) }
            thread.stackSize = 256 * 1024
            thread.start()
        }
        close(listener)
    }

    private func serve(_ fd: Int32, connection: Int) {
        defer {
            lock.withLock { _ = openSockets.remove(fd) }
            close(fd)
        }
        var buffer = Data()
        var index = 0
        while let request = readRequest(fd, buffer: &buffer, connection: connection, index: index) {
            index += 1
            lock.withLock { received.append(request) }
            guard perform(handler(request), on: fd) else { return }
        }
    }

    /// Returns false when the connection is finished.
    private func perform(_ action: Action, on fd: Int32) -> Bool {
        switch action {
        case .closeWithoutAnswer:
            return false
        case .wait(let seconds, let then):
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, Int32(seconds * 1000))
            if ready > 0 {
                var byte: UInt8 = 0
                if recv(fd, &byte, 1, Int32(MSG_PEEK)) <= 0 {
                    lock.withLock { hungUp += 1 }
                    return false
                }
            }
            return perform(then, on: fd)
        case .respond(let status, let headers, let body):
            var head = "HTTP/1.1 \(status) \(status < 300 ? "OK" : "Status")\r\n"
            var hasLength = false
            for (name, value) in headers {
                if name.lowercased() == "content-length" { hasLength = true }
                head += "\(name): \(value)\r\n"
            }
            if !hasLength { head += "Content-Length: \(body.count)\r\n" }
            head += "\r\n"
            return sendAll(fd, Data(head.utf8) + body)
        }
    }

    private func sendAll(_ fd: Int32, _ data: Data) -> Bool {
        data.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else { return true }
            var offset = 0
            while offset < raw.count {
                #if os(Linux)
                    let n = send(fd, base + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                #else
                    let n = send(fd, base + offset, raw.count - offset, 0)
                #endif
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return false }
                offset += n
            }
            return true
        }
    }

    private func readRequest(_ fd: Int32, buffer: inout Data, connection: Int, index: Int) -> Request? {
        let separator = Data("\r\n\r\n".utf8)
        while buffer.range(of: separator) == nil {
            guard readMore(fd, into: &buffer) else { return nil }
        }
        let end = buffer.range(of: separator)!
        let head = String(decoding: buffer[buffer.startIndex..<end.lowerBound], as: UTF8.self)
        buffer = Data(buffer[end.upperBound...])
        var lines = head.components(separatedBy: "\r\n")
        let requestLine = lines.removeFirst().split(separator: " ")
        guard requestLine.count >= 2 else { return nil }
        var headers: [(name: String, value: String)] = []
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers.append((String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        let length = headers.first { $0.name.lowercased() == "content-length" }.flatMap { Int($0.value) } ?? 0
        while buffer.count < length {
            guard readMore(fd, into: &buffer) else { return nil }
        }
        let body = Data(buffer.prefix(length))
        buffer = Data(buffer.dropFirst(length))
        return Request(
            method: String(requestLine[0]), target: String(requestLine[1]), headers: headers, body: body,
            connection: connection, indexOnConnection: index)
    }

    private func readMore(_ fd: Int32, into buffer: inout Data) -> Bool {
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = recv(fd, &chunk, chunk.count, 0)
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return false }
            buffer.append(contentsOf: chunk[0..<n])
            return true
        }
    }
}
