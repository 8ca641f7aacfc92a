import ConnectorCore
import ConnectorHTTP
import Foundation
import Logging
import OData

/// NAV's OData v4 page web services (`{serviceURL}/ODataV4/Company('<name>')/<Service>`, Basic auth with the web
/// service access key). Entities are addressed by their primary-key tuple; purchase invoice lines through the
/// containment `PurchaseInvoice(Document_Type='Invoice',No='…')/PurchaseInvoicePurchLines`. NAV UI pages take no
/// deep insert and no `$batch` changesets we could rely on, so a document is one request per header and line, and a
/// refused line deletes again what this call made (If-Match with the entity's ETag, `*` when it changed since).
struct NAVODataPages: NAVPageBackend {
    let system = NAVTargetConfiguration.navOData
    let client: ODataClient
    let http: HTTPClient
    let services: NAVServiceNamesResolved
    let logger: Logger

    init(settings: NAVSettings, http: HTTPClient, logger: Logger) {
        let auth = BasicAuthorization(user: settings.configuration.userName ?? "", key: settings.secret)
        client = ODataClient(
            base: URL(string: settings.serviceBase) ?? URL(fileURLWithPath: "/"), servicePath: "/ODataV4", authorization: auth, http: http,
            logger: logger, system: system, errors: NAVErrors.nav)
        self.http = http
        self.logger = logger
        services = NAVServiceNamesResolved(settings.configuration.services, soap: false)
    }

    func requestCount() async -> Int { await http.requestCount }

    /// `Company('<name>')/<rest>`, the company name as an encoded OData string literal.
    static func path(_ company: String, _ rest: String) -> String { "Company(\(NAVPath.companyLiteral(company)))/\(rest)" }

    /// `Service(Field='v',…)` with each value an encoded string literal (integers bare).
    static func entity(_ service: String, _ key: [(String, String)], numeric: Set<String> = []) -> String {
        service + "("
            + key.map { k, v in "\(k)=" + (numeric.contains(k) ? v : NAVPath.segment("'" + v.replacingOccurrences(of: "'", with: "''") + "'")) }
            .joined(separator: ",") + ")"
    }

    static func filter(_ conditions: [NAVCondition]) -> String? {
        ODataFilter.and(conditions.map { ODataFilter.anyOf($0.field, $0.values) })
    }

    static func row(_ json: [String: JSONValue]) -> NAVPageRow {
        var fields: [String: String] = [:]
        for (k, v) in json where !k.hasPrefix("@") {
            if let s = v.stringValue { fields[k] = s }
        }
        return NAVPageRow(fields: fields, token: json["@odata.etag"]?.stringValue)
    }

    func read(company: String, service: String, conditions: [NAVCondition], journalBatch: String?) async throws -> [NAVPageRow] {
        try await client.getAll(Self.path(company, service), filter: Self.filter(conditions)).map(Self.row)
    }

    func invoicePath(_ company: String, _ no: String) -> String {
        Self.path(company, Self.entity(services.purchaseInvoice, [("Document_Type", "Invoice"), ("No", no)]))
    }

    func linesPath(_ company: String, _ no: String) -> String {
        invoicePath(company, no) + "/" + services.purchaseInvoice + services.purchaseLines
    }

    func readLines(company: String, no: String) async throws -> [NAVPageRow] {
        try await client.getAll(linesPath(company, no)).map(Self.row).sorted { (Int($0["Line_No"]) ?? 0) < (Int($1["Line_No"]) ?? 0) }
    }

    func readInvoices(company: String, keys: [String]) async throws -> [NAVPageRow] {
        var rows = try await client.getAll(
            Self.path(company, services.purchaseInvoice), filter: ODataFilter.anyOf("Vendor_Invoice_No", keys),
            select: ["Document_Type", "No", "Vendor_Invoice_No", "Buy_from_Vendor_No", "Status"]
        ).map(Self.row)
        for i in rows.indices { rows[i].lines = try await readLines(company: company, no: rows[i]["No"]) }
        return rows
    }

