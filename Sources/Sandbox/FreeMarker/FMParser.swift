import Foundation

/// Parses template text into an `FMNode` tree: a hand-written scanner for the template level, a
/// recursive-descent parser for expressions, then FreeMarker's post-parse white-space stripping.
final class FMParser {
    private let src: FMSource
    private let s: [Unicode.Scalar]
    private var pos = 0

    // Expression lexer state.
    private enum Context { case tag, interpolation, standalone }
    private var context: Context = .tag
    private var depth = 0
    private var peeked: Token?

    private enum TokKind {
        case ident(String)
        case keyword(String)
        case string(String, raw: Bool)
        case number(Decimal)
        case boolean(Bool)
        case op(String)
        case tagEnd
        case emptyTagEnd
        case eof
    }

    private struct Token {
        let kind: TokKind
        let start: Int
        let end: Int
    }

    init(source: FMSource) {
        self.src = source
        self.s = source.scalars
    }

    // MARK: - Errors

    private func syntaxError(_ message: String, at offset: Int) -> FMError {
        FMError(message: "Syntax error in template \"\(src.name)\" in line \(src.line(of: offset)), column \(src.column(of: offset)):\n\(message)")
    }

    private func describe(_ token: Token) -> String {
        switch token.kind {
        case .eof: return "<EOF>"
        case .tagEnd: return "\">\""
        case .emptyTagEnd: return "\"/>\""
        default: return "\"\(src.text(token.start..<token.end))\""
        }
    }

    // MARK: - Template level

    static let version = "2.3.31"

    private static let supportedDirectives: Set<String> = [
        "if", "elseif", "else", "list", "items", "sep", "break", "assign", "global", "local", "function",
        "return", "t", "lt", "rt", "nt", "compress", "setting", "switch", "case", "default", "noparse", "ftl",
        "flush", "stop",
    ]
    private static let knownUnsupportedDirectives: Set<String> = [
        "include", "import", "macro", "nested", "visit", "recurse", "fallback", "escape", "noescape", "autoesc",
        "noautoesc", "outputformat", "attempt", "recover", "call", "foreach", "transform", "comment", "on",
        "continue",
    ]

    func parseTemplate() throws -> FMNode {
        let root = FMNode(.root, source: src, start: 0, end: s.count)
        var stack: [FMNode] = [root]
        var textStart: Int?

        func current() -> FMNode { stack[stack.count - 1] }
        func flushText(_ end: Int) {
            if let start = textStart, start < end {
                let node = FMNode(.text, source: src, start: start, end: end)
                node.text = Array(s[start..<end])
                current().append(node)
            }
            textStart = nil
        }

        // An optional <#ftl ...> header (only leading white-space may precede it).
        skipFTLHeader()

        while pos < s.count {
            if starts(with: "<#--") {
                flushText(pos)
                let start = pos
                guard let close = find("-->", from: pos + 4) else {
                    throw syntaxError("Unclosed comment; it was started here.", at: start)
                }
                pos = close + 3
                current().append(FMNode(.comment, source: src, start: start, end: pos))
                continue
            }
            if starts(with: "<#"), pos + 2 < s.count, isNameStart(s[pos + 2]) {
                flushText(pos)
                try parseDirectiveStart(&stack)
                continue
            }
            if starts(with: "</#"), pos + 3 < s.count, isNameStart(s[pos + 3]) {
                flushText(pos)
                try parseDirectiveEnd(&stack)
                continue
            }
            if starts(with: "<@") || starts(with: "</@") {
                throw syntaxError("User-defined directive calls (<@...>) are not supported by this FreeMarker subset.", at: pos)
            }
            if starts(with: "${") {
                flushText(pos)
                let start = pos
                pos += 2
                let expr = try parseEnclosedExpression()
                current().append(FMNode(.interpolation(expr), source: src, start: start, end: pos))
                continue
            }
            if starts(with: "#{") {
                throw syntaxError("The legacy #{...} numerical interpolation is not supported by this FreeMarker subset; use ${...}.", at: pos)
            }
            if textStart == nil { textStart = pos }
            pos += 1
        }
        flushText(pos)
        if stack.count > 1 {
            let open = stack.last { !isImplicitlyClosed($0) } ?? stack[stack.count - 1]
            throw syntaxError(
                "Unclosed \"#\(open.tagName)\". It was started at line \(src.line(of: open.start)), column \(src.column(of: open.start)).",
                at: s.count > 0 ? s.count - 1 : 0)
        }
        FMWhitespace.cleanup(root)
        return root
    }

    private func isImplicitlyClosed(_ node: FMNode) -> Bool {
        switch node.kind {
        case .branch, .listBody, .listElse, .switchCase: return true
        default: return false
        }
    }

    private func skipFTLHeader() {
        var i = 0
        while i < s.count, s[i] == " " || s[i] == "\t" || s[i] == "\n" || s[i] == "\r" { i += 1 }
        guard matches("<#ftl", at: i), i + 5 < s.count, !isNameChar(s[i + 5]) else { return }
        // Skip to the closing '>' of the header, honouring string literals.
        var j = i + 5
        var quote: Unicode.Scalar?
        while j < s.count {
            let c = s[j]
            if let q = quote {
                if c == "\\" { j += 1 } else if c == q { quote = nil }
            } else if c == "\"" || c == "'" {
                quote = c
            } else if c == ">" {
                break
            }
            j += 1
        }
        j += 1
        // FreeMarker eats the line break after the header.
        while j < s.count, s[j] == " " || s[j] == "\t" { j += 1 }
        if j < s.count, s[j] == "\r" { j += 1 }
        if j < s.count, s[j] == "\n" { j += 1 }
        pos = min(j, s.count)
    }

