import ConnectorCore
import ConnectorHTTP
import Foundation
import Logging
import OData

/// Business Central online as a target, over API v2.0 (`/v2.0/{tenant}/{environment}/api/v2.0`): draft purchase
/// invoices to the employee's vendor, or general journal lines balanced to a configured account.
///
/// Master data comes from `vendors`, `accounts`, `dimensions` (with `dimensionValues`) and `companyInformation` per
/// company, plus the ODataV4 `DimensionValues` page for `Blocked`, which API v2.0 does not expose. Writes go in JSON
/// `$batch` requests of at most 100 operations: invoices as deep inserts (header and lines in one operation, so a
/// refused line leaves no half-made draft), then their dimension set lines, then (optionally) `Microsoft.NAV.post`.
/// The stable key is the vendor invoice number (journals: the document number on every line), so a rerun or a lost
/// answer finds the document instead of creating it twice.
public struct BCTarget: TargetSystem {
    /// The `target.type` this target answers to.
    public var name: String { NAVTargetConfiguration.bc }
    /// The system name in logs, HTTP audit events and error codes.
    public static let system = "bc"
    /// Where and as whom this target talks to Business Central.
    public let settings: NAVSettings
    /// API v2.0.
    let api: ODataClient
    /// The environment's ODataV4 pages (for `DimensionValues.Blocked`).
    let pages: ODataClient
    let http: HTTPClient
    let logger: Logger
    let tokens: any TokenProvider
    let state = BCRunState()

    /// A target that gets Entra tokens with the configured client credentials, through `http`.
    public init(settings: NAVSettings, http: HTTPClient, logger: Logger) {
        let c = settings.configuration
        let tokens = EntraTokenProvider(
            authorityURL: URL(string: settings.authority) ?? URL(fileURLWithPath: "/"), tenant: c.tenant ?? "",
            clientID: c.clientID ?? "", clientSecret: settings.secret, scope: settings.scope, http: http)
        self.settings = settings
        self.http = http
        self.logger = logger
        self.tokens = tokens
        let base = URL(string: settings.apiBase) ?? URL(fileURLWithPath: "/")
        let auth = BearerAuthorization(tokens: tokens)
        api = ODataClient(
            base: base, servicePath: settings.environmentPath + "/api/v2.0", authorization: auth, http: http, logger: logger,
            system: Self.system, errors: NAVErrors.bc)
        pages = ODataClient(
            base: base, servicePath: settings.environmentPath + "/ODataV4", authorization: auth, http: http, logger: logger,
            system: Self.system, errors: NAVErrors.bc)
    }

    /// HTTP requests sent so far, tokens included.
    public func requestCount() async -> Int { await http.requestCount }

    /// `bc <host> <tenant>/<environment>`.
    public var identity: String { "bc \(settings.apiBase) \(settings.configuration.tenant ?? "")/\(settings.configuration.environment ?? "")" }

    /// A window of documents fills whole `$batch` requests.
    public func loadWindow(concurrency: Int) -> Int { settings.batchSize * 5 }

    var configuration: NAVTargetConfiguration { settings.configuration }

    // MARK: Companies

    /// The company's id and real name, by configured name or id (names are matched exactly, then ignoring case).
    func company(_ configured: String) async throws -> (id: String, name: String) {
        if await !state.companiesRead {
            let rows = try await api.getAll("companies", select: ["id", "name", "displayName"])
            var map: [String: (id: String, name: String)] = [:]
            for row in rows {
                guard let id = row["id"]?.stringValue, let name = row["name"]?.stringValue else { continue }
                map[id.lowercased()] = (id, name)
                if map[name.lowercased()] == nil { map[name.lowercased()] = (id, name) }
                map["=" + name] = (id, name)
            }
            await state.setCompanies(map)
        }
        let map = await state.companies
        if let exact = map["=" + configured] ?? map[configured.lowercased()] { return exact }
        throw ConnectorError(
            "bc.company_not_found",
            "Business Central has no company named or with id '\(configured)' in environment \(configuration.environment ?? "") (GET companies).",
            context: ["company": configured])
    }

