import Foundation

/// Company by policy: the configured `companies` map decides which ERP company a report posts to, and that
/// company must exist in the target's master data.
public struct CompanyRule: Sendable {
    /// Expensify policy ID → target company, as configured.
    public let companies: [String: String]
    /// The target's master data, to refuse a company it does not have.
    public let reference: ReferenceData
    /// `dataAreaId`s of the target, lower-case (what `reference.company(_:)` finds).
    private let known: Set<String>

    /// The rule for one configuration and one extract's master data.
    public init(companies: [String: String], reference: ReferenceData) {
        self.companies = companies
        self.reference = reference
        known = Set(reference.companies.map { $0.id.lowercased() })
    }

    /// The report's company (as the target spells it, e.g. `usmf` or `Smith & Sons Ltd.`; lower-case when the target
    /// does not know it; empty when it has none), and why it has none.
    public func company(of r: ExpenseReport) -> (company: String, issue: RecordIssue?) {
        let configured = companies[r.policyID] ?? ""
        let company = reference.company(configured)?.id ?? configured.lowercased()
        let rid = r.reportID
        if r.policyID.isEmpty {
            return (company, RecordIssue(record: rid, field: "policyID", reason: "is missing"))
        }
        if company.isEmpty {
            let name = r.policyName.isEmpty ? "" : " (\(r.policyName))"
            return (
                company,
                RecordIssue(record: rid, field: "policyID", reason: "policy \(r.policyID)\(name) is not mapped to a company in the configuration")
            )
        }
        if !reference.companies.isEmpty && !known.contains(company.lowercased()) {
            return (
                company,
                RecordIssue(
                    record: rid, field: "policyID", reason: "policy \(r.policyID) maps to company '\(company)', which the target does not have")
            )
        }
        return (company, nil)
    }
}