    private func readName() -> String {
        var name = String.UnicodeScalarView()
        while pos < s.count, isNameChar(s[pos]) {
            name.append(s[pos])
            pos += 1
        }
        return String(name)
    }

    private func parseDirectiveStart(_ stack: inout [FMNode]) throws {
        let start = pos
        pos += 2
        let name = readName()
        context = .tag
        depth = 0
        peeked = nil
        func top() -> FMNode { stack[stack.count - 1] }
        func make(_ kind: FMNode.Kind) -> FMNode {
            let node = FMNode(kind, source: src, start: start, end: pos)
            node.tagName = name
            return node
        }
        func push(_ node: FMNode) {
            top().append(node)
            stack.append(node)
        }
        func closeImplicit(_ node: FMNode) {
            if let last = node.children.last { node.setEnd(last.end) }
        }

        guard FMParser.supportedDirectives.contains(name) else {
            if FMParser.knownUnsupportedDirectives.contains(name) {
                throw syntaxError("The directive #\(name) is not supported by this FreeMarker subset (the Expensify simulator).", at: start)
            }
            throw syntaxError(
                "Unknown directive: #\(name). Help (latest version): https://freemarker.apache.org/docs/ref_directive_alphaidx.html; you're using FreeMarker \(FMParser.version).",
                at: start)
        }

        switch name {
        case "if":
            let cond = try parseExpression()
            try expectTagEnd(allowEmpty: false, directive: name)
            let ifNode = make(.ifBlock)
            push(ifNode)
            let branch = make(.branch(cond))
            push(branch)
        case "elseif", "else":
            var cond: FMExpr?
            if name == "elseif" { cond = try parseExpression() }
            try expectTagEnd(allowEmpty: true, directive: name)
            var node = top()
            if case .sep = node.kind {
                stack.removeLast()
                closeImplicit(node)
                node = top()
            }
            switch node.kind {
            case .branch(let previous):
                if previous == nil {
                    throw syntaxError("#\(name) is not allowed after #else in the same #if.", at: start)
                }
                stack.removeLast()
                closeImplicit(node)
                let branch = make(.branch(cond))
                push(branch)
            case .listBody where name == "else":
                stack.removeLast()
                closeImplicit(node)
                let elseNode = make(.listElse)
                push(elseNode)
            default:
                throw syntaxError("\"#\(name)\" without a matching #if\(name == "else" ? " or #list" : "").", at: start)
            }
        case "list":
            let seq = try parseExpression()
            var itemName: String?
            var valueName: String?
            if case .keyword("as") = try peek().kind {
                _ = try next()
                itemName = try expectIdentifier()
                if try isOp(",") {
                    _ = try next()
                    valueName = try expectIdentifier()
                }
            }
            try expectTagEnd(allowEmpty: false, directive: name)
            let list = make(.list(seq, itemName, valueName))
            push(list)
            push(make(.listBody))
        case "items":
            guard case .keyword("as") = try next().kind else {
                throw syntaxError("Expecting \"as\" after #items.", at: pos)
            }
            let item = try expectIdentifier()
            var value: String?
            if try isOp(",") {
                _ = try next()
                value = try expectIdentifier()
            }
            try expectTagEnd(allowEmpty: false, directive: name)
            guard stack.contains(where: { if case .list(_, nil, _) = $0.kind { return true } else { return false } }) else {
                throw syntaxError("#items must be inside a #list block that has no \"as\" loop variable.", at: start)
            }
            push(make(.items(item, value)))
        case "sep":
            try expectTagEnd(allowEmpty: true, directive: name)
            guard
                stack.contains(where: {
                    switch $0.kind {
                    case .listBody, .items: return true
                    default: return false
                    }
                })
            else {
                throw syntaxError("#sep must be inside a #list (or #items) block.", at: start)
            }
            let emptyTag = src.text(pos - 2..<pos) == "/>"
            if emptyTag { top().append(make(.noop)) } else { push(make(.sep)) }
        case "break":
            try expectTagEnd(allowEmpty: true, directive: name)
            top().append(make(.breakLoop))
        case "assign", "global", "local":
            let scope: FMAssignScope = name == "assign" ? .namespace : (name == "global" ? .global : .local)
            if scope == .local && !stack.contains(where: { if case .function = $0.kind { return true } else { return false } }) {
                throw syntaxError("#local can only be used inside a function.", at: start)
            }
            var assignments: [FMAssignment] = []
            while true {
                let tok = try peek()
                var targetName: String
                switch tok.kind {
                case .ident(let n): targetName = n
                case .string(let v, _): targetName = v
                case .tagEnd, .emptyTagEnd:
                    if assignments.isEmpty { throw syntaxError("#\(name) needs at least one assignment.", at: tok.start) }
                    targetName = ""
                default:
                    throw syntaxError("Expecting a variable name in #\(name), found \(describe(tok)).", at: tok.start)
                }
                if targetName.isEmpty { break }
                _ = try next()
                let opTok = try peek()
                if case .op(let o) = opTok.kind, let op = FMAssignment.Op(rawValue: o) {
                    _ = try next()
                    var value: FMExpr?
                    if op != .increment && op != .decrement { value = try parseExpression() }
                    assignments.append(FMAssignment(name: targetName, op: op, value: value, nameOffset: tok.start))
                } else if assignments.isEmpty, case .tagEnd = opTok.kind {
                    // Capture form: <#assign x>...</#assign>
                    _ = try next()
                    push(make(.captureAssign(targetName, scope)))
                    return
                } else {
                    throw syntaxError("Expecting \"=\" after \(targetName) in #\(name), found \(describe(opTok)).", at: opTok.start)
                }
                if try isOp(",") { _ = try next() }
            }
            try expectTagEnd(allowEmpty: true, directive: name)
            top().append(make(.assign(assignments, scope)))
        case "function":
            guard stack.count == 1 else {
                throw syntaxError("Function definitions are only allowed at the top level of the template.", at: start)
            }
            let fname: String
            switch try next().kind {
            case .ident(let n): fname = n
            case .string(let v, _): fname = v
            default: throw syntaxError("Expecting a function name after #function.", at: pos)
            }
            var params: [FMParameter] = []
            var parenthesised = false
            if try isOp("(") {
                _ = try next()
                parenthesised = true
            }
            while true {
                let tok = try peek()
                if parenthesised, case .op(")") = tok.kind {
                    _ = try next()
                    break
                }
                guard case .ident(let pname) = tok.kind else { break }
                _ = try next()
                var def: FMExpr?
                if try isOp("=") {
                    _ = try next()
                    def = try parsePrimaryWithPostfix()
                }
                params.append(FMParameter(name: pname, defaultValue: def))
                if try isOp(",") { _ = try next() }
            }
            try expectTagEnd(allowEmpty: false, directive: name)
            push(make(.function(fname, params)))
        case "return":
            var value: FMExpr?
            switch try peek().kind {
            case .tagEnd, .emptyTagEnd: break
            default: value = try parseExpression()
            }
            try expectTagEnd(allowEmpty: true, directive: name)
            guard stack.contains(where: { if case .function = $0.kind { return true } else { return false } }) else {
                throw syntaxError("#return is only supported inside a #function here.", at: start)
            }
            top().append(make(.returnValue(value)))
        case "t", "lt", "rt", "nt":
            try expectTagEnd(allowEmpty: true, directive: name)
            let left = name == "t" || name == "lt"
            let right = name == "t" || name == "rt"
            top().append(make(.trim(left: left, right: right)))
        case "compress":
            try expectTagEnd(allowEmpty: false, directive: name)
            push(make(.compress))
        case "setting":
            let settingName = try expectIdentifier()
            guard try isOp("=") else { throw syntaxError("Expecting \"=\" in #setting.", at: pos) }
            _ = try next()
            let value = try parseExpression()
            try expectTagEnd(allowEmpty: true, directive: name)
            top().append(make(.setting(settingName, value)))
        case "switch":
            let value = try parseExpression()
            try expectTagEnd(allowEmpty: false, directive: name)
            push(make(.switchBlock(value)))
        case "case", "default":
            var value: FMExpr?
            if name == "case" { value = try parseExpression() }
            try expectTagEnd(allowEmpty: true, directive: name)
            if case .switchCase = top().kind {
                closeImplicit(top())
                stack.removeLast()
            }
            guard case .switchBlock = top().kind else {
                throw syntaxError("#\(name) must be directly inside a #switch.", at: start)
            }
            // White-space between <#switch> and the first <#case> is dropped, as in FreeMarker.
            top().children.removeAll { node in
                node.isText && node.text.allSatisfy { FMWhitespace.isTrimmable($0) }
            }
            if top().children.contains(where: { node in
                switch node.kind {
                case .switchCase, .comment: return false
                default: return true
                }
            }) {
                throw syntaxError("Only white-space and comments are allowed between #switch and its first #case.", at: start)
            }
            push(make(.switchCase(value)))
        case "noparse":
            try expectTagEnd(allowEmpty: false, directive: name)
            let bodyStart = pos
            guard let close = find("</#noparse", from: pos) else {
                throw syntaxError("Unclosed \"#noparse\".", at: start)
            }
            var end = close + 10
            while end < s.count, s[end] != ">" { end += 1 }
            let node = FMNode(.text, source: src, start: bodyStart, end: close)
            node.text = Array(s[bodyStart..<close])
            top().append(node)
            pos = min(end + 1, s.count)
        case "ftl":
            throw syntaxError("#ftl is only allowed at the very beginning of the template.", at: start)
        case "flush":
            try expectTagEnd(allowEmpty: true, directive: name)
            top().append(make(.noop))
        case "stop":
            var value: FMExpr?
            switch try peek().kind {
            case .tagEnd, .emptyTagEnd: break
            default: value = try parseExpression()
            }
            try expectTagEnd(allowEmpty: true, directive: name)
            top().append(make(.stop(value)))
        default:
            throw syntaxError("Unknown directive: #\(name).", at: start)
        }
    }

    private func parseDirectiveEnd(_ stack: inout [FMNode]) throws {
        let start = pos
        pos += 3
        let name = readName()
        while pos < s.count, s[pos] == " " || s[pos] == "\t" || s[pos] == "\n" || s[pos] == "\r" { pos += 1 }
        guard pos < s.count, s[pos] == ">" else {
            throw syntaxError("Expecting \">\" to close </#\(name).", at: pos)
        }
        pos += 1
        let end = pos
        func top() -> FMNode { stack[stack.count - 1] }
        func popImplicit() {
            let node = top()
            if let last = node.children.last { node.setEnd(last.end) }
            stack.removeLast()
        }
        func popExplicit() {
            top().setEnd(end)
            stack.removeLast()
        }
        func mismatch() -> FMError {
            let open = top()
            if open.isRoot {
                return syntaxError("Unexpected closing tag </#\(name)>: there is no open #\(name).", at: start)
            }
            return syntaxError(
                "Unexpected closing tag </#\(name)>; the innermost open directive is #\(open.tagName) (started at line \(src.line(of: open.start)), column \(src.column(of: open.start))).",
                at: start)
        }

        switch name {
        case "if":
            guard case .branch = top().kind else { throw mismatch() }
            popImplicit()
            guard case .ifBlock = top().kind else { throw mismatch() }
            popExplicit()
        case "list":
            if case .sep = top().kind { popImplicit() }
            switch top().kind {
            case .listBody, .listElse: popImplicit()
            default: throw mismatch()
            }
            guard case .list = top().kind else { throw mismatch() }
            popExplicit()
        case "items":
            if case .sep = top().kind { popImplicit() }
            guard case .items = top().kind else { throw mismatch() }
            popExplicit()
        case "sep":
            guard case .sep = top().kind else { throw mismatch() }
            popExplicit()
        case "assign", "global", "local":
            guard case .captureAssign = top().kind, top().tagName == name else { throw mismatch() }
            popExplicit()
        case "function":
            guard case .function = top().kind else { throw mismatch() }
            popExplicit()
        case "compress":
            guard case .compress = top().kind else { throw mismatch() }
            popExplicit()
        case "switch":
            if case .switchCase = top().kind { popImplicit() }
            guard case .switchBlock = top().kind else { throw mismatch() }
            popExplicit()
        default:
            if FMParser.supportedDirectives.contains(name) || FMParser.knownUnsupportedDirectives.contains(name) {
                throw mismatch()
            }
            throw syntaxError(
                "Unknown directive: #\(name). Help (latest version): https://freemarker.apache.org/docs/ref_directive_alphaidx.html; you're using FreeMarker \(FMParser.version).",
                at: start)
        }
    }

    private func expectTagEnd(allowEmpty: Bool, directive: String) throws {
        let tok = try next()
        switch tok.kind {
        case .tagEnd: return
        case .emptyTagEnd where allowEmpty: return
        case .emptyTagEnd:
            throw syntaxError("#\(directive) can't be an empty tag (\"/>\"); it needs a closing </#\(directive)>.", at: tok.start)
        default:
            throw syntaxError("Encountered \(describe(tok)), but was expecting the end of the #\(directive) tag (\">\").", at: tok.start)
        }
    }

    private func expectIdentifier() throws -> String {
        let tok = try next()
        guard case .ident(let n) = tok.kind else {
            throw syntaxError("Expecting a name, found \(describe(tok)).", at: tok.start)
        }
        return n
    }

    /// Parses the expression of `${...}` (position just after `${`) and consumes the closing brace.
    private func parseEnclosedExpression() throws -> FMExpr {
        context = .interpolation
        depth = 0
        peeked = nil
        let expr = try parseExpression()
        let tok = try next()
        guard case .op("}") = tok.kind else {
            throw syntaxError("Encountered \(describe(tok)), but was expecting \"}\" to close the interpolation.", at: tok.start)
        }
        return expr
    }

    /// Parses a whole standalone expression (used for string-literal interpolations and by tests).
    func parseStandaloneExpression() throws -> FMExpr {
        context = .standalone
        depth = 0
        peeked = nil
        let expr = try parseExpression()
        let tok = try peek()
        if case .eof = tok.kind { return expr }
        throw syntaxError("Unexpected \(describe(tok)) after the expression.", at: tok.start)
    }

    // MARK: - Scanner helpers

    private func starts(with literal: String) -> Bool { matches(literal, at: pos) }

    private func matches(_ literal: String, at offset: Int) -> Bool {
        var i = offset
        for c in literal.unicodeScalars {
            guard i < s.count, s[i] == c else { return false }
            i += 1
        }
        return true
    }

    private func find(_ literal: String, from offset: Int) -> Int? {
        var i = offset
        while i < s.count {
            if matches(literal, at: i) { return i }
            i += 1
        }
        return nil
    }

    private func isNameStart(_ c: Unicode.Scalar) -> Bool {
        c == "_" || c == "$" || c == "@" || c.properties.isAlphabetic
    }

    private func isNameChar(_ c: Unicode.Scalar) -> Bool {
        isNameStart(c) || ("0"..."9").contains(c)
    }

    // MARK: - Expression lexer

    private func peek() throws -> Token {
        if let peeked { return peeked }
        let tok = try lex()
        peeked = tok
        return tok
    }

    private func next() throws -> Token {
        let tok = try peek()
        peeked = nil
        pos = tok.end
        if case .op(let o) = tok.kind {
            if o == "(" || o == "[" || o == "{" { depth += 1 }
            if o == ")" || o == "]" || o == "}" { depth -= 1 }
        }
        return tok
    }

    private func isOp(_ op: String) throws -> Bool {
        if case .op(let o) = try peek().kind { return o == op }
        return false
    }

    private func lex() throws -> Token {
        var i = pos
        // Skip white-space and FTL comments inside tags/expressions.
        while i < s.count {
            let c = s[i]
            if c == " " || c == "\t" || c == "\n" || c == "\r" {
                i += 1
            } else if matches("<#--", at: i) {
                guard let close = find("-->", from: i + 4) else { throw syntaxError("Unclosed comment.", at: i) }
                i = close + 3
            } else {
                break
            }
        }
        let start = i
        guard i < s.count else { return Token(kind: .eof, start: start, end: start) }
        let c = s[i]

        if context == .tag && depth == 0 {
            if c == ">" && !(i + 1 < s.count && s[i + 1] == "=") { return Token(kind: .tagEnd, start: start, end: i + 1) }
            if c == "/" && i + 1 < s.count && s[i + 1] == ">" { return Token(kind: .emptyTagEnd, start: start, end: i + 2) }
        }

        // Raw string r"..."
        if c == "r", i + 1 < s.count, s[i + 1] == "\"" || s[i + 1] == "'" {
            let quote = s[i + 1]
            var j = i + 2
            while j < s.count, s[j] != quote { j += 1 }
            guard j < s.count else { throw syntaxError("Unclosed string literal.", at: start) }
            var v = String.UnicodeScalarView()
            v.append(contentsOf: s[(i + 2)..<j])
            return Token(kind: .string(String(v), raw: true), start: start, end: j + 1)
        }
        if isNameStart(c) || c == "\\" {
            var j = i
            var name = String.UnicodeScalarView()
            while j < s.count {
                if isNameChar(s[j]) {
                    name.append(s[j])
                    j += 1
                } else if s[j] == "\\", j + 1 < s.count, s[j + 1] == "-" || s[j + 1] == "." || s[j + 1] == ":" {
                    name.append(s[j + 1])
                    j += 2
                } else {
                    break
                }
            }
            let n = String(name)
            if n.isEmpty {
                // \lt, \gt etc.
                for (word, op) in [("\\lte", "<="), ("\\lt", "<"), ("\\gte", ">="), ("\\gt", ">"), ("\\and", "&&"), ("\\or", "||")]
                where matches(word, at: i) {
                    return Token(kind: .op(op), start: start, end: i + word.unicodeScalars.count)
                }
                throw syntaxError("Unexpected character \"\\\".", at: start)
            }
            switch n {
            case "true": return Token(kind: .boolean(true), start: start, end: j)
            case "false": return Token(kind: .boolean(false), start: start, end: j)
            case "gt": return Token(kind: .op(">"), start: start, end: j)
            case "gte": return Token(kind: .op(">="), start: start, end: j)
            case "lt": return Token(kind: .op("<"), start: start, end: j)
            case "lte": return Token(kind: .op("<="), start: start, end: j)
            case "as", "in", "using": return Token(kind: .keyword(n), start: start, end: j)
            default: return Token(kind: .ident(n), start: start, end: j)
            }
        }
        if ("0"..."9").contains(c) {
            var j = i
            while j < s.count, ("0"..."9").contains(s[j]) { j += 1 }
            if j + 1 < s.count, s[j] == ".", ("0"..."9").contains(s[j + 1]) {
                j += 1
                while j < s.count, ("0"..."9").contains(s[j]) { j += 1 }
            }
            let text = src.text(i..<j)
            guard let d = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")) else {
                throw syntaxError("Malformed number \(text).", at: start)
            }
            return Token(kind: .number(d), start: start, end: j)
        }
        if c == "\"" || c == "'" {
            var j = i + 1
            var v = String.UnicodeScalarView()
            while true {
                guard j < s.count else { throw syntaxError("Unclosed string literal.", at: start) }
                let ch = s[j]
                if ch == c { break }
                if ch == "\\" {
                    guard j + 1 < s.count else { throw syntaxError("Unclosed string literal.", at: start) }
                    let e = s[j + 1]
                    j += 2
                    switch e {
                    case "n": v.append("\n")
                    case "r": v.append("\r")
                    case "t": v.append("\t")
                    case "f": v.append("\u{0C}")
                    case "b": v.append("\u{08}")
                    case "l": v.append("<")
                    case "g": v.append(">")
                    case "a": v.append("&")
                    case "\"", "'", "\\", "{", "=": v.append(e)
                    case "x":
                        var hex = ""
                        while hex.count < 4, j < s.count, s[j].properties.isASCIIHexDigit {
                            hex.unicodeScalars.append(s[j])
                            j += 1
                        }
                        guard !hex.isEmpty, let code = UInt32(hex, radix: 16), let scalar = Unicode.Scalar(code) else {
                            throw syntaxError("Invalid \\x escape in string literal.", at: j)
                        }
                        v.append(scalar)
                    default:
                        throw syntaxError("Unsupported string escape \"\\\(e)\" in string literal.", at: j - 2)
                    }
                    continue
                }
                v.append(ch)
                j += 1
            }
            return Token(kind: .string(String(v), raw: false), start: start, end: j + 1)
        }
        // Entity forms of operators.
        for (word, op) in [("&lt;=", "<="), ("&lt;", "<"), ("&gt;=", ">="), ("&gt;", ">"), ("&amp;&amp;", "&&")] where matches(word, at: i) {
            return Token(kind: .op(op), start: start, end: i + word.unicodeScalars.count)
        }
        let ops = [
            "..<", "..!", "..*", "...", "..", "??", "?", "!=", "!", "==", "=", "<=", "<", ">=", ">", "&&", "&",
            "||", "|", "++", "+=", "+", "--", "-=", "-", "*=", "*", "/=", "/", "%=", "%", "(", ")", "[", "]",
            "{", "}", ",", ":", ";", ".",
        ]
        for op in ops where matches(op, at: i) {
            if op == "..." { throw syntaxError("Unexpected \"...\".", at: start) }
            return Token(kind: .op(op), start: start, end: i + op.unicodeScalars.count)
        }
        throw syntaxError("Unexpected character \"\(Character(c))\" in an expression.", at: start)
    }

