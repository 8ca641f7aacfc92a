import Foundation

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