    /// `companies(<id>)/<rest>`.
    static func path(_ companyID: String, _ rest: String) -> String { "companies(\(companyID))/\(rest)" }

    // MARK: Master data

    /// Vendors, the chart of accounts, dimension values (with Blocked from the ODataV4 page) and the local currency
    /// of every company, following every page.
    public func fetchReferenceData(companies: [String], vendorGroup: String?) async throws -> ReferenceData {
        var refs: [CompanyReference] = []
        for configured in companies.sorted() {
            let c = try await company(configured)
            let vendors = try await api.getAll(Self.path(c.id, "vendors"), select: ["number", "displayName", "email", "blocked", "currencyCode"])
            let accounts = try await api.getAll(
                Self.path(c.id, "accounts"), select: ["number", "displayName", "blocked", "accountType", "directPosting"])
            let dimensions = try await api.getAll(Self.path(c.id, "dimensions"), expand: "dimensionValues")
            let blocked = try await blockedDimensionValues(companyName: c.name)
            var currency: String?
            if let info = try? await api.getAll(Self.path(c.id, "companyInformation"), select: ["currencyCode"]).first {
                currency = info["currencyCode"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
            }
            var values: [DimensionValueReference] = []
            for d in dimensions {
                let code = d["code"]?.stringValue ?? ""
                for v in d["dimensionValues"]?.arrayValue ?? [] {
                    let value = v["code"]?.stringValue ?? ""
                    values.append(
                        DimensionValueReference(
                            dimension: code, value: value, isSuspended: false, isBlocked: blocked.contains("\(code)\u{1F}\(value)"),
                            activeFrom: nil, activeTo: nil, name: v["displayName"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }))
                }
            }
            refs.append(
                CompanyReference(
                    id: configured, currency: currency,
                    vendors: vendors.map { v in
                        VendorReference(
                            account: v["number"]?.stringValue ?? "", name: v["displayName"]?.stringValue ?? "", group: "",
                            email: v["email"]?.stringValue ?? "", onHold: NAVAccountCheck.vendorHold(v["blocked"]?.stringValue ?? ""),
                            currency: v["currencyCode"]?.stringValue)
                    },
                    dimensionValues: values,
                    mainAccounts: accounts.map { a in
                        MainAccountReference(
                            id: a["number"]?.stringValue ?? "", name: a["displayName"]?.stringValue ?? "", isSuspended: false,
                            doNotAllowManualEntry: false, activeFrom: nil, activeTo: nil,
                            problem: NAVAccountCheck.problem(
                                accountType: a["accountType"]?.stringValue ?? "Posting", directPosting: a["directPosting"]?.boolValue,
                                blocked: a["blocked"]?.boolValue ?? false))
                    }))
            logger.info(
                "Business Central master data read",
                metadata: [
                    "company": "\(configured)", "vendors": "\(vendors.count)", "accounts": "\(accounts.count)", "dimension_values": "\(values.count)",
                ])
        }
        return ReferenceData(
            target: name, companies: refs, mainAccounts: [], dimensionFormat: nil, dimensionDelimiter: nil,
            vendorsRequired: configuration.documentType == .purchaseInvoice)
    }

    /// `CODE\u{1F}VALUE` of every blocked dimension value, from the ODataV4 page; empty when the page is not configured.
    func blockedDimensionValues(companyName: String) async throws -> Set<String> {
        let page = configuration.dimensionValuesPage ?? "DimensionValues"
        guard !page.isEmpty else { return [] }
        let rows = try await pages.getAll(
            "Company(\(NAVPath.companyLiteral(companyName)))/\(page)", filter: "Blocked eq true", select: ["Dimension_Code", "Code", "Blocked"])
        return Set(rows.map { "\($0["Dimension_Code"]?.stringValue ?? "")\u{1F}\($0["Code"]?.stringValue ?? "")" })
    }
}
