import Foundation

/// Text operations of the mapping rules, with the results of the Foundation calls they replace but without their
/// cost: on Linux `trimmingCharacters(in:)` and `replacingOccurrences(of:with:)` go through `NSString` and were a
/// large share of transform's time. Each takes a fast path for the common case and falls back to Foundation otherwise.
extension String {
    /// `trimmingCharacters(in: .whitespaces)`: Unicode general category Zs and tab, at both ends.
    public var trimmedWhitespace: String {
        let scalars = unicodeScalars
        guard let first = scalars.first, let last = scalars.last else { return self }
        if !Self.isWhitespace(first) && !Self.isWhitespace(last) { return self }
        var start = scalars.startIndex
        var end = scalars.endIndex
        while start < end, Self.isWhitespace(scalars[start]) { start = scalars.index(after: start) }
        while end > start, Self.isWhitespace(scalars[scalars.index(before: end)]) { end = scalars.index(before: end) }
        return String(scalars[start..<end])
    }

    @inline(__always) static func isWhitespace(_ u: Unicode.Scalar) -> Bool {
        if u.value < 0x80 { return u.value == 0x20 || u.value == 0x09 }
        return CharacterSet.whitespaces.contains(u)
    }

    /// `replacingOccurrences(of: target, with: replacement)` for a one-byte ASCII `target` in ASCII text; Foundation's
    /// otherwise (its search compares composed characters, which only matters beyond ASCII).
    public func replacingASCII(_ target: String, with replacement: String) -> String {
        var text = self
        guard target.utf8.count == 1, let t = target.utf8.first, t < 0x80 else { return replacingOccurrences(of: target, with: replacement) }
        let (ascii, found) = text.withUTF8 { bytes -> (Bool, Bool) in
            var found = false
            for b in bytes {
                if b >= 0x80 { return (false, false) }
                if b == t { found = true }
            }
            return (true, found)
        }
        guard ascii else { return replacingOccurrences(of: target, with: replacement) }
        guard found else { return self }
        return split(separator: Character(Unicode.Scalar(t)), omittingEmptySubsequences: false).joined(separator: replacement)
    }

    /// Whether the UTF-8 text holds byte `b`.
    func containsByte(_ b: UInt8) -> Bool { utf8.contains(b) }
}
