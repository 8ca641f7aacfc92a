import Foundation

/// A query that could not be understood (answered with 400 and ODataLib's wording).
struct ODataQueryError: Error, Sendable { var message: String }

// MARK: Literals and tokens

enum ODataLiteral: Sendable, Equatable {
    case string(String)
    case number(Decimal)
    case date(D365Date)
    case enumMember(type: String, member: String)
    case bool(Bool)
    case null
}

private enum ODataToken: Equatable {
    case open, close, comma
    case identifier(String)
    case literal(ODataLiteral)
}

private struct ODataLexer {
    let chars: [Character]
    var i = 0

    init(_ text: String) { chars = Array(text) }

    static func isIdentStart(_ c: Character) -> Bool { c == "_" || (c.isASCII && c.isLetter) || c == "$" }
    static func isIdentChar(_ c: Character) -> Bool { c == "_" || (c.isASCII && (c.isLetter || c.isNumber)) || c == "." }

    mutating func tokens() throws -> [ODataToken] {
        var out: [ODataToken] = []
        while i < chars.count {
            let c = chars[i]
            if c == " " || c == "\t" {
                i += 1
                continue
            }
            if c == "(" {
                out.append(.open)
                i += 1
                continue
            }
            if c == ")" {
                out.append(.close)
                i += 1
                continue
            }
            if c == "," {
                out.append(.comma)
                i += 1
                continue
            }
            if c == "'" {
                out.append(.literal(.string(try quoted())))
                continue
            }
            if c.isASCII && c.isNumber || (c == "-" && i + 1 < chars.count && chars[i + 1].isASCII && chars[i + 1].isNumber) {
                let start = i
                i += 1
                while i < chars.count, chars[i].isASCII, chars[i].isLetter || chars[i].isNumber || ":.+-".contains(chars[i]) { i += 1 }
                let text = String(chars[start..<i])
                if let d = D365Date.parse(text) {
                    out.append(.literal(.date(d)))
                } else if let n = D365Decimal.parse(text) {
                    out.append(.literal(.number(n)))
                } else {
                    throw ODataQueryError(message: "Syntax error: unrecognised literal '\(text)' at position \(start).")
                }
                continue
            }
            if ODataLexer.isIdentStart(c) {
                let start = i
                i += 1
                while i < chars.count, ODataLexer.isIdentChar(chars[i]) { i += 1 }
                let word = String(chars[start..<i])
                if i < chars.count, chars[i] == "'" {
                    let member = try quoted()
                    let prefix = D365Schema.namespace + "."
                    guard word.hasPrefix(prefix) else {
                        throw ODataQueryError(message: "Unrecognized '\(word)' literal '\(word)'\(member)'' at position \(start).")
                    }
                    let type = String(word.dropFirst(prefix.count))
                    guard D365Schema.members(of: type) != nil else {
                        throw ODataQueryError(message: "The type '\(word)' is not a known enum type.")
                    }
                    guard let m = D365Schema.member(member, of: type) else {
                        throw ODataQueryError(message: "The string '\(member)' is not a valid enumeration type constant.")
                    }
                    out.append(.literal(.enumMember(type: type, member: m)))
                    continue
                }
                switch word {
                case "true": out.append(.literal(.bool(true)))
                case "false": out.append(.literal(.bool(false)))
                case "null": out.append(.literal(.null))
                default: out.append(.identifier(word))
                }
                continue
            }
            throw ODataQueryError(message: "Syntax error: character '\(c)' is not valid at position \(i).")
        }
        return out
    }

    /// A `'…'` literal with `''` as an escaped quote.
    mutating func quoted() throws -> String {
        let start = i
        i += 1
        var s = ""
        while i < chars.count {
            if chars[i] == "'" {
                if i + 1 < chars.count, chars[i + 1] == "'" {
                    s.append("'")
                    i += 2
                    continue
                }
                i += 1
                return s
            }
            s.append(chars[i])
            i += 1
        }
        throw ODataQueryError(message: "There is an unterminated string literal at position \(start).")
    }
}

// MARK: Key predicates

