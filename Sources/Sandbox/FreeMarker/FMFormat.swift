import Foundation

/// Number formatting as FreeMarker does it with Java's `DecimalFormat` (en_US symbols), and the string
/// escapings of `?json_string`, `?js_string`, `?html`, `?xml` and `?url`.
enum FMFormat {
    enum Rounding {
        case halfEven, halfUp, halfDown, up, down, ceiling, floor

        var foundation: NSDecimalNumber.RoundingMode {
            switch self {
            case .halfEven: return .bankers
            case .halfUp: return .plain
            case .ceiling: return .up
            case .floor: return .down
            case .halfDown, .up, .down: return .plain
            }
        }
    }

    static func round(_ value: Decimal, scale: Int, _ mode: Rounding) -> Decimal {
        var input = value
        var result = Decimal()
        switch mode {
        case .up, .down:
            // Away from / towards zero.
            let magnitude = value < 0 ? -value : value
            var m = magnitude
            NSDecimalRound(&result, &m, scale, mode == .up ? .up : .down)
            return value < 0 ? -result : result
        case .halfDown:
            // Round half towards zero: nudge by rounding the magnitude with .plain unless exactly half.
            let magnitude = value < 0 ? -value : value
            var m = magnitude
            var down = Decimal()
            NSDecimalRound(&down, &m, scale, .down)
            var step = Decimal(sign: .plus, exponent: -scale, significand: 1)
            step /= 2
            let r = (magnitude - down) > step ? down + Decimal(sign: .plus, exponent: -scale, significand: 1) : down
            return value < 0 ? -r : r
        default:
            NSDecimalRound(&result, &input, scale, mode.foundation)
            return result
        }
    }

    static func isInteger(_ value: Decimal) -> Bool {
        round(value, scale: 0, .down) == value
    }

    /// Number of digits after the decimal point in `value`'s representation (like BigDecimal.scale, never negative).
    static func scale(of value: Decimal) -> Int {
        value.isZero ? 0 : max(0, -Int(value.exponent))
    }

    /// Plain decimal digits of a non-negative value: ("1234", "5") for 1234.5.
    private static func digits(_ value: Decimal) -> (integer: String, fraction: String) {
        let text = (value < 0 ? -value : value).description
        if let dot = text.firstIndex(of: ".") {
            return (String(text[..<dot]), String(text[text.index(after: dot)...]))
        }
        return (text, "")
    }

    /// A parsed `DecimalFormat` pattern (the subset templates use: `0`, `#`, `,`, `.`, `%`, literal
    /// prefixes/suffixes, an optional negative sub-pattern, FreeMarker's `;; roundingMode=...` option).
    struct Pattern {
        var positivePrefix = ""
        var positiveSuffix = ""
        var negativePrefix: String?
        var negativeSuffix: String?
        var minInteger = 1
        var minFraction = 0
        var maxFraction = 3
        var grouping = 0
        var multiplier = 1
        var rounding: Rounding = .halfEven
    }

    static let localeDefault: Pattern = {
        var p = Pattern()
        p.grouping = 3
        return p
    }()

    static let computer: Pattern = {
        var p = Pattern()
        p.maxFraction = 16
        return p
    }()

