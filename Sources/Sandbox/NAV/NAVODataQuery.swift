import Foundation

/// `$filter` over JSON entities, shared by the BC API and NAV OData: `eq ne gt ge lt le`, `and or not`, parentheses,
/// string literals in single quotes (`''` escapes a quote), numbers, `true`/`false`/`null`, GUIDs, and
/// `contains`/`startswith`/`endswith`.
indirect enum NAVFilterExpr: Sendable {
    case property(String)
    case literal(D365JSON)
    case compare(String, NAVFilterExpr, NAVFilterExpr)
    case and(NAVFilterExpr, NAVFilterExpr)
    case or(NAVFilterExpr, NAVFilterExpr)
    case not(NAVFilterExpr)
    case call(String, [NAVFilterExpr])

    static func parse(_ text: String) throws -> NAVFilterExpr {
        var p = Parser(tokens: try tokenize(text))
        let e = try p.or()
        guard p.i == p.tokens.count else { throw NAVError(.badRequest, "Syntax error at position \(p.i) in '\(text)'.") }
        return e
    }

    enum Token: Equatable {
        case open, close, comma
        case word(String)
        case string(String)
    }

    static func tokenize(_ text: String) throws -> [Token] {
        var out: [Token] = []
        let c = Array(text)
        var i = 0
        while i < c.count {
            let ch = c[i]
            if ch == " " {
                i += 1
            } else if ch == "(" {
                out.append(.open)
                i += 1
            } else if ch == ")" {
                out.append(.close)
                i += 1
            } else if ch == "," {
                out.append(.comma)
                i += 1
            } else if ch == "'" {
                var s = ""
                i += 1
                while true {
                    guard i < c.count else { throw NAVError(.badRequest, "Unterminated string literal in '\(text)'.") }
                    if c[i] == "'" {
                        if i + 1 < c.count, c[i + 1] == "'" {
                            s.append("'")
                            i += 2
                            continue
                        }
                        i += 1
                        break
                    }
                    s.append(c[i])
                    i += 1
                }
                out.append(.string(s))
            } else {
                var w = ""
                while i < c.count, !" (),'".contains(c[i]) {
                    w.append(c[i])
                    i += 1
                }
                out.append(.word(w))
            }
        }
        return out
    }

    struct Parser {
        var tokens: [Token]
        var i = 0

        mutating func word(_ w: String) -> Bool {
            if i < tokens.count, case .word(let x) = tokens[i], x.lowercased() == w {
                i += 1
                return true
            }
            return false
        }

        mutating func or() throws -> NAVFilterExpr {
            var l = try and()
            while word("or") { l = .or(l, try and()) }
            return l
        }

        mutating func and() throws -> NAVFilterExpr {
            var l = try unary()
            while word("and") { l = .and(l, try unary()) }
            return l
        }

        mutating func unary() throws -> NAVFilterExpr {
            if word("not") { return .not(try unary()) }
            let l = try primary()
            for op in ["eq", "ne", "gt", "ge", "lt", "le"] where word(op) { return .compare(op, l, try primary()) }
            return l
        }

        mutating func primary() throws -> NAVFilterExpr {
            guard i < tokens.count else { throw NAVError(.badRequest, "Unexpected end of the filter expression.") }
            let t = tokens[i]
            i += 1
            switch t {
            case .open:
                let e = try or()
                guard i < tokens.count, tokens[i] == .close else { throw NAVError(.badRequest, "')' expected in the filter expression.") }
                i += 1
                return e
            case .string(let s): return .literal(.string(s))
            case .word(let w):
                if i < tokens.count, tokens[i] == .open, ["contains", "startswith", "endswith", "tolower", "toupper"].contains(w.lowercased()) {
                    i += 1
                    var args: [NAVFilterExpr] = []
                    while true {
                        args.append(try or())
                        guard i < tokens.count else { throw NAVError(.badRequest, "')' expected in the filter expression.") }
                        if tokens[i] == .comma {
                            i += 1
                            continue
                        }
                        if tokens[i] == .close {
                            i += 1
                            break
                        }
                        throw NAVError(.badRequest, "')' expected in the filter expression.")
                    }
                    return .call(w.lowercased(), args)
                }
                switch w.lowercased() {
                case "true": return .literal(.bool(true))
                case "false": return .literal(.bool(false))
                case "null": return .literal(.null)
                default: break
                }
                if NAVGuid.isGuid(w) { return .literal(.string(w.lowercased())) }
                if D365Decimal.isNumberLiteral(w) { return .literal(.number(w)) }
                if let d = NAVDate.parse(w), w.count == 10 { return .literal(.string(d)) }
                return .property(w)
            default:
                throw NAVError(.badRequest, "Syntax error in the filter expression.")
            }
        }
    }

    /// Property names used (to reject unknown ones).
    var properties: [String] {
        switch self {
        case .property(let p): return [p]
        case .literal: return []
        case .compare(_, let a, let b), .and(let a, let b), .or(let a, let b): return a.properties + b.properties
        case .not(let a): return a.properties
        case .call(_, let args): return args.flatMap(\.properties)
        }
    }

    func value(_ o: D365JSONObject) -> D365JSON {
        switch self {
        case .property(let p): return o[p] ?? .null
        case .literal(let l): return l
        case .call(let f, let args):
            let s = args.map { NAVFilterExpr.text($0.value(o)) }
            switch f {
            case "contains": return .bool(s.count == 2 && s[0].lowercased().contains(s[1].lowercased()))
            case "startswith": return .bool(s.count == 2 && s[0].lowercased().hasPrefix(s[1].lowercased()))
            case "endswith": return .bool(s.count == 2 && s[0].lowercased().hasSuffix(s[1].lowercased()))
            case "tolower": return .string(s.first?.lowercased() ?? "")
            case "toupper": return .string(s.first?.uppercased() ?? "")
            default: return .null
            }
        default: return .bool(matches(o))
        }
    }

    static func text(_ v: D365JSON) -> String {
        switch v {
        case .string(let s): return s
        case .number(let n): return n
        case .bool(let b): return b ? "true" : "false"
        default: return ""
        }
    }

    static func compare(_ a: D365JSON, _ b: D365JSON) -> Int? {
        switch (a, b) {
        case (.null, .null): return 0
        case (.null, _), (_, .null): return nil
        case (.number(let x), .number(let y)):
            guard let dx = Decimal(string: x), let dy = Decimal(string: y) else { return nil }
            return dx < dy ? -1 : (dx > dy ? 1 : 0)
        case (.bool(let x), .bool(let y)): return x == y ? 0 : (x ? 1 : -1)
        default:
            var l = text(a)
            var r = text(b)
            // GUIDs compare case-insensitively.
            if NAVGuid.isGuid(l), NAVGuid.isGuid(r) {
                l = l.lowercased()
                r = r.lowercased()
            }
            return l < r ? -1 : (l > r ? 1 : 0)
        }
    }

    func matches(_ o: D365JSONObject) -> Bool {
        switch self {
        case .and(let a, let b): return a.matches(o) && b.matches(o)
        case .or(let a, let b): return a.matches(o) || b.matches(o)
        case .not(let a): return !a.matches(o)
        case .compare(let op, let a, let b):
            let va = a.value(o)
            let vb = b.value(o)
            if op == "eq" { return NAVFilterExpr.compare(va, vb) == 0 }
            if op == "ne" { return NAVFilterExpr.compare(va, vb) != 0 }
            guard let c = NAVFilterExpr.compare(va, vb) else { return false }
            switch op {
            case "gt": return c > 0
            case "ge": return c >= 0
            case "lt": return c < 0
            default: return c <= 0
            }
        case .call, .property, .literal:
            return value(o).boolValue ?? false
        }
    }
}

