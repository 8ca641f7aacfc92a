import ConnectorCore
import Foundation

/// How BC and NAV values read back for reconciliation become snapshot text: exact amounts, never `Double`.
enum NAVSnapshotText {
    /// `text` (as the ERP wrote it: `45.5`, `45.50`, `-1E+1`) as exact decimal text with the currency's digits when
    /// it has no more than those (`45.50` in EUR), else in plain notation; nil when it is not a number.
    static func amount(_ text: String, currency: String?) -> String? {
        guard let d = DecimalText.parse(text.trimmingCharacters(in: .whitespaces)) else { return nil }
        return amount(d, currency: currency)
    }

    /// `d` as exact decimal text with the currency's digits when it has no more than those, else in plain notation.
    static func amount(_ d: Decimal, currency: String?) -> String {
        let plain = DecimalText.plain(d)
        guard let code = currency, let c = Currency(code: code), let money = Money.parse(plain, currency: c) else { return plain }
        return money.amountText
    }

    /// A line amount from its parts when the ERP gives no line amount: quantity × unit cost, exact.
    static func product(_ quantity: String, _ unitCost: String) -> Decimal? {
        guard let q = DecimalText.parse(quantity), let u = DecimalText.parse(unitCost) else { return nil }
        return q * u
    }
}