    /// One read per call: the headers with `$expand` of the lines part (`PurchaseInvoicePurchLines`), lines in
    /// `Line_No` order.
    func readInvoicesWithLines(company: String, keys: [String]) async throws -> [NAVPageRow] {
        let part = services.purchaseInvoice + services.purchaseLines
        return try await client.getAll(
            Self.path(company, services.purchaseInvoice), filter: ODataFilter.anyOf("Vendor_Invoice_No", keys), expand: part
        ).map { json in
            var row = Self.row(json)
            row.lines = (json[part]?.arrayValue ?? []).compactMap(\.objectValue).map(Self.row)
                .sorted { (Int($0["Line_No"]) ?? 0) < (Int($1["Line_No"]) ?? 0) }
            return row
        }
    }

    func createInvoice(company: String, header: NAVPageRecord, lines: [NAVPageRecord]) async throws -> NAVPageRow {
        let created = Self.row(try await client.create(Self.path(company, services.purchaseInvoice), body: header.odataBody))
        let no = created["No"]
        guard !no.isEmpty else {
            throw ConnectorError("nav.unexpected_response", "NAV created a purchase invoice but its answer carries no No.")
        }
        do {
            try await addInvoiceLines(company: company, invoice: created, lines: lines)
        } catch let e as ConnectorError {
            throw await removeInvoice(company: company, invoice: created, because: e)
        }
        return created
    }

    /// Deletes a draft this call made, after `error`; the error to report, saying whether the draft is gone.
    func removeInvoice(company: String, invoice: NAVPageRow, because error: ConnectorError) async -> ConnectorError {
        let no = invoice["No"]
        var why = error
        do {
            try await deleteTolerant(invoicePath(company, no), etag: invoice.token)
            why.message += "; the draft purchase invoice \(no) was deleted again, nothing is left in NAV"
        } catch {
            why.message += "; deleting the draft purchase invoice \(no) failed too (\(error)): delete it in NAV"
            why.context["nav.left_behind"] = no
        }
        return why
    }

    /// DELETE with the ETag, then with `*` when the entity changed since (adding lines changes the header's).
    func deleteTolerant(_ path: String, etag: String?) async throws {
        do {
            try await client.delete(path: path, ifMatch: etag ?? "*")
        } catch let e as ConnectorError where e.code == "nav.conflict" && etag != nil {
            try await client.delete(path: path, ifMatch: "*")
        }
    }

    func addInvoiceLines(company: String, invoice: NAVPageRow, lines: [NAVPageRecord]) async throws {
        let no = invoice["No"]
        let path = linesPath(company, no)
        let base = invoice.lines.count
        for (n, line) in lines.enumerated() {
            do {
                _ = try await client.create(path, body: line.odataBody)
            } catch let e as ConnectorError where e.isLostAnswer {
                // Settle by reading the lines back; resend only when this line is not there.
                if try await readLines(company: company, no: no).count > base + n { continue }
                do { _ = try await client.create(path, body: line.odataBody) } catch let again as ConnectorError {
                    throw refusedLine(again, base + n, line, no)
                }
            } catch let e as ConnectorError {
                throw refusedLine(e, base + n, line, no)
            }
        }
    }

    func refusedLine(_ e: ConnectorError, _ n: Int, _ line: NAVPageRecord, _ no: String) -> ConnectorError {
        var refused = e
        refused.message = "NAV refused line \(n + 1) (\(Self.describe(line))) of purchase invoice \(no): \(e.message)"
        return refused
    }

    static func describe(_ line: NAVPageRecord) -> String {
        let account = line["No"] ?? line["Account_No"]
        if case .text(let a)? = account { return "account \(a)" }
        return "line"
    }

