import ConnectorCore
import Foundation

extension NAVTarget {
    /// `Account_Category` of every G/L account of the accounts page (page 17 G/L Account Card, or the name in
    /// `target.services.accounts`) per company: `Expense`, `Assets`, `Cost_of_Goods_Sold` (SOAP names) or the caption
    /// (OData), blank on NAV versions before 2017; NAV has no second classification.
    public func fetchAccountClassifications(companies: [String]) async throws -> [String: [String: AccountClassification]] {
        var out: [String: [String: AccountClassification]] = [:]
        for company in companies.sorted() {
            var accounts: [String: AccountClassification] = [:]
            for a in try await backend.read(company: nav(company), service: services.accounts, conditions: [], journalBatch: nil) {
                guard !a["No"].isEmpty else { continue }
                let category = a["Account_Category"].trimmingCharacters(in: .whitespaces)
                accounts[a["No"]] = AccountClassification(type: category.isEmpty || category == "_blank_" ? nil : category, category: nil)
            }
            out[company] = accounts
        }
        return out
    }
}
