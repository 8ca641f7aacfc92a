import ConnectorCore
import Foundation

extension BCTarget {
    /// The `category` of every G/L account (`accounts`, API v2.0: `Assets`, `Liabilities`, `Equity`, `Income`,
    /// `Cost of Goods Sold`, `Expense`, or blank) per company, one paged read each; BC has no second classification.
    public func fetchAccountClassifications(companies: [String]) async throws -> [String: [String: AccountClassification]] {
        var out: [String: [String: AccountClassification]] = [:]
        for configured in companies.sorted() {
            let c = try await company(configured)
            var accounts: [String: AccountClassification] = [:]
            for a in try await api.getAll(Self.path(c.id, "accounts"), select: ["number", "category"]) {
                guard let number = a["number"]?.stringValue, !number.isEmpty else { continue }
                let category = (a["category"]?.stringValue ?? "").trimmingCharacters(in: .whitespaces)
                accounts[number] = AccountClassification(type: category.isEmpty ? nil : category, category: nil)
            }
            out[configured] = accounts
        }
        return out
    }
}
