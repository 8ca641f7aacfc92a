import ConnectorCore
import ConnectorHTTP
import Foundation
import Logging

/// NAV 2013–2018 (or BC on premises) as a target over its page web services: `nav-odata` (OData v4 pages) or
/// `nav-soap` (SOAP pages). One target over a page-service seam (`NAVPageBackend`): both APIs write the same page
/// fields, so documents, lookups and read-backs are written once.
///
/// Master data comes from the configured services (VendorCard, GLAccountCard, DimensionValues) of every company.
/// The stable key is `Vendor_Invoice_No` of a purchase invoice, `Document_No` of a journal document: lookups ask
/// for at most 15 keys per request, among drafts and among posted documents (PostedPurchaseInvoices, G/L entries).
/// A lost answer to a write is settled by looking the key up, never by resending blindly.
public struct NAVTarget: TargetSystem {
    /// `nav-odata` or `nav-soap`.
    public var name: String { settings.configuration.type }
    /// Where and as whom this target talks to NAV.
    public let settings: NAVSettings
    let backend: any NAVPageBackend
    let services: NAVServiceNamesResolved
    let fields: NAVDocumentFields
    let logger: Logger
    let state = NAVRunState()
    /// Lower-cased company name → the name as configured (NAV's spelling).
    let companyNames: [String: String]

    /// The company as NAV spells it.
    func nav(_ company: String) -> String { companyNames[company.lowercased()] ?? company }

    /// Keys per lookup request (an OData `or` chain, a SOAP `A|B|…` criteria).
    static let lookupChunk = 15

    /// A target over the API `settings.configuration.type` names, with Basic auth (user + web service access key).
    /// - Parameter companies: the company names as configured (`companies` values): NAV spells them with capitals,
    ///   documents carry them lower-cased.
    public init(settings: NAVSettings, companies: [String], http: HTTPClient, logger: Logger) {
        let backend: any NAVPageBackend =
            settings.configuration.type == NAVTargetConfiguration.navSOAP
            ? NAVSOAPPages(settings: settings, http: http, logger: logger) : NAVODataPages(settings: settings, http: http, logger: logger)
        self.init(settings: settings, companies: companies, backend: backend, logger: logger)
    }

    init(settings: NAVSettings, companies: [String], backend: any NAVPageBackend, logger: Logger) {
        var names: [String: String] = [:]
        for c in companies.sorted() where names[c.lowercased()] == nil { names[c.lowercased()] = c }
        for c in (settings.configuration.localCurrencies ?? [:]).keys.sorted() where names[c.lowercased()] == nil { names[c.lowercased()] = c }
        companyNames = names
        self.settings = settings
        self.backend = backend
        self.logger = logger
        services = NAVServiceNamesResolved(settings.configuration.services, soap: settings.configuration.type == NAVTargetConfiguration.navSOAP)
        fields = NAVDocumentFields(configuration: settings.configuration)
    }

    var configuration: NAVTargetConfiguration { settings.configuration }

    /// HTTP requests sent so far.
    public func requestCount() async -> Int { await backend.requestCount() }

    /// `nav-odata <serviceURL> <user>`.
    public var identity: String { "\(name) \(settings.serviceBase) \(configuration.userName ?? "")" }

    var isSOAP: Bool { name == NAVTargetConfiguration.navSOAP }

    // MARK: Master data

