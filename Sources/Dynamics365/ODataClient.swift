import ConnectorCore
import ConnectorHTTP
import Foundation
import Logging

/// A small OData v4 client for F&O's `/data` endpoint (d365-fo-odata.md §1.4, §2).
///
/// Sends the OData headers and a bearer token on every call; on a 401 it asks the token provider for a fresh
/// token once and repeats the call once, then gives up with `d365.unauthorized`. Collection reads follow
/// `@odata.nextLink` until it is absent. Errors become `d365.*` `ConnectorError`s with the Infolog text.
public struct ODataClient: Sendable {
    public let base: String
    private let tokens: any TokenProvider
    private let http: HTTPClient
    private let logger: Logger
    private let timeout: TimeInterval

    /// - Parameters:
    ///   - environmentURL: the F&O environment base URL (without `/data`).
    ///   - tokens: where bearer tokens come from.
    ///   - http: the retrying HTTP client.
    public init(environmentURL: URL, tokens: any TokenProvider, http: HTTPClient, logger: Logger, timeout: TimeInterval = 120) {
        var text = environmentURL.absoluteString
        while text.hasSuffix("/") { text.removeLast() }
        self.base = text
        self.tokens = tokens
        self.http = http
        self.logger = logger
        self.timeout = timeout
    }

    /// Reads every row of `entitySet` matching `filter`, following server paging.
    /// - Parameters:
    ///   - filter: a `$filter` expression (build it with `ODataFilter`), unencoded.
    ///   - select: properties to return; empty for all.
    ///   - crossCompany: adds `cross-company=true` (pair it with a `dataAreaId` filter).
    /// - Returns: the rows in server order.
    public func getAll(_ entitySet: String, filter: String? = nil, select: [String] = [],
                       crossCompany: Bool = false) async throws -> [[String: JSONValue]] {
        guard var url = ODataURL.collection(base: base, entitySet: entitySet, filter: filter, select: select,
                                            crossCompany: crossCompany) else {
            throw ConnectorError("d365.request_invalid", "Could not build a URL for \(entitySet).", context: ["d365.entity_set": entitySet])
        }
        var rows: [[String: JSONValue]] = []
        var visited = Set<String>()
        var pages = 0
        while true {
            visited.insert(url.absoluteString)
            pages += 1
            let response = try await send(method: "GET", url: url, body: nil, entitySet: entitySet, idempotent: true)
            guard response.isSuccess else { throw ODataErrors.error(for: response, entitySet: entitySet, method: "GET") }
            let page = try Self.collectionPage(response.body, entitySet: entitySet, status: response.status)
            rows += page.rows
            guard let next = page.nextLink else { break }
            url = try nextPage(next, current: url, entitySet: entitySet, visited: visited)
        }
        logger.debug("OData read", metadata: ["system": "d365", "d365.entity_set": "\(entitySet)",
                                              "d365.rows": "\(rows.count)", "d365.pages": "\(pages)"])
        return rows
    }

    /// The URL of a collection read (`GET`), for a read sent inside a `$batch`.
    public func collectionURL(_ entitySet: String, filter: String? = nil, select: [String] = [], crossCompany: Bool = false) -> URL? {
        ODataURL.collection(base: base, entitySet: entitySet, filter: filter, select: select, crossCompany: crossCompany)
    }

    /// The rows of one page of a collection answer and its `@odata.nextLink`, if any.
    /// - Throws: `d365.unexpected_response` when the body is not an OData collection.
    public static func collectionPage(_ body: Data, entitySet: String, status: Int) throws -> (rows: [[String: JSONValue]], nextLink: String?) {
        guard let json = try? JSONValue.parse(body), let values = json["value"]?.arrayValue else {
            throw ConnectorError("d365.unexpected_response", "D365's answer for \(entitySet) is not an OData collection.",
                                 context: ["d365.entity_set": entitySet, "http.status": String(status)])
        }
        let next = json["@odata.nextLink"]?.stringValue
        return (values.compactMap(\.objectValue), (next?.isEmpty ?? true) ? nil : next)
    }

