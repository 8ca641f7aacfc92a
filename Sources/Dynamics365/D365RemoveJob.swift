import ConnectorCore
import ConnectorHTTP
import Foundation
import OData

/// A header to delete again because D365 refused its lines: no empty invoice is left behind.
struct D365RemoveJob: Sendable {
    var document: InvoiceDocument
    var reference: String
    /// D365's reason for refusing the lines (the document fails with it).
    var cause: ConnectorError
    var attempts = 0
}