    // MARK: - Expression grammar

    private func node(_ kind: FMExpr.Kind, _ start: Int) -> FMExpr {
        FMExpr(kind, source: src, start: start, end: lastEnd)
    }

    /// End offset of the last consumed token.
    private var lastEnd: Int { pos }

    private func parseExpression() throws -> FMExpr { try parseOr() }

    private func parseOr() throws -> FMExpr {
        var left = try parseAnd()
        while try isOp("||") || isOp("|") {
            _ = try next()
            let right = try parseAnd()
            left = FMExpr(.or(left, right), source: src, start: left.start, end: right.end)
        }
        return left
    }

    private func parseAnd() throws -> FMExpr {
        var left = try parseEquality()
        while try isOp("&&") || isOp("&") {
            _ = try next()
            let right = try parseEquality()
            left = FMExpr(.and(left, right), source: src, start: left.start, end: right.end)
        }
        return left
    }

    private func parseEquality() throws -> FMExpr {
        let left = try parseRelational()
        let tok = try peek()
        if case .op(let o) = tok.kind, o == "==" || o == "!=" || o == "=" {
            // A single "=" ends an expression where an assignment may follow (#assign a = b c = d).
            _ = try next()
            let right = try parseRelational()
            let op: FMExpr.CompareOp = o == "!=" ? .notEqual : .equal
            return FMExpr(.compare(op, o, left, right), source: src, start: left.start, end: right.end)
        }
        return left
    }