    static func parsePattern(_ text: String) throws -> Pattern {
        var patternText = text
        var options = ""
        if let range = text.range(of: ";;") {
            patternText = String(text[..<range.lowerBound])
            options = String(text[range.upperBound...])
        }
        var p = Pattern()
        let parts = splitUnquoted(patternText, separator: ";")
        guard let positive = parts.first else { throw FMError(message: "Malformed number format pattern \"\(text)\"") }
        let (prefix, body, suffix) = try splitAffixes(positive, whole: text)
        p.positivePrefix = prefix
        p.positiveSuffix = suffix
        if parts.count > 1 {
            let (np, _, ns) = try splitAffixes(parts[1], whole: text)
            p.negativePrefix = np
            p.negativeSuffix = ns
        }
        if (prefix + suffix).contains("%") { p.multiplier = 100 }
        if (prefix + suffix).contains("\u{2030}") { p.multiplier = 1000 }
        let intPart: Substring
        let fracPart: Substring
        if let dot = body.firstIndex(of: ".") {
            intPart = body[..<dot]
            fracPart = body[body.index(after: dot)...]
        } else {
            intPart = Substring(body)
            fracPart = ""
        }
        p.minInteger = intPart.filter { $0 == "0" }.count
        if let lastComma = intPart.lastIndex(of: ",") {
            p.grouping = intPart[intPart.index(after: lastComma)...].count
        }
        p.minFraction = fracPart.filter { $0 == "0" }.count
        p.maxFraction = fracPart.filter { $0 == "0" || $0 == "#" }.count
        if body.contains("E") {
            throw FMError(message: "Exponent number format patterns (\"\(text)\") are not supported by this FreeMarker subset.")
        }
        for option in options.split(whereSeparator: { $0 == " " || $0 == "," }) {
            let kv = option.split(separator: "=", maxSplits: 1).map(String.init)
            guard kv.count == 2 else { continue }
            switch (kv[0], kv[1]) {
            case ("roundingMode", "halfEven"): p.rounding = .halfEven
            case ("roundingMode", "halfUp"): p.rounding = .halfUp
            case ("roundingMode", "halfDown"): p.rounding = .halfDown
            case ("roundingMode", "up"): p.rounding = .up
            case ("roundingMode", "down"): p.rounding = .down
            case ("roundingMode", "ceiling"): p.rounding = .ceiling
            case ("roundingMode", "floor"): p.rounding = .floor
            case ("multiplier", let m): p.multiplier = Int(m) ?? p.multiplier
            default: break
            }
        }
        return p
    }

    private static func splitUnquoted(_ text: String, separator: Character) -> [String] {
        var parts: [String] = []
        var current = ""
        var quoted = false
        for ch in text {
            if ch == "'" { quoted.toggle() }
            if ch == separator && !quoted {
                parts.append(current)
                current = ""
            } else {
                current.append(ch)
            }
        }
        parts.append(current)
        return parts
    }

    private static func splitAffixes(_ text: String, whole: String) throws -> (String, String, String) {
        var prefix = ""
        var body = ""
        var suffix = ""
        var stage = 0
        var quoted = false
        var previousQuote = false
        for ch in text {
            if ch == "'" {
                if previousQuote {
                    if stage == 0 { prefix.append("'") } else { suffix.append("'") }
                    previousQuote = false
                } else {
                    previousQuote = true
                }
                quoted.toggle()
                continue
            }
            previousQuote = false
            let special = "0#,.".contains(ch) && !quoted
            switch stage {
            case 0:
                if special {
                    stage = 1
                    body.append(ch)
                } else {
                    prefix.append(ch)
                }
            case 1:
                if special || (ch == "E" && !quoted) {
                    body.append(ch)
                } else {
                    stage = 2
                    suffix.append(ch)
                }
            default:
                suffix.append(ch)
            }
        }
        if body.isEmpty { throw FMError(message: "Malformed number format pattern \"\(whole)\"") }
        return (prefix, body, suffix)
    }

    static func format(_ value: Decimal, _ p: Pattern) -> String {
        let negative = value < 0
        var v = negative ? -value : value
        if p.multiplier != 1 { v *= Decimal(p.multiplier) }
        v = round(v, scale: p.maxFraction, p.rounding)
        var (intDigits, fracDigits) = digits(v)
        while fracDigits.count > p.minFraction, fracDigits.hasSuffix("0") { fracDigits.removeLast() }
        while fracDigits.count < p.minFraction { fracDigits.append("0") }
        if intDigits == "0" && p.minInteger == 0 { intDigits = "" }
        while intDigits.count < p.minInteger { intDigits = "0" + intDigits }
        if p.grouping > 0 && intDigits.count > p.grouping {
            var grouped = ""
            for (i, ch) in intDigits.enumerated() {
                if i > 0 && (intDigits.count - i) % p.grouping == 0 { grouped.append(",") }
                grouped.append(ch)
            }
            intDigits = grouped
        }
        var number = intDigits
        if !fracDigits.isEmpty { number += "." + fracDigits }
        if number.isEmpty { number = "0" }
        if negative {
            return (p.negativePrefix ?? "-" + p.positivePrefix) + number + (p.negativeSuffix ?? p.positiveSuffix)
        }
        return p.positivePrefix + number + p.positiveSuffix
    }

    /// `${n}` with the default `number_format` ("number") and the en_US locale: `#,##0.###`.
    static func localeNumber(_ value: Decimal) -> String { format(value, localeDefault) }

    /// `?c` (legacy computer format of FreeMarker 2.3.31).
    static func computerNumber(_ value: Decimal) -> String {
        if isInteger(value) { return digits(value).integer == "0" ? "0" : (value < 0 ? "-" : "") + digits(value).integer }
        return format(value, computer)
    }