    /// Every row from `url` on, following `@odata.nextLink` with the same rules as `getAll` (for a read continued
    /// outside a `$batch`). `visited` holds pages already read, which a link may not name again.
    public func getAll(_ entitySet: String, from url: URL, visited: Set<String> = []) async throws -> [[String: JSONValue]] {
        var seen = visited
        var url = url
        var rows: [[String: JSONValue]] = []
        while true {
            seen.insert(url.absoluteString)
            let response = try await send(method: "GET", url: url, body: nil, entitySet: entitySet, idempotent: true)
            guard response.isSuccess else { throw ODataErrors.error(for: response, entitySet: entitySet, method: "GET") }
            let page = try Self.collectionPage(response.body, entitySet: entitySet, status: response.status)
            rows += page.rows
            guard let next = page.nextLink else { return rows }
            url = try nextPage(next, current: url, entitySet: entitySet, visited: seen)
        }
    }

    /// The URL an `@odata.nextLink` leads to, under the rules of `getAll` (the token never leaves the environment;
    /// a page already read is refused).
    public func nextPageURL(_ link: String, current: URL, entitySet: String, visited: Set<String>) throws -> URL {
        try nextPage(link, current: current, entitySet: entitySet, visited: visited)
    }

    /// Creates one entity (POST). Not idempotent: a transient error here means "may or may not exist now".
    /// - Returns: the created entity as the server returned it (201 body).
    public func create(_ entitySet: String, body: [String: JSONValue]) async throws -> [String: JSONValue] {
        guard let url = URL(string: base + "/data/" + entitySet) else {
            throw ConnectorError("d365.request_invalid", "Could not build a URL for \(entitySet).", context: ["d365.entity_set": entitySet])
        }
        let response = try await send(method: "POST", url: url, body: JSONValue.object(body).serialized(),
                                      entitySet: entitySet, idempotent: false)
        guard response.isSuccess else { throw ODataErrors.error(for: response, entitySet: entitySet, method: "POST") }
        if response.body.isEmpty { return [:] }
        guard let created = (try? JSONValue.parse(response.body))?.objectValue else {
            throw ConnectorError("d365.unexpected_response", "D365's answer to a create in \(entitySet) is not a JSON object.",
                                 context: ["d365.entity_set": entitySet, "http.status": String(response.status)])
        }
        return created
    }

    /// Updates fields of one entity (PATCH; 204 expected). Sending the same values twice is harmless.
    public func patch(_ entitySet: String, key: [(String, ODataLiteral)], body: [String: JSONValue]) async throws {
        guard let url = ODataURL.entity(base: base, entitySet: entitySet, key: key) else {
            throw ConnectorError("d365.request_invalid", "Could not build a URL for \(entitySet).", context: ["d365.entity_set": entitySet])
        }
        let response = try await send(method: "PATCH", url: url, body: JSONValue.object(body).serialized(),
                                      entitySet: entitySet, idempotent: true)
        guard response.isSuccess else { throw ODataErrors.error(for: response, entitySet: entitySet, method: "PATCH") }
    }

    /// Sends `changesets` as one `POST {env}/data/$batch` (multipart/mixed, d365-fo-odata.md §2.7), asking the
    /// server to go on after a failed changeset (`Prefer: odata.continue-on-error`). Not idempotent: a transient
    /// error here means "some changesets may have been applied".
    /// - Returns: the server's answer whatever its status (read a 2xx one with `ODataBatch.parseResponse`); the
    ///   caller decides what a failed `$batch` means, because "batch not supported" and "batch failed" differ.
    /// - Throws: `d365.request_invalid` when no URL can be built; transient `http.ambiguous`/`http.network` from
    ///   `HTTPClient`; token errors.
    public func batch(_ changesets: [ODataChangeset]) async throws -> HTTPResponse {
        try await batch(items: changesets.map { .changeset($0) }, idempotent: false)
    }

    /// Sends `items` (changesets and single reads) as one `POST {env}/data/$batch` with
    /// `Prefer: odata.continue-on-error`.
    /// - Parameter idempotent: true only when every item is a read, so a lost answer may simply be asked again.
    public func batch(items: [ODataBatchRequestItem], idempotent: Bool) async throws -> HTTPResponse {
        guard let url = URL(string: base + "/data/$batch") else {
            throw ConnectorError("d365.request_invalid", "Could not build the $batch URL.", context: ["d365.entity_set": "$batch"])
        }
        let boundary = ODataBatch.boundary("batch")
        let body = ODataBatch.requestBody(items: items, boundary: boundary)
        let headers = [
            "Content-Type": "multipart/mixed; boundary=" + boundary,
            "Accept": "multipart/mixed",
            "Prefer": "odata.continue-on-error",
        ]
        let response = try await send(method: "POST", url: url, body: body, entitySet: "$batch", idempotent: idempotent, headers: headers)
        var changesets = 0, operations = 0
        for item in items {
            if case .changeset(let c) = item { changesets += 1; operations += c.operations.count } else { operations += 1 }
        }
        logger.debug("OData batch", metadata: ["system": "d365", "d365.changesets": "\(changesets)", "d365.operations": "\(operations)",
                                               "http.status": "\(response.status)"])
        return response
    }

