import Foundation

/// Control-flow signals (not errors a user sees).
private enum FMSignal: Error {
    case breakLoop
    case returned
    case stop(String)
}

/// Runs a parsed template against a data model.
final class FMEnvironment {
    private final class LoopState {
        let itemName: String?
        let valueName: String?
        var item: FMValue?
        var value: FMValue?
        var index = 0
        var hasNext = false
        init(itemName: String?, valueName: String?) {
            self.itemName = itemName
            self.valueName = valueName
        }
    }

    private struct Frame {
        var locals: [String: FMValue]
        let loopBase: Int
        let pendingBase: Int
    }

    private let dataModel: FMHash
    private var globals: [String: FMValue] = [:]
    private var namespace: [String: FMValue] = [:]
    private var frames: [Frame] = []
    private var loops: [LoopState] = []
    /// Sequences of `<#list seq>` blocks that use `<#items>`.
    private var pending: [(FMValue, String)] = []
    private var out = ""
    private var numberFormat = "number"
    /// nil: the legacy default "true,false", which refuses to print booleans automatically.
    private var booleanFormat: (String, String)?
    private var returnValue: FMValue?
    private var callDepth = 0
    private var failedAt: FMNode?

    init(dataModel: FMHash) {
        self.dataModel = dataModel
    }

    func render(_ root: FMNode) throws -> String {
        for child in root.children {
            if case .function(let name, _) = child.kind { namespace[name] = .function(FMFunctionRef(node: child)) }
        }
        do {
            try execChildren(root)
        } catch let signal as FMSignal {
            switch signal {
            case .stop(let message):
                throw FMError(message: "Stop: \(message)")
            case .breakLoop, .returned:
                throw FMError(message: "#break or #return used outside of a loop or function.")
            }
        } catch let error as FMError {
            var message = error.message
            if let node = failedAt {
                let text = node.source.text(node.start..<node.headerEnd)
                let shown = text.count > 80 ? String(text.prefix(77)) + "..." : text
                message += "\n\n----\nFTL stack trace (\"~\" means nesting-related):\n\t- Failed at: \(shown)  \(node.location)\n----"
            }
            throw FMError(message: message, isInvalidReference: error.isInvalidReference)
        }
        return out
    }

    // MARK: - Errors

    private func missing(_ e: FMExpr) -> FMError {
        FMError(
            message: """
                The following has evaluated to null or missing:
                ==> \(e.text)  \(e.location)

                ----
                Tip: If the failing expression is known to legally refer to something that's sometimes null or missing, either specify a default value like myOptionalVar!myDefault, or use <#if myOptionalVar??>when-present<#else>when-missing</#if>. (These only cover the last step of the expression; to cover the whole expression, use parenthesis: (myOptionalVar.foo)!myDefault, (myOptionalVar.foo)??
                ----
                """, isInvalidReference: true)
    }

    private func typeError(_ e: FMExpr, expected: String, got: FMValue, context: String? = nil) -> FMError {
        let prefix = context.map { "For \($0): " } ?? ""
        return FMError(
            message:
                "\(prefix)Expected \(article(expected)) \(expected), but this has evaluated to \(article(got.typeDescription)) \(got.typeDescription):\n==> \(e.text)  \(e.location)"
        )
    }

    private func article(_ word: String) -> String {
        guard let first = word.first else { return "a" }
        return "aeiou".contains(first) ? "an" : "a"
    }

    private func error(_ message: String, _ e: FMExpr) -> FMError {
        FMError(message: "\(message)\n==> \(e.text)  \(e.location)")
    }

    private func booleanToStringError(_ e: FMExpr) -> FMError {
        FMError(
            message: """
                Can't convert boolean to string automatically, because the "boolean_format" setting was "true,false", which is the legacy deprecated default, and we treat it as if no format was set. This is the default configuration; you should provide the format explicitly for each place where you print a boolean.
                ==> \(e.text)  \(e.location)

                ----
                Tip: Write something like myBool?string('yes', 'no') to specify boolean formatting in place.
                ----
                Tip: If you need the same two values on most places, the programmers can set the "boolean_format" setting to something like "yes,no". However, then it will be easy to unwittingly print booleans in a way that's not correct for computer consumption; you should use ?c for that.
                ----
                """)
    }

    // MARK: - Elements

    private func execChildren(_ node: FMNode) throws {
        for child in node.children { try exec(child) }
    }

