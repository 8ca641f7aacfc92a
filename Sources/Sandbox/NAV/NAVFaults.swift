import Foundation

/// A fault injected with `POST /_sandbox/nav/faults`: the next `remaining` matching requests of an API fail (or, with
/// `drop`, are processed and then answered by closing the connection).
struct NAVFaultRule: Sendable {
    var remaining: Int
    var status: Int
    var retryAfter: Int?
    var method: String?
    var pathContains: String?
    /// `bc`, `odata` or `soap`; nil = any.
    var api: String?
    var drop = false

    var json: D365JSON {
        var o = D365JSONObject()
        o["count"] = .int(remaining)
        if drop { o["drop"] = .bool(true) } else { o["status"] = .int(status) }
        if let retryAfter { o["retryAfter"] = .int(retryAfter) }
        if let method { o["method"] = .string(method) }
        if let pathContains { o["pathContains"] = .string(pathContains) }
        if let api { o["api"] = .string(api) }
        return .object(o)
    }

    static func parse(_ o: D365JSONObject) throws -> NAVFaultRule {
        guard let count = o["count"]?.intValue, count > 0 else { throw D365JSONError(description: "count (> 0) is required") }
        let drop = o["drop"]?.boolValue ?? false
        let status = o["status"]?.intValue ?? 0
        if !drop {
            guard [401, 408, 429, 500, 502, 503, 504].contains(status) else {
                throw D365JSONError(description: "status must be 429, 500, 502, 503, 401, 408 or 504 (or \"drop\": true)")
            }
        }
        let api = o["api"]?.stringValue
        if let api, !["bc", "odata", "soap"].contains(api) { throw D365JSONError(description: "api must be bc, odata or soap") }
        return NAVFaultRule(
            remaining: count, status: status, retryAfter: o["retryAfter"]?.intValue, method: o["method"]?.stringValue?.uppercased(),
            pathContains: o["pathContains"]?.stringValue, api: api, drop: drop)
    }

    func matches(api: String, method: String, path: String) -> Bool {
        guard remaining > 0 else { return false }
        if let a = self.api, a != api { return false }
        if let m = self.method, m != method.uppercased() { return false }
        if let p = pathContains, !path.contains(p), !(path.removingPercentEncoding ?? path).contains(p) { return false }
        return true
    }

    /// Takes one use of the first matching rule.
    static func take(_ rules: inout [NAVFaultRule], api: String, method: String, path: String) -> NAVFaultRule? {
        guard let i = rules.firstIndex(where: { $0.matches(api: api, method: method, path: path) }) else { return nil }
        rules[i].remaining -= 1
        let r = rules[i]
        if rules[i].remaining <= 0 { rules.remove(at: i) }
        return r
    }
}

/// Error bodies shared by the BC API and NAV OData (`{"error":{"code","message"}}` with the CorrelationId suffix).
enum NAVResponses {
    static let odataContentType = "application/json; odata.metadata=minimal; odata.streaming=true; charset=utf-8"

    static func correlated(_ message: String) -> String {
        "\(message)  CorrelationId:  \(UUID().uuidString.lowercased())."
    }

    static func errorBody(_ code: String, _ message: String) -> D365JSON {
        D365Responses.obj([("error", D365Responses.obj([("code", .string(code)), ("message", .string(correlated(message)))]))])
    }

    static func error(_ status: Int, _ code: String, _ message: String, headers: [(String, String)] = []) -> SimResponse {
        json(status, errorBody(code, message), headers: headers)
    }

    static func error(_ e: NAVError, staleStatus: Int = 409) -> SimResponse {
        error(e.kind == .entityChanged ? staleStatus : e.httpStatus, e.odataCode, e.message)
    }

    static func json(_ status: Int, _ value: D365JSON, headers: [(String, String)] = []) -> SimResponse {
        SimResponse(
            status: status, headers: [("Content-Type", odataContentType), ("OData-Version", "4.0")] + headers, body: D365JSONWriter.data(value))
    }

    static func unauthorized(bearer: Bool) -> SimResponse {
        error(
            401, "Authentication_InvalidCredentials", "The server has rejected the client credentials.",
            headers: [("WWW-Authenticate", bearer ? "Bearer realm=\"\", error=\"invalid_token\"" : "Basic realm=\"\"")])
    }

    static func notFoundRoute(_ url: String) -> SimResponse {
        error(404, "BadRequest_NotFound", "No HTTP resource was found that matches the request URI '\(url)'.")
    }

    /// The answer of an injected fault (429 with or without Retry-After as the rule says; 502/503 default to 1 s).
    static func fault(_ rule: NAVFaultRule, api: String) -> SimResponse {
        var headers: [(String, String)] = []
        let retry = rule.retryAfter ?? ((rule.status == 502 || rule.status == 503) ? 1 : nil)
        if let retry { headers.append(("Retry-After", String(retry))) }
        switch rule.status {
        case 401:
            return api == "soap" ? SimResponse(status: 401, headers: [("WWW-Authenticate", "Basic realm=\"\"")]) : unauthorized(bearer: api == "bc")
        case 429:
            return error(429, "Application_TooManyRequests", "The request was throttled. Too many requests were sent.", headers: headers)
        case 408:
            return error(408, "Internal_RequestTimeout", "The operation has timed out.", headers: headers)
        case 502:
            return error(502, "Internal_BadGateway", "Bad Gateway.", headers: headers)
        case 503:
            return error(503, "Internal_ServiceUnavailable", "The service is temporarily unavailable. Please try again later.", headers: headers)
        case 504:
            return error(504, "Internal_GatewayTimeout", "The gateway timed out.", headers: headers)
        default:
            return error(rule.status, "Internal_ServerError", "Simulated failure injected by the sandbox (status \(rule.status)).", headers: headers)
        }
    }
}
