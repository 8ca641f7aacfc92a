import ConnectorCore
import Foundation

/// Sends one request and returns the server's answer. Implementations do no retries, no logging and no
/// auth: that policy lives in `HTTPClient`. A non-2xx status is returned as a response; only failures to get
/// any answer throw (`http.network`, transient). A transport never resends a request whose `isIdempotent` is
/// false on its own. The live transport is `CurlTransport`.
public protocol HTTPTransport: Sendable {
    func send(_ request: HTTPRequest) async throws -> HTTPResponse

    /// Sends `request` and writes the response body, whatever the status, to `file` (created or truncated);
    /// the returned response carries status and headers and an empty body. `CurlTransport` streams the body
    /// to the file as it arrives, so memory stays flat however large the answer is.
    /// - Throws: like `send`; `http.file_write` when the file cannot be written.
    func download(_ request: HTTPRequest, to file: URL) async throws -> HTTPResponse
}

extension HTTPTransport {
    /// For transports that only answer in memory (test transports): `send`, then write the body out.
    public func download(_ request: HTTPRequest, to file: URL) async throws -> HTTPResponse {
        let response = try await send(request)
        do {
            try response.body.write(to: file)
        } catch {
            throw ConnectorError(
                "http.file_write", "Cannot write the answer to \(file.lastPathComponent).",
                context: ["file": file.path])
        }
        return HTTPResponse(status: response.status, headers: response.headers)
    }
}
