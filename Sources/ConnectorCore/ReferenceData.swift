import Foundation

/// Master data read from the target ERP once per run, so transform can resolve vendors and check accounts
/// and dimension values offline, before anything is written.
public struct ReferenceData: Sendable, Hashable, Codable {
    public var target: String
    public var companies: [CompanyReference]
    /// Chart-of-accounts entries (shared across companies in D365).
    public var mainAccounts: [MainAccountReference]
    /// The active default-dimension integration format as the ERP reports it, if readable.
    public var dimensionFormat: [String]?
    /// The ERP's segment delimiter, if readable.
    public var dimensionDelimiter: String?

    public init(target: String, companies: [CompanyReference], mainAccounts: [MainAccountReference],
                dimensionFormat: [String]?, dimensionDelimiter: String?) {
        self.target = target; self.companies = companies; self.mainAccounts = mainAccounts
        self.dimensionFormat = dimensionFormat; self.dimensionDelimiter = dimensionDelimiter
    }

    public func company(_ id: String) -> CompanyReference? { companies.first { $0.id.lowercased() == id.lowercased() } }
}

public struct CompanyReference: Sendable, Hashable, Codable {
    /// `dataAreaId`, lower-case.
    public var id: String
    /// Accounting currency, when known.
    public var currency: String?
    public var vendors: [VendorReference]
    public var dimensionValues: [DimensionValueReference]

    public init(id: String, currency: String?, vendors: [VendorReference], dimensionValues: [DimensionValueReference]) {
        self.id = id; self.currency = currency; self.vendors = vendors; self.dimensionValues = dimensionValues
    }
}

public struct VendorReference: Sendable, Hashable, Codable {
    public var account: String
    public var name: String
    public var group: String
    public var email: String
    /// D365 `OnHoldStatus` (`No`, `Invoice`, `All`, `Payment`, ...).
    public var onHold: String
    public var currency: String?

    public init(account: String, name: String, group: String, email: String, onHold: String, currency: String?) {
        self.account = account; self.name = name; self.group = group; self.email = email; self.onHold = onHold; self.currency = currency
    }

    /// Invoices cannot be posted to a vendor on hold for `All` or `Invoice`.
    public var blocksInvoices: Bool { ["all", "invoice"].contains(onHold.lowercased()) }
}

public struct MainAccountReference: Sendable, Hashable, Codable {
    public var id: String
    public var name: String
    public var isSuspended: Bool
    public var doNotAllowManualEntry: Bool
    /// `yyyy-MM-dd` or nil when open-ended.
    public var activeFrom: String?
    public var activeTo: String?

    public init(id: String, name: String, isSuspended: Bool, doNotAllowManualEntry: Bool, activeFrom: String?, activeTo: String?) {
        self.id = id; self.name = name; self.isSuspended = isSuspended; self.doNotAllowManualEntry = doNotAllowManualEntry
        self.activeFrom = activeFrom; self.activeTo = activeTo
    }
}

public struct DimensionValueReference: Sendable, Hashable, Codable {
    public var dimension: String
    public var value: String
    public var isSuspended: Bool
    public var isBlocked: Bool
    public var activeFrom: String?
    public var activeTo: String?

    public init(dimension: String, value: String, isSuspended: Bool, isBlocked: Bool, activeFrom: String?, activeTo: String?) {
        self.dimension = dimension; self.value = value; self.isSuspended = isSuspended; self.isBlocked = isBlocked
        self.activeFrom = activeFrom; self.activeTo = activeTo
    }
}

/// Why a dated master-data record is not usable on `date` (`yyyy-MM-dd`), or nil when it is.
public func inactivityReason(suspended: Bool, blocked: Bool, activeFrom: String?, activeTo: String?, on date: String) -> String? {
    if suspended { return "is suspended" }
    if blocked { return "is blocked for manual entry" }
    if let f = activeFrom, !f.isEmpty, f > "1900-01-01", date < f { return "is not active until \(f)" }
    if let t = activeTo, !t.isEmpty, t > "1900-01-01", date > t { return "expired on \(t)" }
    return nil
}
