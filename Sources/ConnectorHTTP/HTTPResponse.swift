import Foundation

/// One HTTP response. A non-2xx status is a response like any other, never an error by itself.
public struct HTTPResponse: Sendable {
    /// The HTTP status code, left for the caller to map to its own errors.
    public var status: Int
    /// Header fields with lower-cased names.
    public var headers: [String: String]
    /// The body as received (empty for a download written to a file).
    public var body: Data

    /// Lower-cases header names, so lookups do not depend on the server's spelling.
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
