import Foundation

/// A field-level problem with one record, named so finance can find it: the report, the field, and why.
public struct RecordIssue: Sendable, Hashable, Codable {
    /// `<reportID>` or `<reportID>/<transactionID>` (or `export[<n>]` when the report has no readable ID).
    public var record: String
    public var field: String
    public var reason: String

    public init(record: String, field: String, reason: String) {
        self.record = record; self.field = field; self.reason = reason
    }
}
