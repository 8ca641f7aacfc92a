import ConnectorCore
import Foundation

extension NAVTarget {
    /// What NAV holds now for loaded documents, for reconciliation, through the page services (OData v4 or SOAP),
    /// at most `lookupChunk` keys per read (an OData `or` chain, a SOAP `A|B|…` criteria), per company:
    /// - purchase invoices: the drafts with their lines in one read (`PurchaseInvoice`, OData `$expand` of the lines
    ///   part, SOAP `PurchLines` nested), account `No`, amount `Line_Amount` (else Quantity × Direct_Unit_Cost), the
    ///   shortcut dimension fields mapped back through `target.shortcutDimensions`; posted ones from
    ///   `PostedPurchaseInvoices` (page 146 has no lines) with their lines from the G/L entries of the posted number
    ///   (`GeneralLedgerEntries`), leaving out the vendor's payables entry (the one of minus `Amount_Including_VAT`).
    ///   Limits of reading posted lines this way: where VAT is posted its G/L entries show as lines too, NAV combines an
    ///   invoice's lines of one account and dimensions into one entry (lines per account, not per original line), and
    ///   G/L entries are in the local currency;
    /// - journal documents: the journal page's lines by `Document_No` while unposted, then the G/L entries by
    ///   `Document_No`; lines on the configured balancing account are the connector's own balancing lines and are left
    ///   out.
    /// A blank currency is the company's local one (`target.localCurrencies`, nil when not configured). Every key asked
    /// for is in the result; one found nowhere is `.deleted` with no lines.
    public func snapshot(_ documents: [TrackedDocument]) async throws -> [String: ERPDocumentSnapshot] {
        var byCompany: [String: Set<String>] = [:]
        for d in documents { byCompany[d.company, default: []].insert(d.key) }
        var out: [String: ERPDocumentSnapshot] = [:]
        for (company, keys) in byCompany.sorted(by: { $0.key < $1.key }) {
            let local = fields.localCurrency(company)
            for chunk in keys.sorted().chunked(Self.lookupChunk) {
                switch configuration.documentType {
                case .purchaseInvoice:
                    try await snapshotInvoices(company: company, keys: chunk, local: local, into: &out)
                case .generalJournal:
                    try await snapshotJournals(company: company, keys: chunk, local: local, into: &out)
                }
            }
        }
        for d in documents where out[d.key] == nil {
            out[d.key] = ERPDocumentSnapshot(key: d.key, company: d.company, status: .deleted, number: nil, currency: nil, lines: [])
        }
        logger.info(
            "NAV documents read back for reconciliation",
            metadata: [
                "system": "\(name)", "documents": "\(documents.count)", "deleted": "\(out.values.filter { $0.status == .deleted }.count)",
            ])
        return out
    }

    /// Slot → dimension code, from `target.shortcutDimensions`.
    var dimensionSlots: [Int: String] {
        var slots: [Int: String] = [:]
        for (code, slot) in (configuration.shortcutDimensions ?? [:]).sorted(by: { $0.key < $1.key }) where slots[slot] == nil {
            slots[slot] = code
        }
        return slots
    }

    /// The dimensions a row shows in its shortcut fields (`fieldName(slot)`), by dimension code.
    func dimensions(_ row: NAVPageRow, slots: ClosedRange<Int> = 1...8, fieldName: (Int) -> String = { NAVShortcutField.name(slot: $0) }) -> [String:
        String]
    {
        var out: [String: String] = [:]
        for (slot, code) in dimensionSlots where slots.contains(slot) {
            let value = row[fieldName(slot)]
            if !value.isEmpty { out[code] = value }
        }
        return out
    }

    /// The document currency: the row's, or the configured local one when blank.
    static func currency(_ row: NAVPageRow, local: String?) -> String? {
        let code = row["Currency_Code"]
        return code.isEmpty ? local : code
    }

    /// Whether a purchase line is a comment (blank type), which holds no amount.
    static func isComment(_ line: NAVPageRow) -> Bool {
        let type = line["Type"].trimmingCharacters(in: .whitespaces)
        return type.isEmpty || type == "_blank_"
    }

