import CCurl
import ConnectorCore
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One request in flight: its easy handle, what was received so far and the continuation to resume.
/// Configured on the caller's thread before it is handed to the loop; from then on only the loop thread touches it,
/// except `cancelRequested`, which is guarded by the loop's lock.
final class CurlTransfer: @unchecked Sendable {
    let easy: UnsafeMutableRawPointer
    private var headerList: UnsafeMutablePointer<curl_slist>?
    var continuation: CheckedContinuation<HTTPResponse, any Error>?
    /// Guarded by `CurlEventLoop.lock`.
    var cancelRequested = false
    private var released = false

    private let method: String
    private let host: String
    /// -1: the body is collected in memory; else the body goes to this descriptor.
    private let file: Int32
    private var body = Data()
    private var headers: [String: String] = [:]
    private var lastHeaderName: String?
    private var fileError: Int32 = 0

    init(_ request: HTTPRequest, file: Int32) throws {
        guard CurlGlobal.initialized, let easy = curl_easy_init() else {
            throw ConnectorError("http.client", "libcurl could not be initialised.")
        }
        self.easy = easy
        self.method = request.method
        self.host = request.url.host ?? "the server"
        self.file = file
        do {
            try configure(request)
        } catch {
            release()
            throw error
        }
    }

    deinit { release() }

    /// Frees the easy handle and header list (on the loop thread once the handle left the multi handle).
    func release() {
        guard !released else { return }
        released = true
        curl_easy_cleanup(easy)
        if let headerList { curl_slist_free_all(headerList) }
        headerList = nil
    }

    private func configure(_ request: HTTPRequest) throws {
        var failed: CURLcode = CURLE_OK
        func check(_ code: CURLcode) { if code != CURLE_OK, failed == CURLE_OK { failed = code } }
        func set(_ option: CURLoption, _ value: Int) { check(ccurl_easy_setopt_long(easy, option, value)) }
        func set(_ option: CURLoption, _ value: String) { check(ccurl_easy_setopt_string(easy, option, value)) }

        set(CURLOPT_URL, request.url.absoluteString)
        set(CURLOPT_NOSIGNAL, 1)
        set(CURLOPT_PROTOCOLS_STR, "http,https")
        set(CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_1_1))
        set(CURLOPT_FOLLOWLOCATION, 0)
        set(CURLOPT_SSL_VERIFYPEER, 1)
        set(CURLOPT_SSL_VERIFYHOST, 2)
        set(CURLOPT_ACCEPT_ENCODING, "")
        set(CURLOPT_TCP_KEEPALIVE, 1)
        set(CURLOPT_TCP_KEEPIDLE, 60)
        set(CURLOPT_TCP_KEEPINTVL, 30)

        let timeout = request.timeout.isFinite ? max(request.timeout, 0.001) : 3600
        set(CURLOPT_CONNECTTIMEOUT_MS, Int((min(timeout, 30) * 1000).rounded(.up)))
        set(CURLOPT_LOW_SPEED_LIMIT, 1)
        set(CURLOPT_LOW_SPEED_TIME, max(1, Int(timeout.rounded(.up))))

        // libcurl resends a request by itself only on a reused connection; a request that must not be repeated
        // never travels on one.
        if !request.isIdempotent { set(CURLOPT_FRESH_CONNECT, 1) }

