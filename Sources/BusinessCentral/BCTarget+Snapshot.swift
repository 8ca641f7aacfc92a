import ConnectorCore
import Foundation
import OData

extension BCTarget {
    /// What Business Central holds now for loaded documents, for reconciliation, in JSON `$batch` requests of GET
    /// operations (at most `lookupChunk` keys per `or` filter, `batchSize` operations per request):
    /// - purchase invoices by `vendorInvoiceNumber` with `$expand=purchaseInvoiceLines($expand=dimensionSetLines)`; a
    ///   draft has status `Draft`, a posted one keeps its id and shows `Open`/`Paid` with its lines. A line's account is
    ///   `lineObjectNumber`, its amount `amountExcludingTax` (else quantity × unitCost); comment lines are left out;
    /// - journal documents by `documentNumber` among the configured journal's lines (with their dimension set lines)
    ///   and, once posted, among `generalLedgerEntries` (account, `debitAmount` − `creditAmount`, dimension set lines).
    ///   Lines on the configured balancing account are the connector's own balancing lines, not expense lines, and are
    ///   left out; the journal API carries no currency: journal lines are in the company's (`companyInformation`, read
    ///   in the same `$batch`).
    /// Every key asked for is in the result; one found nowhere is `.deleted` with no lines.
    public func snapshot(_ documents: [TrackedDocument]) async throws -> [String: ERPDocumentSnapshot] {
        var byCompany: [String: Set<String>] = [:]
        for d in documents { byCompany[d.company, default: []].insert(d.key) }
        var ops: [[ODataJSONBatchRequest]] = []
        var opKind: [String: String] = [:]
        var opURL: [String: (set: String, url: URL)] = [:]
        var opCompany: [String: String] = [:]
        for (configured, keys) in byCompany.sorted(by: { $0.key < $1.key }) {
            let c = try await company(configured)
            if configuration.documentType == .generalJournal {
                // The journal API carries no currency: lines are in the company's, read in the same $batch.
                let set = Self.path(c.id, "companyInformation")
                if let relative = api.relativeCollectionPath(set, select: ["currencyCode"]),
                    let url = api.collectionURL(set, select: ["currencyCode"])
                {
                    let id = "c\(ops.count)"
                    ops.append([ODataJSONBatchRequest(id: id, method: "GET", url: relative)])
                    opKind[id] = "currency"
                    opURL[id] = (set, url)
                    opCompany[id] = configured
                }
            }
            for chunk in keys.sorted().chunked(Self.lookupChunk) {
                var reads: [(id: String, kind: String, set: String, filter: String?, select: [String], expand: String?)] = []
                switch configuration.documentType {
                case .purchaseInvoice:
                    reads.append(
                        (
                            "s\(ops.count)", "invoice", Self.path(c.id, "purchaseInvoices"), ODataFilter.anyOf("vendorInvoiceNumber", chunk),
                            ["id", "number", "status", "vendorInvoiceNumber", "currencyCode"], "purchaseInvoiceLines($expand=dimensionSetLines)"
                        ))
                case .generalJournal:
                    let journal = try await journalID(companyID: c.id)
                    reads.append(
                        (
                            "j\(ops.count)", "journal", Self.path(c.id, "journals(\(journal))/journalLines"),
                            ODataFilter.anyOf("documentNumber", chunk), [], "dimensionSetLines"
                        ))
                    reads.append(
                        (
                            "g\(ops.count)", "entries", Self.path(c.id, "generalLedgerEntries"), ODataFilter.anyOf("documentNumber", chunk),
                            ["entryNumber", "documentNumber", "accountNumber", "debitAmount", "creditAmount"], "dimensionSetLines"
                        ))
                }
                for r in reads {
                    guard let relative = api.relativeCollectionPath(r.set, filter: r.filter, select: r.select, expand: r.expand),
                        let url = api.collectionURL(r.set, filter: r.filter, select: r.select, expand: r.expand)
                    else { throw ConnectorError("bc.invalid_url", "cannot build the read of \(r.set) for company \(configured)") }
                    ops.append([ODataJSONBatchRequest(id: r.id, method: "GET", url: relative)])
                    opKind[r.id] = r.kind
                    opURL[r.id] = (r.set, url)
                }
            }
        }
        let outcome = await send(ops, idempotent: true)
        if let (_, e) = outcome.refused.sorted(by: { $0.key < $1.key }).first { throw e }
        if !outcome.lost.isEmpty {
            throw ConnectorError(
                "bc.lookup_failed", "Business Central did not answer the read-back of \(documents.count) document(s) for reconciliation.",
                isTransient: true)
        }
        var invoices: [[String: JSONValue]] = []
        var journalLines: [[String: JSONValue]] = []
        var entries: [[String: JSONValue]] = []
        var localCurrency: [String: String] = [:]
        for (id, answer) in outcome.answers.sorted(by: { $0.key < $1.key }) {
            guard answer.isSuccess else {
                throw NAVErrors.bc.error(
                    for: .init(status: answer.status, headers: answer.headers, body: answer.bodyData), entitySet: "snapshot", method: "GET")
            }
            var rows = Self.rows(answer)
            if let next = answer.body?["@odata.nextLink"]?.stringValue, !next.isEmpty, let read = opURL[id] {
                // A server page limit smaller than a chunk: the rest outside the $batch, same rules as any paged read.
                let url = try api.nextPageURL(next, current: read.url, entitySet: read.set, visited: [read.url.absoluteString])
                rows += try await api.getAll(read.set, from: url, visited: [read.url.absoluteString])
            }
            switch opKind[id] {
            case "invoice": invoices += rows
            case "journal": journalLines += rows
            case "currency":
                if let company = opCompany[id], let code = rows.first?["currencyCode"]?.stringValue, !code.isEmpty {
                    localCurrency[company] = code
                }
            default: entries += rows
            }
        }

        let wanted = Dictionary(documents.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
        var out: [String: ERPDocumentSnapshot] = [:]
        switch configuration.documentType {
        case .purchaseInvoice:
            for row in invoices {
                guard let key = row["vendorInvoiceNumber"]?.stringValue, let d = wanted[key] else { continue }
                let candidate = Self.invoiceSnapshot(row, company: d.company)
                // Several under one key (should not happen): a posted one wins, then the one with most lines.
                if let have = out[key], have.status == .posted || (candidate.status != .posted && have.lines.count >= candidate.lines.count) {
                    continue
                }
                out[key] = candidate
            }
        case .generalJournal:
            let balancing = configuration.journal?.balancingAccount
            for (key, lines) in Dictionary(grouping: journalLines, by: { $0["documentNumber"]?.stringValue ?? "" }) {
                guard let d = wanted[key] else { continue }
                let currency = localCurrency[d.company]
                let ordered = lines.sorted { ($0["lineNumber"]?.int64Value ?? 0) < ($1["lineNumber"]?.int64Value ?? 0) }
                let expense = ordered.filter { $0["accountNumber"]?.stringValue != balancing }
                out[key] = ERPDocumentSnapshot(
                    key: key, company: d.company, status: .draft, number: key, currency: currency,
                    lines: expense.enumerated().map { n, l in
                        ERPLineSnapshot(
                            lineNumber: n + 1, account: l["accountNumber"]?.stringValue ?? "",
                            amount: NAVSnapshotText.amount(l["amount"]?.stringValue ?? "", currency: currency) ?? "", dimensions: Self.dimensions(l))
                    })
            }
            for (key, posted) in Dictionary(grouping: entries, by: { $0["documentNumber"]?.stringValue ?? "" }) {
                guard let d = wanted[key], out[key] == nil else { continue }
                let currency = localCurrency[d.company]
                let ordered = posted.sorted { ($0["entryNumber"]?.int64Value ?? 0) < ($1["entryNumber"]?.int64Value ?? 0) }
                let expense = ordered.filter { $0["accountNumber"]?.stringValue != balancing }
                out[key] = ERPDocumentSnapshot(
                    key: key, company: d.company, status: .posted, number: key, currency: currency,
                    lines: expense.enumerated().map { n, e in
                        ERPLineSnapshot(
                            lineNumber: n + 1, account: e["accountNumber"]?.stringValue ?? "",
                            amount: Self.entryAmount(e).map { NAVSnapshotText.amount($0, currency: currency) } ?? "",
                            dimensions: Self.dimensions(e))
                    })
            }
        }
        for d in documents where out[d.key] == nil {
            out[d.key] = ERPDocumentSnapshot(key: d.key, company: d.company, status: .deleted, number: nil, currency: nil, lines: [])
        }
        logger.info(
            "Business Central documents read back for reconciliation",
            metadata: [
                "documents": "\(documents.count)", "requests.operations": "\(ops.count)",
                "deleted": "\(out.values.filter { $0.status == .deleted }.count)",
            ])
        return out
    }

    /// A G/L entry's signed amount: `debitAmount` − `creditAmount` (API v2.0 has no `amount` on G/L entries).
    static func entryAmount(_ e: [String: JSONValue]) -> Decimal? {
        guard let debit = DecimalText.parse(e["debitAmount"]?.stringValue ?? "0"),
            let credit = DecimalText.parse(e["creditAmount"]?.stringValue ?? "0")
        else { return nil }
        return debit - credit
    }

    /// A purchase invoice row (with expanded lines) as a snapshot: `Draft` is a draft, any other status posted.
    static func invoiceSnapshot(_ row: [String: JSONValue], company: String) -> ERPDocumentSnapshot {
        let status = row["status"]?.stringValue ?? ""
        let currency = row["currencyCode"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
        let lines = (row["purchaseInvoiceLines"]?.arrayValue ?? []).compactMap(\.objectValue)
            .filter { ($0["lineType"]?.stringValue ?? "Account") != "Comment" }
            .sorted { ($0["sequence"]?.int64Value ?? 0) < ($1["sequence"]?.int64Value ?? 0) }
        return ERPDocumentSnapshot(
            key: row["vendorInvoiceNumber"]?.stringValue ?? "", company: company,
            status: status.isEmpty || status.caseInsensitiveCompare("Draft") == .orderedSame ? .draft : .posted,
            number: row["number"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }, currency: currency,
            lines: lines.enumerated().map { n, l in
                let sequence = Int(l["sequence"]?.int64Value ?? 0)
                let amount =
                    l["amountExcludingTax"]?.stringValue.flatMap { NAVSnapshotText.amount($0, currency: currency) }
                    ?? NAVSnapshotText.product(l["quantity"]?.stringValue ?? "", l["unitCost"]?.stringValue ?? "").map {
                        NAVSnapshotText.amount($0, currency: currency)
                    } ?? ""
                return ERPLineSnapshot(
                    lineNumber: sequence > 0 && sequence % 10000 == 0 ? sequence / 10000 : n + 1,
                    account: l["lineObjectNumber"]?.stringValue ?? "", amount: amount, dimensions: dimensions(l))
            })
    }
}
