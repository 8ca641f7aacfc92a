import Foundation

/// How the ERP classifies one main account (G/L account), for `align categories` filters
/// (`align.categories.accountTypes`, `align.categories.accountCategories`).
public struct AccountClassification: Sendable, Hashable, Codable {
    /// The account's type as the ERP names it: D365 `MainAccountType` (`Expense`, `BalanceSheet`, …), Business Central
    /// `category` (`Expense`, `Assets`, `Cost of Goods Sold`, …), NAV `Account_Category` (`Expense`, `Assets`, …); nil
    /// when the ERP gives none.
    public var type: String?
    /// D365 `MainAccountCategory` (a user-defined classification, e.g. `TRAVEL`); nil for Business Central and NAV,
    /// which have none.
    public var category: String?

    public init(type: String?, category: String?) {
        self.type = type
        self.category = category
    }
}
