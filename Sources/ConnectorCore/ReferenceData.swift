import Foundation

/// Master data read from the target ERP once per run, so transform can resolve vendors and check accounts
/// and dimension values offline, before anything is written.
public struct ReferenceData: Sendable, Hashable, Codable {
    /// Name of the target that produced it (`TargetSystem.name`), so staged master data says where it came from.
    public var target: String
    /// One entry per configured company that the target has.
    public var companies: [CompanyReference]
    /// Chart-of-accounts entries (shared across companies in D365).
    public var mainAccounts: [MainAccountReference]
    /// The active default-dimension integration format as the ERP reports it, if readable.
    public var dimensionFormat: [String]?
    /// The ERP's segment delimiter, if readable.
    public var dimensionDelimiter: String?
    /// False when the target's documents are not payable to a vendor (a general journal balanced to a G/L account),
    /// so no vendor is looked up and vendor problems hold nothing; nil means true.
    public var vendorsRequired: Bool?

    /// Memberwise, for targets and tests.
    public init(
        target: String, companies: [CompanyReference], mainAccounts: [MainAccountReference],
        dimensionFormat: [String]?, dimensionDelimiter: String?, vendorsRequired: Bool? = nil
    ) {
        self.target = target
        self.companies = companies
        self.mainAccounts = mainAccounts
        self.dimensionFormat = dimensionFormat
        self.dimensionDelimiter = dimensionDelimiter
        self.vendorsRequired = vendorsRequired
    }

    /// A company by ID, case-insensitively, because configurations and ERPs disagree on case.
    public func company(_ id: String) -> CompanyReference? { companies.first { $0.id.lowercased() == id.lowercased() } }
}

/// Why a dated master-data record is not usable on `date` (`yyyy-MM-dd`), or nil when it is.
public func inactivityReason(suspended: Bool, blocked: Bool, activeFrom: String?, activeTo: String?, on date: String) -> String? {
    if suspended { return "is suspended" }
    if blocked { return "is blocked for manual entry" }
    if let f = activeFrom, !f.isEmpty, f > "1900-01-01", date < f { return "is not active until \(f)" }
    if let t = activeTo, !t.isEmpty, t > "1900-01-01", date > t { return "expired on \(t)" }
    return nil
}
