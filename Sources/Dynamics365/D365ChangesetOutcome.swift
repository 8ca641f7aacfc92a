import ConnectorCore
import ConnectorHTTP
import Foundation
import OData

/// What one changeset came to, read from a `$batch` answer.
enum D365ChangesetOutcome: Sendable {
    /// Every operation answered 2xx; the parts in operation order (as far as Content-IDs tell).
    case succeeded([ODataBatchPart])
    /// One error part replaced the changeset: nothing of it was applied. `operation` is the index, within the
    /// changeset, of the operation its Content-ID names (nil when it names none).
    case failed(ODataBatchPart, operation: Int?)
    /// An answer that does not say clearly whether the changeset was applied.
    case uncertain(String)
    /// No answer for this changeset: the server stopped before it.
    case notProcessed
}
