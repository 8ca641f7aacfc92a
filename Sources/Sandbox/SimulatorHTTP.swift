import Foundation

/// A request as a simulator sees it: plain values, independent of the server framework.
public struct SimRequest: Sendable {
    /// Upper-case method, e.g. `POST`.
    public var method: String
    /// The path exactly as received (still percent-encoded), without the query.
    public var path: String
    /// The raw query string without `?`, still percent-encoded; nil when absent.
    public var query: String?
    /// Header fields with lower-cased names; repeated fields joined with `, `.
    public var headers: [String: String]
    public var body: Data
    /// Scheme, host and port the client used, e.g. `http://127.0.0.1:8765` (for absolute links).
    public var baseURL: String

    public init(method: String, path: String, query: String?, headers: [String: String], body: Data, baseURL: String) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.baseURL = baseURL
    }

    /// The percent-decoded path.
    public var decodedPath: String { path.removingPercentEncoding ?? path }

    /// Query parameters, decoded (`+` as space), in order.
    public var queryItems: [(name: String, value: String)] { SimRequest.decodeForm(query ?? "") }

    public func queryValue(_ name: String) -> String? { queryItems.first { $0.name == name }?.value }

    /// Fields of an `application/x-www-form-urlencoded` body, decoded, in order.
    public var formFields: [(name: String, value: String)] { SimRequest.decodeForm(String(decoding: body, as: UTF8.self)) }

    /// Decodes `a=1&b=x+y` style text.
    public static func decodeForm(_ text: String) -> [(name: String, value: String)] {
        guard !text.isEmpty else { return [] }
        return text.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func dec(_ s: Substring) -> String {
                let plus = s.replacingOccurrences(of: "+", with: " ")
                return plus.removingPercentEncoding ?? plus
            }
            return (dec(parts[0]), parts.count > 1 ? dec(parts[1]) : "")
        }
    }
}

/// A response from a simulator.
public struct SimResponse: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: Data
    /// Set by a simulator that has processed the request but must not answer: the server closes the TCP
    /// connection without sending any response byte (a "drop" fault).
    public var dropConnection = false

    public init(status: Int, headers: [(String, String)] = [], body: Data = Data()) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A JSON response from a `JSONSerialization`-compatible object (dictionaries are written with sorted keys).
    public static func json(_ status: Int, _ object: Any, headers: [(String, String)] = []) -> SimResponse {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        return SimResponse(status: status, headers: [("Content-Type", "application/json; charset=utf-8")] + headers, body: data)
    }

    /// A JSON response from raw bytes already encoded.
    public static func jsonData(_ status: Int, _ data: Data, headers: [(String, String)] = []) -> SimResponse {
        SimResponse(status: status, headers: [("Content-Type", "application/json; charset=utf-8")] + headers, body: data)
    }

    public static func text(_ status: Int, _ text: String, contentType: String = "text/plain; charset=utf-8") -> SimResponse {
        SimResponse(status: status, headers: [("Content-Type", contentType)], body: Data(text.utf8))
    }
}

/// One simulated system. Returns nil for requests that are not its own, so the server can try the next.
public protocol SimulatorHandler: Sendable {
    func handle(_ request: SimRequest) async -> SimResponse?
}
