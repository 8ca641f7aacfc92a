import Foundation

/// Vendor: an employee's payable goes to the configured e-mail override, else the one vendor of the company whose
/// primary e-mail is the submitter's (case-insensitive, within the employee vendor group), else the company's default
/// vendor when configured. None, several, or one on hold for invoices holds the report with the reason.
public struct VendorRule: Sendable {
    /// The configured `vendors` settings.
    public let vendors: ConnectorConfig.VendorSettings
    /// The target's vendors, matched by e-mail and checked for holds.
    public let reference: ReferenceData
    /// Per company (lower-case, as `reference.company(_:)` finds it): its vendors by trimmed lower-case e-mail (in
    /// reference order) and by account (the first of each).
    private let companies: [String: (byEmail: [String: [VendorReference]], byAccount: [String: VendorReference])]
    /// `vendors.byEmail` with lower-case keys (the first of keys differing only in case, in the dictionary's order).
    private let overrides: [String: String]

    /// The rule for one configuration and one extract's master data.
    public init(vendors: ConnectorConfig.VendorSettings, reference: ReferenceData) {
        self.vendors = vendors
        self.reference = reference
        var companies: [String: (byEmail: [String: [VendorReference]], byAccount: [String: VendorReference])] = [:]
        for c in reference.companies where companies[c.id.lowercased()] == nil {
            var byEmail: [String: [VendorReference]] = [:]
            var byAccount: [String: VendorReference] = [:]
            for v in c.vendors {
                byEmail[v.email.trimmedWhitespace.lowercased(), default: []].append(v)
                if byAccount[v.account] == nil { byAccount[v.account] = v }
            }
            companies[c.id.lowercased()] = (byEmail, byAccount)
        }
        self.companies = companies
        var overrides: [String: String] = [:]
        for (email, account) in vendors.byEmail ?? [:] where overrides[email.lowercased()] == nil { overrides[email.lowercased()] = account }
        self.overrides = overrides
    }

    /// A vendor account, or the sentence that explains why there is none.
    public enum Resolution: Sendable, Equatable {
        /// The account the payable goes to.
        case vendor(String)
        /// Why the report is held instead.
        case problem(String)
    }

    /// Why an employee has no usable vendor, as `employeeVendorProblem(email:company:)` classifies it.
    public enum ProblemKind: String, Sendable, Codable {
        /// No vendor of the company (in the employee vendor group) has the e-mail, and no default vendor applies.
        case noVendor
        /// Several vendors have the e-mail.
        case severalVendors
        /// The one vendor is on hold for invoices.
        case onHold
        /// The vendor configured for the e-mail (`vendors.byEmail`) or the company's default vendor is missing or on hold.
        case configuredVendor
        /// No e-mail, or no vendor data for the company.
        case other
    }

    /// The employee's vendor in `company`.
    public func employeeVendor(email: String, company: String) -> Resolution { employeeVendorProblem(email: email, company: company).resolution }

    /// The employee's vendor in `company`, and when there is none, what kind of problem stops it.
    public func employeeVendorProblem(email: String, company: String) -> (resolution: Resolution, kind: ProblemKind?) {
        let key = email.lowercased()
        if let override = overrides[key] {
            if let why = problem(account: override, company: company) {
                return (.problem("configured vendor for \(email): \(why)"), .configuredVendor)
            }
            return (.vendor(override), nil)
        }
        guard let companyRef = companies[company.lowercased()] else {
            return (.problem("company '\(company)' has no vendor data; run extract again"), .other)
        }
        if email.isEmpty { return (.problem("submitter e-mail is missing"), .other) }
        let group = vendors.employeeVendorGroup
        let candidates = (companyRef.byEmail[key] ?? []).filter { group == nil || $0.group == group }
        if candidates.count > 1 {
            return (
                .problem(
                    "\(candidates.count) vendors in company \(company)\(group.map { " group \($0)" } ?? "") have e-mail \(email): \(candidates.map(\.account).sorted().joined(separator: ", "))"
                ), .severalVendors
            )
        }
        if let v = candidates.first {
            if v.blocksInvoices {
                return (.problem("vendor \(v.account) of \(email) is on hold for invoices (OnHoldStatus \(v.onHold))"), .onHold)
            }
            return (.vendor(v.account), nil)
        }
        if let fallback = vendors.defaultVendor?[company], !fallback.isEmpty {
            if let why = problem(account: fallback, company: company) { return (.problem("default vendor: \(why)"), .configuredVendor) }
            return (.vendor(fallback), nil)
        }
        return (.problem("no vendor\(group.map { " in group \($0)" } ?? "") of company \(company) has e-mail \(email)"), .noVendor)
    }

    /// Why a configured vendor account cannot take invoices, or nil.
    public func problem(account: String, company: String) -> String? {
        guard let companyRef = companies[company.lowercased()] else { return nil }
        guard let v = companyRef.byAccount[account] else {
            return "\(account) does not exist in company \(company)"
        }
        if v.blocksInvoices { return "\(account) is on hold for invoices (OnHoldStatus \(v.onHold))" }
        return nil
    }
}
