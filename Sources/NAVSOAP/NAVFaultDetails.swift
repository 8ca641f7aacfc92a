import Foundation

/// What a NAV fault message says in parts (the field, the value, the table), read from the message patterns of
/// nav-bc-api.md §1.5/§5.3, so an error can name the field and value NAV refused instead of only quoting NAV.
public struct NAVFaultDetails: Sendable, Equatable {
    /// Which known message pattern matched.
    public enum Kind: String, Sendable {
        /// "The field X of table Y contains a value (V) that cannot be found in the related table (Z)."
        case tableRelation
        /// "The X does not exist. Identification fields and values: F='V'"
        case recordNotFound
        /// "The X already exists. Identification fields and values: F='V'"
        case duplicateKey
        /// "F must be equal to 'E'  in T: ident. Current value is 'V'."
        case testFieldEqual
        /// "F must have a value in T: ident. It cannot be zero or empty."
        case testFieldValue
        /// "Other user has modified X." (a stale Key)
        case otherUserModified
        /// "Dimension Value D - V is blocked."
        case dimensionBlocked
    }

    /// The pattern that matched.
    public var kind: Kind
    /// The field NAV names (`Account No.`, `Direct Posting`), when it names one.
    public var field: String?
    /// The value NAV refused or found (`9999`, `No`), when it names one.
    public var value: String?
    /// The table or record NAV names (`Gen. Journal Line`, `G/L Account`).
    public var table: String?
    /// Further words: the related table, the expected value, the identification fields.
    public var extra: String?
    /// One sentence for people naming the field, the value and the table.
    public var summary: String

    /// Reads `message` against the known patterns; nil when none matches.
    public static func parse(_ message: String) -> NAVFaultDetails? {
        let text = message.trimmingCharacters(in: .whitespacesAndNewlines)
        if let m = text.wholeMatch(
            of: #/The field (.+?) of table (.+?) contains a value \((.*)\) that cannot be found in the related table \((.+?)\)\.?/#)
        {
            let (field, table, value, related) = (String(m.1), String(m.2), String(m.3), String(m.4))
            return NAVFaultDetails(
                kind: .tableRelation, field: field, value: value, table: table, extra: related,
                summary: "the field \(field) (\(table)) has the value '\(value)', which is not in \(related)")
        }
        if let m = text.wholeMatch(of: #/The (.+?) does not exist\. Identification fields and values: (.+?)\.?/#) {
            let (table, ident) = (String(m.1), String(m.2))
            let pair = lastPair(ident)
            return NAVFaultDetails(
                kind: .recordNotFound, field: pair?.field, value: pair?.value, table: table, extra: ident,
                summary: "the \(table) \(ident) does not exist")
        }
        if let m = text.wholeMatch(of: #/The (.+?) already exists\. Identification fields and values: (.+?)\.?/#) {
            let (table, ident) = (String(m.1), String(m.2))
            let pair = lastPair(ident)
            return NAVFaultDetails(
                kind: .duplicateKey, field: pair?.field, value: pair?.value, table: table, extra: ident,
                summary: "the \(table) \(ident) already exists")
        }
        if let m = text.wholeMatch(of: #/(.+?) must be equal to '(.*?)'\s+in (.+?): (.+?)\. Current value is '(.*)'\.?/#) {
            let (field, expected, table, ident, current) = (String(m.1), String(m.2), String(m.3), String(m.4), String(m.5))
            return NAVFaultDetails(
                kind: .testFieldEqual, field: field, value: current, table: table, extra: expected,
                summary: "the field \(field) of \(table) \(ident) must be '\(expected)' but is '\(current)'")
        }
        if let m = text.wholeMatch(of: #/(.+?) must have a value in (.+?): (.+?)\. It cannot be zero or empty\.?/#) {
            let (field, table, ident) = (String(m.1), String(m.2), String(m.3))
            return NAVFaultDetails(
                kind: .testFieldValue, field: field, value: "", table: table, extra: ident,
                summary: "the field \(field) of \(table) \(ident) must have a value")
        }
        if let m = text.wholeMatch(of: #/(?:Other|Another) user has modified (.+?)\.?/#) {
            let record = String(m.1)
            return NAVFaultDetails(
                kind: .otherUserModified, field: nil, value: nil, table: record, extra: nil,
                summary: "\(record) was changed after it was read (its Key is stale); read it again before changing it")
        }
        if let m = text.wholeMatch(of: #/Dimension Value (.+?) - (.+?) is blocked\.?/#) {
            let (dimension, value) = (String(m.1), String(m.2))
            return NAVFaultDetails(
                kind: .dimensionBlocked, field: dimension, value: value, table: "Dimension Value", extra: nil,
                summary: "the value '\(value)' of dimension \(dimension) is blocked")
        }
        return nil
    }

    /// The last `Field='Value'` of an identification list (`Document Type='Invoice',No.='1001'` → `No.`, `1001`).
    static func lastPair(_ ident: String) -> (field: String, value: String)? {
        let matches = ident.matches(of: #/\s*([^=,]+?)\s*=\s*(?:'((?:[^']|'')*)'|([^,]*))/#)
        guard let last = matches.last else { return nil }
        let value = last.2.map { String($0).replacingOccurrences(of: "''", with: "'") } ?? String(last.3 ?? "")
        return (String(last.1), value)
    }
}