    /// Formats with a `number_format`-style name or pattern.
    static func formatNumber(_ value: Decimal, format name: String) throws -> String {
        switch name {
        case "number", "": return localeNumber(value)
        case "computer", "c": return computerNumber(value)
        case "currency":
            var p = Pattern()
            p.positivePrefix = "$"
            p.minFraction = 2
            p.maxFraction = 2
            p.grouping = 3
            return format(value, p)
        case "percent":
            var p = Pattern()
            p.positiveSuffix = "%"
            p.maxFraction = 0
            p.grouping = 3
            p.multiplier = 100
            return format(value, p)
        default:
            return format(value, try parsePattern(name))
        }
    }

    // MARK: Escaping

    private static func hex(_ value: UInt16, digits: Int) -> String {
        let s = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, digits - s.count)) + s
    }

    /// FreeMarker 2.3.31 `StringUtil.jsStringEnc(s, json)`.
    static func jsStringEncode(_ s: String, json: Bool) -> String {
        let units = Array(s.utf16)
        var out: [UInt16] = []
        out.reserveCapacity(units.count + 8)
        let backslash = UInt16(UInt8(ascii: "\\"))
        func append(_ text: String) { out.append(contentsOf: text.utf16) }
        for i in 0..<units.count {
            let c = units[i]
            enum Escape {
                case none, hexa, backslash
                case letter(String)
            }
            var escape = Escape.none
            let isCommon = (c > 0x3E && c < 0x7F && c != 0x5C) || c == 0x20 || (c >= 0xA0 && c < 0x2028)
            if !isCommon {
                if c <= 0x1F {
                    switch c {
                    case 0x0A: escape = .letter("n")
                    case 0x0D: escape = .letter("r")
                    case 0x0C: escape = .letter("f")
                    case 0x08: escape = .letter("b")
                    case 0x09: escape = .letter("t")
                    default: escape = .hexa
                    }
                } else if c == 0x22 {
                    escape = .backslash
                } else if c == 0x27 {
                    escape = json ? .none : .backslash
                } else if c == 0x5C {
                    escape = .backslash
                } else if c == 0x2F && (i == 0 || units[i - 1] == 0x3C) {
                    escape = .backslash
                } else if c == 0x3E {
                    var dangerous: Bool
                    if i == 0 {
                        dangerous = true
                    } else {
                        let prev = units[i - 1]
                        if prev == 0x5D || prev == 0x2D {
                            dangerous = i == 1 ? true : units[i - 2] == prev
                        } else {
                            dangerous = false
                        }
                    }
                    escape = dangerous ? (json ? .hexa : .backslash) : .none
                } else if c == 0x3C {
                    let dangerous = i == units.count - 1 ? true : (units[i + 1] == 0x21 || units[i + 1] == 0x3F)
                    escape = dangerous ? .hexa : .none
                } else if (c >= 0x7F && c <= 0x9F) || c == 0x2028 || c == 0x2029 {
                    escape = .hexa
                }
            }
            switch escape {
            case .none:
                out.append(c)
            case .letter(let l):
                out.append(backslash)
                append(l)
            case .backslash:
                out.append(backslash)
                out.append(c)
            case .hexa:
                out.append(backslash)
                if !json && c < 0x100 {
                    append("x" + hex(c, digits: 2))
                } else {
                    append("u" + hex(c, digits: 4))
                }
            }
        }
        return String(decoding: out, as: UTF16.self)
    }

    static func html(_ s: String) -> String {
        var out = ""
        for ch in s.unicodeScalars {
            switch ch {
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "&": out += "&amp;"
            case "\"": out += "&quot;"
            default: out.unicodeScalars.append(ch)
            }
        }
        return out
    }

    static func xml(_ s: String) -> String {
        var out = ""
        for ch in s.unicodeScalars {
            switch ch {
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "&": out += "&amp;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default: out.unicodeScalars.append(ch)
            }
        }
        return out
    }

    static func url(_ s: String) -> String {
        var out = ""
        for byte in Array(s.utf8) {
            let c = Character(Unicode.Scalar(byte))
            if (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || "_-.!~*'()".contains(c)
            {
                out.append(c)
            } else {
                out += "%" + hex(UInt16(byte), digits: 2)
            }
        }
        return out
    }
}
