import ConnectorCore
import Foundation
import OData

extension D365Target {
    /// Reads master data for `companies` (d365-fo-odata.md §5.2, §5.4, §6): one paged read per entity (per
    /// company for company data), each with `cross-company=true` and an explicit company filter. Everything is
    /// sorted, so the same ERP state gives the same `ReferenceData`.
    ///
    /// - `Ledgers` (all rows, matched to companies case-insensitively): chart of accounts and accounting currency.
    /// - `MainAccounts` of those charts. `ReferenceData` holds one shared list, so with several charts an
    ///   account id present in more than one keeps the first chart's row (charts sorted by name).
    /// - `VendorsV2` per company (`VendorGroupId` filter when `vendorGroup` is given).
    /// - `FinancialDimensionValues` per company: the company's own values and shared ones (blank
    ///   `LegalEntityId`); a company value wins over a shared one with the same dimension and value.
    /// - `DimensionParameters` (delimiter) and `DimensionIntegrationFormats` (active default format); when F&O
    ///   does not expose them (404/403) the fields stay nil.
    /// - Throws: `d365.company_unknown` when a company has no ledger (wrong id, or no access); `d365.*`.
    public func fetchReferenceData(companies: [String], vendorGroup: String?) async throws -> ReferenceData {
        let ids = Array(Set(companies.map { $0.lowercased() })).sorted()

        let ledgers = try await readLedgers()
        let unknown = ledgers == nil ? [] : ids.filter { ledgers?[$0] == nil }
        guard unknown.isEmpty else {
            throw ConnectorError(
                "d365.company_unknown",
                "D365 has no ledger for company \(unknown.joined(separator: ", ")); check the configured dataAreaId and that the Entra application's user may access it.",
                context: ["erp.company": unknown.joined(separator: ",")])
        }

        let charts = Array(Set(ids.compactMap { ledgers?[$0]?.chart }.filter { !$0.isEmpty })).sorted()
        let mainAccounts = try await readMainAccounts(charts: ledgers == nil ? nil : charts)

        var references: [CompanyReference] = []
        for id in ids {
            let vendors = try await readVendors(company: id, group: vendorGroup)
            let values = try await readDimensionValues(company: id)
            references.append(CompanyReference(id: id, currency: ledgers?[id]?.currency, vendors: vendors, dimensionValues: values))
        }

        let delimiter = try await optional { try await readDelimiter() } ?? nil
        let format = try await optional { try await readDefaultFormat(delimiter: delimiter) } ?? nil
        return ReferenceData(
            target: name, companies: references, mainAccounts: mainAccounts,
            dimensionFormat: format, dimensionDelimiter: delimiter)
    }

    /// `Ledgers` (all rows, legal entity lower-cased): each company's chart of accounts and accounting currency; nil
    /// when the environment does not expose it (404/403), so every main account is read and currencies stay unknown.
    private func readLedgers() async throws -> [String: (chart: String, currency: String?)]? {
        guard
            let rows = try await optional({
                try await odata.getAll("Ledgers", select: ["LegalEntityId", "ChartOfAccounts", "AccountingCurrency"], crossCompany: true)
            })
        else { return nil }
        var ledgers: [String: (chart: String, currency: String?)] = [:]
        for row in rows {
            let id = ODataValue.string(row["LegalEntityId"]).lowercased()
            guard !id.isEmpty, ledgers[id] == nil else { continue }
            let currency = ODataValue.string(row["AccountingCurrency"])
            ledgers[id] = (ODataValue.string(row["ChartOfAccounts"]), currency.isEmpty ? nil : currency)
        }
        return ledgers
    }

    /// `MainAccountType` and `MainAccountCategory` of the main accounts of the companies' charts (d365-fo-odata.md
    /// §5.2), one paged read; an account id in several charts keeps the first chart's row, as `fetchReferenceData`.
    /// Read only by `align categories` with a type or category filter, so the nightly read asks for no more fields.
    public func fetchAccountClassifications(companies: [String]) async throws -> [String: [String: AccountClassification]] {
        let ledgers = try await readLedgers()
        let charts = ledgers.map { l in Array(Set(companies.compactMap { l[$0.lowercased()]?.chart }.filter { !$0.isEmpty })).sorted() }
        let rows = try await readMainAccountRows(charts: charts, select: ["MainAccountType", "MainAccountCategory"])
        let shared = rows.mapValues { row in
            let type = ODataValue.string(row["MainAccountType"])
            let category = ODataValue.string(row["MainAccountCategory"])
            return AccountClassification(type: type.isEmpty ? nil : type, category: category.isEmpty ? nil : category)
        }
        return Dictionary(uniqueKeysWithValues: companies.map { ($0, shared) })
    }

    /// Main accounts of `charts`, or of every chart when `charts` is nil (no `Ledgers` to say which).
    private func readMainAccounts(charts: [String]?) async throws -> [MainAccountReference] {
        let rows = try await readMainAccountRows(
            charts: charts, select: ["Name", "IsSuspended", "DoNotAllowManualEntry", "ActiveFrom", "ActiveTo"])
        return rows.map { id, row in
            MainAccountReference(
                id: id, name: ODataValue.string(row["Name"]),
                isSuspended: ODataValue.noYes(row["IsSuspended"]),
                doNotAllowManualEntry: ODataValue.noYes(row["DoNotAllowManualEntry"]),
                activeFrom: ODataValue.date(row["ActiveFrom"]), activeTo: ODataValue.date(row["ActiveTo"]))
        }.sorted { $0.id < $1.id }
    }

