import Foundation

/// A JSON value that keeps numbers as their literal text, so `Edm.Decimal` amounts survive exactly
/// (`JSONSerialization` would turn them into `Double`). Objects keep their key order.
enum D365JSON: Sendable, Equatable {
    case null
    case bool(Bool)
    /// The number's literal text, already checked against the JSON number grammar.
    case number(String)
    case string(String)
    case array([D365JSON])
    case object(D365JSONObject)

    static func decimal(_ d: Decimal) -> D365JSON { .number(D365Decimal.format(d)) }
    static func int(_ i: Int) -> D365JSON { .number(String(i)) }

    var objectValue: D365JSONObject? {
        if case .object(let o) = self { return o }
        return nil
    }
    var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }
    var arrayValue: [D365JSON]? {
        if case .array(let a) = self { return a }
        return nil
    }
    var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }
    /// Integer value of a number literal without fraction or exponent.
    var intValue: Int? {
        if case .number(let n) = self { return Int(n) }
        return nil
    }
    var decimalValue: Decimal? {
        if case .number(let n) = self { return Decimal(string: n) }
        return nil
    }

    subscript(key: String) -> D365JSON? { objectValue?[key] }
}

/// An ordered JSON object.
typealias D365JSONObject = OrderedMap<D365JSON>

struct D365JSONError: Error, Sendable, CustomStringConvertible {
    var description: String
}

/// A small strict JSON parser (RFC 8259) over UTF-8 bytes.
struct D365JSONParser {
    private let bytes: [UInt8]
    private var i = 0
    private var depth = 0

    static func parse(_ data: Data) throws -> D365JSON {
        var p = D365JSONParser(bytes: Array(data))
        // Tolerate a UTF-8 byte order mark.
        if p.bytes.starts(with: [0xEF, 0xBB, 0xBF]) { p.i = 3 }
        p.skipWhitespace()
        let v = try p.value()
        p.skipWhitespace()
        guard p.i == p.bytes.count else { throw p.error("Unexpected data after the JSON value") }
        return v
    }

    static func parse(_ text: String) throws -> D365JSON { try parse(Data(text.utf8)) }

    private init(bytes: [UInt8]) { self.bytes = bytes }

    private func error(_ message: String) -> D365JSONError {
        D365JSONError(description: "\(message) at position \(i).")
    }

    private mutating func skipWhitespace() {
        while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 }
    }

    private mutating func value() throws -> D365JSON {
        guard i < bytes.count else { throw error("Unexpected end of JSON") }
        switch bytes[i] {
        case UInt8(ascii: "{"): return try object()
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"):
            try literal("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try literal("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try literal("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
        default: throw error("Unexpected character '\(Character(Unicode.Scalar(bytes[i])))'")
        }
    }

    private mutating func literal(_ word: String) throws {
        let w = Array(word.utf8)
        guard i + w.count <= bytes.count, Array(bytes[i..<(i + w.count)]) == w else { throw error("Invalid literal") }
        i += w.count
    }

    private mutating func object() throws -> D365JSON {
        depth += 1
        guard depth < 200 else { throw error("JSON nested too deeply") }
        defer { depth -= 1 }
        i += 1
        var obj = D365JSONObject()
        skipWhitespace()
        if i < bytes.count, bytes[i] == UInt8(ascii: "}") {
            i += 1
            return .object(obj)
        }
        while true {
            skipWhitespace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw error("Expected a property name") }
            let key = try string()
            skipWhitespace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw error("Expected ':'") }
            i += 1
            skipWhitespace()
            obj[key] = try value()
            skipWhitespace()
            guard i < bytes.count else { throw error("Unterminated object") }
            if bytes[i] == UInt8(ascii: ",") {
                i += 1
                continue
            }
            if bytes[i] == UInt8(ascii: "}") {
                i += 1
                return .object(obj)
            }
            throw error("Expected ',' or '}'")
        }
    }

    private mutating func array() throws -> D365JSON {
        depth += 1
        guard depth < 200 else { throw error("JSON nested too deeply") }
        defer { depth -= 1 }
        i += 1
        var items: [D365JSON] = []
        skipWhitespace()
        if i < bytes.count, bytes[i] == UInt8(ascii: "]") {
            i += 1
            return .array(items)
        }
        while true {
            skipWhitespace()
            items.append(try value())
            skipWhitespace()
            guard i < bytes.count else { throw error("Unterminated array") }
            if bytes[i] == UInt8(ascii: ",") {
                i += 1
                continue
            }
            if bytes[i] == UInt8(ascii: "]") {
                i += 1
                return .array(items)
            }
            throw error("Expected ',' or ']'")
        }
    }

    private mutating func hex4() throws -> UInt32 {
        guard i + 4 <= bytes.count, let s = String(bytes: bytes[i..<(i + 4)], encoding: .ascii),
            let v = UInt32(s, radix: 16)
        else { throw error("Invalid \\u escape") }
        i += 4
        return v
    }

    private mutating func string() throws -> String {
        i += 1
        var out: [UInt8] = []
        while true {
            guard i < bytes.count else { throw error("Unterminated string") }
            let c = bytes[i]
            if c == UInt8(ascii: "\"") {
                i += 1
                break
            }
            if c < 0x20 { throw error("Control character in string") }
            if c != UInt8(ascii: "\\") {
                out.append(c)
                i += 1
                continue
            }
            i += 1
            guard i < bytes.count else { throw error("Unterminated escape") }
            let e = bytes[i]
            i += 1
            switch e {
            case UInt8(ascii: "\""): out.append(0x22)
            case UInt8(ascii: "\\"): out.append(0x5C)
            case UInt8(ascii: "/"): out.append(0x2F)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if (0xD800...0xDBFF).contains(scalar) {
                    guard i + 6 <= bytes.count, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") else {
                        throw error("Unpaired surrogate")
                    }
                    i += 2
                    let low = try hex4()
                    guard (0xDC00...0xDFFF).contains(low) else { throw error("Invalid surrogate pair") }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00...0xDFFF).contains(scalar) {
                    throw error("Unpaired surrogate")
                }
                guard let u = Unicode.Scalar(scalar) else { throw error("Invalid code point") }
                out.append(contentsOf: Array(String(Character(u)).utf8))
            default:
                throw error("Invalid escape")
            }
        }
        guard let s = String(bytes: out, encoding: .utf8) else { throw error("Invalid UTF-8 in string") }
        return s
    }

    private mutating func number() throws -> String {
        let start = i
        if bytes[i] == UInt8(ascii: "-") { i += 1 }
        func digits() -> Int {
            let s = i
            while i < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[i]) { i += 1 }
            return i - s
        }
        guard i < bytes.count else { throw error("Invalid number") }
        if bytes[i] == UInt8(ascii: "0") {
            i += 1
        } else if digits() == 0 {
            throw error("Invalid number")
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
            i += 1
            guard digits() > 0 else { throw error("Invalid number") }
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            i += 1
            if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
            guard digits() > 0 else { throw error("Invalid number") }
        }
        return String(decoding: bytes[start..<i], as: UTF8.self)
    }
}

