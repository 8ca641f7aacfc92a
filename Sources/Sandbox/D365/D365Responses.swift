import Foundation

/// A request failure carried as the response to send.
struct D365Failure: Error, Sendable {
    var response: SimResponse
    init(_ response: SimResponse) { self.response = response }
}

/// Response shapes of F&O's `/data` service.
enum D365Responses {
    static let odataContentType = "application/json; odata.metadata=minimal; odata.streaming=true; IEEE754Compatible=false; charset=utf-8"
    static let writeExceptionType = "Microsoft.Dynamics.Platform.Integration.Services.OData.AxODataWriteException"

    static func json(_ status: Int, _ value: D365JSON, headers: [(String, String)] = [], ieee754: Bool = false) -> SimResponse {
        let ct = ieee754 ? odataContentType.replacingOccurrences(of: "IEEE754Compatible=false", with: "IEEE754Compatible=true") : odataContentType
        return SimResponse(
            status: status, headers: [("Content-Type", ct), ("OData-Version", "4.0")] + headers,
            body: D365JSONWriter.data(value))
    }

    /// Plain JSON for control routes (not OData).
    static func plain(_ status: Int, _ value: D365JSON) -> SimResponse {
        SimResponse(status: status, headers: [("Content-Type", "application/json; charset=utf-8")], body: D365JSONWriter.data(value))
    }

    static func obj(_ pairs: [(String, D365JSON)]) -> D365JSON { .object(D365JSONObject(pairs)) }

    /// The OData error envelope `{"error":{"code":"","message":…,"innererror":{…}}}`.
    static func odataError(
        _ status: Int, message: String = "An error has occurred.", inner: String, type: String,
        headers: [(String, String)] = []
    ) -> SimResponse {
        json(
            status,
            obj([
                (
                    "error",
                    obj([
                        ("code", .string("")),
                        ("message", .string(message)),
                        ("innererror", obj([("message", .string(inner)), ("type", .string(type)), ("stacktrace", .string(""))])),
                    ])
                )
            ]), headers: headers)
    }

    /// 400 from validateWrite: `Write failed for table row of type '…'. Infolog: Error: ….; Warning: validateWrite failed …`.
    static func writeFailed(_ schema: D365EntitySchema, _ errors: [String]) -> SimResponse {
        let infolog = errors.map { "Error: \(trimDot($0))." }.joined(separator: "; ")
        let inner =
            "Write failed for table row of type '\(schema.aotName)'. Infolog: \(infolog); Warning: validateWrite failed on data source '\(schema.dataSource)'."
        return odataError(400, inner: inner, type: writeExceptionType)
    }

    /// 400 for a request body or URL that ODataLib rejects.
    static func badRequest(_ inner: String) -> SimResponse {
        odataError(400, inner: inner, type: "Microsoft.OData.ODataException")
    }

    static func queryError(_ message: String) -> SimResponse {
        let m = "The query specified in the URI is not valid. \(message)"
        return odataError(400, message: m, inner: m, type: "Microsoft.OData.ODataException")
    }

    /// ASP.NET Web API routing 404 (unknown entity set, malformed key).
    static func routingNotFound(_ url: String) -> SimResponse {
        SimResponse(
            status: 404, headers: [("Content-Type", "application/json; charset=utf-8")],
            body: D365JSONWriter.data(
                obj([
                    (
                        "Message",
                        .string(
                            "No HTTP resource was found that matches the request URI '\(url)'.")
                    )
                ])))
    }

    static func methodNotAllowed(_ method: String) -> SimResponse {
        SimResponse(
            status: 405, headers: [("Content-Type", "application/json; charset=utf-8"), ("Allow", "GET")],
            body: D365JSONWriter.data(
                obj([
                    (
                        "Message",
                        .string(
                            "The requested resource does not support http method '\(method)'.")
                    )
                ])))
    }

    /// 404 for a well-formed key that matches no row.
    static func keyNotFound(_ setName: String) -> SimResponse {
        odataError(404, inner: "Resource not found for the segment '\(setName)'.", type: "Microsoft.OData.ODataException")
    }

    static func unauthorized() -> SimResponse {
        SimResponse(status: 401, headers: [("WWW-Authenticate", "Bearer"), ("Content-Length", "0")], body: Data())
    }

    private static func trimDot(_ s: String) -> String { s.hasSuffix(".") ? String(s.dropLast()) : s }

    static func reason(_ status: Int) -> String {
        switch status {
        case 200: return "OK"
        case 201: return "Created"
        case 204: return "No Content"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 409: return "Conflict"
        case 412: return "Precondition Failed"
        case 429: return "Too Many Requests"
        case 500: return "Internal Server Error"
        case 503: return "Service Unavailable"
        default: return "Status \(status)"
        }
    }
}