/// Query options of a list or entity request.
struct NAVQuery: Sendable {
    var filter: NAVFilterExpr?
    var select: [String]?
    var expand: [(name: String, nested: NAVQuery)] = []
    var top: Int?
    var skip = 0
    /// `$skiptoken` (the offset of the next page).
    var skipToken = 0

    static func parse(_ items: [(name: String, value: String)]) throws -> NAVQuery {
        var q = NAVQuery()
        for (n, v) in items {
            switch n {
            case "$filter": q.filter = try NAVFilterExpr.parse(v)
            case "$select": q.select = v.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            case "$expand": q.expand = try parseExpand(v)
            case "$top":
                guard let t = Int(v), t >= 0 else { throw NAVError(.badRequest, "Invalid value '\(v)' for $top query option found.") }
                q.top = t
            case "$skip":
                guard let s = Int(v), s >= 0 else { throw NAVError(.badRequest, "Invalid value '\(v)' for $skip query option found.") }
                q.skip = s
            case "$skiptoken": q.skipToken = Int(v) ?? 0
            case "$format", "$count", "$orderby", "company", "tenant": break
            default:
                if n.hasPrefix("$") { throw NAVError(.badRequest, "The query parameter '\(n)' is not supported.") }
            }
        }
        return q
    }

    /// `a,b($expand=c;$select=x)`.
    static func parseExpand(_ text: String) throws -> [(name: String, nested: NAVQuery)] {
        var parts: [String] = []
        var cur = ""
        var depth = 0
        for ch in text {
            if ch == "(" { depth += 1 }
            if ch == ")" { depth -= 1 }
            if ch == ",", depth == 0 {
                parts.append(cur)
                cur = ""
            } else {
                cur.append(ch)
            }
        }
        if !cur.isEmpty { parts.append(cur) }
        return try parts.map { raw in
            let p = raw.trimmingCharacters(in: .whitespaces)
            guard let open = p.firstIndex(of: "("), p.hasSuffix(")") else { return (p, NAVQuery()) }
            let name = String(p[..<open])
            let inner = String(p[p.index(after: open)..<p.index(before: p.endIndex)])
            let items = inner.split(separator: ";").map { item -> (name: String, value: String) in
                let kv = item.split(separator: "=", maxSplits: 1).map(String.init)
                return (kv[0].trimmingCharacters(in: .whitespaces), kv.count > 1 ? kv[1] : "")
            }
            return (name, try NAVQuery.parse(items))
        }
    }

