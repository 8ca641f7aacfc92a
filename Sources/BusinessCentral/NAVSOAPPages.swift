import ConnectorCore
import ConnectorHTTP
import Foundation
import Logging
import NAVSOAP

/// NAV's SOAP page web services (`{serviceURL}/WS/<Company>/Page/<Service>`, Basic auth with the web service access
/// key), through `NAVSOAPClient`. A purchase invoice is ONE `Create` of page 51 with its lines nested in
/// `<PurchLines>`, a journal document ONE `CreateMultiple` of page 39 with `CurrentJnlBatchName` first: NAV applies
/// each call in one transaction, so a refused line leaves nothing behind. Reads page with `bookmarkKey`; lookups
/// filter with NAV criteria `EXP1|EXP2|…`, each value quoted when it holds filter characters.
struct NAVSOAPPages: NAVPageBackend {
    let system = NAVTargetConfiguration.navSOAP
    /// The element name of one purchase invoice line inside `PurchLines` (page 55 "Purch. Invoice Subform").
    static let purchaseLineItem = "Purch_Invoice_Line"
    /// The template page 39 opens (the first General template whose page is 39).
    static let pageTemplate = "GENERAL"
    let settings: NAVSettings
    let http: HTTPClient
    let logger: Logger
    let services: NAVServiceNamesResolved
    let authorization: BasicAuthorization

    init(settings: NAVSettings, http: HTTPClient, logger: Logger) {
        self.settings = settings
        self.http = http
        self.logger = logger
        services = NAVServiceNamesResolved(settings.configuration.services, soap: true)
        authorization = BasicAuthorization(user: settings.configuration.userName ?? "", key: settings.secret)
    }

    func requestCount() async -> Int { await http.requestCount }

    func client(_ company: String) -> NAVSOAPClient {
        NAVSOAPClient(
            soapRoot: URL(string: settings.serviceBase) ?? URL(fileURLWithPath: "/"), company: company, authorization: authorization, http: http,
            logger: logger, system: system)
    }

    /// `a|b|c`, each value matched literally (quoted when it holds NAV filter characters).
    static func criteria(_ values: [String]) -> String { values.map(NAVFilter.exact).joined(separator: "|") }

    static func filters(_ conditions: [NAVCondition]) -> [NAVFilter] {
        conditions.map { NAVFilter(field: $0.field, criteria: criteria($0.values)) }
    }

    static func record(_ r: NAVPageRecord) -> NAVRecord {
        NAVRecord(r.fields.map { NAVField(name: $0.name, value: .text($0.value.soap)) })
    }

    static func row(_ r: NAVRecord, part: String? = nil) -> NAVPageRow {
        var fields: [String: String] = [:]
        for f in r.fields {
            if case .text(let t) = f.value, fields[f.name] == nil { fields[f.name] = t }
        }
        return NAVPageRow(fields: fields, lines: part.map { r.part($0).map { row($0) } } ?? [], token: r.key)
    }

    func unbound(_ batch: String?) -> [(String, String)] { batch.map { [("CurrentJnlBatchName", $0)] } ?? [] }

    func read(company: String, service: String, conditions: [NAVCondition], journalBatch: String?) async throws -> [NAVPageRow] {
        try await client(company).readMultiple(service: service, filters: Self.filters(conditions), unbound: unbound(journalBatch)).map {
            Self.row($0)
        }
    }

    func readInvoices(company: String, keys: [String]) async throws -> [NAVPageRow] {
        try await client(company).readMultiple(
            service: services.purchaseInvoice, filters: Self.filters([NAVCondition("Vendor_Invoice_No", keys)])
        ).map { Self.row($0, part: services.purchaseLines) }
    }

    /// `ReadMultiple` of page 51 already nests each invoice's `PurchLines`.
    func readInvoicesWithLines(company: String, keys: [String]) async throws -> [NAVPageRow] {
        try await readInvoices(company: company, keys: keys)
    }

    func createInvoice(company: String, header: NAVPageRecord, lines: [NAVPageRecord]) async throws -> NAVPageRow {
        var record = Self.record(header)
        record.append(part: services.purchaseLines, item: Self.purchaseLineItem, records: lines.map(Self.record))
        return Self.row(try await client(company).create(service: services.purchaseInvoice, record: record), part: services.purchaseLines)
    }

    func addInvoiceLines(company: String, invoice: NAVPageRow, lines: [NAVPageRecord]) async throws {
        var record = NAVRecord()
        record.append("Key", invoice.token ?? "")
        record.append(part: services.purchaseLines, item: Self.purchaseLineItem, records: lines.map(Self.record))
        _ = try await client(company).update(service: services.purchaseInvoice, record: record)
    }

    func createJournalLines(company: String, journal: NAVJournalSettings, lines: [NAVPageRecord]) async throws -> Int {
        if services.journal.caseInsensitiveCompare("GeneralJournal") == .orderedSame,
            journal.templateName.caseInsensitiveCompare(Self.pageTemplate) != .orderedSame
        {
            throw ConnectorError(
                "config.invalid",
                "target.journal.template is \(journal.templateName), but page 39 (GeneralJournal) over SOAP takes only the batch (CurrentJnlBatchName) and always writes to its own template \(Self.pageTemplate); use template \(Self.pageTemplate) or publish a page whose template can be set"
            )
        }
        return try await client(company).createMultiple(
            service: services.journal, records: lines.map(Self.record), unbound: unbound(journal.batch)
        ).count
    }
}
