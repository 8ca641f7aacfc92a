import Foundation

/// A literal in an OData key predicate or `$filter`.
public enum ODataLiteral: Sendable, Hashable {
    /// Written `'…'` with every `'` doubled.
    case string(String)
    /// Written bare (Edm.Decimal / Int keys such as `InvoiceLineNumber=1`); must already be a valid number.
    case number(String)

    /// The literal as it goes into a URL or filter, before percent-encoding.
    public var text: String {
        switch self {
        case .string(let s): return "'" + s.replacingOccurrences(of: "'", with: "''") + "'"
        case .number(let n): return n
        }
    }
}
