import Foundation

/// A JSON object that keeps its key order (seeds and responses stay readable and stable).
typealias ExpensifyJSONObject = OrderedMap<ExpensifyJSON>

extension OrderedMap where Value == ExpensifyJSON {
    /// `optString` as org.json has it: strings as is, numbers and booleans as text, null/absent as nil.
    func string(_ key: String) -> String? { self[key]?.stringValue }
    func object(_ key: String) -> ExpensifyJSONObject? { self[key]?.objectValue }
    func array(_ key: String) -> [ExpensifyJSON]? { self[key]?.arrayValue }
}

/// A JSON value. Numbers are decimal, never binary floating point (amounts are integer cents).
enum ExpensifyJSON: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Decimal)
    case string(String)
    case array([ExpensifyJSON])
    case object(ExpensifyJSONObject)

    static func int(_ value: Int) -> ExpensifyJSON { .number(Decimal(value)) }

    var objectValue: ExpensifyJSONObject? { if case .object(let o) = self { return o } else { return nil } }
    var arrayValue: [ExpensifyJSON]? { if case .array(let a) = self { return a } else { return nil } }

    /// org.json `optString` semantics (arrays and objects give their JSON text).
    var stringValue: String? {
        switch self {
        case .null: return nil
        case .string(let s): return s
        case .number(let n): return n.description
        case .bool(let b): return b ? "true" : "false"
        case .array, .object: return serialized()
        }
    }

    /// Lenient boolean: `true`, `"true"`, `"TRUE"` (org.json `optBoolean`).
    var boolValue: Bool? {
        switch self {
        case .bool(let b): return b
        case .string(let s):
            if s.lowercased() == "true" { return true }
            if s.lowercased() == "false" { return false }
            return nil
        default: return nil
        }
    }

    /// Integer from a number or a numeric string (`"10"`), nil if not a whole number.
    var intValue: Int? {
        switch self {
        case .number(let n):
            guard FMFormat.isInteger(n) else { return nil }
            let i = Int(NSDecimalNumber(decimal: n).int64Value)
            return Decimal(i) == n ? i : nil
        case .string(let s):
            let t = s.trimmingCharacters(in: .whitespaces)
            return Int(t)
        default:
            return nil
        }
    }

    var decimalValue: Decimal? {
        switch self {
        case .number(let n): return n
        case .string(let s): return ExpensifyJSONParser.parseNumber(s.trimmingCharacters(in: .whitespaces))
        default: return nil
        }
    }

    // MARK: Serialization

    /// Compact JSON text, keys in insertion order, `/` and non-ASCII unescaped.
    func serialized(pretty: Bool = false) -> String {
        var out = ""
        write(into: &out, pretty: pretty, indent: 0)
        return out
    }

    var data: Data { Data(serialized().utf8) }

    private func write(into out: inout String, pretty: Bool, indent: Int) {
        let newline = pretty ? "\n" : ""
        let pad = pretty ? String(repeating: "  ", count: indent + 1) : ""
        let closePad = pretty ? String(repeating: "  ", count: indent) : ""
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .number(let n): out += n.description
        case .string(let s): JSONText.writeString(s, into: &out)
        case .array(let items):
            if items.isEmpty {
                out += "[]"
                return
            }
            out += "[" + newline
            for (i, item) in items.enumerated() {
                out += pad
                item.write(into: &out, pretty: pretty, indent: indent + 1)
                if i + 1 < items.count { out += "," }
                out += newline
            }
            out += closePad + "]"
        case .object(let o):
            let pairs = o.pairs
            if pairs.isEmpty {
                out += "{}"
                return
            }
            out += "{" + newline
            for (i, (k, v)) in pairs.enumerated() {
                out += pad
                JSONText.writeString(k, into: &out)
                out += pretty ? ": " : ":"
                v.write(into: &out, pretty: pretty, indent: indent + 1)
                if i + 1 < pairs.count { out += "," }
                out += newline
            }
            out += closePad + "}"
        }
    }

    // MARK: Template model

    /// The value as the template sees it: null (and members holding null) are missing.
    var templateValue: FMValue? {
        switch self {
        case .null: return nil
        case .bool(let b): return .boolean(b)
        case .number(let n): return .number(n)
        case .string(let s): return .string(s)
        case .array(let items): return .sequence(items.compactMap { $0.templateValue })
        case .object(let o):
            var h = FMHash()
            for (k, v) in o.pairs { h[k] = v.templateValue }
            return .hash(h)
        }
    }
}

