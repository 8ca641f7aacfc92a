import Foundation

extension ConnectorConfig {
    /// The `employees` object: how `employees sync` places ERP workers in Expensify policies.
    public struct EmployeeSettings: Sendable, Codable, Equatable {
        /// Legal entity (target company) → Expensify policy ID the company's workers belong to. A company not
        /// listed takes the one policy that `companies` maps to it, when there is exactly one.
        public var policyByCompany: [String: String]?
        /// The approver (`managerEmail`) for a worker whose manager neither the ERP nor Expensify knows.
        public var defaultManager: String?

        public init(policyByCompany: [String: String]? = nil, defaultManager: String? = nil) {
            self.policyByCompany = policyByCompany
            self.defaultManager = defaultManager
        }

        /// Problems of the section, for `check-config`.
        public var problems: [String] {
            var p: [String] = []
            for (company, policy) in (policyByCompany ?? [:]).sorted(by: { $0.key < $1.key })
            where company.trimmingCharacters(in: .whitespaces).isEmpty || policy.trimmingCharacters(in: .whitespaces).isEmpty {
                p.append("employees.policyByCompany: '\(company)' → '\(policy)' needs both a company and a policy ID")
            }
            if let m = defaultManager, !m.contains("@") { p.append("employees.defaultManager '\(m)' is not an e-mail address") }
            return p
        }
    }

    /// The Expensify policy a legal entity's workers belong to: `employees.policyByCompany`, else the only policy
    /// `companies` maps to the company; nil when neither decides.
    public func employeePolicy(company: String) -> String? {
        let id = company.lowercased()
        if let explicit = employees?.policyByCompany?.first(where: { $0.key.lowercased() == id })?.value { return explicit }
        let candidates = companies.filter { $0.value.lowercased() == id }.map(\.key)
        return candidates.count == 1 ? candidates[0] : nil
    }
}
