import Foundation

/// The type of a page field as SOAP sees it; decides the XML value form, the WSDL type and how filters compare.
enum SOAPFieldType: Sendable, Equatable {
    case text
    case code
    case integer
    case decimal
    case date
    case boolean
    /// Option captions in ordinal order (the XML names are derived from them, see `SOAPOptionName`).
    case option([String])

    var xsdType: String {
        switch self {
        case .text, .code: return "string"
        case .integer: return "int"
        case .decimal: return "decimal"
        case .date: return "date"
        case .boolean: return "boolean"
        case .option: return "string"
        }
    }

    var typeName: String {
        switch self {
        case .text: return "Text"
        case .code: return "Code"
        case .integer: return "Integer"
        case .decimal: return "Decimal"
        case .date: return "Date"
        case .boolean: return "Boolean"
        case .option: return "Option"
        }
    }
}

/// XML-safe option names (§5.2): `G/L Account` → `G_L_Account`, `" "` → `_blank_`, `Charge (Item)` → `Charge_Item`.
enum SOAPOptionName {
    static func xml(_ caption: String) -> String {
        var out = ""
        var pendingUnderscore = false
        for c in caption {
            if c.isASCII && (c.isLetter || c.isNumber) {
                if pendingUnderscore && !out.isEmpty { out += "_" }
                pendingUnderscore = false
                out.append(c)
            } else {
                pendingUnderscore = true
            }
        }
        return out.isEmpty ? "_blank_" : out
    }

    /// The ordinal of an option given by XML name or caption (case-insensitive), or nil.
    static func ordinal(_ text: String, in captions: [String]) -> Int? {
        let t = text.trimmingCharacters(in: .whitespaces)
        if let i = captions.firstIndex(where: { xml($0).caseInsensitiveCompare(t) == .orderedSame }) { return i }
        if t.isEmpty, let i = captions.firstIndex(where: { xml($0) == "_blank_" }) { return i }
        return captions.firstIndex { $0.caseInsensitiveCompare(t) == .orderedSame }
    }
}

/// Value conversions between SOAP text and the canonical text a page holds (decimals invariant, dates yyyy-mm-dd,
/// booleans true/false, options by XML name).
enum SOAPValueText {
    static func decimal(_ s: String) -> Decimal? {
        let t = s.trimmingCharacters(in: .whitespaces)
        guard !t.isEmpty else { return nil }
        var digits = 0
        var dots = 0
        for (i, c) in t.enumerated() {
            if c == "-" || c == "+" {
                if i != 0 { return nil }
            } else if c == "." {
                dots += 1
            } else if c.isASCII && c.isNumber {
                digits += 1
            } else {
                return nil
            }
        }
        guard digits > 0, dots <= 1 else { return nil }
        return Decimal(string: t, locale: Locale(identifier: "en_US_POSIX"))
    }

    /// Invariant decimal text without exponent or trailing zeros (`45.5`, `-12`, `0`).
    static func format(_ d: Decimal) -> String {
        var v = d
        var r = Decimal()
        NSDecimalRound(&r, &v, 20, .plain)
        return r.description
    }

    static func isDate(_ s: String) -> Bool {
        let b = Array(s.utf8)
        guard b.count == 10, b[4] == 0x2D, b[7] == 0x2D else { return false }
        for i in [0, 1, 2, 3, 5, 6, 8, 9] where !(0x30...0x39).contains(b[i]) { return false }
        let month = Int(s.dropFirst(5).prefix(2)) ?? 0
        let day = Int(s.dropFirst(8).prefix(2)) ?? 0
        return (1...12).contains(month) && (1...31).contains(day)
    }

    static func bool(_ s: String) -> Bool? {
        switch s.trimmingCharacters(in: .whitespaces).lowercased() {
        case "true", "1", "yes": return true
        case "false", "0", "no": return false
        default: return nil
        }
    }
}

