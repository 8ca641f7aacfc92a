import Foundation

/// Currency: the report currency is the document currency, and it must be an ISO 4217 code, because its exponent
/// governs every amount's rounding and format.
public enum CurrencyRule {
    /// The report's currency, or why it cannot be used.
    public static func reportCurrency(_ r: ExpenseReport) -> (currency: Currency?, issue: RecordIssue?) {
        if r.currency.trimmedWhitespace.isEmpty {
            return (nil, RecordIssue(record: r.reportID, field: "currency", reason: "report currency is missing"))
        }
        guard let c = Currency(code: r.currency) else {
            return (nil, RecordIssue(record: r.reportID, field: "currency", reason: "'\(r.currency)' is not an ISO 4217 currency code"))
        }
        return (c, nil)
    }

    /// An expense's own currency, or why it cannot be used (`record` names the expense).
    public static func expenseCurrency(_ e: Expense, record: String) -> (currency: Currency?, issue: RecordIssue?) {
        if e.currency.trimmedWhitespace.isEmpty {
            return (nil, RecordIssue(record: record, field: "currency", reason: "expense currency is missing"))
        }
        guard let c = Currency(code: e.currency) else {
            return (nil, RecordIssue(record: record, field: "currency", reason: "'\(e.currency)' is not an ISO 4217 currency code"))
        }
        return (c, nil)
    }
}
