import ConnectorCore
import ConnectorHTTP
import Foundation

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

    /// Reads `error.message`, then `innererror.message`, unless the system supplies its own reader.
    public init(
        codePrefix: String, displayName: String, unauthorizedHint: String,
        reason: @escaping @Sendable (Data) -> String? = { ODataErrorEnvelope.parse($0).flatMap { $0.message ?? $0.innerMessage } }
    ) {
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
