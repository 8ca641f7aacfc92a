import ConnectorCore
import Foundation
import OData

extension BCTarget {
    /// Keys per `$filter` of a lookup (an `or` chain; short enough for every URL limit).
    static let lookupChunk = 15

    /// Looks documents up by their stable key, all companies' reads in JSON `$batch` requests (GET operations):
    /// purchase invoices by `vendorInvoiceNumber` with their lines and dimension set lines; journal documents by
    /// `documentNumber` among the journal's lines and, once posted, among the G/L entries.
    public func findExisting(_ documents: [InvoiceDocument]) async throws -> [String: ExistingDocument] {
        let found = try await lookUp(documents.map { ($0.key, $0.company) })
        let companies = Dictionary(documents.map { ($0.key, $0.company) }, uniquingKeysWith: { first, _ in first })
        var out: [String: ExistingDocument] = [:]
        for (key, f) in found {
            await state.remember(f)
            let company = companies[key] ?? ""
            out[key] = ExistingDocument(key: key, company: company, erpReference: f.id, isPosted: f.isPosted, lineNumbers: f.lines.map(\.lineNumber))
        }
        return out
    }

    /// What Business Central holds for each (key, configured company), by key.
    func lookUp(_ keys: [(key: String, company: String)]) async throws -> [String: BCFoundDocument] {
        var byCompany: [String: [String]] = [:]
        for k in keys { byCompany[k.company, default: []].append(k.key) }
        var ops: [[ODataJSONBatchRequest]] = []
        var opCompany: [String: String] = [:]
        var opKind: [String: String] = [:]
        for (configured, keys) in byCompany.sorted(by: { $0.key < $1.key }) {
            let c = try await company(configured)
            for chunk in Set(keys).sorted().chunked(Self.lookupChunk) {
                switch configuration.documentType {
                case .purchaseInvoice:
                    let id = "i\(ops.count)"
                    guard
                        let url = api.relativeCollectionPath(
                            Self.path(c.id, "purchaseInvoices"), filter: ODataFilter.anyOf("vendorInvoiceNumber", chunk),
                            select: ["id", "number", "status", "vendorInvoiceNumber"],
                            expand: "purchaseInvoiceLines($expand=dimensionSetLines),dimensionSetLines")
                    else { continue }
                    ops.append([ODataJSONBatchRequest(id: id, method: "GET", url: url)])
                    opCompany[id] = c.id
                    opKind[id] = "invoice"
                case .generalJournal:
                    let journal = try await journalID(companyID: c.id)
                    let lines = "j\(ops.count)"
                    let entries = "g\(ops.count)"
                    guard
                        let linesURL = api.relativeCollectionPath(
                            Self.path(c.id, "journals(\(journal))/journalLines"), filter: ODataFilter.anyOf("documentNumber", chunk),
                            expand: "dimensionSetLines"),
                        let entriesURL = api.relativeCollectionPath(
                            Self.path(c.id, "generalLedgerEntries"), filter: ODataFilter.anyOf("documentNumber", chunk),
                            select: ["entryNumber", "documentNumber", "accountNumber", "debitAmount", "creditAmount"])
                    else { continue }
                    ops.append([ODataJSONBatchRequest(id: lines, method: "GET", url: linesURL)])
                    ops.append([ODataJSONBatchRequest(id: entries, method: "GET", url: entriesURL)])
                    for id in [lines, entries] { opCompany[id] = c.id }
                    opKind[lines] = "journal:\(journal)"
                    opKind[entries] = "entries"
                }
            }
        }
        let outcome = await send(ops, idempotent: true)
        if let (_, e) = outcome.refused.first { throw e }
        if !outcome.lost.isEmpty {
            throw ConnectorError("bc.lookup_failed", "Business Central did not answer a document lookup; nothing was written.", isTransient: true)
        }
        var found: [String: BCFoundDocument] = [:]
        for (id, answer) in outcome.answers.sorted(by: { $0.key < $1.key }) {
            guard answer.isSuccess else {
                throw NAVErrors.bc.error(
                    for: .init(status: answer.status, headers: answer.headers, body: answer.bodyData), entitySet: "lookup", method: "GET")
            }
            let companyID = opCompany[id] ?? ""
            let kind = opKind[id] ?? ""
            let rows = Self.rows(answer)
            if kind == "invoice" {
                for row in rows {
                    guard let key = row["vendorInvoiceNumber"]?.stringValue, let docID = row["id"]?.stringValue else { continue }
                    let lines = (row["purchaseInvoiceLines"]?.arrayValue ?? []).compactMap(\.objectValue).map { l in
                        BCFoundLine(
                            id: l["id"]?.stringValue ?? "", lineNumber: Int((l["sequence"]?.int64Value ?? 0) / 10000),
                            dimensions: Self.dimensions(l))
                    }
                    let candidate = BCFoundDocument(
                        key: key, companyID: companyID, id: docID, number: row["number"]?.stringValue ?? "",
                        status: row["status"]?.stringValue ?? "", lines: lines.sorted { $0.lineNumber < $1.lineNumber },
                        dimensions: Self.dimensions(row))
                    // Several under one key (should not happen): a posted one wins, then the one with most lines.
                    if let existing = found[key], existing.isPosted || (!candidate.isPosted && existing.lines.count >= candidate.lines.count) {
                        continue
                    }
                    found[key] = candidate
                }
            } else if kind.hasPrefix("journal:") {
                let journal = String(kind.dropFirst("journal:".count))
                for (key, lines) in Dictionary(grouping: rows, by: { $0["documentNumber"]?.stringValue ?? "" }) where !key.isEmpty {
                    let ordered = lines.sorted { ($0["lineNumber"]?.int64Value ?? 0) < ($1["lineNumber"]?.int64Value ?? 0) }
                    found[key] = BCFoundDocument(
                        key: key, companyID: companyID, id: journal, number: key, status: "draft",
                        lines: ordered.enumerated().map { n, l in
                            BCFoundLine(id: l["id"]?.stringValue ?? "", lineNumber: n + 1, dimensions: Self.dimensions(l))
                        }, dimensions: [:])
                }
            } else if kind == "entries" {
                for (key, entries) in Dictionary(grouping: rows, by: { $0["documentNumber"]?.stringValue ?? "" }) where !key.isEmpty {
                    if let draft = found[key], !draft.isPosted { continue }
                    found[key] = BCFoundDocument(
                        key: key, companyID: companyID, id: "", number: key, status: "posted",
                        lines: entries.enumerated().map { n, _ in BCFoundLine(id: "", lineNumber: n + 1, dimensions: [:]) }, dimensions: [:])
                }
            }
        }
        return found
    }

    /// The id of the configured journal batch in a company (read once per run).
    func journalID(companyID: String) async throws -> String {
        if let id = await state.journals[companyID] { return id }
        guard let journal = configuration.journal else {
            throw ConnectorError("config.invalid", "target.journal is required for document 'generalJournal'")
        }
        let rows = try await api.getAll(
            Self.path(companyID, "journals"), filter: ODataFilter.eq("code", journal.batch), select: ["id", "code", "templateDisplayName"])
        guard let row = rows.first(where: { ($0["templateDisplayName"]?.stringValue ?? journal.templateName) == journal.templateName }) ?? rows.first,
            let id = row["id"]?.stringValue
        else {
            throw ConnectorError(
                "bc.journal_not_found",
                "Business Central has no journal batch \(journal.batch) (template \(journal.templateName)) in company \(companyID); create it (without a number series) or fix target.journal.batch.",
                context: ["journal": journal.batch])
        }
        await state.setJournal(id, company: companyID)
        return id
    }
}
