import ConnectorCore
import Foundation

/// Encodes values the way NAV's SOAP services read them: invariant decimals from exact text (never `Double`),
/// `yyyy-mm-dd` dates, `true`/`false`, and options as XML names (`G/L Account` → `G_L_Account`, blank → `_blank_`).
public enum NAVValue {
    /// Exact decimal text in NAV's invariant form: `45.50` → `45.5`, `-0.00` → `0`, `007` → `7`.
    /// - Throws: `nav.soap.value_invalid` for anything but `-?digits(.digits)?` (no exponent, no grouping, no `Double`).
    public static func decimal(_ text: String, field: String = "a decimal field") throws -> String {
        var body = Substring(text)
        var negative = false
        if body.first == "-" {
            negative = true
            body = body.dropFirst()
        }
        let parts = body.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let digits: (Substring) -> Bool = { !$0.isEmpty && $0.allSatisfy { $0 >= "0" && $0 <= "9" } }
        guard parts.count >= 1, digits(parts[0]), parts.count == 1 || digits(parts[1]) else {
            throw ConnectorError(
                NAVSOAPErrorCode.valueInvalid, "\(field) must be a plain decimal number like 45.5, not '\(text)'.",
                context: ["nav.field": field])
        }
        var integer = String(parts[0].drop { $0 == "0" })
        if integer.isEmpty { integer = "0" }
        var fraction = parts.count == 2 ? String(parts[1]) : ""
        while fraction.last == "0" { fraction.removeLast() }
        let magnitude = fraction.isEmpty ? integer : integer + "." + fraction
        return negative && magnitude != "0" ? "-" + magnitude : magnitude
    }

    /// A `Decimal` in NAV's invariant form (plain notation, no float on the way).
    public static func decimal(_ value: Decimal) -> String {
        (try? decimal(DecimalText.plain(value))) ?? DecimalText.plain(value)
    }

    /// An amount in NAV's invariant form, from its exact minor units (`45.50 USD` → `45.5`).
    public static func decimal(_ money: Money) -> String {
        (try? decimal(money.amountText)) ?? money.amountText
    }

    /// `yyyy-mm-dd`, zero-padded.
    public static func date(year: Int, month: Int, day: Int) -> String {
        let y = String(year)
        let m = month < 10 ? "0\(month)" : String(month)
        let d = day < 10 ? "0\(day)" : String(day)
        return String(repeating: "0", count: max(0, 4 - y.count)) + y + "-" + m + "-" + d
    }

    /// Checks that `text` is a real calendar date written `yyyy-mm-dd` and returns it.
    /// - Throws: `nav.soap.value_invalid` naming `field`.
    public static func date(_ text: String, field: String = "a date field") throws -> String {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        if parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]),
            parts.allSatisfy({ $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
            (1...12).contains(m), d >= 1, d <= daysIn(month: m, year: y)
        {
            return text
        }
        throw ConnectorError(
            NAVSOAPErrorCode.valueInvalid, "\(field) must be a date written yyyy-mm-dd, not '\(text)'.", context: ["nav.field": field])
    }

    /// `true` or `false`.
    public static func boolean(_ value: Bool) -> String { value ? "true" : "false" }

    /// An option caption as NAV's SOAP name: `G/L Account` → `G_L_Account`, `Charge (Item)` → `Charge_Item`,
    /// a blank caption (`""`, `" "`) → `_blank_`.
    public static func option(_ caption: String) -> String {
        let trimmed = caption.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty { return "_blank_" }
        return NAVName.field(trimmed)
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}
