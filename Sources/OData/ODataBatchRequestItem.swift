import Foundation

/// A top-level part of a `$batch` request: an atomic changeset of writes, or one request on its own (a read).
public enum ODataBatchRequestItem: Sendable, Hashable {
    /// Writes that stand or fall together.
    case changeset(ODataChangeset)
    /// One request on its own, usually a read, so one batch can carry many lookups.
    case single(ODataBatchOperation)
}