    /// Vendors (Blocked `All` holds invoices, `Payment` does not), G/L accounts with the reason one cannot take
    /// expense lines, dimension values with Blocked, and the configured local currency, per company.
    public func fetchReferenceData(companies: [String], vendorGroup: String?) async throws -> ReferenceData {
        var refs: [CompanyReference] = []
        for company in companies.sorted() {
            let vendors = try await backend.read(company: nav(company), service: services.vendors, conditions: [], journalBatch: nil)
            let accounts = try await backend.read(company: nav(company), service: services.accounts, conditions: [], journalBatch: nil)
            let values = try await backend.read(company: nav(company), service: services.dimensionValues, conditions: [], journalBatch: nil)
            refs.append(
                CompanyReference(
                    id: company, currency: fields.localCurrency(company),
                    vendors: vendors.map { v in
                        VendorReference(
                            account: v["No"], name: v["Name"], group: "", email: v["E_Mail"], onHold: NAVAccountCheck.vendorHold(v["Blocked"]),
                            currency: v["Currency_Code"].isEmpty ? nil : v["Currency_Code"])
                    },
                    dimensionValues: values.map { v in
                        DimensionValueReference(
                            dimension: v["Dimension_Code"], value: v["Code"], isSuspended: false, isBlocked: v.bool("Blocked") ?? false,
                            activeFrom: nil, activeTo: nil, name: v["Name"].isEmpty ? nil : v["Name"])
                    },
                    mainAccounts: accounts.map { a in
                        MainAccountReference(
                            id: a["No"], name: a["Name"], isSuspended: false, doNotAllowManualEntry: false, activeFrom: nil, activeTo: nil,
                            problem: NAVAccountCheck.problem(
                                accountType: a["Account_Type"].replacingOccurrences(of: "_", with: "-"), directPosting: a.bool("Direct_Posting"),
                                blocked: a.bool("Blocked") ?? false))
                    }))
            logger.info(
                "NAV master data read",
                metadata: [
                    "system": "\(name)", "company": "\(company)", "vendors": "\(vendors.count)", "accounts": "\(accounts.count)",
                    "dimension_values": "\(values.count)",
                ])
        }
        return ReferenceData(
            target: name, companies: refs, mainAccounts: [], dimensionFormat: nil, dimensionDelimiter: nil,
            vendorsRequired: configuration.documentType == .purchaseInvoice)
    }

    // MARK: Lookup

