import ConnectorCore
import ConnectorHTTP
import Foundation

/// The error body every OData v4 service answers with, `{"error":{"code","message","innererror":{…}}}`, plus the
/// `{"Message": …}` shape of ASP.NET routing errors; each system reads the part that carries its real reason.
public struct ODataErrorEnvelope: Sendable, Equatable {
    public var code: String?
    public var message: String?
    /// `error.innererror.message`, where F&O puts its Infolog.
    public var innerMessage: String?

    public init(code: String? = nil, message: String? = nil, innerMessage: String? = nil) {
        self.code = code
        self.message = message
        self.innerMessage = innerMessage
    }

    /// The envelope of an error body; nil when the body is not JSON or names no error at all.
    public static func parse(_ body: Data) -> ODataErrorEnvelope? {
        guard let json = try? JSONValue.parse(body) else { return nil }
        func text(_ v: JSONValue?) -> String? {
            guard let s = v?.stringValue, !s.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return nil }
            return s
        }
        if let error = json["error"] {
            let e = ODataErrorEnvelope(code: text(error["code"]), message: text(error["message"]),
                                       innerMessage: text(error["innererror"]?["message"]))
            if e.message != nil || e.innerMessage != nil || e.code != nil { return e }
        }
        if let m = text(json["Message"]) ?? text(json["message"]) { return ODataErrorEnvelope(message: m) }
        return nil
    }
}

/// How one OData system turns a failed response into its own error codes (`d365.validation`, `bc.validation`):
/// the status classes are the same everywhere, the words and the place of the reason differ.
public struct ODataErrorMapping: Sendable {
    /// Code prefix, e.g. `d365`.
    public var codePrefix: String
    /// How the system is named in messages, e.g. `D365`.
    public var displayName: String
    /// The reason in an error body, in the system's own shape; nil to fall back to a generic sentence.
    public var reason: @Sendable (Data) -> String?
    /// What a 401 that survived a token refresh means for this system.
    public var unauthorizedHint: String

    public init(codePrefix: String, displayName: String, unauthorizedHint: String,
                reason: @escaping @Sendable (Data) -> String? = { ODataErrorEnvelope.parse($0).flatMap { $0.message ?? $0.innerMessage } }) {
        self.codePrefix = codePrefix
        self.displayName = displayName
        self.unauthorizedHint = unauthorizedHint
        self.reason = reason
    }

    /// The connector error for a non-success response (after retries and the 401 refresh).
    public func error(for response: HTTPResponse, entitySet: String, method: String) -> ConnectorError {
        let status = response.status
        let context = ["\(codePrefix).entity_set": entitySet, "http.status": String(status), "http.method": method]
        let detail = reason(response.body)
        let name = displayName
        func make(_ suffix: String, _ fallback: String, transient: Bool = false) -> ConnectorError {
            ConnectorError("\(codePrefix).\(suffix)", detail ?? fallback, context: context, isTransient: transient)
        }
        switch status {
        case 400: return make("validation", "\(name) rejected the request to \(entitySet).")
        case 401: return make("unauthorized", unauthorizedHint)
        case 403: return make("forbidden", "\(name) denied access to \(entitySet).")
        case 404: return make("not_found", "\(name) has no \(entitySet) resource at that address.")
        case 409, 412: return make("conflict", "\(name) reported an update conflict on \(entitySet).", transient: true)
        case 429, 503: return make("throttled", "\(name) kept throttling the connector.", transient: true)
        case 500, 502, 504: return make("server_error", "\(name) failed with HTTP \(status).", transient: true)
        default: return make("http_\(status)", "\(name) answered HTTP \(status).", transient: status >= 500)
        }
    }

    /// An answer that is not what the protocol promises (not a collection, not an entity).
    public func unexpected(_ message: String, entitySet: String, status: Int? = nil) -> ConnectorError {
        var context = ["\(codePrefix).entity_set": entitySet]
        if let status { context["http.status"] = String(status) }
        return ConnectorError("\(codePrefix).unexpected_response", message, context: context)
    }
}
