import Foundation

/// Choices that loosen the configuration checks, made by the operator on the command line, never in the file.
public struct ConfigCheckOptions: Sendable, Equatable {
    /// Accept `http://` to hosts other than loopback (secrets then travel in clear text).
    public var allowPlaintextHTTP: Bool

    /// Strict by default: every loosening has to be asked for.
    public init(allowPlaintextHTTP: Bool = false) { self.allowPlaintextHTTP = allowPlaintextHTTP }
}