enum ODataKey {
    /// Parses `dataAreaId='usmf',HeaderReference='00000001'` (or a bare single value for a one-field key).
    /// Returns nil when the predicate does not address exactly the entity's key (routing 404).
    static func parse(_ text: String, schema: D365EntitySchema) -> [String: D365Value]? {
        let parts = splitTopLevel(text, on: ",")
        var result: [String: D365Value] = [:]
        if parts.count == 1, schema.keys.count == 1, let p = schema.property(schema.keys[0]) {
            // A one-field key may be written bare: `Currencies('USD')`.
            var lexer = ODataLexer(parts[0].trimmingCharacters(in: .whitespaces))
            if let tokens = try? lexer.tokens(), tokens.count == 1, case .literal(let lit) = tokens[0] {
                guard let v = value(lit, for: p) else { return nil }
                return [p.name: v]
            }
        }
        for part in parts {
            guard let eq = part.firstIndex(of: "=") else { return nil }
            let name = part[..<eq].trimmingCharacters(in: .whitespaces)
            let valueText = String(part[part.index(after: eq)...]).trimmingCharacters(in: .whitespaces)
            guard schema.keys.contains(name), result[name] == nil, let p = schema.property(name) else { return nil }
            var lx = ODataLexer(valueText)
            guard let t = try? lx.tokens(), t.count == 1, case .literal(let lit) = t[0], let v = value(lit, for: p) else { return nil }
            result[name] = v
        }
        guard result.count == schema.keys.count else { return nil }
        return result
    }

    private static func value(_ lit: ODataLiteral, for p: D365Property) -> D365Value? {
        switch (p.kind, lit) {
        case (.string, .string(let s)):
            // F&O decodes key values once more (the "double-encode" workaround for '/' in keys).
            return .string(s.removingPercentEncoding ?? s)
        case (.decimal, .number(let d)): return .decimal(d)
        case (.int32, .number(let d)), (.int64, .number(let d)):
            guard let i = Int64(D365Decimal.format(d)) else { return nil }
            return .int(i)
        case (.dateTimeOffset, .date(let d)): return .date(d)
        case (.enumeration(let t), .enumMember(let type, let m)) where t == type: return .enumMember(m)
        default: return nil
        }
    }

    /// The canonical key segment, e.g. `(dataAreaId='usmf',HeaderReference='00000001')`.
    static func segment(_ schema: D365EntitySchema, _ row: D365Row) -> String {
        let inner = schema.keys.map { k -> String in
            let lit = row[k].literal(enumType: schema.property(k)?.kind.enumType)
            return "\(k)=\(percentEncodePath(lit))"
        }.joined(separator: ",")
        return "(\(inner))"
    }

    static func percentEncodePath(_ s: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "/?#%")
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s
    }
}

/// Splits on `separator` outside quotes and parentheses.
func odataSplitTopLevel(_ text: String, on separator: Character) -> [String] { splitTopLevel(text, on: separator) }

private func splitTopLevel(_ text: String, on separator: Character) -> [String] {
    var parts: [String] = []
    var current = ""
    var depth = 0
    var inQuote = false
    for c in text {
        if c == "'" { inQuote.toggle() }
        if !inQuote {
            if c == "(" { depth += 1 }
            if c == ")" { depth -= 1 }
            if c == separator, depth == 0 {
                parts.append(current)
                current = ""
                continue
            }
        }
        current.append(c)
    }
    parts.append(current)
    return parts
}

// MARK: $filter

indirect enum ODataFilter: Sendable {
    case literal(ODataLiteral)
    case property(String)
    case compare(String, ODataFilter, ODataFilter)
    case arithmetic(String, ODataFilter, ODataFilter)
    case and(ODataFilter, ODataFilter)
    case or(ODataFilter, ODataFilter)
    case not(ODataFilter)
}

private enum ODataValueType: Equatable {
    case string, number, date, bool, null
    case enumeration(String)

    var edm: String {
        switch self {
        case .string: return "Edm.String"
        case .number: return "Edm.Decimal"
        case .date: return "Edm.DateTimeOffset"
        case .bool: return "Edm.Boolean"
        case .null: return "null"
        case .enumeration(let t): return "\(D365Schema.namespace).\(t)"
        }
    }
}

