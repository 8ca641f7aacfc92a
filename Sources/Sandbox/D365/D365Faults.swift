import Foundation

/// A fault injected with `POST /_sandbox/d365/faults`: the next `remaining` matching `/data` requests fail.
///
/// Matching: `method` and `entitySet` are optional filters. A rule without `entitySet` (or with `$batch`) fails whole
/// top-level requests, a `$batch` included. A rule naming an entity set fails top-level requests on that set and,
/// inside a `$batch`, the matching operation (its changeset is then rolled back like any failed changeset).
///
/// A `drop` rule plays a server that processes the request and then closes the TCP connection without sending a
/// single response byte: the request is applied exactly as without the rule (a create is stored), then the
/// connection is closed. It matches top-level requests only (a whole `$batch` included, never an operation inside one).
///
/// `after` lets that many matching requests (operations, inside a `$batch`) through untouched before the rule
/// triggers, so a fault can land in the middle of a run ("the 11th `$batch` POST") without watching the request log.
struct D365FaultRule: Sendable {
    var remaining: Int
    /// Unused by a `drop` rule.
    var status: Int
    var retryAfter: Int?
    var method: String?
    var entitySet: String?
    var message: String?
    var drop = false
    /// Matching requests still to let through before the rule triggers.
    var after = 0

    var json: D365JSON {
        var o = D365JSONObject()
        o["count"] = .int(remaining)
        if drop { o["drop"] = .bool(true) } else { o["status"] = .int(status) }
        if let retryAfter { o["retryAfter"] = .int(retryAfter) }
        if let method { o["method"] = .string(method) }
        if let entitySet { o["entitySet"] = .string(entitySet) }
        if let message { o["message"] = .string(message) }
        if after > 0 { o["after"] = .int(after) }
        return .object(o)
    }

    /// Takes one use of the first rule matching a request (`insideBatch`: only rules naming an entity set). A matching
    /// rule still letting requests through (`after`) counts this one and the next rule is tried.
    static func take(_ rules: inout [D365FaultRule], method: String, entitySet: String, insideBatch: Bool) -> D365FaultRule? {
        func matches(_ f: D365FaultRule) -> Bool {
            guard f.remaining > 0, f.method.map({ $0 == method.uppercased() }) ?? true else { return false }
            if insideBatch { return !f.drop && f.entitySet != nil && f.entitySet != "$batch" && f.entitySet == entitySet }
            return f.entitySet.map { $0 == entitySet } ?? true
        }
        var found: Int?
        for i in rules.indices where matches(rules[i]) {
            if rules[i].after > 0 {
                rules[i].after -= 1
                continue
            }
            found = i
            break
        }
        guard let index = found else { return nil }
        rules[index].remaining -= 1
        let rule = rules[index]
        if rules[index].remaining <= 0 { rules.remove(at: index) }
        return rule
    }

    static func throttleMessage(_ settings: D365Settings) -> String {
        "Number of requests exeeded the limit of \(settings.requestsPerWindow) over the time window of \(settings.windowSeconds) seconds."
    }

    static func tooMany(_ message: String, retryAfter: Int) -> SimResponse {
        D365Responses.json(
            429, D365Responses.obj([("error", D365Responses.obj([("code", .string("")), ("message", .string(message))]))]),
            headers: [("Retry-After", String(retryAfter))])
    }

    /// The response of a triggered rule (a 401 is empty with `WWW-Authenticate: Bearer`).
    func response(_ settings: D365Settings) -> SimResponse {
        let retryHeader = retryAfter.map { [("Retry-After", String($0))] } ?? []
        switch status {
        case 401:
            return D365Responses.unauthorized()
        case 429:
            return D365FaultRule.tooMany(message ?? D365FaultRule.throttleMessage(settings), retryAfter: retryAfter ?? 1)
        case 503:
            return D365Responses.json(
                503,
                D365Responses.obj([
                    (
                        "error",
                        D365Responses.obj([
                            ("code", .string("")),
                            (
                                "message",
                                .string(
                                    message
                                        ?? "This request could not be processed at this time due to system experiencing high resource utilization.")
                            ),
                        ])
                    )
                ]), headers: retryHeader)
        default:
            var r = D365Responses.odataError(
                status, inner: message ?? "Simulated failure injected by the sandbox (status \(status)).",
                type: "System.Exception")
            r.headers += retryHeader
            return r
        }
    }
}