    /// Deletes one entity (`DELETE`, 204 expected). Idempotent: a repeat finds nothing (404), which callers
    /// read as "already gone".
    /// - Throws: `d365.not_found` for 404, other `d365.*` errors, transport errors.
    public func delete(_ entitySet: String, key: [(String, ODataLiteral)]) async throws {
        guard let url = ODataURL.entity(base: base, entitySet: entitySet, key: key) else {
            throw ConnectorError("d365.request_invalid", "Could not build a URL for \(entitySet).", context: ["d365.entity_set": entitySet])
        }
        let response = try await send(method: "DELETE", url: url, body: nil, entitySet: entitySet, idempotent: true)
        guard response.isSuccess else { throw ODataErrors.error(for: response, entitySet: entitySet, method: "DELETE") }
    }

    /// `<base>/data/<EntitySet>(k1='v',…)`, for an operation inside a `$batch`.
    public func entityURL(_ entitySet: String, key: [(String, ODataLiteral)]) -> URL? {
        ODataURL.entity(base: base, entitySet: entitySet, key: key)
    }

    // MARK: - Plumbing

    /// The URL of the next page. The bearer token never leaves the configured environment: a link that names
    /// another scheme, host or port (a server that builds links from its own idea of its address, behind a
    /// proxy, `localhost` for `127.0.0.1`) is followed on the configured environment with the link's service
    /// path and query; a link that is not under `/data/` is refused. A page already read is refused too.
    private func nextPage(_ link: String, current: URL, entitySet: String, visited: Set<String>) throws -> URL {
        guard let resolved = URL(string: link, relativeTo: current)?.absoluteURL else {
            throw ConnectorError("d365.unexpected_response", "D365's @odata.nextLink for \(entitySet) is not a URL.",
                                 context: ["d365.entity_set": entitySet])
        }
        var next = resolved
        let sameOrigin = resolved.scheme?.lowercased() == current.scheme?.lowercased()
            && resolved.host?.lowercased() == current.host?.lowercased() && resolved.port == current.port
        if !sameOrigin {
            let text = resolved.absoluteString
            guard let service = text.range(of: "/data/"), let rebased = URL(string: base + text[service.lowerBound...]) else {
                throw ConnectorError("d365.unexpected_response", "D365's @odata.nextLink for \(entitySet) points outside the environment.",
                                     context: ["d365.entity_set": entitySet])
            }
            logger.debug("OData next link names another address; following it on the configured environment",
                         metadata: ["system": "d365", "d365.entity_set": "\(entitySet)"])
            next = rebased
        }
        guard !visited.contains(next.absoluteString) else {
            throw ConnectorError("d365.unexpected_response", "D365's @odata.nextLink for \(entitySet) repeats a page already read.",
                                 context: ["d365.entity_set": entitySet])
        }
        return next
    }

    /// - Parameter headers: extra or replacing header fields (the `$batch` content types).
    private func send(method: String, url: URL, body: Data?, entitySet: String, idempotent: Bool,
                      headers: [String: String] = [:]) async throws -> HTTPResponse {
        var response = try await http.send(request(method: method, url: url, body: body, token: tokens.token(forceRefresh: false),
                                                   extra: headers),
                                           idempotent: idempotent)
        if response.status == 401 {
            logger.debug("OData 401, refreshing the token once", metadata: ["system": "d365", "d365.entity_set": "\(entitySet)"])
            response = try await http.send(request(method: method, url: url, body: body, token: tokens.token(forceRefresh: true),
                                                   extra: headers),
                                           idempotent: idempotent)
        }
        return response
    }

    private func request(method: String, url: URL, body: Data?, token: Secret, extra: [String: String] = [:]) -> HTTPRequest {
        var headers = [
            "OData-Version": "4.0",
            "OData-MaxVersion": "4.0",
            "Accept": "application/json;odata.metadata=minimal",
            "Authorization": "Bearer " + token.reveal(),
        ]
        if body != nil { headers["Content-Type"] = "application/json;odata.metadata=minimal" }
        for (name, value) in extra { headers[name] = value }
        return HTTPRequest(method: method, url: url, headers: headers, body: body, timeout: timeout)
    }
}