private let operatorKinds = [
    "eq": "Equal", "ne": "NotEqual", "gt": "GreaterThan", "ge": "GreaterThanOrEqual", "lt": "LessThan",
    "le": "LessThanOrEqual", "add": "Add", "sub": "Subtract", "mul": "Multiply", "div": "Divide", "divby": "Divide",
    "mod": "Modulo",
]

enum ODataFilterParser {
    static func parse(_ text: String, schema: D365EntitySchema) throws -> ODataFilter {
        var lexer = ODataLexer(text)
        var p = Parser(tokens: try lexer.tokens(), text: text)
        let expr = try p.orExpr()
        guard p.i == p.tokens.count else { throw ODataQueryError(message: "Syntax error at position \(p.i) in '\(text)'.") }
        let t = try typeCheck(expr, schema: schema)
        guard t == .bool else { throw ODataQueryError(message: "The $filter expression must evaluate to a single boolean value.") }
        return expr
    }

    private struct Parser {
        let tokens: [ODataToken]
        let text: String
        var i = 0

        func peekWord() -> String? {
            if i < tokens.count, case .identifier(let w) = tokens[i] { return w }
            return nil
        }

        mutating func orExpr() throws -> ODataFilter {
            var l = try andExpr()
            while peekWord() == "or" {
                i += 1
                l = .or(l, try andExpr())
            }
            return l
        }
        mutating func andExpr() throws -> ODataFilter {
            var l = try notExpr()
            while peekWord() == "and" {
                i += 1
                l = .and(l, try notExpr())
            }
            return l
        }
        mutating func notExpr() throws -> ODataFilter {
            if peekWord() == "not" {
                i += 1
                return .not(try notExpr())
            }
            return try comparison()
        }
        mutating func comparison() throws -> ODataFilter {
            let l = try additive()
            if let w = peekWord() {
                if ["eq", "ne", "gt", "ge", "lt", "le"].contains(w) {
                    i += 1
                    return .compare(w, l, try additive())
                }
                if w == "in" || w == "has" {
                    throw ODataQueryError(message: "The '\(w)' operator is not supported. Syntax error at position \(i) in '\(text)'.")
                }
            }
            return l
        }
        mutating func additive() throws -> ODataFilter {
            var l = try multiplicative()
            while let w = peekWord(), w == "add" || w == "sub" {
                i += 1
                l = .arithmetic(w, l, try multiplicative())
            }
            return l
        }
        mutating func multiplicative() throws -> ODataFilter {
            var l = try primary()
            while let w = peekWord(), ["mul", "div", "divby", "mod"].contains(w) {
                i += 1
                l = .arithmetic(w, l, try primary())
            }
            return l
        }
        mutating func primary() throws -> ODataFilter {
            guard i < tokens.count else { throw ODataQueryError(message: "Expression expected at the end of '\(text)'.") }
            let t = tokens[i]
            i += 1
            switch t {
            case .open:
                let e = try orExpr()
                guard i < tokens.count, tokens[i] == .close else { throw ODataQueryError(message: "')' or operator expected in '\(text)'.") }
                i += 1
                return e
            case .literal(let l): return .literal(l)
            case .identifier(let w):
                if i < tokens.count, tokens[i] == .open {
                    throw ODataQueryError(message: "Unknown function '\(w)'. Use the wildcard form (Name eq '*value*') instead.")
                }
                if ["eq", "ne", "gt", "ge", "lt", "le", "and", "or", "not", "add", "sub", "mul", "div", "mod", "in", "has"].contains(w) {
                    throw ODataQueryError(message: "Syntax error: expression expected before '\(w)' in '\(text)'.")
                }
                return .property(w)
            case .close, .comma:
                throw ODataQueryError(message: "Syntax error at position \(i) in '\(text)'.")
            }
        }
    }

    private static func literalType(_ l: ODataLiteral) -> ODataValueType {
        switch l {
        case .string: return .string
        case .number: return .number
        case .date: return .date
        case .bool: return .bool
        case .null: return .null
        case .enumMember(let t, _): return .enumeration(t)
        }
    }