    func snapshotInvoices(company: String, keys: [String], local: String?, into out: inout [String: ERPDocumentSnapshot]) async throws {
        for row in try await backend.readInvoicesWithLines(company: nav(company), keys: keys) {
            let key = row["Vendor_Invoice_No"]
            guard keys.contains(key), out[key]?.status != .posted else { continue }
            let currency = Self.currency(row, local: local)
            let lines = row.lines.filter { !Self.isComment($0) }
            out[key] = ERPDocumentSnapshot(
                key: key, company: company, status: .draft, number: row["No"].isEmpty ? nil : row["No"], currency: currency,
                lines: lines.enumerated().map { n, l in
                    let lineNo = Int(l["Line_No"]) ?? 0
                    let amount =
                        NAVSnapshotText.amount(l["Line_Amount"], currency: currency)
                        ?? NAVSnapshotText.product(l["Quantity"], l["Direct_Unit_Cost"]).map { NAVSnapshotText.amount($0, currency: currency) }
                        ?? ""
                    return ERPLineSnapshot(
                        lineNumber: lineNo > 0 && lineNo % 10000 == 0 ? lineNo / 10000 : n + 1, account: l["No"], amount: amount,
                        dimensions: dimensions(l))
                })
        }
        let posted = try await backend.read(
            company: nav(company), service: services.postedPurchaseInvoices, conditions: [NAVCondition("Vendor_Invoice_No", keys)],
            journalBatch: nil
        ).filter { keys.contains($0["Vendor_Invoice_No"]) && !$0["No"].isEmpty }
        guard !posted.isEmpty else { return }
        var entries: [NAVPageRow] = []
        for numbers in Set(posted.map { $0["No"] }).sorted().chunked(Self.lookupChunk) {
            entries += try await backend.read(
                company: nav(company), service: services.glEntries, conditions: [NAVCondition("Document_No", numbers)], journalBatch: nil)
        }
        let byNumber = Dictionary(grouping: entries, by: { $0["Document_No"] })
        for p in posted {
            let key = p["Vendor_Invoice_No"]
            let currency = Self.currency(p, local: local)
            var lines = (byNumber[p["No"]] ?? []).sorted { (Int($0["Entry_No"]) ?? 0) < (Int($1["Entry_No"]) ?? 0) }
            let total = DecimalText.parse(p["Amount_Including_VAT"]) ?? DecimalText.parse(p["Amount"])
            if let total, let payables = lines.lastIndex(where: { DecimalText.parse($0["Amount"]) == -total }) {
                lines.remove(at: payables)
            }
            out[key] = ERPDocumentSnapshot(
                key: key, company: company, status: .posted, number: p["No"], currency: currency,
                lines: lines.enumerated().map { n, e in
                    ERPLineSnapshot(
                        lineNumber: n + 1, account: e["G_L_Account_No"], amount: NAVSnapshotText.amount(e["Amount"], currency: currency) ?? "",
                        dimensions: dimensions(e, slots: 1...2) { "Global_Dimension_\($0)_Code" })
                })
        }
    }

    func snapshotJournals(company: String, keys: [String], local: String?, into out: inout [String: ERPDocumentSnapshot]) async throws {
        guard let journal = configuration.journal else {
            throw ConnectorError("config.invalid", "target.journal is required for document 'generalJournal'")
        }
        let balancing = journal.balancingAccount
        let lines = try await backend.read(
            company: nav(company), service: services.journal, conditions: journalScope(journal) + [NAVCondition("Document_No", keys)],
            journalBatch: journal.batch)
        for (key, rows) in Dictionary(grouping: lines, by: { $0["Document_No"] }) where keys.contains(key) {
            let ordered = rows.sorted { (Int($0["Line_No"]) ?? 0) < (Int($1["Line_No"]) ?? 0) }
            let currency = ordered.first.flatMap { Self.currency($0, local: local) } ?? local
            out[key] = ERPDocumentSnapshot(
                key: key, company: company, status: .draft, number: key, currency: currency,
                lines: ordered.filter { $0["Account_No"] != balancing }.enumerated().map { n, l in
                    ERPLineSnapshot(
                        lineNumber: n + 1, account: l["Account_No"], amount: NAVSnapshotText.amount(l["Amount"], currency: currency) ?? "",
                        dimensions: dimensions(l))
                })
        }
        let entries = try await backend.read(
            company: nav(company), service: services.glEntries, conditions: [NAVCondition("Document_No", keys)], journalBatch: nil)
        for (key, rows) in Dictionary(grouping: entries, by: { $0["Document_No"] }) where keys.contains(key) && out[key] == nil {
            let ordered = rows.sorted { (Int($0["Entry_No"]) ?? 0) < (Int($1["Entry_No"]) ?? 0) }
            out[key] = ERPDocumentSnapshot(
                key: key, company: company, status: .posted, number: key, currency: local,
                lines: ordered.filter { $0["G_L_Account_No"] != balancing }.enumerated().map { n, e in
                    ERPLineSnapshot(
                        lineNumber: n + 1, account: e["G_L_Account_No"], amount: NAVSnapshotText.amount(e["Amount"], currency: local) ?? "",
                        dimensions: dimensions(e, slots: 1...2) { "Global_Dimension_\($0)_Code" })
                })
        }
    }
}
