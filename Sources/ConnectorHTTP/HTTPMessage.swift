import Foundation

/// One HTTP request as the connector sends it: plain values, independent of the transport.
public struct HTTPRequest: Sendable {
    /// Upper-case method, e.g. `GET`, `POST`, `PATCH`.
    public var method: String
    public var url: URL
    /// Header fields by name. Names are matched case-insensitively by servers; values are sent as given.
    public var headers: [String: String]
    public var body: Data?
    /// Seconds the transport may wait for the server (idle timeout on URLSession).
    public var timeout: TimeInterval

    public init(method: String, url: URL, headers: [String: String] = [:], body: Data? = nil, timeout: TimeInterval = 60) {
        self.method = method.uppercased()
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
    }
}

/// One HTTP response. A non-2xx status is a response like any other, never an error by itself.
public struct HTTPResponse: Sendable {
    public var status: Int
    /// Header fields with lower-cased names.
    public var headers: [String: String]
    public var body: Data

    public init(status: Int, headers: [String: String] = [:], body: Data = Data()) {
        self.status = status
        var lower: [String: String] = [:]
        for (name, value) in headers { lower[name.lowercased()] = value }
        self.headers = lower
        self.body = body
    }

    /// The value of a header field, looked up case-insensitively; nil when absent.
    public func header(_ name: String) -> String? { headers[name.lowercased()] }

    /// True for 2xx.
    public var isSuccess: Bool { (200..<300).contains(status) }

    /// The body as UTF-8 text (invalid bytes replaced).
    public var text: String { String(decoding: body, as: UTF8.self) }
}
