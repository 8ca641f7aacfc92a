import ConnectorCore
import ConnectorHTTP
import Foundation
import Logging
import OData

/// Work done with plain requests (the per-document path).
enum D365SingleWork: Sendable {
    /// `load` with what the window's lookup found under the key, if anything.
    case document(InvoiceDocument)
    case lines(D365LinesJob)
    case remove(D365RemoveJob)
}
