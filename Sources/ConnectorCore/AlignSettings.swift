import Foundation

extension ConnectorConfig {
    /// The `align` object: which ERP master data `ml-connector align` pushes into the Expensify policies.
    /// Nothing is aligned unless the matching section is present (align is opt-in).
    public struct AlignSettings: Sendable, Codable, Equatable {
        /// Main accounts → categories; absent: `align categories` refuses.
        public var categories: CategoryRules?
        /// Dimension values → tags; absent: `align tags` refuses.
        public var tags: TagRules?
    }

    /// `align.categories`: the subset of the chart of accounts that becomes categories.
    public struct CategoryRules: Sendable, Codable, Equatable {
        /// Inclusive `[from, to]` ranges of account numbers (compared as numbers when both ends and the account are
        /// digits, else as text), e.g. `[["600000","699999"]]`.
        public var accountRanges: [[String]]?
        /// Single account numbers taken besides the ranges.
        public var accounts: [String]?
        /// Only accounts of these types (D365 `MainAccountType`, e.g. `Expense`; Business Central `category`; NAV
        /// `Account_Category`), compared without regard to case, `_` or `_x0020_` for a space. With ranges or
        /// accounts as well, an account must be in both.
        public var accountTypes: [String]?
        /// Only accounts of these main account categories (D365 `MainAccountCategory`, e.g. `Travel`); D365 only.
        public var accountCategories: [String]?
        /// Category name: `accountName` (default, the account's name) or `numberAndName` (`600100 Airfare`).
        public var nameFrom: String?
    }

    /// `align.tags`: which dimensions' values become tags.
    public struct TagRules: Sendable, Codable, Equatable {
        /// The dimensions to align, each one tag level in this order; default: the dimensions of
        /// `dimensions.tagLevels` in level order.
        public var dimensions: [String]?
        /// Tag name: `description` (default; the value when the ERP gives none) or `value`.
        public var nameFrom: String?
    }

    /// `align.categories.nameFrom` with its default.
    public var alignCategoryNameFrom: String { align?.categories?.nameFrom ?? "accountName" }

    /// Whether `align.categories` filters by account type or category, so `align` must read the classifications.
    public var alignFiltersByClass: Bool { align?.categories?.accountTypes != nil || align?.categories?.accountCategories != nil }

    /// Whether `account` is in the configured subset of `align.categories`: in a range or listed (when ranges or
    /// accounts are given), and of a listed type and category (when those are given; `classification` is what the
    /// ERP says of the account, nil when it says nothing).
    public func alignIncludes(account: String, classification: AccountClassification? = nil) -> Bool {
        guard let rules = align?.categories else { return false }
        if !(rules.accountRanges ?? []).isEmpty || !(rules.accounts ?? []).isEmpty {
            var listed = rules.accounts?.contains(account) ?? false
            for range in rules.accountRanges ?? [] where range.count == 2 && !listed {
                listed = Self.accountOrder(range[0], account) <= 0 && Self.accountOrder(account, range[1]) <= 0
            }
            guard listed else { return false }
        }
        func matches(_ wanted: [String]?, _ value: String?) -> Bool {
            guard let wanted else { return true }
            guard let value else { return false }
            return wanted.map(Self.className).contains(Self.className(value))
        }
        return matches(rules.accountTypes, classification?.type) && matches(rules.accountCategories, classification?.category)
    }

    /// A type or category as compared: lower-cased, `_x0020_` and `_` as spaces, spaces collapsed
    /// (`Cost_of_Goods_Sold`, `Cost of Goods Sold` and `cost of goods sold` are one).
    static func className(_ s: String) -> String {
        s.replacingOccurrences(of: "_x0020_", with: " ").replacingOccurrences(of: "_", with: " ").lowercased()
            .split(separator: " ").joined(separator: " ")
    }

    /// -1, 0, 1: numeric when both are digits only (leading zeros ignored), else text order.
    public static func accountOrder(_ a: String, _ b: String) -> Int {
        if !a.isEmpty, !b.isEmpty, a.allSatisfy(\.isASCIIDigit), b.allSatisfy(\.isASCIIDigit) {
            let x = String(a.drop(while: { $0 == "0" }))
            let y = String(b.drop(while: { $0 == "0" }))
            if x.count != y.count { return x.count < y.count ? -1 : 1 }
            return x == y ? 0 : (x < y ? -1 : 1)
        }
        return a == b ? 0 : (a < b ? -1 : 1)
    }

    /// The GL code a category of `account` carries in `company`'s policies: the code the `accountOverrides`/`accounts`
    /// maps send to that account (the smallest when several do), else the account number itself.
    public func alignGlCode(account: String, company: String) -> (glCode: String, mapped: Bool) {
        var codes = Set<String>()
        for (gl, a) in accountOverrides?[company] ?? [:] where a == account { codes.insert(gl) }
        for (gl, a) in accounts where a == account && mainAccount(glCode: gl, company: company) == account { codes.insert(gl) }
        if let first = codes.sorted().first { return (first, true) }
        return (account, mainAccount(glCode: account, company: company) == account)
    }

    /// Problems of the `align` object, each naming its JSON path.
    func alignProblems() -> [String] {
        var p: [String] = []
        if let c = align?.categories {
            if (c.accountRanges ?? []).isEmpty && (c.accounts ?? []).isEmpty && c.accountTypes == nil && c.accountCategories == nil {
                p.append("align.categories: give accountRanges (e.g. [[\"600000\",\"699999\"]]), accounts, accountTypes or accountCategories")
            }
            for (key, list) in [("accountTypes", c.accountTypes), ("accountCategories", c.accountCategories)] {
                if let list, list.isEmpty || list.contains(where: { $0.trimmingCharacters(in: .whitespaces).isEmpty }) {
                    p.append("align.categories.\(key) must list at least one name, none blank (e.g. [\"Expense\"])")
                }
            }
            for (i, r) in (c.accountRanges ?? []).enumerated() {
                if r.count != 2 || r.contains(where: { $0.isEmpty }) {
                    p.append("align.categories.accountRanges[\(i)] must be [from, to]")
                } else if Self.accountOrder(r[0], r[1]) > 0 {
                    p.append("align.categories.accountRanges[\(i)]: from is after to")
                }
            }
            if let n = c.nameFrom, !["accountName", "numberAndName"].contains(n) {
                p.append("align.categories.nameFrom must be 'accountName' or 'numberAndName'")
            }
        }
        if let t = align?.tags {
            for d in t.dimensions ?? [] where !dimensions.format.contains(d) {
                p.append("align.tags.dimensions: '\(d)' is not in dimensions.format")
            }
            if let n = t.nameFrom, !["description", "value"].contains(n) { p.append("align.tags.nameFrom must be 'description' or 'value'") }
        }
        return p
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