/// A NAV filter expression (`filter/Criteria` of ReadMultiple) for one field: `..` ranges, `|` alternatives, `&`,
/// `*`/`?` wildcards, `<>`, `<`, `>`, `<=`, `>=`, `=`, `''` (blank), `@` (case-insensitive), `(…)`, `'quoted'` values.
indirect enum SOAPFilter: Sendable {
    case any([SOAPFilter])
    case all([SOAPFilter])
    case compare(Op, String, caseInsensitive: Bool)
    case range(String?, String?, caseInsensitive: Bool)
    case pattern(String, negated: Bool, caseInsensitive: Bool)

    enum Op: String, Sendable {
        case eq = "="
        case ne = "<>"
        case lt = "<"
        case gt = ">"
        case le = "<="
        case ge = ">="
    }

    struct Invalid: Error, Sendable {
        var reason: String
    }

    /// Parses `criteria` for a field of `type` (values are checked against the type).
    static func parse(_ criteria: String, type: SOAPFieldType) throws -> SOAPFilter {
        var p = Parser(chars: Array(criteria), type: type)
        let f = try p.expression()
        p.skipSpaces()
        if p.i < p.chars.count { throw Invalid(reason: "unexpected '\(String(p.chars[p.i...]))'") }
        return f
    }

    func matches(_ value: String, type: SOAPFieldType) -> Bool {
        switch self {
        case .any(let fs): return fs.contains { $0.matches(value, type: type) }
        case .all(let fs): return fs.allSatisfy { $0.matches(value, type: type) }
        case .compare(let op, let operand, let ci):
            let c = SOAPFilter.compare(value, operand, type: type, caseInsensitive: ci)
            switch op {
            case .eq: return c == .orderedSame
            case .ne: return c != .orderedSame
            case .lt: return c == .orderedAscending
            case .gt: return c == .orderedDescending
            case .le: return c != .orderedDescending
            case .ge: return c != .orderedAscending
            }
        case .range(let low, let high, let ci):
            if let low, SOAPFilter.compare(value, low, type: type, caseInsensitive: ci) == .orderedAscending { return false }
            if let high, SOAPFilter.compare(value, high, type: type, caseInsensitive: ci) == .orderedDescending { return false }
            return true
        case .pattern(let pattern, let negated, let ciGiven):
            let ci = ciGiven || type == .code
            let m = SOAPFilter.wildcard(Array(ci ? value.lowercased() : value), Array(ci ? pattern.lowercased() : pattern))
            return m != negated
        }
    }

    /// Orders two values of a field type (options by ordinal, numbers numerically, text by code points).
    static func compare(_ a: String, _ b: String, type: SOAPFieldType, caseInsensitive: Bool) -> ComparisonResult {
        func ordered<T: Comparable>(_ x: T, _ y: T) -> ComparisonResult {
            x < y ? .orderedAscending : (x > y ? .orderedDescending : .orderedSame)
        }
        switch type {
        case .decimal, .integer:
            return ordered(SOAPValueText.decimal(a) ?? 0, SOAPValueText.decimal(b) ?? 0)
        case .boolean:
            return ordered(SOAPValueText.bool(a) == true ? 1 : 0, SOAPValueText.bool(b) == true ? 1 : 0)
        case .option(let captions):
            return ordered(SOAPOptionName.ordinal(a, in: captions) ?? -1, SOAPOptionName.ordinal(b, in: captions) ?? -1)
        case .code:
            return ordered(a.uppercased(), b.uppercased())
        case .text, .date:
            return caseInsensitive ? ordered(a.lowercased(), b.lowercased()) : ordered(a, b)
        }
    }

    /// `*` any run, `?` one character.
    static func wildcard(_ s: [Character], _ p: [Character]) -> Bool {
        var si = 0
        var pi = 0
        var star = -1
        var mark = 0
        while si < s.count {
            if pi < p.count && (p[pi] == "?" || p[pi] == s[si]) {
                si += 1
                pi += 1
            } else if pi < p.count && p[pi] == "*" {
                star = pi
                mark = si
                pi += 1
            } else if star >= 0 {
                pi = star + 1
                mark += 1
                si = mark
            } else {
                return false
            }
        }
        while pi < p.count && p[pi] == "*" { pi += 1 }
        return pi == p.count
    }

    private struct Parser {
        var chars: [Character]
        var type: SOAPFieldType
        var i = 0

        mutating func skipSpaces() { while i < chars.count && chars[i] == " " { i += 1 } }

        func peek(_ s: String) -> Bool {
            let t = Array(s)
            guard i + t.count <= chars.count else { return false }
            return Array(chars[i..<(i + t.count)]) == t
        }

        mutating func expression() throws -> SOAPFilter {
            var parts = [try conjunction()]
            while i < chars.count && chars[i] == "|" {
                i += 1
                parts.append(try conjunction())
            }
            return parts.count == 1 ? parts[0] : .any(parts)
        }

        mutating func conjunction() throws -> SOAPFilter {
            var parts = [try term()]
            while i < chars.count && chars[i] == "&" {
                i += 1
                parts.append(try term())
            }
            return parts.count == 1 ? parts[0] : .all(parts)
        }

        mutating func term() throws -> SOAPFilter {
            skipSpaces()
            if i < chars.count && chars[i] == "(" {
                i += 1
                let inner = try expression()
                skipSpaces()
                guard i < chars.count && chars[i] == ")" else { throw Invalid(reason: "a ')' is missing") }
                i += 1
                return inner
            }
            var ci = false
            if i < chars.count && chars[i] == "@" {
                ci = true
                i += 1
            }
            for op in [Op.ne, .le, .ge, .lt, .gt, .eq] where peek(op.rawValue) {
                i += op.rawValue.count
                let (v, quoted, wild) = try value()
                if !quoted && wild && type.allowsWildcards && (op == .eq || op == .ne) {
                    return .pattern(v, negated: op == .ne, caseInsensitive: ci)
                }
                try check(v)
                return .compare(op, v, caseInsensitive: ci)
            }
            if peek("..") {
                i += 2
                let (high, _, _) = try value()
                if high.isEmpty { return .range(nil, nil, caseInsensitive: ci) }
                try check(high)
                return .range(nil, high, caseInsensitive: ci)
            }
            let (v, quoted, wild) = try value()
            if peek("..") {
                i += 2
                let (high, highQuoted, _) = try value()
                try check(v)
                if high.isEmpty && !highQuoted { return .range(v, nil, caseInsensitive: ci) }
                try check(high)
                return .range(v, high, caseInsensitive: ci)
            }
            if !quoted && wild && type.allowsWildcards { return .pattern(v, negated: false, caseInsensitive: ci) }
            if !quoted && v.isEmpty { throw Invalid(reason: "a value is missing") }
            try check(v)
            return .compare(.eq, v, caseInsensitive: ci)
        }

        /// A value: `'quoted'` (`''` inside for a quote) or raw text up to `|`, `&`, `)`, `..`.
        mutating func value() throws -> (String, quoted: Bool, wildcard: Bool) {
            skipSpaces()
            if i < chars.count && chars[i] == "'" {
                i += 1
                var out = ""
                while true {
                    guard i < chars.count else { throw Invalid(reason: "a closing quote is missing") }
                    if chars[i] == "'" {
                        if i + 1 < chars.count && chars[i + 1] == "'" {
                            out.append("'")
                            i += 2
                            continue
                        }
                        i += 1
                        break
                    }
                    out.append(chars[i])
                    i += 1
                }
                skipSpaces()
                return (out, true, false)
            }
            var out = ""
            var wild = false
            while i < chars.count {
                let c = chars[i]
                if c == "|" || c == "&" || c == ")" || peek("..") { break }
                if c == "*" || c == "?" { wild = true }
                out.append(c)
                i += 1
            }
            return (out.trimmingCharacters(in: .whitespaces), false, wild)
        }

        func check(_ v: String) throws {
            switch type {
            case .decimal, .integer:
                if v.isEmpty { return }
                guard let d = SOAPValueText.decimal(v) else { throw Invalid(reason: "\(v) is not a valid \(type.typeName.lowercased())") }
                if case .integer = type, d != d.rounded0 { throw Invalid(reason: "\(v) is not a valid integer") }
            case .date:
                if !v.isEmpty && !SOAPValueText.isDate(v) { throw Invalid(reason: "\(v) is not a valid date") }
            case .boolean:
                if SOAPValueText.bool(v) == nil { throw Invalid(reason: "\(v) is not a valid boolean") }
            case .option(let captions):
                if SOAPOptionName.ordinal(v, in: captions) == nil { throw Invalid(reason: "\(v) is not a valid option") }
            case .text, .code:
                return
            }
        }
    }
}

extension SOAPFieldType {
    var allowsWildcards: Bool {
        switch self {
        case .text, .code: return true
        default: return false
        }
    }
}

extension Decimal {
    var rounded0: Decimal {
        var v = self
        var r = Decimal()
        NSDecimalRound(&r, &v, 0, .plain)
        return r
    }
}