    private static func typeCheck(_ e: ODataFilter, schema: D365EntitySchema) throws -> ODataValueType {
        switch e {
        case .literal(let l): return literalType(l)
        case .property(let name):
            guard let p = schema.property(name) else {
                throw ODataQueryError(message: "Could not find a property named '\(name)' on type '\(schema.qualifiedType)'.")
            }
            switch p.kind {
            case .string: return .string
            case .decimal, .int32, .int64: return .number
            case .dateTimeOffset: return .date
            case .enumeration(let t): return .enumeration(t)
            }
        case .and(let a, let b), .or(let a, let b):
            guard try typeCheck(a, schema: schema) == .bool, try typeCheck(b, schema: schema) == .bool else {
                throw ODataQueryError(message: "The operands of 'and'/'or' must be boolean expressions.")
            }
            return .bool
        case .not(let a):
            guard try typeCheck(a, schema: schema) == .bool else {
                throw ODataQueryError(message: "The operand of 'not' must be a boolean expression.")
            }
            return .bool
        case .arithmetic(let op, let a, let b):
            let ta = try typeCheck(a, schema: schema)
            let tb = try typeCheck(b, schema: schema)
            guard ta == .number, tb == .number else {
                throw ODataQueryError(
                    message:
                        "A binary operator with incompatible types was detected. Found operand types '\(ta.edm)' and '\(tb.edm)' for operator kind '\(operatorKinds[op] ?? op)'."
                )
            }
            return .number
        case .compare(let op, let a, let b):
            let ta = try typeCheck(a, schema: schema)
            let tb = try typeCheck(b, schema: schema)
            let kind = operatorKinds[op] ?? op
            if ta == .null || tb == .null {
                guard op == "eq" || op == "ne" else {
                    throw ODataQueryError(message: "The operator '\(kind)' cannot be used with null.")
                }
                return .bool
            }
            guard ta == tb else {
                throw ODataQueryError(
                    message:
                        "A binary operator with incompatible types was detected. Found operand types '\(ta.edm)' and '\(tb.edm)' for operator kind '\(kind)'."
                )
            }
            if case .enumeration = ta, op != "eq", op != "ne" {
                throw ODataQueryError(message: "Only the 'eq' and 'ne' operators are supported on enum values (operator kind '\(kind)').")
            }
            if ta == .bool, op != "eq", op != "ne" {
                throw ODataQueryError(message: "The operator '\(kind)' is not supported on Edm.Boolean.")
            }
            return .bool
        }
    }
}

private enum ODataEvalValue {
    case string(String)
    case number(Decimal)
    case date(D365Date)
    case bool(Bool)
    case enumMember(String)
    case null
}

enum ODataFilterEvaluator {
    static func matches(_ e: ODataFilter, _ row: D365Row) -> Bool {
        if case .bool(let b) = eval(e, row) { return b }
        return false
    }

