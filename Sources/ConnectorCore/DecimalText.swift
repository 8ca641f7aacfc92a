import Foundation

/// Exact decimal text conversions (no binary floating point anywhere).
public enum DecimalText {
    /// Parses plain or exponent notation into a `Decimal`; nil when not a number.
    public static func parse(_ text: String) -> Decimal? {
        guard !text.isEmpty, text.allSatisfy({ "0123456789+-.eE".contains($0) }) else { return nil }
        return Decimal(string: text, locale: Locale(identifier: "en_US_POSIX"))
    }

    /// Plain notation, e.g. `1234.5`, `-0.01`, `150000`.
    public static func plain(_ d: Decimal) -> String {
        var v = d
        var out = Decimal()
        NSDecimalRound(&out, &v, 38, .plain)
        return out.description
    }
}
