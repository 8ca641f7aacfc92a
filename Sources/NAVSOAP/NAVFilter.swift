import Foundation

/// One ReadMultiple `<filter>`: a page field and NAV filter criteria (`6000..6999`, `<>0`, `A*`, `''`), AND-ed with the others.
public struct NAVFilter: Sendable, Equatable {
    /// The SOAP field name (a member of `{Svc}_Fields`, e.g. `No`, `Dimension_Code`).
    public var field: String
    /// NAV filter syntax, sent as is.
    public var criteria: String

    /// A filter with criteria written in NAV filter syntax (ranges, wildcards, `|`): the caller owns the syntax.
    public init(field: String, criteria: String) {
        self.field = field
        self.criteria = criteria
    }

    /// A filter matching `value` literally, whatever characters it holds (`Smith & Sons`, `A*B`, `Ltd.`).
    public static func equals(_ field: String, _ value: String) -> NAVFilter {
        NAVFilter(field: field, criteria: exact(value))
    }

    /// NAV filter metacharacters; a value holding any of them is quoted so it matches literally.
    static let metacharacters: Set<Character> = ["&", "|", "(", ")", "*", "@", "<", ">", "=", ".", "'", "?", "%", "\""]

    /// `value` as criteria that match exactly that value: unchanged when it is plain, otherwise in single quotes with
    /// inner quotes doubled (`Smith & Sons` → `'Smith & Sons'`, `O'Brien` → `'O''Brien'`); blank is `''`.
    public static func exact(_ value: String) -> String {
        if value.isEmpty { return "''" }
        let edges = value.first!.isWhitespace || value.last!.isWhitespace
        guard edges || value.contains(where: { metacharacters.contains($0) }) else { return value }
        return "'" + value.replacingOccurrences(of: "'", with: "''") + "'"
    }
}