        var fields: [String] = []
        var given = Set<String>()
        for (name, value) in request.headers.sorted(by: { $0.key.lowercased() < $1.key.lowercased() }) {
            guard !name.isEmpty, !name.utf8.contains(UInt8(ascii: ":")),
                !(name + value).utf8.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0 })
            else {
                throw ConnectorError(
                    "http.invalid_header", "Header \(name.debugDescription) cannot be sent.",
                    context: ["http.method": request.method, "http.host": host])
            }
            given.insert(name.lowercased())
            // "Name;" is libcurl's spelling of a header sent with an empty value ("Name:" would remove it).
            fields.append(value.isEmpty ? "\(name);" : "\(name): \(value)")
        }
        if !given.contains("expect") { fields.append("Expect:") }

        switch request.method {
        case "GET" where request.body == nil:
            set(CURLOPT_HTTPGET, 1)
        case "HEAD":
            set(CURLOPT_NOBODY, 1)
        default:
            if request.body != nil || request.method == "POST" || request.method == "PUT" || request.method == "PATCH" {
                let body = request.body ?? Data()
                if !given.contains("content-type") { fields.append("Content-Type:") }
                set(CURLOPT_POST, 1)
                check(ccurl_easy_setopt_off_t(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count)))
                if body.isEmpty {
                    set(CURLOPT_COPYPOSTFIELDS, "")
                } else {
                    body.withUnsafeBytes { raw in
                        check(ccurl_easy_setopt_pointer(easy, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: raw.baseAddress)))
                    }
                }
            }
            if request.method != "POST" { set(CURLOPT_CUSTOMREQUEST, request.method) }
        }

        for field in fields {
            guard let list = curl_slist_append(headerList, field) else {
                throw ConnectorError("http.client", "libcurl could not take the request headers.")
            }
            headerList = list
        }
        check(ccurl_easy_setopt_slist(easy, CURLOPT_HTTPHEADER, headerList))

        let context = Unmanaged.passUnretained(self).toOpaque()
        check(ccurl_easy_setopt_write_function(easy, CURLOPT_HEADERFUNCTION, curlHeaderCallback))
        check(ccurl_easy_setopt_pointer(easy, CURLOPT_HEADERDATA, context))
        check(ccurl_easy_setopt_write_function(easy, CURLOPT_WRITEFUNCTION, curlWriteCallback))
        check(ccurl_easy_setopt_pointer(easy, CURLOPT_WRITEDATA, context))
        check(ccurl_easy_setopt_pointer(easy, CURLOPT_PRIVATE, context))
        if file >= 0 { set(CURLOPT_BUFFERSIZE, 256 * 1024) }

        if failed != CURLE_OK {
            throw ConnectorError(
                "http.client", "libcurl refused an option (\(String(cString: curl_easy_strerror(failed)))).",
                context: ["http.method": request.method, "http.host": host, "curl.code": String(failed.rawValue)])
        }
    }

    // MARK: Callbacks (loop thread)

    fileprivate func receiveHeader(_ bytes: UnsafeRawBufferPointer) {
        var end = bytes.count
        while end > 0, bytes[end - 1] == 0x0A || bytes[end - 1] == 0x0D { end -= 1 }
        let line = String(decoding: bytes[..<end], as: UTF8.self)
        if line.hasPrefix("HTTP/") {
            // A new status line (after 1xx, or a proxy's answer): only the final header block counts.
            headers.removeAll()
            lastHeaderName = nil
            return
        }
        if line.isEmpty { return }
        if let first = line.first, first == " " || first == "\t", let name = lastHeaderName {
            headers[name, default: ""] += " " + line.trimmingCharacters(in: .whitespaces)
            return
        }
        guard let colon = line.firstIndex(of: ":") else { return }
        let name = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
        let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        if let existing = headers[name] { headers[name] = existing + ", " + value } else { headers[name] = value }
        lastHeaderName = name
    }

    /// Returns the number of bytes taken; anything else makes libcurl abort with CURLE_WRITE_ERROR.
    fileprivate func receiveBody(_ bytes: UnsafeRawBufferPointer) -> Int {
        guard file >= 0 else {
            body.append(contentsOf: bytes)
            return bytes.count
        }
        guard let base = bytes.baseAddress else { return 0 }
        var offset = 0
        while offset < bytes.count {
            let n = write(file, base + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                fileError = errno
                return 0
            }
            offset += n
        }
        return bytes.count
    }

    // MARK: Completion (loop thread, after the handle left the multi handle)

    func finish(_ code: CURLcode) {
        let result: Result<HTTPResponse, any Error>
        if code == CURLE_OK {
            var status = 0
            _ = ccurl_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status)
            result = .success(HTTPResponse(status: status, headers: headers, body: body))
        } else {
            result = .failure(error(for: code))
        }
        body = Data()
        finish(result)
    }

    func finish(_ result: Result<HTTPResponse, any Error>) {
        release()
        let continuation = self.continuation
        self.continuation = nil
        continuation?.resume(with: result)
    }

    private func error(for code: CURLcode) -> ConnectorError {
        let reason = String(cString: curl_easy_strerror(code))
        let context = ["http.method": method, "http.host": host, "curl.code": String(code.rawValue)]
        switch code {
        case CURLE_WRITE_ERROR where fileError != 0:
            return ConnectorError(
                "http.file_write", "The download could not be written (\(String(cString: strerror(fileError)))).",
                context: context)
        case CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_CERTPROBLEM, CURLE_SSL_ISSUER_ERROR,
            CURLE_SSL_PINNEDPUBKEYNOTMATCH:
            return ConnectorError("http.tls", "The TLS certificate of \(host) could not be verified (\(reason)).", context: context)
        case CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL:
            return ConnectorError(
                "http.invalid_url", "The request to \(host) has an address libcurl cannot use (\(reason)).",
                context: context)
        default:
            return ConnectorError(ErrorCode.httpNetwork, "No answer from \(host) (\(reason)).", context: context, isTransient: true)
        }
    }
}

private let curlHeaderCallback: curl_write_callback = { buffer, size, count, context in
    guard let context else { return 0 }
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(context).takeUnretainedValue()
    let n = size * count
    transfer.receiveHeader(UnsafeRawBufferPointer(start: buffer, count: buffer == nil ? 0 : n))
    return n
}

private let curlWriteCallback: curl_write_callback = { buffer, size, count, context in
    guard let context else { return 0 }
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(context).takeUnretainedValue()
    let n = size * count
    guard n > 0, let buffer else { return 0 }
    return transfer.receiveBody(UnsafeRawBufferPointer(start: buffer, count: n))
}
