import Foundation

/// One part of a string literal that contains `${...}`.
enum FMStringPart {
    case literal(String)
    case interpolation(FMExpr)
}

/// An expression node. Keeps its source range so error messages can quote it like FreeMarker does.
final class FMExpr {
    enum BinaryOp: String {
        case add = "+"
        case subtract = "-"
        case multiply = "*"
        case divide = "/"
        case modulo = "%"
    }
    enum CompareOp: String {
        case equal = "=="
        case notEqual = "!="
        case less = "<"
        case lessOrEqual = "<="
        case greater = ">"
        case greaterOrEqual = ">="
    }
    enum RangeKind { case inclusive, exclusive, unbounded, length }

    enum Kind {
        case string(String)
        case stringTemplate([FMStringPart])
        case number(Decimal)
        case boolean(Bool)
        case variable(String)
        case dot(FMExpr, String)
        case index(FMExpr, FMExpr)
        case call(FMExpr, [FMExpr])
        case builtin(FMExpr, String, [FMExpr]?)
        case defaultTo(FMExpr, FMExpr?)
        case exists(FMExpr)
        case paren(FMExpr)
        case not(FMExpr)
        case negate(FMExpr)
        case unaryPlus(FMExpr)
        case binary(BinaryOp, FMExpr, FMExpr)
        case compare(CompareOp, String, FMExpr, FMExpr)
        case and(FMExpr, FMExpr)
        case or(FMExpr, FMExpr)
        case sequence([FMExpr])
        case hash([(FMExpr, FMExpr)])
        case range(FMExpr, FMExpr?, RangeKind)
    }

    let kind: Kind
    let source: FMSource
    let start: Int
    let end: Int

    init(_ kind: Kind, source: FMSource, start: Int, end: Int) {
        self.kind = kind
        self.source = source
        self.start = start
        self.end = end
    }

    /// The expression as written in the template.
    var text: String { source.text(start..<end) }
    var location: String { source.location(start) }
}

/// One assignment of an `<#assign>`, `<#global>` or `<#local>` directive.
struct FMAssignment {
    enum Op: String {
        case set = "="
        case add = "+="
        case subtract = "-="
        case multiply = "*="
        case divide = "/="
        case modulo = "%="
        case increment = "++"
        case decrement = "--"
    }
    let name: String
    let op: Op
    let value: FMExpr?
    let nameOffset: Int
}

enum FMAssignScope { case namespace, global, local }

/// One parameter of a `<#function>`.
struct FMParameter {
    let name: String
    let defaultValue: FMExpr?
}

/// A template element: a node of the parsed tree, shaped like FreeMarker's own tree so that its
/// white-space stripping rules (which walk that tree) give the same output.
final class FMNode {
    enum Kind {
        case root
        case text
        case interpolation(FMExpr)
        case comment
        /// `<#t>` (left+right), `<#lt>`, `<#rt>`, `<#nt>` (neither).
        case trim(left: Bool, right: Bool)
        case assign([FMAssignment], FMAssignScope)
        case captureAssign(String, FMAssignScope)
        case ifBlock
        /// One branch of an if: nil condition for `<#else>`.
        case branch(FMExpr?)
        /// `<#list seq as item>` (or `as key, value`); no loop variable when `<#items>` is used inside.
        /// Children: the body, then optionally the `<#else>` part.
        case list(FMExpr, String?, String?)
        case listBody
        case listElse
        case items(String, String?)
        case sep
        case breakLoop
        case function(String, [FMParameter])
        case returnValue(FMExpr?)
        case compress
        case setting(String, FMExpr)
        case switchBlock(FMExpr)
        case switchCase(FMExpr?)
        case noop
        case stop(FMExpr?)
    }

    var kind: Kind
    var children: [FMNode] = []
    weak var parent: FMNode?
    var index: Int = 0
    let source: FMSource
    /// Offset of the start tag (or the text) and of the end of the element.
    let start: Int
    var end: Int
    var beginLine: Int
    var endLine: Int
    var beginsAtLineStart: Bool
    /// Text content, for `.text` nodes.
    var text: [Unicode.Scalar] = []
    /// End of the start tag (for "Failed at" messages).
    let headerEnd: Int
    /// Tag name as written, for error messages (`#list`).
    var tagName: String = ""

    init(_ kind: Kind, source: FMSource, start: Int, end: Int) {
        self.kind = kind
        self.source = source
        self.start = start
        self.end = end
        self.headerEnd = end
        self.beginLine = source.line(of: start)
        self.endLine = source.line(of: max(start, end - 1))
        self.beginsAtLineStart = source.isLineStart(start)
    }

    func append(_ child: FMNode) {
        child.parent = self
        child.index = children.count
        children.append(child)
    }

    func setEnd(_ offset: Int) {
        end = offset
        endLine = source.line(of: max(start, offset - 1))
    }

    var location: String { source.location(start) }

    var isText: Bool { if case .text = kind { return true } else { return false } }
    var isRoot: Bool { if case .root = kind { return true } else { return false } }
}
