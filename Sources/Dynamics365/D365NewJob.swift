import ConnectorCore
import ConnectorHTTP
import Foundation
import OData

/// A document whose header still has to be created.
struct D365NewJob: Sendable {
    var prepared: D365PreparedDocument
    /// How often it was handed back (throttled, not processed, rolled back by a refused strategy).
    var attempts = 0
    var document: InvoiceDocument { prepared.document }
}