    private static func eval(_ e: ODataFilter, _ row: D365Row) -> ODataEvalValue {
        switch e {
        case .literal(let l):
            switch l {
            case .string(let s): return .string(s)
            case .number(let n): return .number(n)
            case .date(let d): return .date(d)
            case .bool(let b): return .bool(b)
            case .null: return .null
            case .enumMember(_, let m): return .enumMember(m)
            }
        case .property(let name):
            switch row[name] {
            case .string(let s): return .string(s)
            case .decimal(let d): return .number(d)
            case .int(let i): return .number(Decimal(i))
            case .date(let d): return .date(d)
            case .enumMember(let m): return .enumMember(m)
            case .bool(let b): return .bool(b)
            case .null: return .null
            }
        case .and(let a, let b): return .bool(matches(a, row) && matches(b, row))
        case .or(let a, let b): return .bool(matches(a, row) || matches(b, row))
        case .not(let a): return .bool(!matches(a, row))
        case .arithmetic(let op, let a, let b):
            guard case .number(let x) = eval(a, row), case .number(let y) = eval(b, row) else { return .null }
            switch op {
            case "add": return .number(x + y)
            case "sub": return .number(x - y)
            case "mul": return .number(x * y)
            case "div", "divby": return y == 0 ? .null : .number(x / y)
            default:
                guard y != 0 else { return .null }
                var q = x / y
                var t = Decimal()
                NSDecimalRound(&t, &q, 0, .down)
                return .number(x - t * y)
            }
        case .compare(let op, let a, let b):
            let l = eval(a, row)
            let r = eval(b, row)
            // Wildcard `*` inside an eq/ne string literal (F&O's "contains").
            if op == "eq" || op == "ne", case .string(let ls) = l, case .string(let rs) = r {
                var matched: Bool
                if case .literal(.string(let pat)) = b, pat.contains("*") {
                    matched = D365Text.wildcardMatch(ls, pattern: pat)
                } else if case .literal(.string(let pat)) = a, pat.contains("*") {
                    matched = D365Text.wildcardMatch(rs, pattern: pat)
                } else {
                    matched = D365Text.equal(ls, rs)
                }
                if op == "ne" { matched.toggle() }
                return .bool(matched)
            }
            let c: ComparisonResult?
            switch (l, r) {
            case (.string(let x), .string(let y)): c = D365Text.compare(x, y)
            case (.number(let x), .number(let y)): c = x < y ? .orderedAscending : (x > y ? .orderedDescending : .orderedSame)
            case (.date(let x), .date(let y)): c = x < y ? .orderedAscending : (x > y ? .orderedDescending : .orderedSame)
            case (.enumMember(let x), .enumMember(let y)): c = x == y ? .orderedSame : .orderedAscending
            case (.bool(let x), .bool(let y)): c = x == y ? .orderedSame : .orderedAscending
            case (.null, .null): c = .orderedSame
            default: c = nil
            }
            guard let c else { return .bool(op == "ne") }
            switch op {
            case "eq": return .bool(c == .orderedSame)
            case "ne": return .bool(c != .orderedSame)
            case "gt": return .bool(c == .orderedDescending)
            case "ge": return .bool(c != .orderedAscending)
            case "lt": return .bool(c == .orderedAscending)
            default: return .bool(c != .orderedDescending)
            }
        }
    }
}

// MARK: Query options

struct ODataExpand: Sendable {
    var navigation: D365Navigation
    var options: ODataQueryOptions
}

struct ODataQueryOptions: Sendable {
    var filter: ODataFilter?
    var select: [String]?
    var orderBy: [(String, Bool)] = []
    var top: Int?
    var skip: Int?
    var count = false
    var expand: [ODataExpand] = []
    var skipToken: String?
    var crossCompany = false

    static let unsupported: Set<String> = ["$search", "$apply", "$compute", "$levels", "$index", "$schemaversion", "$id", "$deltatoken"]

