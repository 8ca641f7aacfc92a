import ConnectorCore
import Foundation

/// One request inside a `$batch` changeset.
public struct ODataBatchOperation: Sendable, Hashable {
    /// The part's `Content-ID`. Unique within the whole batch request (OData v4 multipart format), so an error
    /// part names exactly one operation of one changeset.
    public var contentID: String
    /// The HTTP method, upper-case: POST and PATCH write, GET reads inside the batch.
    public var method: String
    /// Absolute URL, or a reference to an entity created earlier in the same changeset (`$1/VendorInvoiceLine`).
    public var url: String
    /// The JSON body of a write (ignored for GET and DELETE).
    public var body: [String: JSONValue]

    /// A POST unless told otherwise, because most operations create.
    public init(contentID: String, method: String = "POST", url: String, body: [String: JSONValue]) {
        self.contentID = contentID
        self.method = method.uppercased()
        self.url = url
        self.body = body
    }
}
