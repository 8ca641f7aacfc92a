import Foundation

/// Bounds on what `SafeXML` will parse, so a hostile or broken answer costs a clear error instead of memory or a crash.
public struct SafeXMLLimits: Sendable, Hashable {
    /// Largest document in bytes (default 64 MB).
    public var maxBytes: Int
    /// Deepest element nesting (default 200, below libxml2's own limit of 256 so this check always speaks first).
    public var maxDepth: Int

    /// Clamps both bounds to at least 1.
    public init(maxBytes: Int = 64 * 1024 * 1024, maxDepth: Int = 200) {
        self.maxBytes = max(1, maxBytes)
        self.maxDepth = max(1, maxDepth)
    }

    /// 64 MB, depth 200: far above any NAV answer (a ReadMultiple page is nested about 8 deep).
    public static let standard = SafeXMLLimits()
}
