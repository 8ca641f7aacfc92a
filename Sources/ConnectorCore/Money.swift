import Foundation

/// An amount of money as an integer count of the currency's minor units. Never a `Double`.
public struct Money: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The amount in the currency's smallest unit (cents, yen, fils), exact.
    public let minorUnits: Int64
    /// The currency whose exponent gives `minorUnits` its meaning.
    public let currency: Currency

    /// From minor units already in the currency's own unit (not Expensify hundredths).
    public init(minorUnits: Int64, currency: Currency) {
        self.minorUnits = minorUnits
        self.currency = currency
    }

    /// The starting value of a sum in `c`.
    public static func zero(_ c: Currency) -> Money { Money(minorUnits: 0, currency: c) }

    /// Converts an Expensify amount, which is always stored in hundredths whatever the currency
    /// (JPY 1,500 arrives as 150000), into the currency's own minor units. Amounts finer than the
    /// currency's unit are rounded half away from zero; `remainder` reports what rounding dropped, in
    /// Expensify hundredths, so callers can refuse or report it.
    public static func fromExpensifyHundredths(_ hundredths: Int64, currency: Currency) -> (money: Money, remainder: Int64) {
        switch currency.exponent {
        case 2:
            return (Money(minorUnits: hundredths, currency: currency), 0)
        case let e where e > 2:
            var factor: Int64 = 1
            for _ in 0..<(e - 2) { factor *= 10 }
            return (Money(minorUnits: hundredths * factor, currency: currency), 0)
        default:
            var divisor: Int64 = 1
            for _ in 0..<(2 - currency.exponent) { divisor *= 10 }
            let q = hundredths / divisor
            let r = hundredths % divisor
            var units = q
            if abs(r) * 2 >= divisor { units += hundredths < 0 ? -1 : 1 }
            return (Money(minorUnits: units, currency: currency), hundredths - units * divisor)
        }
    }

    /// Plain decimal text with exactly the currency's digits: `12.50`, `-0.05`, `1500`, `1.250`.
    public var amountText: String {
        let e = currency.exponent
        if e == 0 { return String(minorUnits) }
        let neg = minorUnits < 0
        let mag = minorUnits.magnitude
        var s = String(mag)
        if s.count <= e { s = String(repeating: "0", count: e - s.count + 1) + s }
        let cut = s.index(s.endIndex, offsetBy: -e)
        return (neg ? "-" : "") + s[..<cut] + "." + s[cut...]
    }

    /// The amount as an exact `Decimal` (never via `Double`), for callers that compute with decimals.
    public var decimalValue: Decimal { Decimal(string: amountText, locale: Locale(identifier: "en_US_POSIX")) ?? 0 }

    /// Parses text written with at most the currency's digits (`12.5`, `12.50`, `-3`); nil otherwise.
    public static func parse(_ text: String, currency: Currency) -> Money? {
        var t = text.trimmingCharacters(in: .whitespaces)
        var neg = false
        if t.hasPrefix("-") {
            neg = true
            t.removeFirst()
        }
        let parts = t.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, let intPart = parts.first, !intPart.isEmpty, intPart.allSatisfy(\.isASCII), intPart.allSatisfy(\.isNumber) else {
            return nil
        }
        var frac = parts.count == 2 ? String(parts[1]) : ""
        guard frac.allSatisfy({ $0.isASCII && $0.isNumber }), frac.count <= currency.exponent else { return nil }
        if parts.count == 2 && frac.isEmpty { return nil }
        frac += String(repeating: "0", count: currency.exponent - frac.count)
        guard let v = Int64(intPart + frac) else { return nil }
        return Money(minorUnits: neg ? -v : v, currency: currency)
    }

    /// `12.50 EUR`, for messages.
    public var description: String { "\(amountText) \(currency.code)" }

    /// Orders amounts of one currency; comparing two currencies is a programming error.
    public static func < (a: Money, b: Money) -> Bool {
        precondition(a.currency == b.currency, "comparing money in different currencies")
        return a.minorUnits < b.minorUnits
    }

    /// Adds amounts of one currency; adding two currencies is a programming error.
    public static func + (a: Money, b: Money) -> Money {
        precondition(a.currency == b.currency, "adding money in different currencies")
        return Money(minorUnits: a.minorUnits + b.minorUnits, currency: a.currency)
    }
}