    private func parseRelational() throws -> FMExpr {
        let left = try parseRange()
        let tok = try peek()
        if case .op(let o) = tok.kind, ["<", "<=", ">", ">="].contains(o) {
            _ = try next()
            let right = try parseRange()
            let op: FMExpr.CompareOp
            switch o {
            case "<": op = .less
            case "<=": op = .lessOrEqual
            case ">": op = .greater
            default: op = .greaterOrEqual
            }
            return FMExpr(.compare(op, src.text(tok.start..<tok.end), left, right), source: src, start: left.start, end: right.end)
        }
        return left
    }

    private func parseRange() throws -> FMExpr {
        let left = try parseAdditive()
        let tok = try peek()
        guard case .op(let o) = tok.kind, o.hasPrefix("..") else { return left }
        _ = try next()
        switch o {
        case "..":
            if try canStartExpression(peek()) {
                let right = try parseAdditive()
                return FMExpr(.range(left, right, .inclusive), source: src, start: left.start, end: right.end)
            }
            return FMExpr(.range(left, nil, .unbounded), source: src, start: left.start, end: tok.end)
        case "..<", "..!":
            let right = try parseAdditive()
            return FMExpr(.range(left, right, .exclusive), source: src, start: left.start, end: right.end)
        default:
            let right = try parseAdditive()
            return FMExpr(.range(left, right, .length), source: src, start: left.start, end: right.end)
        }
    }

