import Foundation

/// A field-level problem with one record, named so finance can find it: the report, the field, and why.
public struct RecordIssue: Sendable, Hashable, Codable {
    /// `<reportID>` or `<reportID>/<transactionID>` (or `export[<n>]` when the report has no readable ID).
    public var record: String
    /// The field at fault, as the source names it (`categoryGlCode`), or `(json)`/`(report)` for a whole record.
    public var field: String
    /// Why, in words finance can act on.
    public var reason: String

    /// Memberwise, for every rule and reader that finds a problem.
    public init(record: String, field: String, reason: String) {
        self.record = record
        self.field = field
        self.reason = reason
    }
}
