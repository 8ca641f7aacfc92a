import Foundation

/// How review CSVs are written for the spreadsheets finance opens them in.
public struct CSVStyle: Sendable, Equatable {
    /// Start with a UTF-8 byte order mark, so Excel on Windows reads `Müller` and `寿司` as UTF-8 instead of the
    /// system code page. Readers here skip it.
    public var byteOrderMark: Bool

    /// With a byte order mark unless the configuration turns it off.
    public init(byteOrderMark: Bool = true) { self.byteOrderMark = byteOrderMark }

    static let bom = "\u{FEFF}"
}
