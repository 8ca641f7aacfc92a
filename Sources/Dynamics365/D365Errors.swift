import ConnectorCore
import ConnectorHTTP
import Foundation

/// Turns F&O error bodies into short, useful text (d365-fo-odata.md §2.8).
///
/// The OData envelope's real reason is in `error.innererror.message`, shaped
/// `Write failed for table row of type 'X'. Infolog: Warning: a.; Error: b.; Warning: validateWrite failed on data source 'T (T)'.`
/// → `a.; b.` Routing 404s use `{"Message": …}` instead.
public enum ODataErrorMessage {
    /// Generic Infolog lines that say nothing about the cause.
    static let noisePrefixes = [
        "validatewrite failed on data source", "update has been canceled", "update has been cancelled",
        "insert has been canceled", "insert has been cancelled", "write failed for table row",
    ]

    /// The clean message of an error body, or nil when the body has none.
    public static func parse(_ body: Data) -> String? {
        guard let json = try? JSONValue.parse(body) else { return nil }
        if let error = json["error"] {
            if let inner = error["innererror"]?["message"]?.stringValue, !inner.trimmingCharacters(in: .whitespaces).isEmpty {
                let clean = cleanInfolog(inner)
                return clean.isEmpty ? inner.trimmingCharacters(in: .whitespacesAndNewlines) : clean
            }
            if let message = error["message"]?.stringValue, !message.isEmpty { return message }
        }
        if let message = json["Message"]?.stringValue, !message.isEmpty { return message }
        if let message = json["message"]?.stringValue, !message.isEmpty { return message }
        return nil
    }

    /// The Infolog entries after `Infolog:`, split on `;`, without level prefixes, noise or repeats.
    public static func cleanInfolog(_ text: String) -> String {
        var body = Substring(text)
        if let r = text.range(of: "Infolog:") { body = text[r.upperBound...] }
        var seen = Set<String>()
        var kept: [String] = []
        for raw in body.split(separator: ";") {
            var entry = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            for level in ["Warning:", "Error:", "Info:"] where entry.lowercased().hasPrefix(level.lowercased()) {
                entry = String(entry.dropFirst(level.count)).trimmingCharacters(in: .whitespaces)
            }
            let lower = entry.lowercased()
            guard !entry.isEmpty, !noisePrefixes.contains(where: { lower.hasPrefix($0) }) else { continue }
            if seen.insert(entry).inserted { kept.append(entry) }
        }
        return kept.joined(separator: "; ")
    }
}

enum ODataErrors {
    /// The connector error for a non-success response (after retries and the 401 refresh).
    static func error(for response: HTTPResponse, entitySet: String, method: String) -> ConnectorError {
        let status = response.status
        let context = ["d365.entity_set": entitySet, "http.status": String(status), "http.method": method]
        let detail = ODataErrorMessage.parse(response.body)
        func make(_ code: String, _ fallback: String, transient: Bool = false) -> ConnectorError {
            ConnectorError(code, detail ?? fallback, context: context, isTransient: transient)
        }
        switch status {
        case 400: return make("d365.validation", "D365 rejected the request to \(entitySet).")
        case 401: return make("d365.unauthorized", "D365 refused the access token even after a refresh; check that the Entra application is registered in F&O and its user is enabled.")
        case 403: return make("d365.forbidden", "D365 denied access to \(entitySet).")
        case 404: return make("d365.not_found", "D365 has no \(entitySet) resource at that address.")
        case 409, 412: return make("d365.conflict", "D365 reported an update conflict on \(entitySet).", transient: true)
        case 429, 503: return make("d365.throttled", "D365 kept throttling the connector.", transient: true)
        case 500, 502, 504: return make("d365.server_error", "D365 failed with HTTP \(status).", transient: true)
        default: return make("d365.http_\(status)", "D365 answered HTTP \(status).", transient: status >= 500)
        }
    }
}
