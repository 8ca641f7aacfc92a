import ConnectorCore
import ConnectorHTTP
import Foundation
import OData

/// A new document ready to be sent: its header body and its line bodies without `HeaderReference` (every body
/// is built before anything is sent, so a bad amount cannot leave a header without lines).
struct D365PreparedDocument: Sendable {
    var document: InvoiceDocument
    var header: [String: JSONValue]
    var lines: [[String: JSONValue]]

    init(_ doc: InvoiceDocument) throws {
        document = doc
        header = try VendorInvoicePayload.header(doc)
        lines = try doc.lines.map { try VendorInvoicePayload.batchLine($0, of: doc) }
    }
}
