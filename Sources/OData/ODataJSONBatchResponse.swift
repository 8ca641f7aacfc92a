import ConnectorCore
import Foundation

/// The answer to one operation of a JSON `$batch`.
public struct ODataJSONBatchResponse: Sendable, Hashable {
    /// The operation's `id`.
    public var id: String
    /// Its HTTP status.
    public var status: Int
    /// Its headers (names lower-cased).
    public var headers: [String: String]
    /// Its JSON body, nil when empty.
    public var body: JSONValue?

    /// Memberwise.
    public init(id: String, status: Int, headers: [String: String], body: JSONValue?) {
        self.id = id
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// 2xx.
    public var isSuccess: Bool { (200..<300).contains(status) }

    /// The body's bytes, for the system's error mapping.
    public var bodyData: Data { body?.serialized() ?? Data() }
}
