// Transport benchmark (scripts/bench-transport.sh runs it on a release build).
//
// Against a raw loopback server in this process (its threads sleep or block in accept/recv/poll, so they cost no CPU):
//   1. CPU while waiting: one request, and 100 requests at once, to a server that answers after N seconds;
//      CPU = this process's user + system time (getrusage) over the wait, as a share of wall time.
//   2. A connection closed without an answer: after a GET has left a kept-alive connection, a POST that the server
//      reads and then closes without answering; time until the error, and how many times the POST reached the server.
//   3. Download of a large body to a file vs into memory: growth of peak resident memory (ru_maxrss).
// With `--urlsession`, cases 1 and 2 are also measured on Foundation's URLSession (the transport this replaced),
// with its former settings (ephemeral session, 60 s request timeout).
import ConnectorCore
import ConnectorHTTP
import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

struct Options {
    var waitSeconds = 5.0
    var concurrent = 100
    var downloadMB = 256
    var urlSession = false

    init(_ arguments: [String]) {
        var it = arguments.dropFirst().makeIterator()
        while let a = it.next() {
            switch a {
            case "--wait-seconds": waitSeconds = Double(it.next() ?? "") ?? waitSeconds
            case "--concurrent": concurrent = Int(it.next() ?? "") ?? concurrent
            case "--download-mb": downloadMB = Int(it.next() ?? "") ?? downloadMB
            case "--urlsession": urlSession = true
            default:
                FileHandle.standardError.write(
                    Data("usage: ml-transport-bench [--wait-seconds S] [--concurrent N] [--download-mb M] [--urlsession]\n".utf8))
                exit(2)
            }
        }
    }
}

// MARK: - A raw loopback server

final class BenchServer: @unchecked Sendable {
    /// `drop`: GETs are answered, a POST is read and its connection closed without an answer.
    enum Mode {
        case slow(TimeInterval)
        case drop
        case stream(Int)
    }
    let port: Int
    private let listener: Int32
    private let mode: Mode
    private let lock = NSLock()
    private var postCount = 0
    var posts: Int { lock.withLock { postCount } }

    init(_ mode: Mode) {
        self.mode = mode
        #if os(Linux)
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
            let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        listen(fd, 1024)
        listener = fd
        port = Int(UInt16(bigEndian: address.sin_port))
        Thread { [self] in
            while true {
                let client = accept(listener, nil, nil)
                if client < 0 { return }
                Thread { [self] in serve(client) }.start()
            }
        }.start()
    }

    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    private func serve(_ fd: Int32) {
        defer { close(fd) }
        while let method = readRequest(fd) {
            switch mode {
            case .drop:
                if method == "POST" {
                    lock.withLock { postCount += 1 }
                    return
                }
                guard write(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok") else { return }
            case .slow(let seconds):
                usleep(useconds_t(seconds * 1_000_000))
                guard write(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok") else { return }
            case .stream(let bytes):
                guard write(fd, "HTTP/1.1 200 OK\r\nContent-Length: \(bytes)\r\n\r\n") else { return }
                let chunk = [UInt8](repeating: UInt8(ascii: "x"), count: 1 << 20)
                var left = bytes
                while left > 0 {
                    let n = min(left, chunk.count)
                    guard sendAll(fd, chunk, n) else { return }
                    left -= n
                }
            }
        }
    }

    private func write(_ fd: Int32, _ text: String) -> Bool {
        let b = Array(text.utf8)
        return sendAll(fd, b, b.count)
    }

    private func sendAll(_ fd: Int32, _ bytes: [UInt8], _ count: Int) -> Bool {
        var offset = 0
        while offset < count {
            #if os(Linux)
                let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + offset, count - offset, Int32(MSG_NOSIGNAL)) }
            #else
                let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + offset, count - offset, 0) }
            #endif
            if n <= 0 { return false }
            offset += n
        }
        return true
    }

    /// Reads one request (head and Content-Length body) and returns its method; nil at end of connection.
    private func readRequest(_ fd: Int32) -> String? {
        var data = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            if let end = find(data, Array("\r\n\r\n".utf8)) {
                let head = String(decoding: data[..<end], as: UTF8.self).lowercased()
                var length = 0
                for line in head.split(separator: "\r\n") where line.hasPrefix("content-length:") {
                    length = Int(line.dropFirst(15).trimmingCharacters(in: .whitespaces)) ?? 0
                }
                while data.count < end + 4 + length {
                    let n = recv(fd, &buffer, buffer.count, 0)
                    if n <= 0 { return nil }
                    data += buffer[0..<n]
                }
                return String(head.prefix { $0 != " " }).uppercased()
            }
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { return nil }
            data += buffer[0..<n]
        }
    }

    private func find(_ haystack: [UInt8], _ needle: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for i in 0...(haystack.count - needle.count) where Array(haystack[i..<(i + needle.count)]) == needle { return i }
        return nil
    }
}

// MARK: - Measuring

#if os(Linux)
    let rusageSelf = RUSAGE_SELF.rawValue
#else
    let rusageSelf = RUSAGE_SELF
#endif

func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(rusageSelf, &usage)
    return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
        + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
}

func peakRSSMB() -> Double {
    var usage = rusage()
    getrusage(rusageSelf, &usage)
    #if os(Linux)
        return Double(usage.ru_maxrss) / 1024
    #else
        return Double(usage.ru_maxrss) / 1024 / 1024
    #endif
}