    private func parseAdditive() throws -> FMExpr {
        var left = try parseMultiplicative()
        while true {
            let tok = try peek()
            guard case .op(let o) = tok.kind, o == "+" || o == "-" else { return left }
            _ = try next()
            let right = try parseMultiplicative()
            left = FMExpr(.binary(o == "+" ? .add : .subtract, left, right), source: src, start: left.start, end: right.end)
        }
    }

    private func parseMultiplicative() throws -> FMExpr {
        var left = try parseUnary()
        while true {
            let tok = try peek()
            guard case .op(let o) = tok.kind, o == "*" || o == "/" || o == "%" else { return left }
            _ = try next()
            let right = try parseUnary()
            let op: FMExpr.BinaryOp = o == "*" ? .multiply : (o == "/" ? .divide : .modulo)
            left = FMExpr(.binary(op, left, right), source: src, start: left.start, end: right.end)
        }
    }

    private func parseUnary() throws -> FMExpr {
        let tok = try peek()
        if case .op(let o) = tok.kind {
            switch o {
            case "!":
                _ = try next()
                let operand = try parseUnaryOperandForNot()
                return FMExpr(.not(operand), source: src, start: tok.start, end: operand.end)
            case "-":
                _ = try next()
                let operand = try parsePrimaryWithPostfix()
                return FMExpr(.negate(operand), source: src, start: tok.start, end: operand.end)
            case "+":
                _ = try next()
                let operand = try parsePrimaryWithPostfix()
                return FMExpr(.unaryPlus(operand), source: src, start: tok.start, end: operand.end)
            default: break
            }
        }
        return try parsePrimaryWithPostfix()
    }

