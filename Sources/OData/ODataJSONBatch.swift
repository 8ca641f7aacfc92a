import ConnectorCore
import ConnectorHTTP
import Foundation

/// The JSON `$batch` format (OData JSON Format v4.01 §19, what Business Central accepts at `…/api/v2.0/$batch`):
/// `{"requests":[{"id","method","url","headers","body"}]}` answered by `{"responses":[{"id","status","headers","body"}]}`.
public enum ODataJSONBatch {
    /// The request body, operations in the given order.
    public static func body(_ requests: [ODataJSONBatchRequest]) -> Data {
        let items: [JSONValue] = requests.map { r in
            var o: [String: JSONValue] = ["id": .string(r.id), "method": .string(r.method), "url": .string(r.url)]
            var headers = r.headers
            if r.body != nil && headers["Content-Type"] == nil { headers["Content-Type"] = "application/json" }
            if !headers.isEmpty { o["headers"] = .object(headers.mapValues { .string($0) }) }
            if let b = r.body { o["body"] = b }
            if let g = r.atomicityGroup { o["atomicityGroup"] = .string(g) }
            if !r.dependsOn.isEmpty { o["dependsOn"] = .array(r.dependsOn.map { .string($0) }) }
            return .object(o)
        }
        return JSONValue.object(["requests": .array(items)]).serialized()
    }

    /// The answers, by operation; nil when the body is not a JSON batch answer.
    public static func parse(_ data: Data) -> [ODataJSONBatchResponse]? {
        guard let json = try? JSONValue.parse(data), let items = json["responses"]?.arrayValue else { return nil }
        return items.compactMap { item -> ODataJSONBatchResponse? in
            guard let id = item["id"]?.stringValue, let status = item["status"]?.int64Value else { return nil }
            var headers: [String: String] = [:]
            for (k, v) in item["headers"]?.objectValue ?? [:] { headers[k.lowercased()] = v.stringValue ?? "" }
            let body = item["body"].flatMap { $0.isNull ? nil : $0 }
            return ODataJSONBatchResponse(id: id, status: Int(status), headers: headers, body: body)
        }
    }
}

extension ODataClient {
    /// Sends `requests` as one JSON `POST {root}/$batch`. `snapshot` asks for all-or-nothing (`Isolation: snapshot`).
    /// - Parameter idempotent: true only when every operation is a read, so a lost answer may simply be asked again.
    /// - Returns: the answers by operation, in the order the server gave them.
    /// - Throws: the system's error when the `$batch` itself is refused; transport errors (`http.ambiguous` after a
    ///   lost answer to writes: the caller settles by reading back, never by resending).
    public func jsonBatch(_ requests: [ODataJSONBatchRequest], snapshot: Bool = false, idempotent: Bool) async throws -> [ODataJSONBatchResponse] {
        guard !requests.isEmpty else { return [] }
        guard let url = URL(string: root + "/$batch") else { throw invalidURL("$batch") }
        var headers = ["Content-Type": "application/json", "Accept": "application/json"]
        if snapshot { headers["Isolation"] = "snapshot" }
        let response = try await send(
            method: "POST", url: url, body: ODataJSONBatch.body(requests), entitySet: "$batch", idempotent: idempotent, headers: headers)
        guard response.isSuccess else { throw errors.error(for: response, entitySet: "$batch", method: "POST") }
        guard let answers = ODataJSONBatch.parse(response.body) else {
            throw errors.unexpected(
                "\(errors.displayName)'s answer to a $batch is not a JSON batch answer.", entitySet: "$batch", status: response.status)
        }
        return answers
    }

    /// Deletes the entity at `path` below the root (BC keys are bare GUIDs: `companies(…)/purchaseInvoices(…)`).
    /// Idempotent; 404 means already gone and is not an error.
    public func delete(path: String, ifMatch: String?) async throws {
        guard let url = URL(string: root + "/" + path) else { throw invalidURL(path) }
        let response = try await send(
            method: "DELETE", url: url, body: nil, entitySet: path, idempotent: true, headers: ifMatch.map { ["If-Match": $0] } ?? [:])
        guard response.isSuccess || response.status == 404 else { throw errors.error(for: response, entitySet: path, method: "DELETE") }
    }

    /// A path relative to the service root for a JSON `$batch` operation: the collection read of `getAll`.
    public func relativeCollectionPath(_ entitySet: String, filter: String? = nil, select: [String] = [], expand: String? = nil) -> String? {
        guard let url = collectionURL(entitySet, filter: filter, select: select, expand: expand) else { return nil }
        let text = url.absoluteString
        guard text.hasPrefix(root + "/") else { return nil }
        return String(text.dropFirst(root.count + 1))
    }
}
