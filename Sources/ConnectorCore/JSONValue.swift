import Foundation

/// A JSON value that keeps numbers exactly as written.
///
/// Money must never pass through `Double`, so numbers are held as their literal text and converted with
/// `decimalValue` / `int64Value`. Serialisation is canonical: object keys sorted by UTF-8 bytes, no
/// insignificant whitespace unless `pretty`, so the same value always yields the same bytes.
public enum JSONValue: Sendable, Hashable {
    /// JSON `null`, distinct from an absent member (which the subscript gives as nil).
    case null
    /// JSON `true` or `false`.
    case bool(Bool)
    /// The number's literal text, e.g. `"-12.50"`.
    case number(String)
    /// A JSON string, unescaped.
    case string(String)
    /// A JSON array, in order.
    case array([JSONValue])
    /// A JSON object; key order is not kept (serialisation sorts keys).
    case object([String: JSONValue])

    /// A number from an `Int64` (amounts in minor units), written exactly.
    public static func int(_ v: Int64) -> JSONValue { .number(String(v)) }
    /// A number from an `Int` (line numbers, counts).
    public static func int(_ v: Int) -> JSONValue { .number(String(v)) }
    /// A decimal written in plain notation (never exponent form).
    public static func decimal(_ v: Decimal) -> JSONValue { .number(DecimalText.plain(v)) }

    /// The member named `key` of an object, nil for anything else, so paths chain without casts.
    public subscript(key: String) -> JSONValue? {
        if case .object(let o) = self { return o[key] }
        return nil
    }

    /// The members when this is an object, else nil.
    public var objectValue: [String: JSONValue]? { if case .object(let o) = self { return o } else { return nil } }
    /// The elements when this is an array, else nil.
    public var arrayValue: [JSONValue]? { if case .array(let a) = self { return a } else { return nil } }
    /// Whether this is JSON `null` (an absent member is nil, not `null`).
    public var isNull: Bool { if case .null = self { return true } else { return false } }

    /// Strings as themselves; numbers and booleans as their text; null as nil.
    public var stringValue: String? {
        switch self {
        case .string(let s): return s
        case .number(let n): return n
        case .bool(let b): return b ? "true" : "false"
        default: return nil
        }
    }

    /// A boolean from `true`/`false`, their usual spellings as text, or `0`/`1`; nil otherwise, never guessed.
    public var boolValue: Bool? {
        switch self {
        case .bool(let b): return b
        case .string(let s):
            switch s.lowercased() {
            case "true", "yes", "1": return true
            case "false", "no", "0": return false
            default: return nil
            }
        case .number(let n): return n == "0" ? false : (n == "1" ? true : nil)
        default: return nil
        }
    }

    /// An exact integer from a number or a numeric string; nil for fractions, text or overflow.
    public var int64Value: Int64? {
        switch self {
        case .number(let n): return Int64(n)
        case .string(let s): return Int64(s.trimmingCharacters(in: .whitespaces))
        default: return nil
        }
    }

    /// An exact decimal from a number or numeric string.
    public var decimalValue: Decimal? {
        let text: String
        switch self {
        case .number(let n): text = n
        case .string(let s): text = s.trimmingCharacters(in: .whitespaces)
        default: return nil
        }
        return DecimalText.parse(text)
    }
}

// MARK: - Serialisation

extension JSONValue {
    /// Canonical bytes: sorted keys; compact, or two-space indented with a trailing newline when `pretty`.
    public func serialized(pretty: Bool = false) -> Data {
        var out = ""
        write(into: &out, pretty: pretty, indent: 0)
        if pretty { out += "\n" }
        return Data(out.utf8)
    }

    /// The canonical bytes as text, for form bodies and tests.
    public func serializedString(pretty: Bool = false) -> String {
        String(decoding: serialized(pretty: pretty), as: UTF8.self)
    }

    private func write(into out: inout String, pretty: Bool, indent: Int) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .number(let n): out += n
        case .string(let s): JSONValue.writeString(s, into: &out)
        case .array(let a):
            if a.isEmpty {
                out += "[]"
                return
            }
            out += "["
            for (i, v) in a.enumerated() {
                if i > 0 { out += "," }
                if pretty { out += "\n" + String(repeating: "  ", count: indent + 1) }
                v.write(into: &out, pretty: pretty, indent: indent + 1)
            }
            if pretty { out += "\n" + String(repeating: "  ", count: indent) }
            out += "]"
        case .object(let o):
            if o.isEmpty {
                out += "{}"
                return
            }
            out += "{"
            let keys = o.keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
            for (i, k) in keys.enumerated() {
                if i > 0 { out += "," }
                if pretty { out += "\n" + String(repeating: "  ", count: indent + 1) }
                JSONValue.writeString(k, into: &out)
                out += pretty ? ": " : ":"
                o[k]!.write(into: &out, pretty: pretty, indent: indent + 1)
            }
            if pretty { out += "\n" + String(repeating: "  ", count: indent) }
            out += "}"
        }
    }

    static func writeString(_ s: String, into out: inout String) {
        out += "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if u.value < 0x20 || u.value == 0x2028 || u.value == 0x2029 {
                    out += String(format: "\\u%04x", u.value)
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        out += "\""
    }
}

// MARK: - Parsing

extension JSONValue {
    /// Parses strict JSON (RFC 8259). Errors name the byte offset, line and column.
    public static func parse(_ data: Data) throws -> JSONValue { try parse(data, rejectingDuplicateKeys: false) }

    /// `parse`, refusing (with `json.malformed`, naming the key, line and column) an object that has the same key
    /// twice — for files people edit (the configuration), where a second `accounts` would silently replace the first.
    public static func parse(_ data: Data, rejectingDuplicateKeys: Bool) throws -> JSONValue {
        var p = JSONParser(bytes: [UInt8](data))
        p.rejectDuplicateKeys = rejectingDuplicateKeys
        p.skipWhitespace()
        let v = try p.parseValue(depth: 0)
        p.skipWhitespace()
        guard p.index == p.bytes.count else { throw p.error("unexpected trailing characters") }
        return v
    }

    /// Parses JSON text, for literals and tests.
    public static func parse(_ text: String) throws -> JSONValue { try parse(Data(text.utf8)) }
}