    private func parseUnaryOperandForNot() throws -> FMExpr {
        if try isOp("!") {
            let tok = try next()
            let operand = try parseUnaryOperandForNot()
            return FMExpr(.not(operand), source: src, start: tok.start, end: operand.end)
        }
        return try parsePrimaryWithPostfix()
    }

    private func canStartExpression(_ tok: Token) -> Bool {
        switch tok.kind {
        case .ident, .string, .number, .boolean: return true
        case .op(let o): return ["(", "[", "{", "-", "+", "!", "."].contains(o)
        default: return false
        }
    }

    static let loopVariableBuiltins: Set<String> = [
        "index", "counter", "has_next", "is_last", "is_first", "item_parity", "item_parity_cap", "is_odd_item",
        "is_even_item", "item_cycle",
    ]
    /// Built-ins that take arguments in parentheses.
    static let methodBuiltins: Set<String> = [
        "string", "replace", "join", "contains", "starts_with", "ends_with", "then", "index_of", "last_index_of",
        "left_pad", "right_pad", "split", "substring", "keep_before", "keep_after", "keep_before_last",
        "keep_after_last", "remove_beginning", "remove_ending", "ensure_starts_with", "ensure_ends_with",
        "seq_contains", "seq_index_of", "item_cycle", "sort_by", "truncate",
    ]
    static let supportedBuiltins: Set<String> = loopVariableBuiltins.union(methodBuiltins).union([
        "c", "json_string", "js_string", "has_content", "size", "length", "upper_case", "lower_case", "trim",
        "cap_first", "uncap_first", "capitalize", "number", "abs", "round", "floor", "ceiling", "int", "first",
        "last", "reverse", "keys", "values", "sort", "html", "xml", "url", "boolean", "is_string", "is_number",
        "is_boolean", "is_sequence", "is_hash", "is_enumerable", "is_method", "is_collection", "word_list",
        "chop_linebreak", "cn",
    ])
    /// Every built-in name of FreeMarker 2.3.31 (so real-but-unsupported ones get a clearer message).
    static let allFreeMarkerBuiltins: Set<String> = [
        "abs", "absolute_template_name", "ancestors", "api", "boolean", "byte", "c", "c_lower_case", "c_upper_case",
        "cap_first", "capitalize", "ceiling", "children", "chop_linebreak", "chunk", "contains", "counter", "date",
        "date_if_unknown", "datetime", "datetime_if_unknown", "default", "double", "drop_while", "ends_with",
        "ensure_ends_with", "ensure_starts_with", "esc", "eval", "eval_json", "exists", "filter", "first", "float",
        "floor", "groups", "has_api", "has_content", "has_next", "html", "if_exists", "index", "index_of", "int",
        "interpret", "is_boolean", "is_collection", "is_collection_ex", "is_date", "is_date_like", "is_date_only",
        "is_directive", "is_enumerable", "is_even_item", "is_first", "is_hash", "is_hash_ex", "is_indexable",
        "is_infinite", "is_last", "is_macro", "is_markup_output", "is_method", "is_nan", "is_node", "is_number",
        "is_odd_item", "is_sequence", "is_string", "is_time", "is_transform", "is_unknown_date_like", "iso",
        "iso_h", "iso_h_nz", "iso_local", "iso_local_h", "iso_local_h_nz", "iso_local_m", "iso_local_m_nz",
        "iso_local_ms", "iso_local_ms_nz", "iso_local_nz", "iso_m", "iso_m_nz", "iso_ms", "iso_ms_nz", "iso_nz",
        "iso_utc", "iso_utc_fz", "iso_utc_h", "iso_utc_h_nz", "iso_utc_m", "iso_utc_m_nz", "iso_utc_ms",
        "iso_utc_ms_nz", "iso_utc_nz", "item_cycle", "item_parity", "item_parity_cap", "j_string", "join",
        "js_string", "json_string", "keep_after", "keep_after_last", "keep_before", "keep_before_last", "keys",
        "last", "last_index_of", "left_pad", "length", "long", "lower_abc", "lower_case", "map", "markup_string",
        "matches", "max", "min", "namespace", "new", "next_sibling", "no_esc", "node_name", "node_namespace",
        "node_type", "number", "number_to_date", "number_to_datetime", "number_to_time", "parent",
        "previous_sibling", "remove_beginning", "remove_ending", "replace", "reverse", "right_pad", "root",
        "round", "rtf", "seq_contains", "seq_index_of", "seq_last_index_of", "sequence", "short", "size", "sort",
        "sort_by", "split", "starts_with", "string", "substring", "switch", "take_while", "then", "time",
        "time_if_unknown", "trim", "truncate", "truncate_c", "truncate_c_m", "truncate_m", "truncate_w",
        "truncate_w_m", "uncap_first", "upper_abc", "upper_case", "url", "url_path", "values", "web_safe",
        "with_args", "with_args_last", "word_list", "xhtml", "xml", "cn", "is_last",
    ]