    private func exec(_ node: FMNode) throws {
        switch node.kind {
        case .root, .listBody, .listElse, .branch, .switchCase:
            try execChildren(node)
        case .text:
            var piece = ""
            piece.unicodeScalars.append(contentsOf: node.text)
            out += piece  // appending through `out.unicodeScalars` copied the whole output each time (quadratic)
        case .interpolation(let expr):
            failedAt = node
            out += try interpolate(try eval(expr), expr, context: "\"${...}\" content")
        case .comment, .trim, .noop, .function:
            break
        case .assign(let assignments, let scope):
            failedAt = node
            for a in assignments { try assign(a, scope: scope) }
        case .captureAssign(let name, let scope):
            failedAt = node
            let saved = out
            out = ""
            defer { out = saved }
            try execChildren(node)
            setVariable(name, .string(out), scope: scope)
        case .ifBlock:
            for branch in node.children {
                guard case .branch(let cond) = branch.kind else { continue }
                if let cond {
                    failedAt = branch
                    if try evalBool(cond, context: "\"#if\" condition") {
                        try execChildren(branch)
                        return
                    }
                } else {
                    try execChildren(branch)
                    return
                }
            }
        case .list(let seqExpr, let itemName, let valueName):
            failedAt = node
            try execList(node, seqExpr, itemName, valueName)
        case .items(let itemName, let valueName):
            failedAt = node
            guard let (value, _) = pending.last else {
                throw FMError(message: "#items must be inside a #list block that has no loop variable. \(node.location)")
            }
            try iterate(value, itemName: itemName, valueName: valueName, body: node, expr: nil)
        case .sep:
            let floor = frames.last?.loopBase ?? 0
            if loops.count > floor, let loop = loops.last, loop.hasNext { try execChildren(node) }
        case .breakLoop:
            throw FMSignal.breakLoop
        case .returnValue(let expr):
            failedAt = node
            returnValue = try expr.map { try eval($0) }
            throw FMSignal.returned
        case .compress:
            let saved = out
            out = ""
            try execChildren(node)
            let compressed = FMEnvironment.compress(out)
            out = saved + compressed
        case .setting(let name, let expr):
            failedAt = node
            let value = try eval(expr)
            try applySetting(name, value, expr)
        case .switchBlock(let expr):
            failedAt = node
            let value = try eval(expr)
            var matched = false
            do {
                for c in node.children {
                    guard case .switchCase(let caseExpr) = c.kind else { continue }
                    if !matched {
                        if let caseExpr {
                            matched = try valuesEqual(value, try eval(caseExpr), expr, caseExpr, op: "==")
                        }
                    }
                    if matched { try execChildren(c) }
                }
                if !matched, let def = node.children.first(where: { if case .switchCase(nil) = $0.kind { return true } else { return false } }) {
                    var started = false
                    for c in node.children {
                        if c === def { started = true }
                        if started { try execChildren(c) }
                    }
                }
            } catch FMSignal.breakLoop {
                return
            }
        case .stop(let expr):
            let message = try expr.map { try coerceToString(try eval($0), $0, context: "#stop") } ?? ""
            throw FMSignal.stop(message)
        }
    }

    private func execList(_ node: FMNode, _ seqExpr: FMExpr, _ itemName: String?, _ valueName: String?) throws {
        let value = try eval(seqExpr)
        let body = node.children.first { if case .listBody = $0.kind { return true } else { return false } }
        let elseNode = node.children.first { if case .listElse = $0.kind { return true } else { return false } }
        let isEmpty: Bool
        switch value {
        case .sequence(let items): isEmpty = items.isEmpty
        case .hash(let h): isEmpty = h.isEmpty
        case .emptyDefault: isEmpty = true
        default: throw typeError(seqExpr, expected: "sequence or hash", got: value, context: "\"#list\" target")
        }
        if isEmpty {
            if let elseNode { try execChildren(elseNode) }
            return
        }
        guard let body else { return }
        if let itemName {
            try iterate(value, itemName: itemName, valueName: valueName, body: body, expr: seqExpr)
        } else {
            pending.append((value, seqExpr.text))
            defer { pending.removeLast() }
            do { try execChildren(body) } catch FMSignal.breakLoop { return }
        }
    }

    private func iterate(_ value: FMValue, itemName: String, valueName: String?, body: FMNode, expr: FMExpr?) throws {
        let loop = LoopState(itemName: itemName, valueName: valueName)
        loops.append(loop)
        defer { loops.removeLast() }
        switch value {
        case .sequence(let items):
            if valueName != nil {
                throw FMError(
                    message:
                        "The #list target is a sequence, so it can't be listed with two loop variables (\"as \(itemName), \(valueName ?? "")\"). \(body.location)"
                )
            }
            do {
                for (i, item) in items.enumerated() {
                    loop.item = item
                    loop.index = i
                    loop.hasNext = i + 1 < items.count
                    try execChildren(body)
                }
            } catch FMSignal.breakLoop {
                return
            }
        case .hash(let h):
            let keys = h.keys
            do {
                for (i, key) in keys.enumerated() {
                    if valueName != nil {
                        loop.item = .string(key)
                        loop.value = h[key]
                    } else {
                        loop.item = .string(key)
                    }
                    loop.index = i
                    loop.hasNext = i + 1 < keys.count
                    try execChildren(body)
                }
            } catch FMSignal.breakLoop {
                return
            }
        case .emptyDefault:
            return
        default:
            if let expr { throw typeError(expr, expected: "sequence or hash", got: value) }
        }
    }

    private static func compress(_ text: String) -> String {
        // Standard compress: trim the whole output; collapse each white-space run to one line break
        // (if it had one) or one space.
        var result = String.UnicodeScalarView()
        var run: [Unicode.Scalar] = []
        func flushRun() {
            guard !run.isEmpty else { return }
            if !result.isEmpty { result.append(run.contains { $0 == "\n" || $0 == "\r" } ? "\n" : " ") }
            run = []
        }
        for c in text.unicodeScalars {
            if c == " " || c == "\t" || c == "\n" || c == "\r" {
                run.append(c)
            } else {
                flushRun()
                result.append(c)
            }
        }
        return String(result)
    }

