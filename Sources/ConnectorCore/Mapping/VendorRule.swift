import Foundation

/// Vendor: an employee's payable goes to the configured e-mail override, else the one vendor of the company whose
/// primary e-mail is the submitter's (case-insensitive, within the employee vendor group), else the company's default
/// vendor when configured. None, several, or one on hold for invoices holds the report with the reason.
public struct VendorRule: Sendable {
    /// The configured `vendors` settings.
    public let vendors: ConnectorConfig.VendorSettings
    /// The target's vendors, matched by e-mail and checked for holds.
    public let reference: ReferenceData

    /// The rule for one configuration and one extract's master data.
    public init(vendors: ConnectorConfig.VendorSettings, reference: ReferenceData) {
        self.vendors = vendors
        self.reference = reference
    }

    /// A vendor account, or the sentence that explains why there is none.
    public enum Resolution: Sendable, Equatable {
        /// The account the payable goes to.
        case vendor(String)
        /// Why the report is held instead.
        case problem(String)
    }

    /// The employee's vendor in `company`.
    public func employeeVendor(email: String, company: String) -> Resolution {
        let key = email.lowercased()
        if let override = vendors.byEmail?.first(where: { $0.key.lowercased() == key })?.value {
            if let why = problem(account: override, company: company) { return .problem("configured vendor for \(email): \(why)") }
            return .vendor(override)
        }
        guard let companyRef = reference.company(company) else {
            return .problem("company '\(company)' has no vendor data; run extract again")
        }
        if email.isEmpty { return .problem("submitter e-mail is missing") }
        let group = vendors.employeeVendorGroup
        let candidates = companyRef.vendors.filter {
            $0.email.trimmingCharacters(in: .whitespaces).lowercased() == key && (group == nil || $0.group == group)
        }
        if candidates.count > 1 {
            return .problem(
                "\(candidates.count) vendors in company \(company)\(group.map { " group \($0)" } ?? "") have e-mail \(email): \(candidates.map(\.account).sorted().joined(separator: ", "))"
            )
        }
        if let v = candidates.first {
            if v.blocksInvoices { return .problem("vendor \(v.account) of \(email) is on hold for invoices (OnHoldStatus \(v.onHold))") }
            return .vendor(v.account)
        }
        if let fallback = vendors.defaultVendor?[company], !fallback.isEmpty {
            if let why = problem(account: fallback, company: company) { return .problem("default vendor: \(why)") }
            return .vendor(fallback)
        }
        return .problem("no vendor\(group.map { " in group \($0)" } ?? "") of company \(company) has e-mail \(email)")
    }

    /// Why a configured vendor account cannot take invoices, or nil.
    public func problem(account: String, company: String) -> String? {
        guard let companyRef = reference.company(company) else { return nil }
        guard let v = companyRef.vendors.first(where: { $0.account == account }) else {
            return "\(account) does not exist in company \(company)"
        }
        if v.blocksInvoices { return "\(account) is on hold for invoices (OnHoldStatus \(v.onHold))" }
        return nil
    }
}
