import ConnectorCore
import Foundation

/// Business Central and NAV take dimensions one by one (dimension set lines, shortcut fields); finance still gets
/// one readable column in the review files: `DEPARTMENT 010, COSTCENTER W01`.
public struct NAVDimensionText: DimensionFormatter {
    /// The dimension codes in `dimensions.format` order.
    public let codes: [String]

    /// A formatter for the configured dimension codes.
    public init(codes: [String]) { self.codes = codes }

    /// The set values as `CODE value`, comma separated, in format order.
    public func text(_ segments: [String]) -> String {
        zip(codes, segments).filter { !$0.1.isEmpty }.map { "\($0.0) \($0.1)" }.joined(separator: ", ")
    }
}
