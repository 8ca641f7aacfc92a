import Foundation

/// Report total: what is posted must reconcile with the total Expensify approved. The total counts the expenses in
/// the report currency; whether it includes company-card spend is undocumented (expensify-api.md §4 [?]), so both
/// readings are accepted: the sum of all expenses, or of the reimbursable ones. Anything else means the export was
/// altered or misread, and the report is held.
public enum TotalRule {
    /// Why the report's lines do not add up to its Expensify total, or nil (also nil when there is nothing to compare:
    /// no total, or a line without an amount, which is reported on its own).
    public static func issue(reportID: String, total: Int64?, currency: Currency, lines: [(money: Money?, reimbursable: Bool)]) -> RecordIssue? {
        guard let total, lines.allSatisfy({ $0.money != nil }) else { return nil }
        let expected = Money.fromExpensifyHundredths(total, currency: currency).money
        let all = lines.reduce(Money.zero(currency)) { $0 + $1.money! }
        let reimbursable = lines.filter(\.reimbursable).reduce(Money.zero(currency)) { $0 + $1.money! }
        if expected == all || expected == reimbursable { return nil }
        let shown = all == reimbursable ? all.amountText : "\(all.amountText) (reimbursable \(reimbursable.amountText))"
        return RecordIssue(
            record: reportID, field: "total",
            reason:
                "Expensify's report total \(expected.amountText) \(currency.code) differs from the sum of its expenses \(shown); not posted until they reconcile"
        )
    }
}