    /// Parses the system query options of a request on `schema`.
    static func parse(_ items: [(name: String, value: String)], schema: D365EntitySchema, nested: Bool = false) throws -> ODataQueryOptions {
        var o = ODataQueryOptions()
        for (name, value) in items {
            switch name {
            case "$filter": o.filter = try ODataFilterParser.parse(value, schema: schema)
            case "$select":
                var names: [String] = []
                for raw in value.split(separator: ",") {
                    let n = raw.trimmingCharacters(in: .whitespaces)
                    if n == "*" {
                        names = schema.properties.map(\.name)
                        continue
                    }
                    guard schema.property(n) != nil else {
                        throw ODataQueryError(message: "Could not find a property named '\(n)' on type '\(schema.qualifiedType)'.")
                    }
                    if !names.contains(n) { names.append(n) }
                }
                o.select = names
            case "$orderby":
                for raw in value.split(separator: ",") {
                    let parts = raw.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
                    guard let n = parts.first, parts.count <= 2 else { throw ODataQueryError(message: "Syntax error in $orderby '\(value)'.") }
                    guard schema.property(n) != nil else {
                        throw ODataQueryError(message: "Could not find a property named '\(n)' on type '\(schema.qualifiedType)'.")
                    }
                    var desc = false
                    if parts.count == 2 {
                        guard parts[1] == "asc" || parts[1] == "desc" else { throw ODataQueryError(message: "Syntax error in $orderby '\(value)'.") }
                        desc = parts[1] == "desc"
                    }
                    o.orderBy.append((n, desc))
                }
            case "$top", "$skip":
                guard let n = Int(value), n >= 0 else {
                    throw ODataQueryError(
                        message:
                            "Invalid value '\(value)' for \(name) query option found. The \(name) query option requires a non-negative integer value."
                    )
                }
                if name == "$top" { o.top = n } else { o.skip = n }
            case "$count":
                guard value == "true" || value == "false" else {
                    throw ODataQueryError(message: "'\(value)' is not a valid count option.")
                }
                o.count = value == "true"
            case "$expand":
                guard !nested else { throw ODataQueryError(message: "Only first-level $expand is supported.") }
                for raw in splitTopLevel(value, on: ",") {
                    let item = raw.trimmingCharacters(in: .whitespaces)
                    var navName = item
                    var inner: [(name: String, value: String)] = []
                    if let open = item.firstIndex(of: "(") {
                        guard item.hasSuffix(")") else { throw ODataQueryError(message: "Syntax error in $expand '\(value)'.") }
                        navName = String(item[..<open])
                        let body = String(item[item.index(after: open)..<item.index(before: item.endIndex)])
                        for opt in splitTopLevel(body, on: ";") where !opt.isEmpty {
                            let kv = opt.split(separator: "=", maxSplits: 1).map(String.init)
                            inner.append((kv[0].trimmingCharacters(in: .whitespaces), kv.count > 1 ? kv[1] : ""))
                        }
                    }
                    if navName.contains("/") || navName == "*" {
                        throw ODataQueryError(message: "Only first-level $expand of declared navigation properties is supported ('\(navName)').")
                    }
                    guard let nav = schema.navigation(navName), let target = D365Schema.entitySet(nav.targetSet) else {
                        throw ODataQueryError(message: "Could not find a property named '\(navName)' on type '\(schema.qualifiedType)'.")
                    }
                    o.expand.append(ODataExpand(navigation: nav, options: try parse(inner, schema: target, nested: true)))
                }
            case "$skiptoken": o.skipToken = value
            case "$format":
                guard value.lowercased().hasPrefix("json") || value.lowercased().hasPrefix("application/json") else {
                    throw ODataQueryError(message: "The requested format '\(value)' is not supported.")
                }
            case "cross-company":
                o.crossCompany = value.lowercased() == "true"
            default:
                if name.hasPrefix("$") {
                    if unsupported.contains(name) {
                        throw ODataQueryError(message: "The query parameter '\(name)' is not supported.")
                    }
                    throw ODataQueryError(message: "The query parameter '\(name)' is not supported.")
                }
            }
        }
        return o
    }

    /// Sorts by `$orderby`, then by the key (F&O's stable default order).
    func sort(_ rows: [D365Row], schema: D365EntitySchema) -> [D365Row] {
        let order = orderBy + schema.keys.map { ($0, false) }
        return rows.sorted { a, b in
            for (name, desc) in order {
                let c = compareValues(a[name], b[name])
                if c != .orderedSame { return desc ? c == .orderedDescending : c == .orderedAscending }
            }
            return false
        }
    }

    private func compareValues(_ a: D365Value, _ b: D365Value) -> ComparisonResult {
        switch (a, b) {
        case (.string(let x), .string(let y)): return D365Text.compare(x, y)
        case (.decimal(let x), .decimal(let y)): return x < y ? .orderedAscending : (x > y ? .orderedDescending : .orderedSame)
        case (.int(let x), .int(let y)): return x < y ? .orderedAscending : (x > y ? .orderedDescending : .orderedSame)
        case (.date(let x), .date(let y)): return x < y ? .orderedAscending : (x > y ? .orderedDescending : .orderedSame)
        case (.enumMember(let x), .enumMember(let y)): return x < y ? .orderedAscending : (x > y ? .orderedDescending : .orderedSame)
        default: return .orderedSame
        }
    }
}