    /// `MainAccounts` rows of `charts` (every chart when nil), one paged read of the key fields and `select`, by
    /// account id; an id in several charts keeps the row of the first chart by name.
    private func readMainAccountRows(charts: [String]?, select: [String]) async throws -> [String: [String: JSONValue]] {
        var filter: String?
        if let charts {
            guard let f = ODataFilter.anyOf("ChartOfAccounts", charts) else { return [:] }
            filter = f
        }
        let rows = try await odata.getAll("MainAccounts", filter: filter, select: ["ChartOfAccounts", "MainAccountId"] + select)
        var byID: [String: (chart: String, row: [String: JSONValue])] = [:]
        for row in rows {
            let id = ODataValue.string(row["MainAccountId"])
            let chart = ODataValue.string(row["ChartOfAccounts"])
            guard !id.isEmpty else { continue }
            if let existing = byID[id], existing.chart <= chart { continue }
            byID[id] = (chart, row)
        }
        return byID.mapValues(\.row)
    }

    private func readVendors(company: String, group: String?) async throws -> [VendorReference] {
        let filter = ODataFilter.and([ODataFilter.eq("dataAreaId", company), group.map { ODataFilter.eq("VendorGroupId", $0) }])
        let rows = try await odata.getAll(
            "VendorsV2", filter: filter,
            select: [
                "dataAreaId", "VendorAccountNumber", "VendorOrganizationName", "VendorGroupId", "PrimaryEmailAddress",
                "OnHoldStatus", "CurrencyCode",
            ],
            crossCompany: true)
        var vendors: [String: VendorReference] = [:]
        for row in rows {
            let account = ODataValue.string(row["VendorAccountNumber"])
            guard !account.isEmpty, ODataValue.string(row["dataAreaId"]).lowercased() == company else { continue }
            let onHold = ODataValue.string(row["OnHoldStatus"])
            let currency = ODataValue.string(row["CurrencyCode"])
            vendors[account] = VendorReference(
                account: account, name: ODataValue.string(row["VendorOrganizationName"]),
                group: ODataValue.string(row["VendorGroupId"]), email: ODataValue.string(row["PrimaryEmailAddress"]),
                onHold: onHold.isEmpty ? "No" : onHold, currency: currency.isEmpty ? nil : currency)
        }
        return vendors.values.sorted { $0.account < $1.account }
    }

    private func readDimensionValues(company: String) async throws -> [DimensionValueReference] {
        let rows = try await odata.getAll(
            "FinancialDimensionValues", filter: ODataFilter.anyOf("LegalEntityId", [company, ""]),
            select: [
                "FinancialDimension", "DimensionValue", "LegalEntityId", "IsSuspended", "IsBlockedForManualEntry",
                "ActiveFrom", "ActiveTo", "Description",
            ],
            crossCompany: true)
        struct Key: Hashable {
            var dimension: String
            var value: String
        }
        var values: [Key: (own: Bool, value: DimensionValueReference)] = [:]
        for row in rows {
            let legalEntity = ODataValue.string(row["LegalEntityId"]).lowercased()
            guard legalEntity == company || legalEntity.isEmpty else { continue }
            let dimension = ODataValue.string(row["FinancialDimension"])
            let value = ODataValue.string(row["DimensionValue"])
            guard !dimension.isEmpty, !value.isEmpty else { continue }
            let key = Key(dimension: dimension, value: value)
            let own = legalEntity == company
            if let existing = values[key], existing.own || !own { continue }
            values[key] = (
                own,
                DimensionValueReference(
                    dimension: dimension, value: value,
                    isSuspended: ODataValue.noYes(row["IsSuspended"]), isBlocked: ODataValue.noYes(row["IsBlockedForManualEntry"]),
                    activeFrom: ODataValue.date(row["ActiveFrom"]), activeTo: ODataValue.date(row["ActiveTo"]),
                    name: ODataValue.string(row["Description"]).isEmpty ? nil : ODataValue.string(row["Description"]))
            )
        }
        return values.values.map(\.value).sorted { ($0.dimension, $0.value) < ($1.dimension, $1.value) }
    }

    func readDelimiter() async throws -> String? {
        let rows = try await odata.getAll("DimensionParameters", select: ["DimensionSegmentDelimiter"])
        return rows.lazy.compactMap { $0["DimensionSegmentDelimiter"]?.stringValue }.compactMap(DimensionSetup.delimiter(fromEnum:)).first
    }

    /// The active default-dimension format; with several active ones (F&O allows one), the first by name.
    private func readDefaultFormat(delimiter: String?) async throws -> [String]? {
        let rows = try await odata.getAll("DimensionIntegrationFormats")
        let active = rows.filter {
            ODataValue.noYes($0["IsActive"]) && DimensionSetup.isDefaultFormatType(ODataValue.string($0["DimensionFormatType"]))
        }.sorted { ODataValue.string($0["DimensionFormatName"]) < ODataValue.string($1["DimensionFormatName"]) }
        guard let format = active.first else { return nil }
        let names = DimensionSetup.parseFormat(ODataValue.string(format["FinancialDimensionFormat"]), delimiter: delimiter)
        return names.isEmpty ? nil : names
    }

    /// Runs a read of optional setup; a 404 or 403 (entity not exposed, no privilege) yields nil.
    private func optional<T: Sendable>(_ read: () async throws -> T) async throws -> T? {
        do {
            return try await read()
        } catch let error as ConnectorError where [D365Errors.notFound, D365Errors.forbidden].contains(error.code) {
            return nil
        }
    }
}