    /// Documents by stable key: drafts (with their lines) and posted ones, at most 15 keys per request.
    public func findExisting(_ documents: [InvoiceDocument]) async throws -> [String: ExistingDocument] {
        let found = try await lookUp(documents.map { ($0.key, $0.company) })
        var out: [String: ExistingDocument] = [:]
        let byKey = Dictionary(documents.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
        for (key, f) in found {
            await state.remember(f)
            let wanted = byKey[key].map { expectedLines($0) } ?? 0
            let count = min(f.lineCount, wanted)
            out[key] = ExistingDocument(
                key: key, company: f.company, erpReference: f.number, isPosted: f.isPosted, lineNumbers: count > 0 ? Array(1...count) : [])
        }
        return out
    }

    /// The journal page's scope: template and batch fields over OData (ExpenseJournal); over SOAP page 39 opens the
    /// batch through `CurrentJnlBatchName` and has no template or batch fields.
    func journalScope(_ journal: NAVJournalSettings) -> [NAVCondition] {
        isSOAP ? [] : [NAVCondition("Journal_Template_Name", [journal.templateName]), NAVCondition("Journal_Batch_Name", [journal.batch])]
    }

    func lookUp(_ keys: [(key: String, company: String)]) async throws -> [String: NAVFound] {
        var byCompany: [String: Set<String>] = [:]
        for k in keys { byCompany[k.company, default: []].insert(k.key) }
        var found: [String: NAVFound] = [:]
        for (company, set) in byCompany.sorted(by: { $0.key < $1.key }) {
            for chunk in set.sorted().chunked(Self.lookupChunk) {
                switch configuration.documentType {
                case .purchaseInvoice:
                    for row in try await backend.readInvoices(company: nav(company), keys: chunk) {
                        let key = row["Vendor_Invoice_No"]
                        guard !key.isEmpty, found[key]?.isPosted != true else { continue }
                        found[key] = NAVFound(key: key, company: company, number: row["No"], isPosted: false, lineCount: row.lines.count, draft: row)
                    }
                    for row in try await backend.read(
                        company: nav(company), service: services.postedPurchaseInvoices, conditions: [NAVCondition("Vendor_Invoice_No", chunk)],
                        journalBatch: nil)
                    {
                        let key = row["Vendor_Invoice_No"]
                        guard !key.isEmpty else { continue }
                        found[key] = NAVFound(key: key, company: company, number: row["No"], isPosted: true, lineCount: Int.max, draft: nil)
                    }
                case .generalJournal:
                    guard let journal = configuration.journal else {
                        throw ConnectorError("config.invalid", "target.journal is required for document 'generalJournal'")
                    }
                    let lines = try await backend.read(
                        company: nav(company), service: services.journal, conditions: journalScope(journal) + [NAVCondition("Document_No", chunk)],
                        journalBatch: journal.batch)
                    for (key, rows) in Dictionary(grouping: lines, by: { $0["Document_No"] }) where !key.isEmpty && chunk.contains(key) {
                        found[key] = NAVFound(key: key, company: company, number: key, isPosted: false, lineCount: rows.count, draft: nil)
                    }
                    let entries = try await backend.read(
                        company: nav(company), service: services.glEntries, conditions: [NAVCondition("Document_No", chunk)], journalBatch: nil)
                    for key in Set(entries.map { $0["Document_No"] }) where !key.isEmpty && chunk.contains(key) {
                        if let draft = found[key], !draft.isPosted { continue }
                        found[key] = NAVFound(key: key, company: company, number: key, isPosted: true, lineCount: Int.max, draft: nil)
                    }
                }
            }
        }
        return found
    }

    // MARK: Read-back and check

    /// Where earlier documents stand: draft, posted (PostedPurchaseInvoices, G/L entries) or deleted.
    public func readBack(_ documents: [TrackedDocument]) async throws -> [String: ERPDocumentState] {
        let found = try await lookUp(documents.map { ($0.key, $0.company) })
        var out: [String: ERPDocumentState] = [:]
        for d in documents {
            if let f = found[d.key] {
                out[d.key] = ERPDocumentState(status: f.isPosted ? .posted : .draft, number: f.number.isEmpty ? nil : f.number)
            } else {
                out[d.key] = ERPDocumentState(status: .deleted, number: nil)
            }
        }
        return out
    }

    /// `ml-connector check`: one cheap read per company (the vendor page, filtered to a blank number) with the user
    /// and access key. Writes nothing.
    public func check(companies: [String]) async -> [CheckResult] {
        var results: [CheckResult] = []
        for company in companies.sorted() {
            do {
                _ = try await backend.read(
                    company: nav(company), service: services.vendors, conditions: [NAVCondition("No", [""])], journalBatch: nil)
                results.append(
                    .pass(
                        name, "company \(company)",
                        "NAV answered \(configuration.userName ?? "")'s read of \(services.vendors) in company '\(company)'."))
            } catch let e as ConnectorError where e.code.hasSuffix("unauthorized") {
                results.append(
                    .fail(
                        name, "company \(company)", .wrongCredentials,
                        "NAV refused user \(configuration.userName ?? "") with the web service access key in \(configuration.secretVariable) (HTTP 401): check the user name, the key on the user's card (Web Service Access Key) and that it has not expired."
                    ))
                break
            } catch let e as ConnectorError where e.code.hasSuffix("not_found") {
                results.append(
                    .fail(
                        name, "company \(company)", .notFound,
                        "NAV has no company '\(company)' or no published page \(services.vendors) there: \(e.message)"))
            } catch let e as ConnectorError where e.code == ErrorCode.httpNetwork {
                results.append(.fail(name, "company \(company)", .unreachable, "NAV at \(settings.serviceBase) did not answer: \(e.message)"))
            } catch {
                results.append(.fail(name, "company \(company)", .other, "\(error)"))
            }
        }
        return results
    }
}

/// What the lookup found about one document.
struct NAVFound: Sendable, Hashable {
    var key: String
    var company: String
    /// Draft `No`, posted `No`, or the journal document number.
    var number: String
    var isPosted: Bool
    /// Lines found (`Int.max` for posted documents: complete by definition).
    var lineCount: Int
    /// The draft purchase invoice header, to add missing lines to.
    var draft: NAVPageRow?
}

/// What the target learns during a run and shares between the concurrent loads.
actor NAVRunState {
    var found: [String: NAVFound] = [:]
    func remember(_ f: NAVFound) { found[f.key] = f }
}
