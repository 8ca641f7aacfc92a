import ConnectorCore
import ConnectorHTTP
import Foundation
import Logging

/// An OData v4 client shared by every OData system (F&O `/data`, Business Central API v2.0, NAV ODataV4 pages),
/// so paging, next links, retries of reads, token refresh and error envelopes are written once.
///
/// Sends the OData headers and the system's `Authorization` on every call; on a 401 it asks for fresh credentials
/// once and repeats the call once, then gives up with the system's `unauthorized` error. Collection reads follow
/// `@odata.nextLink` until it is absent. Errors become the system's codes through its `ODataErrorMapping`.
public struct ODataClient: Sendable {
    /// Scheme, host and port of the service (e.g. `https://contoso.operations.dynamics.com`), no trailing slash.
    public let base: String
    /// `base` plus the service path (`https://contoso.operations.dynamics.com/data`): entity sets live under it.
    public let root: String
    /// The service path (`/data`), used to keep next links on the configured service.
    public let servicePath: String
    /// Short name for logs (`d365`, `bc`, `nav`).
    public let system: String
    /// How failures become this system's error codes, also for callers that read `$batch` parts.
    public let errors: ODataErrorMapping
    private let authorization: any HTTPAuthorization
    private let http: HTTPClient
    private let logger: Logger
    private let timeout: TimeInterval

