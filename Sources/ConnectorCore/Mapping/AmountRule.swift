import Foundation

/// Amounts: an expense posts in the report currency, exactly. Expensify gives hundredths whatever the currency;
/// `convertedAmount` (report currency, edits included) wins, else the modified or original amount when the
/// expense is in the report currency. Zero is refused; refunds stay negative.
public enum AmountRule {
    /// The line amount in the report currency, or the issues that stop it.
    public static func lineAmount(
        _ e: Expense, expenseCurrency: Currency, reportCurrency: Currency,
        record: String
    ) -> (money: Money?, issues: [RecordIssue]) {
        let hundredths: Int64?
        if let c = e.convertedAmount {
            hundredths = c
        } else if expenseCurrency == reportCurrency {
            hundredths = (e.modifiedAmount.map { $0 != 0 } ?? false) ? e.modifiedAmount : e.amount
        } else {
            return (
                nil,
                [
                    RecordIssue(
                        record: record, field: "convertedAmount",
                        reason: "is missing for an expense in \(expenseCurrency.code) on a \(reportCurrency.code) report")
                ]
            )
        }
        guard let h = hundredths else { return (nil, [RecordIssue(record: record, field: "amount", reason: "is missing")]) }
        if h == 0 { return (nil, [RecordIssue(record: record, field: "amount", reason: "is zero")]) }
        return (Money.fromExpensifyHundredths(h, currency: reportCurrency).money, [])
    }

    /// The amount as the employee entered it, in the expense's own currency, for the review file ("" when unknown).
    public static func originalAmount(_ e: Expense, expenseCurrency: Currency?) -> String {
        guard let c = expenseCurrency, let a = e.modifiedAmount ?? e.amount else { return "" }
        return Money.fromExpensifyHundredths(a, currency: c).money.amountText
    }
}
