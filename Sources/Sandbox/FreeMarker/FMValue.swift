import Foundation

/// A FreeMarker hash whose keys keep their insertion order (like the JSON the model comes from).
typealias FMHash = OrderedMap<FMValue>

/// A value of the template language. A missing value is Swift `nil` (`FMValue?`), never a case here,
/// so every consumer has to decide what missing means, as FreeMarker does.
enum FMValue {
    case string(String)
    /// Numbers are decimal (FreeMarker's BigDecimal arithmetic); never binary floating point.
    case number(Decimal)
    case boolean(Bool)
    case sequence([FMValue])
    case hash(FMHash)
    /// A user-defined `<#function>`.
    case function(FMFunctionRef)
    /// What `x!` (default operator without right operand) yields for a missing `x`: at once an empty
    /// string, an empty sequence and an empty hash.
    case emptyDefault

    /// The type name FreeMarker uses in its error messages.
    var typeDescription: String {
        switch self {
        case .string: return "string"
        case .number: return "number"
        case .boolean: return "boolean"
        case .sequence: return "sequence"
        case .hash: return "hash"
        case .function: return "method"
        case .emptyDefault: return "sequence+hash+string (the empty default value)"
        }
    }

    static func int(_ value: Int) -> FMValue { .number(Decimal(value)) }
}

/// A reference to a parsed `<#function>` definition.
struct FMFunctionRef {
    let node: FMNode
}

/// An error while parsing or rendering a template. `message` reads like FreeMarker's.
struct FMError: Error, CustomStringConvertible {
    let message: String
    /// True for FreeMarker's `InvalidReferenceException` (a value was null or missing): the only kind of
    /// error that `(expr)!default` and `(expr)??` swallow.
    var isInvalidReference = false
    var description: String { message }
}

/// The template text, with line/column lookup (columns as FreeMarker counts them, tab stops of 8).
final class FMSource {
    let name: String
    let scalars: [Unicode.Scalar]
    private let lineStarts: [Int]
    /// For string-literal sub-sources: where the literal sits in the outer template (1-based).
    let lineOffset: Int
    let columnOffset: Int

    init(_ text: String, name: String, lineOffset: Int = 0, columnOffset: Int = 0) {
        self.name = name
        self.scalars = Array(text.unicodeScalars)
        self.lineOffset = lineOffset
        self.columnOffset = columnOffset
        var starts = [0]
        var i = 0
        let s = scalars
        while i < s.count {
            if s[i] == "\r" {
                if i + 1 < s.count && s[i + 1] == "\n" { i += 1 }
                starts.append(i + 1)
            } else if s[i] == "\n" {
                starts.append(i + 1)
            }
            i += 1
        }
        self.lineStarts = starts
    }

    var count: Int { scalars.count }

    /// 1-based line of the character at `offset`.
    func line(of offset: Int) -> Int {
        var lo = 0
        var hi = lineStarts.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if lineStarts[mid] <= offset { lo = mid } else { hi = mid - 1 }
        }
        return lo + 1 + lineOffset
    }

    /// 1-based column of the character at `offset` (tabs advance to the next multiple of 8, as JavaCC does).
    func column(of offset: Int) -> Int {
        let lineIndex = line(of: offset) - 1 - lineOffset
        let start = lineStarts[max(0, min(lineIndex, lineStarts.count - 1))]
        var column = 0
        var i = start
        while i <= offset && i < scalars.count {
            column += 1
            if scalars[i] == "\t" {
                column -= 1
                column += 8 - (column % 8)
            }
            i += 1
        }
        if offset >= scalars.count { column += 1 }
        return column + (lineIndex == 0 ? columnOffset : 0)
    }

    func isLineStart(_ offset: Int) -> Bool {
        offset == 0 || scalars[offset - 1] == "\n" || scalars[offset - 1] == "\r"
    }

    func text(_ range: Range<Int>) -> String {
        var out = String.UnicodeScalarView()
        let lo = max(0, range.lowerBound)
        let hi = min(scalars.count, range.upperBound)
        if lo < hi { out.append(contentsOf: scalars[lo..<hi]) }
        return String(out)
    }

    /// `[in template "name" at line L, column C]`
    func location(_ offset: Int) -> String {
        "[in template \"\(name)\" at line \(line(of: offset)), column \(column(of: offset))]"
    }
}