    /// Applies `$select` (key properties and annotations kept).
    func selected(_ o: D365JSONObject, keep: [String]) -> D365JSONObject {
        guard let select = self.select else { return o }
        var out = D365JSONObject()
        for (k, v) in o.pairs where k.hasPrefix("@") || keep.contains(k) || select.contains(k) || expand.contains(where: { $0.name == k }) {
            out[k] = v
        }
        return out
    }

    /// The page size asked for with `Prefer: odata.maxpagesize=N`.
    static func maxPageSize(_ headers: [String: String]) -> Int? {
        guard let prefer = headers["prefer"] else { return nil }
        for part in prefer.split(separator: ",") {
            let kv = part.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
            if kv.count == 2, kv[0].lowercased() == "odata.maxpagesize", let n = Int(kv[1]), n > 0 { return n }
        }
        return nil
    }
}

/// A collection answer with server-driven paging: `{"@odata.context","value":[…],"@odata.nextLink"?}`.
enum NAVPaging {
    static func list(
        _ entities: [D365JSONObject], query: NAVQuery, request: SimRequest, context: String, serverPageSize: Int, keys: [String] = ["id"]
    ) -> SimResponse {
        var rows = entities
        if let f = query.filter { rows = rows.filter { f.matches($0) } }
        rows = Array(rows.dropFirst(query.skip))
        if let top = query.top { rows = Array(rows.prefix(top)) }
        let preferred = NAVQuery.maxPageSize(request.headers)
        let pageSize = min(preferred ?? serverPageSize, serverPageSize)
        let start = min(query.skipToken, rows.count)
        let page = Array(rows[start..<min(rows.count, start + pageSize)])
        var o = D365JSONObject()
        o["@odata.context"] = .string(context)
        o["value"] = .array(page.map { .object(query.selected($0, keep: keys)) })
        if start + pageSize < rows.count {
            var items = request.queryItems.filter { $0.name != "$skiptoken" }
            items.append(("$skiptoken", String(start + pageSize)))
            let q = items.map { "\(encode($0.name))=\(encode($0.value))" }.joined(separator: "&")
            o["@odata.nextLink"] = .string(request.baseURL + request.path + "?" + q)
        }
        let headers = preferred.map { [("Preference-Applied", "odata.maxpagesize=\($0)")] } ?? []
        return NAVResponses.json(200, .object(o), headers: headers)
    }

    static func encode(_ s: String) -> String {
        var allowed = CharacterSet.urlQueryAllowed
        allowed.remove(charactersIn: "&+=?#'")
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s
    }
}