struct ExpensifyJSONError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// A lenient JSON reader with the rules of Java's org.json `JSONTokener`, which the Integration
/// Server uses: single-quoted strings, unquoted keys and values, trailing commas, `;` as a separator,
/// case-insensitive `true`/`false`/`null`. Errors read like org.json's ("... at 12 [character 13 line 1]").
struct ExpensifyJSONParser {
    private let chars: [Unicode.Scalar]
    private var index = 0
    private var line = 1
    private var character = 1

    init(_ text: String) {
        chars = Array(text.unicodeScalars)
    }

    /// Parses a document that must be a JSON object (what `new JSONObject(String)` accepts).
    static func parseObject(_ text: String) throws -> ExpensifyJSONObject {
        var parser = ExpensifyJSONParser(text)
        return try parser.readObject()
    }

    /// Parses any JSON value (arrays for seeds and control routes).
    static func parse(_ text: String) throws -> ExpensifyJSON {
        var parser = ExpensifyJSONParser(text)
        let value = try parser.nextValue()
        if parser.nextClean() != nil {
            throw parser.syntaxError("Unexpected text after the JSON value")
        }
        return value
    }

    private func syntaxError(_ message: String) -> ExpensifyJSONError {
        ExpensifyJSONError(message: "\(message) at \(index) [character \(character) line \(line)]")
    }

    private mutating func next() -> Unicode.Scalar? {
        guard index < chars.count else {
            index += 1
            return nil
        }
        let c = chars[index]
        index += 1
        if c == "\n" || (c == "\r" && !(index < chars.count && chars[index] == "\n")) {
            line += 1
            character = 1
        } else {
            character += 1
        }
        return c
    }

    private mutating func back() {
        if index > 0 { index -= 1 }
        if character > 1 { character -= 1 }
    }

    private mutating func nextClean() -> Unicode.Scalar? {
        while let c = next() {
            if c.value > 0x20 { return c }
        }
        return nil
    }

    mutating func readObject() throws -> ExpensifyJSONObject {
        guard nextClean() == "{" else { throw syntaxError("A JSONObject text must begin with '{'") }
        var object = ExpensifyJSONObject()
        while true {
            guard let c = nextClean() else { throw syntaxError("A JSONObject text must end with '}'") }
            if c == "}" { return object }
            back()
            let keyValue = try nextValue()
            let key: String
            switch keyValue {
            case .string(let s): key = s
            case .array, .object: throw syntaxError("Missing value")
            default: key = keyValue.stringValue ?? "null"
            }
            var sep = nextClean()
            if sep == "=" {
                if next() != ">" { back() }
                sep = ":"
            }
            guard sep == ":" else { throw syntaxError("Expected a ':' after a key") }
            let value = try nextValue()
            object[key] = value
            switch nextClean() {
            case ";", ",":
                if nextClean() == "}" { return object }
                back()
            case "}":
                return object
            default:
                throw syntaxError("Expected a ',' or '}'")
            }
        }
    }

    private mutating func readArray() throws -> [ExpensifyJSON] {
        guard nextClean() == "[" else { throw syntaxError("A JSONArray text must start with '['") }
        var items: [ExpensifyJSON] = []
        guard let first = nextClean() else { throw syntaxError("Expected a ',' or ']'") }
        if first == "]" { return items }
        back()
        while true {
            if nextClean() == "," {
                back()
                items.append(.null)
            } else {
                back()
                items.append(try nextValue())
            }
            switch nextClean() {
            case ",", ";":
                guard let c = nextClean() else { throw syntaxError("Expected a ',' or ']'") }
                if c == "]" { return items }
                back()
            case "]":
                return items
            default:
                throw syntaxError("Expected a ',' or ']'")
            }
        }
    }

