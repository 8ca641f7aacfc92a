import Foundation

/// ISO 4217 currency with its number of minor-unit digits (JPY 0, USD 2, BHD 3).
public struct Currency: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The upper-case ISO 4217 code written on documents and in review files.
    public let code: String
    /// Digits after the decimal point, which govern rounding and the text of every amount.
    public let exponent: Int

    /// The code alone, so interpolated amounts read `12.50 EUR`.
    public var description: String { code }
    /// By code, so totals per currency come out in a stable order.
    public static func < (a: Currency, b: Currency) -> Bool { a.code < b.code }

    /// Currencies whose minor unit is not hundredths (ISO 4217 table, 2024 edition).
    static let exponents: [String: Int] = [
        "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0, "PYG": 0, "RWF": 0,
        "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
        "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
        "CLF": 4, "UYW": 4,
    ]

    /// A currency from its ISO code (any case); nil unless a current ISO 4217 code (`Currency.isoCodes`, ISO4217.swift).
    public init?(code raw: String) {
        // Three ASCII upper-case letters already (the usual case): nothing to trim or change.
        if raw.utf8.count == 3 && raw.utf8.allSatisfy({ $0 >= 65 && $0 <= 90 }) {
            guard Currency.isoCodes.contains(raw) else { return nil }
            self.code = raw
            self.exponent = Currency.exponents[raw] ?? 2
            return
        }
        let c = raw.trimmedWhitespace.uppercased()
        guard c.count == 3, c.unicodeScalars.allSatisfy({ $0.value >= 65 && $0.value <= 90 }), Currency.isoCodes.contains(c) else { return nil }
        self.code = c
        self.exponent = Currency.exponents[c] ?? 2
    }
}