    func createJournalLines(company: String, journal: NAVJournalSettings, lines: [NAVPageRecord]) async throws -> Int {
        let service = services.journal
        let path = Self.path(company, service)
        var made: [NAVPageRow] = []
        func cleanUp(_ error: ConnectorError) async -> ConnectorError {
            var why = error
            var left = 0
            for row in made.reversed() {
                do {
                    try await deleteTolerant(
                        Self.path(
                            company,
                            Self.entity(
                                service,
                                [
                                    ("Journal_Template_Name", row["Journal_Template_Name"]), ("Journal_Batch_Name", row["Journal_Batch_Name"]),
                                    ("Line_No", row["Line_No"]),
                                ], numeric: ["Line_No"])), etag: row.token)
                } catch { left += 1 }
            }
            if !made.isEmpty {
                why.message +=
                    left == 0
                    ? "; the \(made.count) journal line(s) already written were deleted again"
                    : "; \(left) journal line(s) could not be deleted: remove them in NAV (document \(row0(lines)))"
            }
            return why
        }
        for (n, line) in lines.enumerated() {
            var body = line.odataBody
            body["Journal_Template_Name"] = .string(journal.templateName)
            body["Journal_Batch_Name"] = .string(journal.batch)
            var created: NAVPageRow
            do {
                created = Self.row(try await client.create(path, body: body))
            } catch let e as ConnectorError where e.isLostAnswer {
                let document = row0(lines)
                let now: [NAVPageRow]
                do {
                    now = try await read(
                        company: company, service: service,
                        conditions: [
                            NAVCondition("Journal_Template_Name", [journal.templateName]), NAVCondition("Journal_Batch_Name", [journal.batch]),
                            NAVCondition("Document_No", [document]),
                        ], journalBatch: journal.batch
                    ).sorted { (Int($0["Line_No"]) ?? 0) < (Int($1["Line_No"]) ?? 0) }
                } catch let r as ConnectorError {
                    throw await cleanUp(r)
                }
                if now.count > made.count, let last = now.last {
                    created = last
                } else {
                    do { created = Self.row(try await client.create(path, body: body)) } catch let again as ConnectorError {
                        throw await cleanUp(again)
                    }
                }
            } catch let e as ConnectorError {
                var refused = e
                refused.message = "NAV refused journal line \(n + 1) (\(Self.describe(line))): \(e.message)"
                throw await cleanUp(refused)
            }
            made.append(created)
            if created["Journal_Template_Name"] != journal.templateName || created["Journal_Batch_Name"] != journal.batch {
                throw await cleanUp(
                    ConnectorError(
                        "nav.journal_batch_forced",
                        "NAV's \(service) page wrote the line to template \(created["Journal_Template_Name"]) batch \(created["Journal_Batch_Name"]) instead of \(journal.templateName)/\(journal.batch): the page picks its own batch (page 39 does over OData). Publish a list page on table 81 without OnOpenPage code (ExpenseJournal) and set target.services.journal, or use nav-soap"
                    ))
            }
        }
        return made.count
    }

    /// The document number of a journal document's lines.
    func row0(_ lines: [NAVPageRecord]) -> String {
        if case .text(let d)? = lines.first?["Document_No"] { return d }
        return ""
    }
}

/// The service names with their defaults.
struct NAVServiceNamesResolved: Sendable {
    var vendors, accounts, dimensionValues, purchaseInvoice, purchaseLines, postedPurchaseInvoices, journal, glEntries, employees: String

    init(_ names: NAVServiceNames?, soap: Bool) {
        let r = names.resolved(soap: soap)
        vendors = r.vendors
        accounts = r.accounts
        dimensionValues = r.dimensionValues
        purchaseInvoice = r.purchaseInvoice
        purchaseLines = r.purchaseLines
        postedPurchaseInvoices = r.postedPurchaseInvoices
        journal = r.journal
        glEntries = r.glEntries
        employees = r.employees
    }
}