func measure(_ body: () async throws -> Void) async -> (wall: Double, cpu: Double, error: (any Error)?) {
    let cpu0 = cpuSeconds()
    let start = Date()
    var failure: (any Error)?
    do { try await body() } catch { failure = error }
    return (Date().timeIntervalSince(start), cpuSeconds() - cpu0, failure)
}

func report(_ transport: String, _ what: String, _ result: String) {
    print("\(transport.padding(toLength: 11, withPad: " ", startingAt: 0)) \(what.padding(toLength: 47, withPad: " ", startingAt: 0)) \(result)")
}

func describe(_ error: (any Error)?) -> String {
    guard let error else { return "no error" }
    if let e = error as? ConnectorError { return "\(e.code): \(e.message)" }
    return "\(type(of: error)): \((error as NSError).code)"
}

let options = Options(CommandLine.arguments)
let curl = CurlTransport()
let waitText = String(format: "%.1f", options.waitSeconds)

func waitOn(_ transport: String, _ n: Int, _ send: @escaping @Sendable (URL) async throws -> Void) async {
    let server = BenchServer(.slow(options.waitSeconds))
    defer { server.stop() }
    let url = URL(string: "http://127.0.0.1:\(server.port)/slow")!
    let r = await measure {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<n { group.addTask { try await send(url) } }
            try await group.waitForAll()
        }
    }
    report(
        transport, "\(n) request\(n == 1 ? "" : "s") waiting \(waitText) s for an answer",
        String(
            format: "wall %.2f s, CPU %.3f s = %.1f%% of wall%@", r.wall, r.cpu, 100 * r.cpu / r.wall,
            r.error == nil ? "" : " (\(describe(r.error)))"))
}

func dropped(
    _ transport: String, get: @escaping @Sendable (URL) async throws -> Void,
    post: @escaping @Sendable (URL) async throws -> Void
) async {
    let server = BenchServer(.drop)
    defer { server.stop() }
    let base = "http://127.0.0.1:\(server.port)"
    let warm = await measure { try await get(URL(string: base + "/data/VendorsV2")!) }
    guard warm.error == nil else { return report(transport, "dropped POST", "warm-up GET failed: \(describe(warm.error))") }
    let r = await measure { try await post(URL(string: base + "/data/VendorInvoiceHeaders")!) }
    report(
        transport, "POST after a kept-alive GET, closed unanswered",
        String(format: "failed after %.3f s, server saw the POST %d time(s) (%@)", r.wall, server.posts, describe(r.error)))
}

let curlGet: @Sendable (URL) async throws -> Void = { url in
    let r = try await curl.send(HTTPRequest(method: "GET", url: url, timeout: 60))
    guard r.status == 200 else { throw ConnectorError("bench.status", "status \(r.status)") }
}
let curlPost: @Sendable (URL) async throws -> Void = { url in
    _ = try await curl.send(HTTPRequest(method: "POST", url: url, headers: ["Content-Type": "application/json"], body: Data("{}".utf8), timeout: 60))
}

await waitOn("curl", 1, curlGet)
await waitOn("curl", options.concurrent, curlGet)
await dropped("curl", get: curlGet, post: curlPost)

if options.urlSession {
    let configuration = URLSessionConfiguration.ephemeral
    configuration.urlCache = nil
    let session = URLSession(configuration: configuration)
    let sessionSend: @Sendable (URL, String) async throws -> Void = { url, method in
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.timeoutInterval = 60
        if method == "POST" { request.httpBody = Data("{}".utf8) }
        _ = try await session.data(for: request)
    }
    await waitOn("urlsession", 1) { try await sessionSend($0, "GET") }
    await waitOn("urlsession", options.concurrent) { try await sessionSend($0, "GET") }
    await dropped("urlsession", get: { try await sessionSend($0, "GET") }, post: { try await sessionSend($0, "POST") })
}

// Download last: peak RSS only grows.
do {
    let bytes = options.downloadMB << 20
    let server = BenchServer(.stream(bytes))
    defer { server.stop() }
    let url = URL(string: "http://127.0.0.1:\(server.port)/export")!
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("ml-transport-bench-\(getpid()).json")
    defer { try? FileManager.default.removeItem(at: file) }
    let before = peakRSSMB()
    let toFile = await measure { _ = try await curl.download(HTTPRequest(method: "GET", url: url), to: file) }
    let size = (try? FileManager.default.attributesOfItem(atPath: file.path)[.size] as? Int) ?? 0
    let afterFile = peakRSSMB()
    report(
        "curl", "download \(options.downloadMB) MB to a file",
        String(
            format: "%.2f s, %d bytes written, peak RSS %.0f -> %.0f MB (+%.0f MB)%@", toFile.wall, size, before, afterFile,
            afterFile - before, toFile.error == nil ? "" : " (\(describe(toFile.error)))"))
    try? FileManager.default.removeItem(at: file)
    let inMemory = await measure {
        let r = try await curl.send(HTTPRequest(method: "GET", url: url))
        guard r.body.count == bytes else { throw ConnectorError("bench.size", "got \(r.body.count) bytes") }
    }
    let afterMemory = peakRSSMB()
    report(
        "curl", "download \(options.downloadMB) MB into memory (send)",
        String(
            format: "%.2f s, peak RSS %.0f -> %.0f MB (+%.0f MB)%@", inMemory.wall, afterFile, afterMemory, afterMemory - afterFile,
            inMemory.error == nil ? "" : " (\(describe(inMemory.error)))"))
}