/// Writes `D365JSON` compactly, numbers verbatim, without escaping `/`.
enum D365JSONWriter {
    static func data(_ value: D365JSON) -> Data { Data(string(value).utf8) }

    static func string(_ value: D365JSON) -> String {
        var out = ""
        write(value, into: &out)
        return out
    }

    static func write(_ value: D365JSON, into out: inout String) {
        switch value {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .number(let n): out += n
        case .string(let s): JSONText.writeString(s, into: &out)
        case .array(let items):
            out += "["
            for (n, item) in items.enumerated() {
                if n > 0 { out += "," }
                write(item, into: &out)
            }
            out += "]"
        case .object(let obj):
            out += "{"
            var first = true
            for (k, v) in obj.pairs {
                if !first { out += "," }
                first = false
                JSONText.writeString(k, into: &out)
                out += ":"
                write(v, into: &out)
            }
            out += "}"
        }
    }

}

/// Exact decimal helpers (money is never a `Double`).
enum D365Decimal {
    /// Parses a JSON/OData number literal exactly; nil unless the whole text is a valid number.
    static func parse(_ text: String) -> Decimal? {
        guard isNumberLiteral(text) else { return nil }
        return Decimal(string: text, locale: Locale(identifier: "en_US_POSIX"))
    }

    /// JSON number grammar (a leading `+` is not allowed).
    static func isNumberLiteral(_ text: String) -> Bool {
        let b = Array(text.utf8)
        var i = 0
        func digits() -> Int {
            let s = i
            while i < b.count, (48...57).contains(b[i]) { i += 1 }
            return i - s
        }
        if i < b.count, b[i] == UInt8(ascii: "-") { i += 1 }
        guard i < b.count else { return false }
        if b[i] == UInt8(ascii: "0") { i += 1 } else if digits() == 0 { return false }
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            if digits() == 0 { return false }
        }
        if i < b.count, b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E") {
            i += 1
            if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") { i += 1 }
            if digits() == 0 { return false }
        }
        return i == b.count
    }

    /// Plain decimal text without exponent, e.g. `657.14`, `0.3`, `-12.5`.
    static func format(_ d: Decimal) -> String {
        d.description
    }

    static func round(_ d: Decimal, scale: Int) -> Decimal {
        var value = d
        var result = Decimal()
        NSDecimalRound(&result, &value, scale, .plain)
        return result
    }

    /// Rounds to a currency rounding unit such as 0.01 or 1 (half away from zero).
    static func round(_ d: Decimal, unit: Decimal) -> Decimal {
        guard unit > 0 else { return d }
        var q = d / unit
        var r = Decimal()
        NSDecimalRound(&r, &q, 0, .plain)
        return r * unit
    }
}