    private func applySetting(_ name: String, _ value: FMValue, _ expr: FMExpr) throws {
        guard case .string(let s) = value else { throw typeError(expr, expected: "string", got: value) }
        switch name {
        case "number_format", "numberFormat":
            if !["number", "computer", "c", "currency", "percent"].contains(s) { _ = try FMFormat.parsePattern(s) }
            numberFormat = s
        case "boolean_format", "booleanFormat":
            if s == "c" || s == "true,false" {
                booleanFormat = s == "c" ? ("true", "false") : nil
            } else {
                let parts = s.split(separator: ",", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
                guard parts.count == 2 else { throw error("Invalid boolean_format \"\(s)\"; expected \"yes,no\" style.", expr) }
                booleanFormat = (parts[0], parts[1])
            }
        case "locale":
            guard s.hasPrefix("en") else {
                throw error("This FreeMarker subset only formats with the en_US locale; locale \"\(s)\" is not supported.", expr)
            }
        case "url_escaping_charset", "output_encoding", "time_zone", "sql_date_and_time_time_zone", "date_format",
            "time_format", "datetime_format", "classic_compatible", "c_format":
            break
        default:
            throw error("Unknown or unsupported setting: \"\(name)\".", expr)
        }
    }

    // MARK: - Variables

    private func lookup(_ name: String) -> FMValue? {
        if let frame = frames.last, let v = frame.locals[name] { return v }
        let floor = frames.last?.loopBase ?? 0
        var i = loops.count - 1
        while i >= floor {
            let loop = loops[i]
            if loop.itemName == name { return loop.item }
            if loop.valueName == name { return loop.value }
            i -= 1
        }
        if let v = namespace[name] { return v }
        if let v = globals[name] { return v }
        return dataModel[name]
    }

    private func loopState(_ name: String) -> LoopState? {
        let floor = frames.last?.loopBase ?? 0
        var i = loops.count - 1
        while i >= floor {
            if loops[i].itemName == name { return loops[i] }
            i -= 1
        }
        return nil
    }

    private func setVariable(_ name: String, _ value: FMValue, scope: FMAssignScope) {
        switch scope {
        case .namespace: namespace[name] = value
        case .global: globals[name] = value
        case .local:
            if !frames.isEmpty { frames[frames.count - 1].locals[name] = value } else { namespace[name] = value }
        }
    }

    private func assign(_ a: FMAssignment, scope: FMAssignScope) throws {
        if a.op == .set, let valueExpr = a.value {
            setVariable(a.name, try eval(valueExpr), scope: scope)
            return
        }
        let nameExpr = FMExpr(
            .variable(a.name), source: a.value?.source ?? FMSource("", name: "template"), start: a.nameOffset,
            end: a.nameOffset + a.name.unicodeScalars.count)
        guard let current = lookup(a.name) else { throw missing(nameExpr) }
        let result: FMValue
        switch a.op {
        case .increment, .decrement:
            guard case .number(let n) = current else { throw typeError(nameExpr, expected: "number", got: current) }
            result = .number(a.op == .increment ? n + 1 : n - 1)
        case .add:
            guard let v = a.value else { return }
            result = try add(current, try eval(v), nameExpr, v)
        default:
            guard let v = a.value else { return }
            let op: FMExpr.BinaryOp = a.op == .subtract ? .subtract : (a.op == .multiply ? .multiply : (a.op == .divide ? .divide : .modulo))
            result = try arithmetic(op, current, try eval(v), nameExpr, v)
        }
        setVariable(a.name, result, scope: scope)
    }

    // MARK: - Expressions

    func eval(_ e: FMExpr) throws -> FMValue {
        guard let v = try evalRaw(e) else { throw missing(e) }
        return v
    }

    /// Evaluates for `!`, `??` and `?has_content`: only the last step may be missing, unless the
    /// expression is parenthesised, in which case any missing value inside counts as missing.
    private func evalLenient(_ e: FMExpr) throws -> FMValue? {
        if case .paren(let inner) = e.kind {
            do {
                return try evalRaw(inner)
            } catch let err as FMError where err.isInvalidReference {
                return nil
            }
        }
        return try evalRaw(e)
    }

    private func evalBool(_ e: FMExpr, context: String? = nil) throws -> Bool {
        let v = try eval(e)
        guard case .boolean(let b) = v else { throw typeError(e, expected: "boolean", got: v, context: context) }
        return b
    }

    private func evalNumber(_ e: FMExpr, context: String? = nil) throws -> Decimal {
        let v = try eval(e)
        guard case .number(let n) = v else { throw typeError(e, expected: "number", got: v, context: context) }
        return n
    }

    private func evalInt(_ e: FMExpr, context: String? = nil) throws -> Int {
        let n = try evalNumber(e, context: context)
        return NSDecimalNumber(decimal: FMFormat.round(n, scale: 0, .down)).intValue
    }

    private func evalString(_ e: FMExpr, context: String? = nil) throws -> String {
        try coerceToString(try eval(e), e, context: context)
    }

    /// String conversion as for string built-ins and concatenation (numbers use number_format).
    private func coerceToString(_ v: FMValue, _ e: FMExpr, context: String?) throws -> String {
        switch v {
        case .string(let s): return s
        case .number(let n): return try FMFormat.formatNumber(n, format: numberFormat)
        case .emptyDefault: return ""
        case .boolean(let b):
            if let (t, f) = booleanFormat { return b ? t : f }
            throw booleanToStringError(e)
        default:
            throw typeError(
                e, expected: "string or something automatically convertible to string (number, date or boolean)", got: v, context: context)
        }
    }

    private func interpolate(_ v: FMValue, _ e: FMExpr, context: String) throws -> String {
        try coerceToString(v, e, context: context)
    }

    private func evalRaw(_ e: FMExpr) throws -> FMValue? {
        switch e.kind {
        case .string(let s): return .string(s)
        case .number(let n): return .number(n)
        case .boolean(let b): return .boolean(b)
        case .stringTemplate(let parts):
            var result = ""
            for part in parts {
                switch part {
                case .literal(let s): result += s
                case .interpolation(let inner): result += try interpolate(try eval(inner), inner, context: "\"${...}\" content")
                }
            }
            return .string(result)
        case .variable(let name):
            return lookup(name)
        case .dot(let target, let key):
            let t = try eval(target)
            switch t {
            case .hash(let h): return h[key]
            case .emptyDefault: return nil
            default: throw typeError(target, expected: "hash", got: t)
            }
        case .index(let target, let keyExpr):
            let t = try eval(target)
            if case .range(let lo, let hi, let kind) = keyExpr.kind {
                return try slice(t, target, lo, hi, kind, keyExpr)
            }
            let k = try eval(keyExpr)
            switch (t, k) {
            case (.sequence(let items), .number(let n)):
                let i = NSDecimalNumber(decimal: FMFormat.round(n, scale: 0, .down)).intValue
                return i >= 0 && i < items.count ? items[i] : nil
            case (.hash(let h), .string(let s)): return h[s]
            case (.emptyDefault, _): return nil
            case (.string(let s), .number(let n)):
                let units = Array(s.utf16)
                let i = NSDecimalNumber(decimal: n).intValue
                guard i >= 0 && i < units.count else {
                    throw error("Index \(i) is out of bounds for a string of length \(units.count).", keyExpr)
                }
                return .string(String(decoding: [units[i]], as: UTF16.self))
            case (.sequence, _), (.string, _):
                throw typeError(keyExpr, expected: "number", got: k)
            case (.hash, _):
                throw typeError(keyExpr, expected: "string", got: k)
            default:
                throw typeError(target, expected: "sequence or hash", got: t)
            }
        case .call(let callee, let argExprs):
            let f = try eval(callee)
            guard case .function(let ref) = f else { throw typeError(callee, expected: "method or function", got: f) }
            return try call(ref, argExprs, e)
        case .builtin(let target, let name, let args):
            return try builtin(e, target, name, args)
        case .defaultTo(let lhs, let rhs):
            if let v = try evalLenient(lhs) { return v }
            if let rhs { return try eval(rhs) }
            return .emptyDefault
        case .exists(let lhs):
            return .boolean(try evalLenient(lhs) != nil)
        case .paren(let inner):
            return try evalRaw(inner)
        case .not(let x):
            return .boolean(!(try evalBool(x, context: "\"!\" operand")))
        case .negate(let x):
            return .number(-(try evalNumber(x, context: "\"-\" operand")))
        case .unaryPlus(let x):
            return .number(try evalNumber(x, context: "\"+\" operand"))
        case .binary(let op, let l, let r):
            let lv = try eval(l)
            let rv = try eval(r)
            if op == .add { return try add(lv, rv, l, r) }
            return try arithmetic(op, lv, rv, l, r)
        case .compare(let op, let opText, let l, let r):
            let lv = try eval(l)
            let rv = try eval(r)
            return .boolean(try compare(op, opText, lv, rv, l, r))
        case .and(let l, let r):
            guard try evalBool(l, context: "\"&&\" left-hand operand") else { return .boolean(false) }
            return .boolean(try evalBool(r, context: "\"&&\" right-hand operand"))
        case .or(let l, let r):
            if try evalBool(l, context: "\"||\" left-hand operand") { return .boolean(true) }
            return .boolean(try evalBool(r, context: "\"||\" right-hand operand"))
        case .sequence(let items):
            return .sequence(try items.map { try eval($0) })
        case .hash(let pairs):
            var h = FMHash()
            for (k, v) in pairs {
                let key = try eval(k)
                guard case .string(let ks) = key else { throw typeError(k, expected: "string", got: key, context: "hash literal key") }
                h[ks] = try eval(v)
            }
            return .hash(h)
        case .range(let lo, let hi, let kind):
            let start = try evalInt(lo, context: "range start")
            guard let hi else { throw error("A right-unbounded range (n..) can only be used for slicing here.", e) }
            let bound = try evalInt(hi, context: "range end")
            var values: [FMValue] = []
            switch kind {
            case .inclusive:
                if start <= bound {
                    for i in start...bound { values.append(.int(i)) }
                } else {
                    for i in stride(from: start, through: bound, by: -1) { values.append(.int(i)) }
                }
            case .exclusive:
                if start <= bound {
                    for i in start..<bound { values.append(.int(i)) }
                } else {
                    for i in stride(from: start, to: bound, by: -1) { values.append(.int(i)) }
                }
            case .length:
                for i in 0..<max(0, bound) { values.append(.int(start + i)) }
            case .unbounded:
                break
            }
            return .sequence(values)
        }
    }

    private func slice(_ t: FMValue, _ target: FMExpr, _ loExpr: FMExpr, _ hiExpr: FMExpr?, _ kind: FMExpr.RangeKind, _ keyExpr: FMExpr) throws
        -> FMValue
    {
        let lo = try evalInt(loExpr)
        func bounds(_ count: Int) throws -> Range<Int> {
            var hi: Int
            switch kind {
            case .unbounded: hi = count
            case .inclusive: hi = try evalInt(hiExpr ?? loExpr) + 1
            case .exclusive: hi = try evalInt(hiExpr ?? loExpr)
            case .length: hi = min(count, lo + (try evalInt(hiExpr ?? loExpr)))
            }
            guard lo >= 0, lo <= hi, hi <= count else {
                throw error("Range \(lo)..\(hi) is out of bounds (length \(count)).", keyExpr)
            }
            return lo..<hi
        }
        switch t {
        case .sequence(let items): return .sequence(Array(items[try bounds(items.count)]))
        case .string(let s):
            let units = Array(s.utf16)
            return .string(String(decoding: units[try bounds(units.count)], as: UTF16.self))
        default: throw typeError(target, expected: "sequence or string", got: t)
        }
    }

    private func call(_ ref: FMFunctionRef, _ argExprs: [FMExpr], _ e: FMExpr) throws -> FMValue? {
        guard case .function(let name, let params) = ref.node.kind else { return nil }
        guard argExprs.count <= params.count else {
            throw error("Function \"\(name)\" only accepts \(params.count) parameters, but got \(argExprs.count).", e)
        }
        let args = try argExprs.map { try eval($0) }
        guard callDepth < 200 else { throw error("Too deep function recursion.", e) }
        callDepth += 1
        defer { callDepth -= 1 }
        frames.append(Frame(locals: [:], loopBase: loops.count, pendingBase: pending.count))
        defer { frames.removeLast() }
        for (i, p) in params.enumerated() {
            if i < args.count {
                frames[frames.count - 1].locals[p.name] = args[i]
            } else if let def = p.defaultValue {
                frames[frames.count - 1].locals[p.name] = try eval(def)
            } else {
                throw error("When calling function \"\(name)\", required parameter \"\(p.name)\" (parameter #\(i + 1)) was not specified.", e)
            }
        }
        let savedOut = out
        let savedFailedAt = failedAt
        returnValue = nil
        defer {
            out = savedOut
            failedAt = savedFailedAt
        }
        do {
            try execChildren(ref.node)
        } catch FMSignal.returned {
            let v = returnValue
            returnValue = nil
            return v
        }
        return nil
    }

    // MARK: - Operators

    private func add(_ lv: FMValue, _ rv: FMValue, _ l: FMExpr, _ r: FMExpr) throws -> FMValue {
        switch (lv, rv) {
        case (.number(let a), .number(let b)): return .number(a + b)
        case (.sequence(let a), .sequence(let b)): return .sequence(a + b)
        case (.hash(var a), .hash(let b)):
            for k in b.keys { a[k] = b[k] }
            return .hash(a)
        case (.string, _), (_, .string), (.emptyDefault, _), (_, .emptyDefault):
            switch (lv, rv) {
            case (.sequence, _), (_, .sequence), (.hash, _), (_, .hash), (.function, _), (_, .function):
                let bad = { () -> (FMExpr, FMValue) in
                    if case .string = lv { return (r, rv) }
                    if case .emptyDefault = lv { return (r, rv) }
                    return (l, lv)
                }()
                throw typeError(
                    bad.0, expected: "string or something automatically convertible to string (number, date or boolean)", got: bad.1,
                    context: "\"+\" operand")
            default:
                return .string(
                    try coerceToString(lv, l, context: "\"+\" left-hand operand") + coerceToString(rv, r, context: "\"+\" right-hand operand"))
            }
        case (.number, _):
            throw typeError(r, expected: "number", got: rv, context: "\"+\" right-hand operand")
        default:
            throw typeError(l, expected: "number, string, sequence or hash", got: lv, context: "\"+\" left-hand operand")
        }
    }

    private func arithmetic(_ op: FMExpr.BinaryOp, _ lv: FMValue, _ rv: FMValue, _ l: FMExpr, _ r: FMExpr) throws -> FMValue {
        guard case .number(let a) = lv else { throw typeError(l, expected: "number", got: lv, context: "\"\(op.rawValue)\" left-hand operand") }
        guard case .number(let b) = rv else { throw typeError(r, expected: "number", got: rv, context: "\"\(op.rawValue)\" right-hand operand") }
        switch op {
        case .add: return .number(a + b)
        case .subtract: return .number(a - b)
        case .multiply: return .number(a * b)
        case .divide:
            guard !b.isZero else { throw error("Arithmetic error: division by zero.", r) }
            let scale = max(12, FMFormat.scale(of: a), FMFormat.scale(of: b))
            return .number(FMFormat.round(a / b, scale: scale, .halfUp))
        case .modulo:
            guard !b.isZero else { throw error("Arithmetic error: division by zero.", r) }
            let q = FMFormat.round(a / b, scale: 0, .down)
            return .number(a - q * b)
        }
    }

    private func valuesEqual(_ lv: FMValue, _ rv: FMValue, _ l: FMExpr, _ r: FMExpr, op: String) throws -> Bool {
        try compare(.equal, op, lv, rv, l, r)
    }

    private func compare(_ op: FMExpr.CompareOp, _ opText: String, _ lv: FMValue, _ rv: FMValue, _ l: FMExpr, _ r: FMExpr) throws -> Bool {
        func stringValue(_ v: FMValue) -> String? {
            switch v {
            case .string(let s): return s
            case .emptyDefault: return ""
            default: return nil
            }
        }
        switch (lv, rv) {
        case (.number(let a), .number(let b)):
            switch op {
            case .equal: return a == b
            case .notEqual: return a != b
            case .less: return a < b
            case .lessOrEqual: return a <= b
            case .greater: return a > b
            case .greaterOrEqual: return a >= b
            }
        case (.boolean(let a), .boolean(let b)):
            switch op {
            case .equal: return a == b
            case .notEqual: return a != b
            default: throw error("Can't use operator \"\(opText)\" on boolean values.", l)
            }
        default:
            if let a = stringValue(lv), let b = stringValue(rv) {
                switch op {
                case .equal: return a == b
                case .notEqual: return a != b
                default: throw error("Can't use operator \"\(opText)\" on string values.", l)
                }
            }
            throw FMError(
                message: """
                    Can't compare values of these types. Allowed comparisons are between two numbers, two strings, two dates, or two booleans.
                    Left hand operand is \(article(lv.typeDescription)) \(lv.typeDescription).
                    Right hand operand is \(article(rv.typeDescription)) \(rv.typeDescription).
                    ==> \(l.text) \(opText) \(r.text)  \(l.location)
                    """)
        }
    }

    // MARK: - Built-ins

    private func argCount(_ args: [FMExpr]?, _ name: String, _ range: ClosedRange<Int>, _ e: FMExpr) throws -> [FMExpr] {
        let a = args ?? []
        guard range.contains(a.count) else {
            let expected = range.lowerBound == range.upperBound ? "\(range.lowerBound)" : "\(range.lowerBound) to \(range.upperBound)"
            throw error("?\(name)(...) expects \(expected) argument\(range.upperBound == 1 ? "" : "s"), but has received \(a.count).", e)
        }
        return a
    }

    private func hasContent(_ v: FMValue?) -> Bool {
        guard let v else { return false }
        switch v {
        case .string(let s): return !s.isEmpty
        case .sequence(let items): return !items.isEmpty
        case .hash(let h): return !h.isEmpty
        case .emptyDefault: return false
        default: return true
        }
    }

    private func builtin(_ e: FMExpr, _ target: FMExpr, _ name: String, _ args: [FMExpr]?) throws -> FMValue? {
        // Built-ins that look at the target expression itself.
        switch name {
        case "has_content":
            return .boolean(hasContent(try evalLenient(target)))
        case _ where FMParser.loopVariableBuiltins.contains(name):
            guard case .variable(let varName) = target.kind, let loop = loopState(varName) else {
                throw error("The left hand operand of ?\(name) must be a loop variable of an enclosing #list or #items.", target)
            }
            switch name {
            case "index": return .int(loop.index)
            case "counter": return .int(loop.index + 1)
            case "has_next": return .boolean(loop.hasNext)
            case "is_last": return .boolean(!loop.hasNext)
            case "is_first": return .boolean(loop.index == 0)
            case "item_parity": return .string(loop.index % 2 == 0 ? "odd" : "even")
            case "item_parity_cap": return .string(loop.index % 2 == 0 ? "Odd" : "Even")
            case "is_odd_item": return .boolean(loop.index % 2 == 0)
            case "is_even_item": return .boolean(loop.index % 2 == 1)
            case "item_cycle":
                let a = args ?? []
                guard !a.isEmpty else { throw error("?item_cycle(...) expects at least 1 argument.", e) }
                return try eval(a[loop.index % a.count])
            default: return nil
            }
        case "then":
            let a = try argCount(args, name, 2...2, e)
            return try evalBool(target, context: "?then target") ? try eval(a[0]) : try eval(a[1])
        default:
            break
        }

        let v = try eval(target)
        switch name {
        case "c", "cn":
            _ = try argCount(args, name, 0...0, e)
            switch v {
            case .number(let n): return .string(FMFormat.computerNumber(n))
            case .boolean(let b): return .string(b ? "true" : "false")
            default: throw typeError(target, expected: "number or boolean", got: v, context: "?c")
            }
        case "string":
            let a = args ?? []
            switch (v, a.count) {
            case (.string, 0): return v
            case (.emptyDefault, 0): return .string("")
            case (.number(let n), 0): return .string(try FMFormat.formatNumber(n, format: numberFormat))
            case (.number(let n), 1): return .string(try FMFormat.formatNumber(n, format: try evalString(a[0])))
            case (.boolean(let b), 0): return .string(booleanFormat.map { b ? $0.0 : $0.1 } ?? (b ? "true" : "false"))
            case (.boolean(let b), 2): return b ? .string(try evalString(a[0])) : .string(try evalString(a[1]))
            case (.boolean, _):
                throw error("?string(...) for a boolean expects 0 or 2 arguments, but has received \(a.count).", e)
            case (.number, _):
                throw error("?string(...) for a number expects 0 or 1 argument, but has received \(a.count).", e)
            case (.string, _):
                throw error("?string(...) can't have arguments when applied to a string.", e)
            default:
                throw typeError(target, expected: "string, number or boolean", got: v, context: "?string")
            }
        case "json_string", "js_string":
            return .string(FMFormat.jsStringEncode(try coerceToString(v, target, context: "?\(name)"), json: name == "json_string"))
        case "html": return .string(FMFormat.html(try coerceToString(v, target, context: "?html")))
        case "xml": return .string(FMFormat.xml(try coerceToString(v, target, context: "?xml")))
        case "url": return .string(FMFormat.url(try coerceToString(v, target, context: "?url")))
        case "size":
            switch v {
            case .sequence(let items): return .int(items.count)
            case .hash(let h): return .int(h.count)
            case .emptyDefault: return .int(0)
            default: throw typeError(target, expected: "sequence or hash", got: v, context: "?size")
            }
        case "first", "last":
            guard case .sequence(let items) = v else {
                if case .emptyDefault = v { return nil }
                throw typeError(target, expected: "sequence", got: v, context: "?\(name)")
            }
            return name == "first" ? items.first : items.last
        case "reverse":
            guard case .sequence(let items) = v else { throw typeError(target, expected: "sequence", got: v, context: "?reverse") }
            return .sequence(items.reversed())
        case "keys", "values":
            guard case .hash(let h) = v else {
                if case .emptyDefault = v { return .sequence([]) }
                throw typeError(target, expected: "hash", got: v, context: "?\(name)")
            }
            return .sequence(name == "keys" ? h.keys.map { .string($0) } : h.values)
        case "join":
            let a = try argCount(args, name, 1...3, e)
            guard case .sequence(let items) = v else {
                if case .emptyDefault = v { return .string(a.count > 1 ? try evalString(a[1]) : "") }
                throw typeError(target, expected: "sequence", got: v, context: "?join")
            }
            let sep = try evalString(a[0])
            if items.isEmpty { return .string(a.count > 1 ? try evalString(a[1]) : "") }
            let parts = try items.map { try coerceToString($0, target, context: "?join element") }
            return .string(parts.joined(separator: sep) + (a.count > 2 ? try evalString(a[2]) : ""))
        case "seq_contains", "seq_index_of":
            let a = try argCount(args, name, 1...1, e)
            guard case .sequence(let items) = v else { throw typeError(target, expected: "sequence", got: v, context: "?\(name)") }
            let needle = try eval(a[0])
            for (i, item) in items.enumerated() {
                if (try? compare(.equal, "==", item, needle, target, a[0])) == true {
                    return name == "seq_contains" ? .boolean(true) : .int(i)
                }
            }
            return name == "seq_contains" ? .boolean(false) : .int(-1)
        case "sort", "sort_by":
            guard case .sequence(let items) = v else { throw typeError(target, expected: "sequence", got: v, context: "?\(name)") }
            var keyName: String?
            if name == "sort_by" { keyName = try evalString(try argCount(args, name, 1...1, e)[0]) }
            func key(_ item: FMValue) throws -> FMValue {
                guard let keyName else { return item }
                guard case .hash(let h) = item, let k = h[keyName] else {
                    throw error("?sort_by: an element has no \"\(keyName)\" key.", e)
                }
                return k
            }
            let keyed = try items.map { (try key($0), $0) }
            let sorted = try keyed.sorted { x, y in
                switch (x.0, y.0) {
                case (.number(let a), .number(let b)): return a < b
                case (.string(let a), .string(let b)): return a.lowercased() < b.lowercased()
                case (.boolean(let a), .boolean(let b)): return !a && b
                default: throw error("?\(name): the values to sort must all be numbers, all strings or all booleans.", e)
                }
            }
            return .sequence(sorted.map { $0.1 })
        case "abs", "round", "floor", "ceiling", "int":
            guard case .number(let n) = v else { throw typeError(target, expected: "number", got: v, context: "?\(name)") }
            switch name {
            case "abs": return .number(n < 0 ? -n : n)
            case "round": return .number(FMFormat.round(n + Decimal(5) / Decimal(10), scale: 0, .floor))
            case "floor": return .number(FMFormat.round(n, scale: 0, .floor))
            case "ceiling": return .number(FMFormat.round(n, scale: 0, .ceiling))
            default: return .number(FMFormat.round(n, scale: 0, .down))
            }
        case "is_string":
            // The empty default of `x!` is at once a string, a sequence and a hash, as in FreeMarker.
            switch v {
            case .string, .emptyDefault: return .boolean(true)
            default: return .boolean(false)
            }
        case "is_number": if case .number = v { return .boolean(true) } else { return .boolean(false) }
        case "is_boolean": if case .boolean = v { return .boolean(true) } else { return .boolean(false) }
        case "is_sequence", "is_collection", "is_enumerable":
            switch v {
            case .sequence, .emptyDefault: return .boolean(true)
            default: return .boolean(false)
            }
        case "is_hash":
            switch v {
            case .hash, .emptyDefault: return .boolean(true)
            default: return .boolean(false)
            }
        case "is_method":
            if case .function = v { return .boolean(true) } else { return .boolean(false) }
        case "boolean":
            let s = try coerceToString(v, target, context: "?boolean")
            if s == "true" { return .boolean(true) }
            if s == "false" { return .boolean(false) }
            throw error("Can't convert this string to boolean: \"\(s)\"", target)
        case "number":
            if case .number = v { return v }
            let s = try coerceToString(v, target, context: "?number").trimmingCharacters(in: .whitespaces)
            guard let n = FMEnvironment.parseNumber(s) else {
                throw error("Can't convert this string to number: \"\(s)\"", target)
            }
            return .number(n)
        default:
            break
        }

        // String built-ins.
        let s = try coerceToString(v, target, context: "?\(name)")
        switch name {
        case "length": return .int(s.utf16.count)
        case "upper_case": return .string(s.uppercased())
        case "lower_case": return .string(s.lowercased())
        case "trim": return .string(FMEnvironment.javaTrim(s))
        case "cap_first", "uncap_first":
            guard let idx = s.firstIndex(where: { !$0.isWhitespace }) else { return .string(s) }
            let ch = String(s[idx])
            return .string(s.replacingCharacters(in: idx...idx, with: name == "cap_first" ? ch.uppercased() : ch.lowercased()))
        case "capitalize":
            var result = ""
            var atWordStart = true
            for ch in s {
                if ch.isWhitespace {
                    atWordStart = true
                    result.append(ch)
                } else {
                    result += atWordStart ? String(ch).uppercased() : String(ch).lowercased()
                    atWordStart = false
                }
            }
            return .string(result)
        case "chop_linebreak":
            if s.hasSuffix("\r\n") { return .string(String(s.dropLast(2))) }
            if s.hasSuffix("\n") || s.hasSuffix("\r") { return .string(String(s.dropLast())) }
            return .string(s)
        case "word_list":
            return .sequence(s.split(whereSeparator: { $0.isWhitespace }).map { .string(String($0)) })
        case "contains", "starts_with", "ends_with", "remove_beginning", "remove_ending", "ensure_starts_with",
            "ensure_ends_with", "keep_before", "keep_after", "keep_before_last", "keep_after_last", "split":
            let a = try argCount(args, name, 1...(name == "split" || name.hasPrefix("keep") ? 2 : 1), e)
            let x = try evalString(a[0])
            if a.count > 1, !(try evalString(a[1])).isEmpty {
                throw error("Flags for ?\(name) are not supported by this FreeMarker subset.", e)
            }
            switch name {
            case "contains": return .boolean(x.isEmpty || s.contains(x))
            case "starts_with": return .boolean(s.hasPrefix(x))
            case "ends_with": return .boolean(s.hasSuffix(x))
            case "remove_beginning": return .string(s.hasPrefix(x) ? String(s.dropFirst(x.count)) : s)
            case "remove_ending": return .string(s.hasSuffix(x) ? String(s.dropLast(x.count)) : s)
            case "ensure_starts_with": return .string(s.hasPrefix(x) ? s : x + s)
            case "ensure_ends_with": return .string(s.hasSuffix(x) ? s : s + x)
            case "keep_before":
                guard let r = s.range(of: x) else { return .string(s) }
                return .string(String(s[..<r.lowerBound]))
            case "keep_after":
                guard let r = s.range(of: x) else { return .string("") }
                return .string(String(s[r.upperBound...]))
            case "keep_before_last":
                guard let r = s.range(of: x, options: .backwards) else { return .string(s) }
                return .string(String(s[..<r.lowerBound]))
            case "keep_after_last":
                guard let r = s.range(of: x, options: .backwards) else { return .string("") }
                return .string(String(s[r.upperBound...]))
            default:
                guard !x.isEmpty else { return .sequence(s.map { .string(String($0)) }) }
                return .sequence(s.components(separatedBy: x).map { .string($0) })
            }
        case "index_of", "last_index_of":
            let a = try argCount(args, name, 1...2, e)
            let x = Array(try evalString(a[0]).utf16)
            let units = Array(s.utf16)
            let from = a.count > 1 ? try evalInt(a[1]) : (name == "index_of" ? 0 : units.count)
            func matchAt(_ i: Int) -> Bool { i + x.count <= units.count && Array(units[i..<(i + x.count)]) == x }
            if name == "index_of" {
                var i = max(0, from)
                while i + x.count <= units.count {
                    if matchAt(i) { return .int(i) }
                    i += 1
                }
            } else {
                var i = min(from, units.count - x.count)
                while i >= 0 {
                    if matchAt(i) { return .int(i) }
                    i -= 1
                }
            }
            return .int(-1)
        case "left_pad", "right_pad":
            let a = try argCount(args, name, 1...2, e)
            let width = try evalInt(a[0])
            let pad = a.count > 1 ? try evalString(a[1]) : " "
            guard !pad.isEmpty else { throw error("?\(name): the padding string can't be empty.", e) }
            let missingCount = width - s.utf16.count
            guard missingCount > 0 else { return .string(s) }
            var padding = ""
            let padChars = Array(pad)
            // Like StringUtil.leftPad/rightPad: a right pad continues the pattern as if it started under s.
            let offset = name == "left_pad" ? 0 : s.utf16.count % padChars.count
            for i in 0..<missingCount { padding.append(padChars[(offset + i) % padChars.count]) }
            return .string(name == "left_pad" ? padding + s : s + padding)
        case "substring":
            let a = try argCount(args, name, 1...2, e)
            let units = Array(s.utf16)
            let from = try evalInt(a[0])
            let to = a.count > 1 ? try evalInt(a[1]) : units.count
            guard from >= 0, from <= to, to <= units.count else {
                throw error("?substring(\(from), \(to)) is out of bounds for a string of length \(units.count).", e)
            }
            return .string(String(decoding: units[from..<to], as: UTF16.self))
        case "replace":
            let a = try argCount(args, name, 2...3, e)
            let from = try evalString(a[0])
            let to = try evalString(a[1])
            let flags = a.count > 2 ? try evalString(a[2]) : ""
            return .string(try replace(s, from, to, flags: flags, e))
        default:
            throw error("The built-in ?\(name) is not supported by this FreeMarker subset.", e)
        }
    }

    private func replace(_ s: String, _ from: String, _ to: String, flags: String, _ e: FMExpr) throws -> String {
        for f in flags where !"rif".contains(f) {
            throw error("Unsupported ?replace flag \"\(f)\" (this FreeMarker subset supports r, i and f).", e)
        }
        let firstOnly = flags.contains("f")
        if flags.contains("r") {
            var options: NSRegularExpression.Options = []
            if flags.contains("i") { options.insert(.caseInsensitive) }
            let regex: NSRegularExpression
            do { regex = try NSRegularExpression(pattern: from, options: options) } catch {
                throw self.error("Malformed regular expression \"\(from)\" in ?replace.", e)
            }
            let ns = s as NSString
            let range =
                firstOnly
                ? (regex.firstMatch(in: s, range: NSRange(location: 0, length: ns.length))?.range ?? NSRange(location: NSNotFound, length: 0))
                : NSRange(location: 0, length: ns.length)
            guard range.location != NSNotFound else { return s }
            return regex.stringByReplacingMatches(in: s, range: range, withTemplate: to.replacingOccurrences(of: "\\", with: "\\\\"))
        }
        if from.isEmpty {
            var result = to
            for ch in s {
                result.append(ch)
                if !firstOnly { result += to }
            }
            return result
        }
        var options: String.CompareOptions = []
        if flags.contains("i") { options.insert(.caseInsensitive) }
        if firstOnly {
            guard let r = s.range(of: from, options: options) else { return s }
            return s.replacingCharacters(in: r, with: to)
        }
        return s.replacingOccurrences(of: from, with: to, options: options)
    }

    static func javaTrim(_ s: String) -> String {
        let scalars = Array(s.unicodeScalars)
        var lo = 0
        var hi = scalars.count
        while lo < hi, scalars[lo].value <= 0x20 { lo += 1 }
        while hi > lo, scalars[hi - 1].value <= 0x20 { hi -= 1 }
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars[lo..<hi])
        return String(view)
    }

