import Foundation

/// An `Edm.DateTimeOffset`, normalised to UTC, second precision.
struct D365Date: Sendable, Hashable, Comparable {
    /// Seconds since 1970-01-01T00:00:00Z.
    var seconds: Int64

    /// F&O's "empty" date: `1900-01-01T12:00:00Z`.
    static let unset = D365Date(seconds: -2_208_945_600)

    var isUnset: Bool { self == D365Date.unset }

    static func < (a: D365Date, b: D365Date) -> Bool { a.seconds < b.seconds }

    init(seconds: Int64) { self.seconds = seconds }
    init(_ date: Date) { self.seconds = Int64(date.timeIntervalSince1970.rounded(.down)) }

    /// Parses `YYYY-MM-DDThh:mm[:ss[.fff]](Z|±hh:mm)`. Returns nil for anything else (date-only included).
    static func parse(_ text: String) -> D365Date? {
        let b = Array(text.utf8)
        var i = 0
        func num(_ n: Int) -> Int? {
            guard i + n <= b.count else { return nil }
            var v = 0
            for k in i..<(i + n) {
                guard (48...57).contains(b[k]) else { return nil }
                v = v * 10 + Int(b[k] - 48)
            }
            i += n
            return v
        }
        func expect(_ c: Character) -> Bool {
            guard i < b.count, let a = c.asciiValue, b[i] == a else { return false }
            i += 1
            return true
        }
        guard let y = num(4), expect("-"), let mo = num(2), expect("-"), let d = num(2) else { return nil }
        guard i < b.count, b[i] == UInt8(ascii: "T") || b[i] == UInt8(ascii: "t") else { return nil }
        i += 1
        guard let h = num(2), expect(":"), let mi = num(2) else { return nil }
        var s = 0
        if expect(":") {
            guard let sec = num(2) else { return nil }
            s = sec
            if expect(".") {
                let start = i
                while i < b.count, (48...57).contains(b[i]) { i += 1 }
                guard i > start else { return nil }
            }
        }
        var offset = 0
        if expect("Z") || expect("z") {
        } else if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
            let sign = b[i] == UInt8(ascii: "-") ? -1 : 1
            i += 1
            guard let oh = num(2), expect(":"), let om = num(2), oh < 24, om < 60 else { return nil }
            offset = sign * (oh * 3600 + om * 60)
        } else {
            return nil
        }
        guard i == b.count, (1...12).contains(mo), d >= 1, d <= daysIn(month: mo, year: y), h < 24, mi < 60, s < 60 else {
            return nil
        }
        let days = daysFromCivil(y, mo, d)
        return D365Date(seconds: Int64(days) * 86_400 + Int64(h * 3600 + mi * 60 + s) - Int64(offset))
    }

    /// `2026-11-05T12:00:00Z`
    var iso: String {
        let days = Int(floorDiv(seconds, 86_400))
        let rem = Int(seconds - Int64(days) * 86_400)
        let (y, m, d) = D365Date.civil(fromDays: days)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02dZ", y, m, d, rem / 3600, (rem % 3600) / 60, rem % 60)
    }

    /// `2026-11-05`
    var dayString: String { String(iso.prefix(10)) }

    /// The same calendar day at 12:00:00Z (how F&O returns date-only fields).
    var noon: D365Date {
        let days = floorDiv(seconds, 86_400)
        return D365Date(seconds: days * 86_400 + 43_200)
    }

    private func floorDiv(_ a: Int64, _ b: Int64) -> Int64 { a >= 0 ? a / b : -((-a + b - 1) / b) }

    private static func isLeap(_ y: Int) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }
    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Howard Hinnant's days_from_civil.
    private static func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (m + 9) % 12
        let doy = (153 * mp + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    private static func civil(fromDays z0: Int) -> (Int, Int, Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, m, d)
    }
}

/// A typed property value of a stored row.
enum D365Value: Sendable, Equatable {
    case null
    case string(String)
    case decimal(Decimal)
    case int(Int64)
    case date(D365Date)
    /// Enum member name, e.g. `Yes`.
    case enumMember(String)
    case bool(Bool)

    var string: String? {
        if case .string(let s) = self { return s }
        return nil
    }
    var decimal: Decimal? {
        if case .decimal(let d) = self { return d }
        return nil
    }
    var date: D365Date? {
        if case .date(let d) = self { return d }
        return nil
    }
    var enumMember: String? {
        if case .enumMember(let e) = self { return e }
        return nil
    }
    var int: Int64? {
        if case .int(let i) = self { return i }
        return nil
    }

    /// A non-empty string value, or nil.
    var nonEmpty: String? {
        guard let s = string, !s.isEmpty else { return nil }
        return s
    }

    /// JSON as F&O writes it. Decimals and Int64 become strings under `IEEE754Compatible=true`.
    func json(ieee754: Bool = false) -> D365JSON {
        switch self {
        case .null: return .null
        case .string(let s): return .string(s)
        case .decimal(let d): return ieee754 ? .string(D365Decimal.format(d)) : .decimal(d)
        case .int(let i): return ieee754 ? .string(String(i)) : .number(String(i))
        case .date(let d): return .string(d.iso)
        case .enumMember(let e): return .string(e)
        case .bool(let b): return .bool(b)
        }
    }

    /// The value as an OData URL literal (for keys and links).
    func literal(enumType: String?) -> String {
        switch self {
        case .null: return "null"
        case .string(let s): return "'" + s.replacingOccurrences(of: "'", with: "''") + "'"
        case .decimal(let d): return D365Decimal.format(d)
        case .int(let i): return String(i)
        case .date(let d): return d.iso
        case .enumMember(let e): return "\(D365Schema.namespace).\(enumType ?? "Enum")'\(e)'"
        case .bool(let b): return b ? "true" : "false"
        }
    }
}

/// Case-insensitive helpers: F&O runs on SQL Server with a case-insensitive collation, so string
/// comparisons, key look-ups and duplicate checks ignore letter case.
enum D365Text {
    static func fold(_ s: String) -> String { s.lowercased() }
    static func equal(_ a: String, _ b: String) -> Bool { a.caseInsensitiveCompare(b) == .orderedSame }
    static func compare(_ a: String, _ b: String) -> ComparisonResult {
        let r = a.compare(b, options: [.caseInsensitive], range: nil, locale: nil)
        return r
    }

    /// `*` wildcard match (F&O's "contains" idiom, `Name eq '*retail*'`), case-insensitive.
    static func wildcardMatch(_ text: String, pattern: String) -> Bool {
        let t = Array(fold(text))
        let p = Array(fold(pattern))
        var ti = 0
        var pi = 0
        var star = -1
        var mark = 0
        while ti < t.count {
            if pi < p.count, p[pi] != "*", p[pi] == t[ti] {
                ti += 1
                pi += 1
            } else if pi < p.count, p[pi] == "*" {
                star = pi
                mark = ti
                pi += 1
            } else if star >= 0 {
                pi = star + 1
                mark += 1
                ti = mark
            } else {
                return false
            }
        }
        while pi < p.count, p[pi] == "*" { pi += 1 }
        return pi == p.count
    }
}
