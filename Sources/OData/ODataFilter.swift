import ConnectorHTTP
import Foundation

/// A literal in an OData key predicate or `$filter`.
public enum ODataLiteral: Sendable, Hashable {
    /// Written `'…'` with every `'` doubled.
    case string(String)
    /// Written bare (Edm.Decimal / Int keys such as `InvoiceLineNumber=1`); must already be a valid number.
    case number(String)

    public var text: String {
        switch self {
        case .string(let s): return "'" + s.replacingOccurrences(of: "'", with: "''") + "'"
        case .number(let n): return n
        }
    }
}

/// `$filter` expressions built from parts, so quoting is never done by hand (d365-fo-odata.md §2.2, §2.3).
/// Lists become parenthesised `or` chains, because F&O does not support `in` and every OData v4 server takes `or`.
public enum ODataFilter {
    /// `Field eq 'value'`.
    public static func eq(_ field: String, _ value: String) -> String { "\(field) eq \(ODataLiteral.string(value).text)" }

    /// `(Field eq 'a' or Field eq 'b')`; a single value needs no parentheses; nil for no values.
    public static func anyOf(_ field: String, _ values: [String]) -> String? {
        guard !values.isEmpty else { return nil }
        if values.count == 1 { return eq(field, values[0]) }
        return "(" + values.map { eq(field, $0) }.joined(separator: " or ") + ")"
    }

    /// The non-nil parts joined with `and`; nil when there are none.
    public static func and(_ parts: [String?]) -> String? {
        let present = parts.compactMap { $0 }.filter { !$0.isEmpty }
        return present.isEmpty ? nil : present.joined(separator: " and ")
    }
}

/// URLs under a service root (`<environment>/data` on F&O, `…/api/v2.0/companies(id)` on Business Central), built in
/// one place so percent-encoding of filters and keys is never done by hand.
public enum ODataURL {
    /// `<root>/<EntitySet>?cross-company=true&$filter=…&$select=…`, values strictly percent-encoded.
    public static func collection(root: String, entitySet: String, filter: String?, select: [String], crossCompany: Bool) -> URL? {
        var query: [String] = []
        if crossCompany { query.append("cross-company=true") }
        if let filter, !filter.isEmpty { query.append("$filter=" + FormEncoding.escape(filter)) }
        if !select.isEmpty { query.append("$select=" + FormEncoding.escape(select.joined(separator: ","))) }
        let path = root + "/" + entitySet
        return URL(string: query.isEmpty ? path : path + "?" + query.joined(separator: "&"))
    }

    /// `<root>/<EntitySet>(k1='v',k2=1)`. Key values are percent-encoded like query values.
    public static func entity(root: String, entitySet: String, key: [(String, ODataLiteral)]) -> URL? {
        let predicate = key.map { "\($0.0)=\(FormEncoding.escape($0.1.text))" }.joined(separator: ",")
        return URL(string: root + "/" + entitySet + "(" + predicate + ")")
    }
}