    static func parseNumber(_ s: String) -> Decimal? {
        var chars = Array(s.utf8)
        guard !chars.isEmpty else { return nil }
        var i = 0
        if chars[i] == UInt8(ascii: "-") || chars[i] == UInt8(ascii: "+") { i += 1 }
        var digits = 0
        while i < chars.count, chars[i] >= 0x30, chars[i] <= 0x39 {
            i += 1
            digits += 1
        }
        if i < chars.count, chars[i] == UInt8(ascii: ".") {
            i += 1
            while i < chars.count, chars[i] >= 0x30, chars[i] <= 0x39 {
                i += 1
                digits += 1
            }
        }
        guard digits > 0 else { return nil }
        if i < chars.count, chars[i] == UInt8(ascii: "e") || chars[i] == UInt8(ascii: "E") {
            i += 1
            if i < chars.count, chars[i] == UInt8(ascii: "-") || chars[i] == UInt8(ascii: "+") { i += 1 }
            var expDigits = 0
            while i < chars.count, chars[i] >= 0x30, chars[i] <= 0x39 {
                i += 1
                expDigits += 1
            }
            guard expDigits > 0 else { return nil }
        }
        guard i == chars.count else { return nil }
        if chars.first == UInt8(ascii: "+") { chars.removeFirst() }
        return Decimal(string: String(decoding: chars, as: UTF8.self), locale: Locale(identifier: "en_US_POSIX"))
    }
}
