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

    /// The segments of `CODE value, CODE value`: each code must be one of `codes` (any case), at most once; codes left
    /// out are blank; nil when a part is not `CODE value` or `count` is not the number of codes.
    public func segments(of text: String, count: Int) -> [String]? {
        guard count == codes.count else { return nil }
        var out = Array(repeating: "", count: count)
        let t = text.trimmingCharacters(in: .whitespaces)
        if t.isEmpty { return out }
        for part in t.split(separator: ",") {
            let p = part.trimmingCharacters(in: .whitespaces)
            guard let space = p.firstIndex(of: " ") else { return nil }
            let code = p[..<space].uppercased()
            let value = p[space...].trimmingCharacters(in: .whitespaces)
            guard let i = codes.firstIndex(where: { $0.uppercased() == code }), out[i].isEmpty, !value.isEmpty else { return nil }
            out[i] = value
        }
        return out
    }
}
