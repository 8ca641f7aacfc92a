import ConnectorCore
import Foundation

/// F&O dimension display values: segments in integration-format order, blanks positional, the delimiter inside a
/// value escaped with a backslash (reference §5.3).
public struct D365DimensionDisplayValue: DimensionFormatter {
    /// The environment's segment delimiter, escaped with a backslash inside a value.
    public let delimiter: String
    /// A formatter for one environment's delimiter (`dimensions.delimiter`).
    public init(delimiter: String) { self.delimiter = delimiter }

    /// The display value, e.g. `010-PL\\-01-`; empty when the line sets no dimension.
    public func text(_ segments: [String]) -> String {
        if segments.allSatisfy(\.isEmpty) { return "" }
        return segments.map { $0.replacingASCII(delimiter, with: "\\" + delimiter) }.joined(separator: delimiter)
    }

    /// The segments of a display value: split at the delimiter, `\\` + delimiter kept as a literal delimiter, each
    /// trimmed; "" gives `count` blanks; nil when the number of segments is not `count`.
    public func segments(of text: String, count: Int) -> [String]? {
        let t = text.trimmingCharacters(in: .whitespaces)
        if t.isEmpty { return Array(repeating: "", count: count) }
        guard !delimiter.isEmpty else { return count == 1 ? [t] : nil }
        var out: [String] = []
        var current = ""
        var rest = Substring(t)
        while let c = rest.first {
            if c == "\\", rest.dropFirst().hasPrefix(delimiter) {
                current += delimiter
                rest = rest.dropFirst(1 + delimiter.count)
            } else if rest.hasPrefix(delimiter) {
                out.append(current.trimmingCharacters(in: .whitespaces))
                current = ""
                rest = rest.dropFirst(delimiter.count)
            } else {
                current.append(c)
                rest = rest.dropFirst()
            }
        }
        out.append(current.trimmingCharacters(in: .whitespaces))
        return out.count == count ? out : nil
    }
}
