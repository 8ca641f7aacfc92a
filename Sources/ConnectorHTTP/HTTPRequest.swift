import Foundation

/// One HTTP request as the connector sends it: plain values, independent of the transport.
public struct HTTPRequest: Sendable {
    /// Upper-case method, e.g. `GET`, `POST`, `PATCH`.
    public var method: String
    /// The full URL, query included (logs show only its path).
    public var url: URL
    /// Header fields by name. Names are matched case-insensitively by servers; values are sent as given.
    public var headers: [String: String]
    /// The bytes sent as they are; nil sends no body.
    public var body: Data?
    /// Seconds the transport may wait for the server: `CurlTransport` fails a transfer that moves no byte for this
    /// long (a stall timeout, not a total one, so a long download that keeps moving is never cut), and gives the
    /// connection (DNS, TCP, TLS) at most `min(timeout, 30)` seconds.
    public var timeout: TimeInterval
    /// Whether sending the request twice has the same effect as once. `HTTPClient.send(_:idempotent:)` sets it;
    /// by default GET, HEAD, PUT, DELETE and OPTIONS are idempotent, POST and PATCH are not. A transport must never
    /// resend a non-idempotent request on its own (`CurlTransport` gives it a connection of its own).
    public var isIdempotent: Bool

    /// Upper-cases the method and derives `isIdempotent` from it unless told.
    public init(
        method: String, url: URL, headers: [String: String] = [:], body: Data? = nil, timeout: TimeInterval = 60,
        isIdempotent: Bool? = nil
    ) {
        self.method = method.uppercased()
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
        self.isIdempotent = isIdempotent ?? ["GET", "HEAD", "PUT", "DELETE", "OPTIONS"].contains(method.uppercased())
    }
}
