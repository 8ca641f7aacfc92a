import Foundation

/// A top-level item of a `$batch` answer: a changeset response (nested multipart) or a single response part
/// (a request outside any changeset, or the one error part that replaces a failed changeset).
public enum ODataBatchResponseItem: Sendable {
    /// A response outside any changeset, or the error part of a failed changeset.
    case single(ODataBatchPart)
    /// The responses of a changeset that was applied, one per operation.
    case changeset([ODataBatchPart])

    /// The response parts, whatever the shape, for code that reads them one by one.
    public var parts: [ODataBatchPart] {
        switch self {
        case .single(let part): return [part]
        case .changeset(let parts): return parts
        }
    }
}
