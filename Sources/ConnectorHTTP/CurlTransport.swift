import ConnectorCore
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The live transport: libcurl's multi interface, driven by one event-loop thread per transport.
///
/// - **Waiting costs nothing.** The loop sleeps in `curl_multi_poll` until a socket is ready, a curl timer is due or
///   a new transfer is handed in (`curl_multi_wakeup`); many transfers share the one thread.
/// - **A connection closed without an answer fails at once** (`http.network`, transient; e.g. curl's "Empty reply
///   from server"). `HTTPClient` retries it for idempotent requests and reports it as must-look-up otherwise.
/// - **Never resent behind the caller's back.** libcurl silently resends a request whose *reused* connection died
///   before any answer byte. A request with `isIdempotent == false` therefore always gets a connection of its own
///   (`CURLOPT_FRESH_CONNECT`), on which libcurl never retries; idempotent requests reuse connections.
/// - **Timeouts** (per request, `HTTPRequest.timeout`): connecting (DNS, TCP, TLS) may take `min(timeout, 30)`
///   seconds; after that the transfer fails when less than one byte per second moves for `timeout` seconds (a stall
///   timeout: a long export that keeps streaming is never cut, a server that goes silent is). Both fail as
///   `http.network` (transient).
/// - **Connections are kept alive per host** in the multi handle's connection cache (HTTP/1.1).
/// - Headers and body are sent as given; libcurl's `Expect: 100-continue` (which Expensify mishandles) and its
///   default form `Content-Type` are suppressed; gzip/deflate answers are decoded. No redirect is followed, no
///   cookie kept, TLS peers and host names are verified. Nothing here logs; errors name the host, never the query.
/// - `download(_:to:)` writes the body straight to the file from the write callback (flat memory).
/// - Cancelling the calling task removes its transfer from the loop and throws `CancellationError`.
public final class CurlTransport: HTTPTransport {
    private let loop: CurlEventLoop

    /// Starts the event-loop thread; it ends when the transport is released.
    public init() {
        loop = CurlEventLoop()
    }

    deinit { loop.shutdown() }

    /// Sends on the event loop and suspends until the answer, without holding a thread.
    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        try await perform(request, file: -1)
    }

    /// Like `send`, writing the body to `file` as it arrives instead of into memory.
    public func download(_ request: HTTPRequest, to file: URL) async throws -> HTTPResponse {
        let fd = open(file.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw ConnectorError(
                "http.file_write", "Cannot open \(file.lastPathComponent) for the download (\(String(cString: strerror(errno)))).",
                context: ["file": file.path])
        }
        // The loop never touches the descriptor once `perform` has returned or thrown.
        defer { close(fd) }
        return try await perform(request, file: fd)
    }

    private func perform(_ request: HTTPRequest, file: Int32) async throws -> HTTPResponse {
        try Task.checkCancellation()
        let transfer = try CurlTransfer(request, file: file)
        let loop = self.loop
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<HTTPResponse, any Error>) in
                transfer.continuation = continuation
                loop.submit(transfer)
            }
        } onCancel: {
            loop.cancel(transfer)
        }
    }
}