    private mutating func readString(_ quote: Unicode.Scalar) throws -> String {
        var out = String.UnicodeScalarView()
        while true {
            guard let c = next(), c != "\n", c != "\r" else { throw syntaxError("Unterminated string") }
            if c == quote { return String(out) }
            if c != "\\" {
                out.append(c)
                continue
            }
            guard let e = next() else { throw syntaxError("Unterminated string") }
            switch e {
            case "b": out.append("\u{08}")
            case "t": out.append("\t")
            case "n": out.append("\n")
            case "f": out.append("\u{0C}")
            case "r": out.append("\r")
            case "\"", "'", "\\", "/": out.append(e)
            case "u":
                var hex = ""
                for _ in 0..<4 {
                    guard let h = next(), h.properties.isASCIIHexDigit else { throw syntaxError("Illegal escape.") }
                    hex.unicodeScalars.append(h)
                }
                guard var code = UInt32(hex, radix: 16) else { throw syntaxError("Illegal escape.") }
                // Combine a UTF-16 surrogate pair written as two \u escapes.
                if (0xD800...0xDBFF).contains(code), index + 5 < chars.count, chars[index] == "\\", chars[index + 1] == "u",
                    let low = UInt32(String(String.UnicodeScalarView(chars[(index + 2)..<(index + 6)])), radix: 16),
                    (0xDC00...0xDFFF).contains(low)
                {
                    for _ in 0..<6 { _ = next() }
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                }
                out.append(Unicode.Scalar(code) ?? "\u{FFFD}")
            default:
                throw syntaxError("Illegal escape.")
            }
        }
    }

    mutating func nextValue() throws -> ExpensifyJSON {
        guard let c = nextClean() else { throw syntaxError("Missing value") }
        switch c {
        case "\"", "'":
            return .string(try readString(c))
        case "{":
            back()
            return .object(try readObject())
        case "[":
            back()
            return .array(try readArray())
        default:
            break
        }
        // Unquoted text: up to a delimiter.
        var text = String.UnicodeScalarView()
        var current: Unicode.Scalar? = c
        while let ch = current, ch.value >= 0x20, !",:]}/\\\"[{;=#".unicodeScalars.contains(ch) {
            text.append(ch)
            current = next()
        }
        if current != nil { back() }
        let trimmed = String(text).trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty { throw syntaxError("Missing value") }
        return ExpensifyJSONParser.stringToValue(trimmed)
    }

    /// org.json `JSONObject.stringToValue`.
    static func stringToValue(_ s: String) -> ExpensifyJSON {
        switch s.lowercased() {
        case "true": return .bool(true)
        case "false": return .bool(false)
        case "null": return .null
        default: break
        }
        if let first = s.unicodeScalars.first, ("0"..."9").contains(first) || first == "-", let n = parseNumber(s) {
            return .number(n)
        }
        return .string(s)
    }

    /// Strict decimal number syntax (`-12`, `3.50`, `1e3`).
    static func parseNumber(_ s: String) -> Decimal? {
        let bytes = Array(s.utf8)
        var i = 0
        if i < bytes.count, bytes[i] == UInt8(ascii: "-") { i += 1 }
        var digits = 0
        while i < bytes.count, bytes[i] >= 0x30, bytes[i] <= 0x39 {
            i += 1
            digits += 1
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
            i += 1
            while i < bytes.count, bytes[i] >= 0x30, bytes[i] <= 0x39 {
                i += 1
                digits += 1
            }
        }
        guard digits > 0 else { return nil }
        if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            i += 1
            if i < bytes.count, bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+") { i += 1 }
            var exp = 0
            while i < bytes.count, bytes[i] >= 0x30, bytes[i] <= 0x39 {
                i += 1
                exp += 1
            }
            guard exp > 0 else { return nil }
        }
        guard i == bytes.count else { return nil }
        return Decimal(string: s, locale: Locale(identifier: "en_US_POSIX"))
    }
}