    /// - Parameters:
    ///   - base: the service's scheme, host and port (a path in it is kept, trailing slashes dropped).
    ///   - servicePath: where the entity sets live below `base`, e.g. `/data`.
    ///   - authorization: the `Authorization` header's source.
    ///   - http: the retrying HTTP client.
    ///   - errors: the system's error codes and words.
    public init(
        base: URL, servicePath: String, authorization: any HTTPAuthorization, http: HTTPClient, logger: Logger,
        system: String, errors: ODataErrorMapping, timeout: TimeInterval = 120
    ) {
        var text = base.absoluteString
        while text.hasSuffix("/") { text.removeLast() }
        var path = servicePath
        while path.hasSuffix("/") { path.removeLast() }
        if !path.isEmpty && !path.hasPrefix("/") { path = "/" + path }
        self.base = text
        self.servicePath = path
        self.root = text + path
        self.system = system
        self.errors = errors
        self.authorization = authorization
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
    public func getAll(
        _ entitySet: String, filter: String? = nil, select: [String] = [],
        crossCompany: Bool = false, expand: String? = nil
    ) async throws -> [[String: JSONValue]] {
        guard
            var url = ODataURL.collection(
                root: root, entitySet: entitySet, filter: filter, select: select,
                crossCompany: crossCompany, expand: expand)
        else {
            throw invalidURL(entitySet)
        }
        var rows: [[String: JSONValue]] = []
        var visited = Set<String>()
        var pages = 0
        while true {
            visited.insert(url.absoluteString)
            pages += 1
            let response = try await send(method: "GET", url: url, body: nil, entitySet: entitySet, idempotent: true)
            guard response.isSuccess else { throw errors.error(for: response, entitySet: entitySet, method: "GET") }
            let page = try collectionPage(response.body, entitySet: entitySet, status: response.status)
            rows += page.rows
            guard let next = page.nextLink else { break }
            url = try nextPage(next, current: url, entitySet: entitySet, visited: visited)
        }
        logger.debug(
            "OData read",
            metadata: [
                "system": "\(system)", "odata.entity_set": "\(entitySet)",
                "odata.rows": "\(rows.count)", "odata.pages": "\(pages)",
            ])
        return rows
    }

    /// The URL of a collection read (`GET`), for a read sent inside a `$batch`.
    public func collectionURL(
        _ entitySet: String, filter: String? = nil, select: [String] = [], crossCompany: Bool = false, expand: String? = nil
    ) -> URL? {
        ODataURL.collection(root: root, entitySet: entitySet, filter: filter, select: select, crossCompany: crossCompany, expand: expand)
    }

    /// The rows of one page of a collection answer and its `@odata.nextLink`, if any.
    /// - Throws: `<system>.unexpected_response` when the body is not an OData collection.
    public func collectionPage(_ body: Data, entitySet: String, status: Int) throws -> (rows: [[String: JSONValue]], nextLink: String?) {
        guard let json = try? JSONValue.parse(body), let values = json["value"]?.arrayValue else {
            throw errors.unexpected(
                "\(errors.displayName)'s answer for \(entitySet) is not an OData collection.", entitySet: entitySet, status: status)
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
            guard response.isSuccess else { throw errors.error(for: response, entitySet: entitySet, method: "GET") }
            let page = try collectionPage(response.body, entitySet: entitySet, status: response.status)
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
        guard let url = URL(string: root + "/" + entitySet) else { throw invalidURL(entitySet) }
        let response = try await send(
            method: "POST", url: url, body: JSONValue.object(body).serialized(),
            entitySet: entitySet, idempotent: false)
        guard response.isSuccess else { throw errors.error(for: response, entitySet: entitySet, method: "POST") }
        if response.body.isEmpty { return [:] }
        guard let created = (try? JSONValue.parse(response.body))?.objectValue else {
            throw errors.unexpected(
                "\(errors.displayName)'s answer to a create in \(entitySet) is not a JSON object.",
                entitySet: entitySet, status: response.status)
        }
        return created
    }

    /// Updates fields of one entity (PATCH; 204 expected). Sending the same values twice is harmless.
    /// - Parameter ifMatch: the entity's ETag (or `*`), which Business Central and NAV require on PATCH.
    public func patch(_ entitySet: String, key: [(String, ODataLiteral)], body: [String: JSONValue], ifMatch: String? = nil) async throws {
        guard let url = ODataURL.entity(root: root, entitySet: entitySet, key: key) else { throw invalidURL(entitySet) }
        let response = try await send(
            method: "PATCH", url: url, body: JSONValue.object(body).serialized(),
            entitySet: entitySet, idempotent: true, headers: ifMatch.map { ["If-Match": $0] } ?? [:])
        guard response.isSuccess else { throw errors.error(for: response, entitySet: entitySet, method: "PATCH") }
    }

    /// Sends `changesets` as one `POST {root}/$batch` (multipart/mixed, d365-fo-odata.md §2.7), asking the
    /// server to go on after a failed changeset (`Prefer: odata.continue-on-error`). Not idempotent: a transient
    /// error here means "some changesets may have been applied".
    /// - Returns: the server's answer whatever its status (read a 2xx one with `ODataBatch.parseResponse`); the
    ///   caller decides what a failed `$batch` means, because "batch not supported" and "batch failed" differ.
    /// - Throws: `<system>.request_invalid` when no URL can be built; transient `http.ambiguous`/`http.network` from
    ///   `HTTPClient`; token errors.
    public func batch(_ changesets: [ODataChangeset]) async throws -> HTTPResponse {
        try await batch(items: changesets.map { .changeset($0) }, idempotent: false)
    }

    /// Sends `items` (changesets and single reads) as one `POST {root}/$batch` with
    /// `Prefer: odata.continue-on-error`.
    /// - Parameter idempotent: true only when every item is a read, so a lost answer may simply be asked again.
    public func batch(items: [ODataBatchRequestItem], idempotent: Bool) async throws -> HTTPResponse {
        guard let url = URL(string: root + "/$batch") else { throw invalidURL("$batch") }
        let boundary = ODataBatch.boundary("batch")
        let body = ODataBatch.requestBody(items: items, boundary: boundary)
        let headers = [
            "Content-Type": "multipart/mixed; boundary=" + boundary,
            "Accept": "multipart/mixed",
            "Prefer": "odata.continue-on-error",
        ]
        let response = try await send(method: "POST", url: url, body: body, entitySet: "$batch", idempotent: idempotent, headers: headers)
        var changesets = 0
        var operations = 0
        for item in items {
            if case .changeset(let c) = item {
                changesets += 1
                operations += c.operations.count
            } else {
                operations += 1
            }
        }
        logger.debug(
            "OData batch",
            metadata: [
                "system": "\(system)", "odata.changesets": "\(changesets)", "odata.operations": "\(operations)",
                "http.status": "\(response.status)",
            ])
        return response
    }

    /// Deletes one entity (`DELETE`, 204 expected). Idempotent: a repeat finds nothing (404), which callers
    /// read as "already gone".
    /// - Throws: the system's `not_found` for 404, its other errors, transport errors.
    /// - Parameter ifMatch: the entity's ETag (or `*`), which Business Central and NAV require on DELETE.
    public func delete(_ entitySet: String, key: [(String, ODataLiteral)], ifMatch: String? = nil) async throws {
        guard let url = ODataURL.entity(root: root, entitySet: entitySet, key: key) else { throw invalidURL(entitySet) }
        let response = try await send(
            method: "DELETE", url: url, body: nil, entitySet: entitySet, idempotent: true, headers: ifMatch.map { ["If-Match": $0] } ?? [:])
        guard response.isSuccess else { throw errors.error(for: response, entitySet: entitySet, method: "DELETE") }
    }

    /// `<root>/<EntitySet>(k1='v',…)`, for an operation inside a `$batch`.
    public func entityURL(_ entitySet: String, key: [(String, ODataLiteral)]) -> URL? {
        ODataURL.entity(root: root, entitySet: entitySet, key: key)
    }

    // MARK: - Plumbing

    func invalidURL(_ entitySet: String) -> ConnectorError {
        ConnectorError(
            "\(errors.codePrefix).request_invalid", "Could not build a URL for \(entitySet).",
            context: ["\(errors.codePrefix).entity_set": entitySet])
    }

    /// The URL of the next page. The bearer token never leaves the configured environment: a link that names
    /// another scheme, host or port (a server that builds links from its own idea of its address, behind a
    /// proxy, `localhost` for `127.0.0.1`) is followed on the configured environment with the link's service
    /// path and query; a link that is not under the service path is refused. A page already read is refused too.
    private func nextPage(_ link: String, current: URL, entitySet: String, visited: Set<String>) throws -> URL {
        guard let resolved = URL(string: link, relativeTo: current)?.absoluteURL else {
            throw errors.unexpected("\(errors.displayName)'s @odata.nextLink for \(entitySet) is not a URL.", entitySet: entitySet)
        }
        var next = resolved
        let sameOrigin =
            resolved.scheme?.lowercased() == current.scheme?.lowercased()
            && resolved.host?.lowercased() == current.host?.lowercased() && resolved.port == current.port
        if !sameOrigin {
            let text = resolved.absoluteString
            guard let service = text.range(of: servicePath + "/"), let rebased = URL(string: base + text[service.lowerBound...]) else {
                throw errors.unexpected(
                    "\(errors.displayName)'s @odata.nextLink for \(entitySet) points outside the environment.",
                    entitySet: entitySet)
            }
            logger.debug(
                "OData next link names another address; following it on the configured environment",
                metadata: ["system": "\(system)", "odata.entity_set": "\(entitySet)"])
            next = rebased
        }
        guard !visited.contains(next.absoluteString) else {
            throw errors.unexpected(
                "\(errors.displayName)'s @odata.nextLink for \(entitySet) repeats a page already read.",
                entitySet: entitySet)
        }
        return next
    }

    /// - Parameter headers: extra or replacing header fields (the `$batch` content types).
    func send(
        method: String, url: URL, body: Data?, entitySet: String, idempotent: Bool,
        headers: [String: String] = [:]
    ) async throws -> HTTPResponse {
        var response = try await http.send(
            request(
                method: method, url: url, body: body,
                authorization: authorization.headerValue(refresh: false), extra: headers),
            idempotent: idempotent)
        if response.status == 401 {
            logger.debug("OData 401, refreshing the credentials once", metadata: ["system": "\(system)", "odata.entity_set": "\(entitySet)"])
            response = try await http.send(
                request(
                    method: method, url: url, body: body,
                    authorization: authorization.headerValue(refresh: true), extra: headers),
                idempotent: idempotent)
        }
        return response
    }

    private func request(method: String, url: URL, body: Data?, authorization: Secret, extra: [String: String] = [:]) -> HTTPRequest {
        var headers = [
            "OData-Version": "4.0",
            "OData-MaxVersion": "4.0",
            "Accept": "application/json;odata.metadata=minimal",
            "Authorization": authorization.reveal(),
        ]
        if body != nil { headers["Content-Type"] = "application/json;odata.metadata=minimal" }
        for (name, value) in extra { headers[name] = value }
        return HTTPRequest(method: method, url: url, headers: headers, body: body, timeout: timeout)
    }
}
