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
        // Digits of the magnitude, at least e + 1 of them, the point before the last e.
        var digits: [UInt8] = []
        var mag = minorUnits.magnitude
        repeat {
            digits.append(UInt8(ascii: "0") + UInt8(mag % 10))
            mag /= 10
        } while mag > 0
        while digits.count <= e { digits.append(UInt8(ascii: "0")) }
        var out: [UInt8] = []
        out.reserveCapacity(digits.count + 2)
        if minorUnits < 0 { out.append(UInt8(ascii: "-")) }
        for (n, d) in digits.reversed().enumerated() {
            if n == digits.count - e { out.append(UInt8(ascii: ".")) }
            out.append(d)
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The amount as an exact `Decimal` (never via `Double`), for callers that compute with decimals.
    public var decimalValue: Decimal { Decimal(string: amountText, locale: Locale(identifier: "en_US_POSIX")) ?? 0 }

    /// Parses text written with at most the currency's digits (`12.5`, `12.50`, `-3`); nil otherwise.
    public static func parse(_ text: String, currency: Currency) -> Money? {
        if let plain = parsePlain(text, exponent: currency.exponent) { return plain.map { Money(minorUnits: $0, currency: currency) } }
        var t = text.trimmedWhitespace
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

    /// `parse` for text of ASCII digits with an optional `-` and `.`, decided on the bytes: .some(nil) when it is not an
    /// amount, nil when the general path must decide (anything else, or more than 18 digits).
    private static func parsePlain(_ text: String, exponent: Int) -> Int64?? {
        var copy = text
        return copy.withUTF8 { b -> Int64?? in
            var i = 0
            let negative = b.first == UInt8(ascii: "-")
            if negative { i = 1 }
            var value: Int64 = 0
            var intDigits = 0
            var fracDigits = 0
            var seenPoint = false
            var total = 0
            while i < b.count {
                let c = b[i]
                if c == UInt8(ascii: ".") {
                    if seenPoint { return .some(nil) }
                    seenPoint = true
                } else if c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") {
                    total += 1
                    if total > 18 { return nil }
                    value = value * 10 + Int64(c - UInt8(ascii: "0"))
                    if seenPoint { fracDigits += 1 } else { intDigits += 1 }
                } else {
                    return nil
                }
                i += 1
            }
            guard intDigits > 0, fracDigits <= exponent, !(seenPoint && fracDigits == 0) else { return .some(nil) }
            if intDigits + exponent > 18 { return nil }
            for _ in fracDigits..<exponent { value *= 10 }
            return .some(negative ? -value : value)
        }
    }

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
