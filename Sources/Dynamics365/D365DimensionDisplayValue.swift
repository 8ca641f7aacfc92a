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
}
