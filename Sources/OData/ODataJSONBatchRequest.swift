import ConnectorCore
import Foundation

/// One operation of a JSON `$batch` (OData JSON batch format, used by Business Central): its URL is relative to the
/// service root, so one request can touch several companies.
public struct ODataJSONBatchRequest: Sendable, Hashable {
    /// Unique within the batch; the answer carries it back.
    public var id: String
    /// `GET`, `POST`, `PATCH`, `DELETE`.
    public var method: String
    /// Relative to the service root, already percent-encoded (`companies(…)/purchaseInvoices?$filter=…`).
    public var url: String
    /// Headers of the operation (`If-Match`, `Prefer`).
    public var headers: [String: String]
    /// JSON body, nil for reads and deletes.
    public var body: JSONValue?
    /// Operations of one group succeed or fail together.
    public var atomicityGroup: String?
    /// Operations that must succeed before this one runs.
    public var dependsOn: [String]

    /// Memberwise.
    public init(
        id: String, method: String, url: String, headers: [String: String] = [:], body: JSONValue? = nil,
        atomicityGroup: String? = nil, dependsOn: [String] = []
    ) {
        self.id = id
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.atomicityGroup = atomicityGroup
        self.dependsOn = dependsOn
    }
}
