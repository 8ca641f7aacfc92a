import ConnectorHTTP
import Foundation

/// One `application/http` response part of a `$batch` answer.
public struct ODataBatchPart: Sendable {
    /// The MIME part's `Content-ID` (or, failing that, one inside the HTTP message), when the server sent one.
    public var contentID: String?
    /// The embedded response's HTTP status, which decides success part by part.
    public var status: Int
    /// Header fields of the embedded HTTP response, names lower-cased.
    public var headers: [String: String]
    /// The embedded response's body, exactly as sent.
    public var body: Data

    /// Lower-cases header names, so lookups do not depend on the server's spelling.
    public init(contentID: String?, status: Int, headers: [String: String], body: Data) {
        self.contentID = contentID
        self.status = status
        var lower: [String: String] = [:]
        for (name, value) in headers { lower[name.lowercased()] = value }
        self.headers = lower
        self.body = body
    }

    /// Whether the operation succeeded (2xx); any other status carries its reason in `body`.
    public var isSuccess: Bool { (200..<300).contains(status) }

    /// The part as a plain response, for the error mapping shared with single requests.
    public var response: HTTPResponse { HTTPResponse(status: status, headers: headers, body: body) }
}
