import ConnectorCore
import ConnectorHTTP
import Foundation
import OData

/// Lines to add, in order and in one changeset, to a header that exists (second phase).
struct D365LinesJob: Sendable {
    var document: InvoiceDocument
    var reference: String
    /// The lines still missing, in line-number order.
    var lines: [InvoiceLine]
    /// `.created` when this run created the header, `.completed` when it continues an earlier run's header.
    var status: DocumentLoadResult.Status
    /// The header holds none of the document's lines, so deleting it after a refusal leaves nothing behind.
    var headerIsEmpty: Bool
    var attempts = 0

    func bodies() throws -> [[String: JSONValue]] {
        try lines.map { try VendorInvoicePayload.line($0, of: document, headerReference: reference) }
    }
}