    private func parsePrimaryWithPostfix() throws -> FMExpr {
        var expr = try parseAtom()
        while true {
            let tok = try peek()
            guard case .op(let o) = tok.kind else { return expr }
            switch o {
            case ".":
                _ = try next()
                let nameTok = try next()
                let key: String
                switch nameTok.kind {
                case .ident(let n), .keyword(let n): key = n
                case .boolean(let b): key = b ? "true" : "false"
                case .op(let op) where op == "<" || op == ">" || op == "<=" || op == ">=":
                    key = src.text(nameTok.start..<nameTok.end)
                default:
                    throw syntaxError("Expecting a name after \".\", found \(describe(nameTok)).", at: nameTok.start)
                }
                expr = FMExpr(.dot(expr, key), source: src, start: expr.start, end: nameTok.end)
            case "[":
                _ = try next()
                let key = try parseExpression()
                let close = try next()
                guard case .op("]") = close.kind else {
                    throw syntaxError("Encountered \(describe(close)), but was expecting \"]\".", at: close.start)
                }
                expr = FMExpr(.index(expr, key), source: src, start: expr.start, end: close.end)
            case "(":
                let args = try parseArguments()
                expr = FMExpr(.call(expr, args), source: src, start: expr.start, end: lastEnd)
            case "?":
                _ = try next()
                let nameTok = try next()
                guard case .ident(let name) = nameTok.kind else {
                    throw syntaxError("Expecting a built-in name after \"?\", found \(describe(nameTok)).", at: nameTok.start)
                }
                guard FMParser.supportedBuiltins.contains(name) else {
                    if FMParser.allFreeMarkerBuiltins.contains(name) {
                        throw syntaxError(
                            "The built-in ?\(name) is not supported by this FreeMarker subset (the Expensify simulator).", at: nameTok.start)
                    }
                    throw syntaxError(
                        "Unknown built-in: \"\(name)\". Help (latest version): https://freemarker.apache.org/docs/ref_builtins.html; you're using FreeMarker \(FMParser.version).",
                        at: nameTok.start)
                }
                if FMParser.loopVariableBuiltins.contains(name) {
                    guard case .variable = expr.kind else {
                        throw syntaxError("The left hand operand of ?\(name) must be a loop variable, but it's: \(expr.text)", at: expr.start)
                    }
                }
                var args: [FMExpr]?
                if FMParser.methodBuiltins.contains(name), try isOp("(") {
                    args = try parseArguments()
                }
                expr = FMExpr(.builtin(expr, name, args), source: src, start: expr.start, end: lastEnd)
            case "??":
                _ = try next()
                expr = FMExpr(.exists(expr), source: src, start: expr.start, end: tok.end)
            case "!":
                _ = try next()
                if try canStartExpression(peek()) {
                    let rhs = try parseExpression()
                    expr = FMExpr(.defaultTo(expr, rhs), source: src, start: expr.start, end: rhs.end)
                } else {
                    expr = FMExpr(.defaultTo(expr, nil), source: src, start: expr.start, end: tok.end)
                }
            default:
                return expr
            }
        }
    }

