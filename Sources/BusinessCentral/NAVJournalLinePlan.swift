import ConnectorCore
import Foundation

/// One general journal line a document becomes: an expense line, or the balancing line of the report.
public struct NAVJournalLinePlan: Sendable, Hashable {
    /// The G/L account debited (or credited, for a negative amount).
    public var account: String
    /// Exact decimal text in the document currency; positive = debit.
    public var amount: String
    /// The line text.
    public var description: String
    /// Dimension code → value.
    public var dimensions: [String: String]
    /// The balancing account on the line itself (`perLine`), or nil.
    public var balancingAccount: String?

    /// The lines of `document`: one per expense, plus one balancing line for the total unless each line balances itself.
    public static func lines(for document: InvoiceDocument, journal: NAVJournalSettings) -> [NAVJournalLinePlan] {
        var plan = document.lines.map { l in
            NAVJournalLinePlan(
                account: l.mainAccount, amount: l.amount, description: l.description, dimensions: l.dimensions ?? [:],
                balancingAccount: journal.balancingMode == .perLine ? journal.balancingAccount : nil)
        }
        if journal.balancingMode == .perReport {
            plan.append(
                NAVJournalLinePlan(
                    account: journal.balancingAccount, amount: negated(document.total), description: document.description,
                    dimensions: document.dimensions ?? [:], balancingAccount: nil))
        }
        return plan
    }

    /// `-x` for `x`, `x` for `-x`; zero stays zero.
    static func negated(_ amount: String) -> String {
        if amount.hasPrefix("-") { return String(amount.dropFirst()) }
        if amount.allSatisfy({ $0 == "0" || $0 == "." }) { return amount }
        return "-" + amount
    }
}
