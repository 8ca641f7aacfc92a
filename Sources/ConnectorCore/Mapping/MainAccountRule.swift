import Foundation

/// Main account: the category's GL code maps to a main account (`accounts`, per-company `accountOverrides`), which
/// must exist and be active in the target on the document date. A category the policy does not know is refused.
public struct MainAccountRule: Sendable {
    /// The configuration, for `accounts` and `accountOverrides`.
    public let config: ConnectorConfig
    /// The policies' categories, to refuse a category the policy does not know.
    public let catalog: PolicyCatalog
    /// The target's main accounts, to refuse a missing or inactive account.
    public let reference: ReferenceData
    /// Main accounts by ID (the first of each).
    private let accounts: [String: MainAccountReference]
    /// Per company (lower-case) its own chart by account ID, for targets whose charts are per company.
    private let companyAccounts: [String: [String: MainAccountReference]]

    /// The rule for one configuration and one extract's catalog and master data.
    public init(config: ConnectorConfig, catalog: PolicyCatalog, reference: ReferenceData) {
        self.config = config
        self.catalog = catalog
        self.reference = reference
        accounts = Dictionary(reference.mainAccounts.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        var companyAccounts: [String: [String: MainAccountReference]] = [:]
        for c in reference.companies where companyAccounts[c.id.lowercased()] == nil {
            guard let chart = c.mainAccounts else { continue }
            companyAccounts[c.id.lowercased()] = Dictionary(chart.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        }
        self.companyAccounts = companyAccounts
    }

    /// The main account of an expense ("" when none), and the issues that stop it.
    public func account(
        for e: Expense, record: String, policyID: String, company: String,
        date: String
    ) -> (account: String, issues: [RecordIssue]) {
        if e.category.isEmpty { return ("", [RecordIssue(record: record, field: "category", reason: "is missing")]) }
        if let p = catalog.policies[policyID], !p.categories.isEmpty, p.categories[e.category] == nil {
            return ("", [RecordIssue(record: record, field: "category", reason: "'\(e.category)' is not a category of policy \(policyID)")])
        }
        if e.categoryGlCode.isEmpty {
            return ("", [RecordIssue(record: record, field: "categoryGlCode", reason: "category '\(e.category)' has no GL code")])
        }
        guard let account = config.mainAccount(glCode: e.categoryGlCode, company: company) else {
            return (
                "",
                [
                    RecordIssue(
                        record: record, field: "categoryGlCode",
                        reason: "GL code '\(e.categoryGlCode)' (category '\(e.category)') is not mapped to a main account")
                ]
            )
        }
        switch check(account: account, company: company, date: date) {
        case .usable: return (account, [])
        case .missing(let place):
            return (
                account,
                [
                    RecordIssue(
                        record: record, field: "categoryGlCode",
                        reason: "main account \(account) (GL code \(e.categoryGlCode)) does not exist in \(place)")
                ]
            )
        case .unusable(let why):
            return (
                account,
                [
                    RecordIssue(
                        record: record, field: "categoryGlCode",
                        reason: "main account \(account) (GL code \(e.categoryGlCode), category '\(e.category)') \(why)")
                ]
            )
        }
    }

    /// Whether a main account can be posted to, as `check(account:company:date:)` finds it.
    public enum Check: Sendable, Equatable {
        /// It exists and is active on the date (or the target gave no chart to check against).
        case usable
        /// It does not exist in `place` ("the target", or "company X" for per-company charts).
        case missing(place: String)
        /// It exists but cannot be posted to: why ("is suspended", "expired on …").
        case unusable(String)
    }

    /// Whether `account` exists and is active in `company`'s chart (or the shared one) on `date`: the check every
    /// mapped account goes through, also used for accounts finance sets in the review spreadsheet.
    public func check(account: String, company: String, date: String) -> Check {
        let chart = companyAccounts[company.lowercased()] ?? accounts
        guard !chart.isEmpty else { return .usable }
        guard let ma = chart[account] else {
            return .missing(place: companyAccounts[company.lowercased()] == nil ? "the target" : "company \(company)")
        }
        if let why = ma.problem
            ?? inactivityReason(
                suspended: ma.isSuspended, blocked: ma.doNotAllowManualEntry,
                activeFrom: ma.activeFrom, activeTo: ma.activeTo, on: date)
        {
            return .unusable(why)
        }
        return .usable
    }
}
