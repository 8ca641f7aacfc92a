import Foundation

/// One target company's master data, so the mapping checks vendors and dimension values per company, as the ERP does.
public struct CompanyReference: Sendable, Hashable, Codable {
    /// `dataAreaId`, lower-case.
    public var id: String
    /// Accounting currency, when known.
    public var currency: String?
    /// The company's vendors (of the employee vendor group when one is configured), where employees and card issuers are matched.
    public var vendors: [VendorReference]
    /// The dimension values the company may post to, checked for every tag before anything is sent.
    public var dimensionValues: [DimensionValueReference]
    /// The company's own chart of accounts, for targets whose accounts are per company (BC/NAV); nil where the chart
    /// is shared (`ReferenceData.mainAccounts`).
    public var mainAccounts: [MainAccountReference]?

    /// Memberwise, for targets building master data and for tests.
    public init(
        id: String, currency: String?, vendors: [VendorReference], dimensionValues: [DimensionValueReference],
        mainAccounts: [MainAccountReference]? = nil
    ) {
        self.id = id
        self.currency = currency
        self.vendors = vendors
        self.dimensionValues = dimensionValues
        self.mainAccounts = mainAccounts
    }
}