    private func parseArguments() throws -> [FMExpr] {
        _ = try next()  // (
        var args: [FMExpr] = []
        if try isOp(")") {
            _ = try next()
            return args
        }
        while true {
            args.append(try parseExpression())
            let tok = try next()
            if case .op(")") = tok.kind { return args }
            guard case .op(",") = tok.kind else {
                throw syntaxError("Encountered \(describe(tok)), but was expecting \",\" or \")\".", at: tok.start)
            }
        }
    }

    private func parseAtom() throws -> FMExpr {
        let tok = try next()
        switch tok.kind {
        case .number(let d):
            return FMExpr(.number(d), source: src, start: tok.start, end: tok.end)
        case .boolean(let b):
            return FMExpr(.boolean(b), source: src, start: tok.start, end: tok.end)
        case .string(let v, let raw):
            if !raw, v.contains("${") {
                return try parseStringTemplate(v, token: tok)
            }
            return FMExpr(.string(v), source: src, start: tok.start, end: tok.end)
        case .ident(let n):
            return FMExpr(.variable(n), source: src, start: tok.start, end: tok.end)
        case .op("("):
            let inner = try parseExpression()
            let close = try next()
            guard case .op(")") = close.kind else {
                throw syntaxError("Encountered \(describe(close)), but was expecting \")\".", at: close.start)
            }
            return FMExpr(.paren(inner), source: src, start: tok.start, end: close.end)
        case .op("["):
            var items: [FMExpr] = []
            if try isOp("]") {
                let close = try next()
                return FMExpr(.sequence(items), source: src, start: tok.start, end: close.end)
            }
            while true {
                items.append(try parseExpression())
                let sep = try next()
                if case .op("]") = sep.kind {
                    return FMExpr(.sequence(items), source: src, start: tok.start, end: sep.end)
                }
                guard case .op(",") = sep.kind else {
                    throw syntaxError("Encountered \(describe(sep)), but was expecting \",\" or \"]\".", at: sep.start)
                }
            }
        case .op("{"):
            var pairs: [(FMExpr, FMExpr)] = []
            if try isOp("}") {
                let close = try next()
                return FMExpr(.hash(pairs), source: src, start: tok.start, end: close.end)
            }
            while true {
                let key = try parseExpression()
                let colon = try next()
                guard case .op(":") = colon.kind else {
                    throw syntaxError("Encountered \(describe(colon)), but was expecting \":\".", at: colon.start)
                }
                let value = try parseExpression()
                pairs.append((key, value))
                let sep = try next()
                if case .op("}") = sep.kind {
                    return FMExpr(.hash(pairs), source: src, start: tok.start, end: sep.end)
                }
                guard case .op(",") = sep.kind else {
                    throw syntaxError("Encountered \(describe(sep)), but was expecting \",\" or \"}\".", at: sep.start)
                }
            }
        case .op("."):
            throw syntaxError("Special variables (.name) are not supported by this FreeMarker subset.", at: tok.start)
        default:
            throw syntaxError("Encountered \(describe(tok)), but was expecting an expression.", at: tok.start)
        }
    }

    /// `"text ${expr} text"`: the literal's value is parsed again for interpolations, as FreeMarker does.
    private func parseStringTemplate(_ value: String, token: Token) throws -> FMExpr {
        let sub = FMSource(value, name: src.name, lineOffset: src.line(of: token.start) - 1, columnOffset: src.column(of: token.start))
        let scalars = sub.scalars
        var parts: [FMStringPart] = []
        var literal = String.UnicodeScalarView()
        var i = 0
        while i < scalars.count {
            if scalars[i] == "$", i + 1 < scalars.count, scalars[i + 1] == "{" {
                if !literal.isEmpty {
                    parts.append(.literal(String(literal)))
                    literal = String.UnicodeScalarView()
                }
                let parser = FMParser(source: sub)
                parser.pos = i + 2
                let expr = try parser.parseEnclosedExpression()
                parts.append(.interpolation(expr))
                i = parser.pos
                continue
            }
            literal.append(scalars[i])
            i += 1
        }
        if !literal.isEmpty { parts.append(.literal(String(literal))) }
        return FMExpr(.stringTemplate(parts), source: src, start: token.start, end: token.end)
    }
}
