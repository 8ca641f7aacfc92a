import ConnectorCore
import Foundation
import OData

/// Where a posted vendor invoice is read back (d365-fo-odata.md §4: "After posting, the posted invoice exists as a
/// vendor transaction. Read access is via BI entities such as `VendTransBiEntities` and `VendInvoiceJourBiEntities`").
/// Property names follow the published metadata of the BI entities. The shape of the lines'
/// `LedgerDimensionValuesJson` is not documented [UNCERTAIN]: it is read as a JSON object (or an array of
/// name/value objects) whose `MainAccount` member is the line's main account.
enum D365PostedInvoice {
    /// Posted invoice headers (VendInvoiceJour).
    static let headerEntitySet = "VendInvoiceJourBiEntities"
    /// Posted invoice lines (VendInvoiceTrans).
    static let lineEntitySet = "VendInvoiceTransBiEntities"

    enum Field {
        static let company = "dataAreaId"
        /// The vendor's invoice number: the connector's stable key.
        static let invoiceID = "InvoiceId"
        static let voucher = "LedgerVoucher"
        static let internalInvoiceID = "InternalInvoiceId"
        static let currency = "CurrencyCode"
        static let lineNumber = "LineNum"
        static let lineAmount = "LineAmount"
        static let ledgerDimensions = "LedgerDimensionValuesJson"
    }

    /// The main account in a `LedgerDimensionValuesJson` text; nil when it names none.
    static func mainAccount(_ json: String) -> String? {
        guard let value = try? JSONValue.parse(json) else { return nil }
        if let object = value.objectValue {
            return object.first { $0.key.lowercased() == "mainaccount" }?.value.stringValue
        }
        for item in value.arrayValue ?? [] {
            guard let o = item.objectValue else { continue }
            let name = (o["DimensionName"] ?? o["Name"] ?? o["name"])?.stringValue?.lowercased()
            if name == "mainaccount" { return (o["Value"] ?? o["DisplayValue"] ?? o["value"])?.stringValue }
        }
        return nil
    }
}

extension D365Target {
    /// What F&O holds now for loaded documents, for reconciliation.
    ///
    /// Round one reads, per company and `lookupChunkSize` keys, the pending headers (`VendorInvoiceHeaders` by
    /// `InvoiceNumber`), the posted headers and posted lines (`VendInvoiceJourBiEntities` / `VendInvoiceTransBiEntities`
    /// by `InvoiceId`), plus the segment delimiter; round two reads the pending lines by `HeaderReference`. With `$batch`
    /// each round is one request (plus one per further page); without, one GET per chunk, never one per document.
    /// A key found posted is `.posted` (number: the voucher); found pending, `.draft` (number: the `HeaderReference`);
    /// neither, `.deleted` with no lines. Amounts are the JSON numbers' exact text.
    public func snapshot(_ documents: [TrackedDocument]) async throws -> [String: ERPDocumentSnapshot] {
        typealias F = VendorInvoicePayload.Field
        typealias P = D365PostedInvoice.Field
        guard !documents.isEmpty else { return [:] }
        let chunk = max(1, settings.lookupChunkSize)
        var keysByCompany: [String: Set<String>] = [:]
        for d in documents { keysByCompany[d.company.lowercased(), default: []].insert(d.key) }
        var ourKeys: [String: [String: String]] = [:]

        enum Kind { case pendingHeaders, postedHeaders, postedLines, delimiter }
        var reads: [D365Read] = [D365Read(entitySet: "DimensionParameters", filter: nil, select: ["DimensionSegmentDelimiter"])]
        var kinds: [(kind: Kind, company: String)] = [(.delimiter, "")]
        for (company, keySet) in keysByCompany.sorted(by: { $0.key < $1.key }) {
            let keys = keySet.sorted()
            ourKeys[company] = Dictionary(keys.map { ($0.lowercased(), $0) }, uniquingKeysWith: { a, _ in a })
            for part in keys.chunked(chunk) {
                reads.append(
                    D365Read(
                        entitySet: VendorInvoicePayload.headerEntitySet,
                        filter: ODataFilter.and([ODataFilter.eq(F.company, company), ODataFilter.anyOf(F.invoiceNumber, part)])))
                kinds.append((.pendingHeaders, company))
                reads.append(
                    D365Read(
                        entitySet: D365PostedInvoice.headerEntitySet,
                        filter: ODataFilter.and([ODataFilter.eq(P.company, company), ODataFilter.anyOf(P.invoiceID, part)]),
                        select: [P.company, P.invoiceID, P.voucher, P.internalInvoiceID, P.currency]))
                kinds.append((.postedHeaders, company))
                reads.append(
                    D365Read(
                        entitySet: D365PostedInvoice.lineEntitySet,
                        filter: ODataFilter.and([ODataFilter.eq(P.company, company), ODataFilter.anyOf(P.invoiceID, part)]),
                        select: [P.company, P.invoiceID, P.internalInvoiceID, P.lineNumber, P.lineAmount, P.currency, P.ledgerDimensions]))
                kinds.append((.postedLines, company))
            }
        }

        struct Found {
            /// The `HeaderReference` of a pending invoice, the voucher of a posted one.
            var reference: String
            var currency: String?
            /// A posted invoice's `InternalInvoiceId`, which its lines carry too ("" when unknown).
            var internalID = ""
            /// Found in `VendorInvoiceHeaders` (a pending header, or one that says `IsPosted`): its lines are pending lines.
            var pendingEntity = false
        }
        var delimiter = "-"
        var pending: [String: Found] = [:]  // our key → pending header (lowest reference wins)
        var posted: [String: Found] = [:]  // our key → posted header (reference: voucher)
        var postedLines: [String: [(internalID: String, line: ERPLineSnapshot)]] = [:]
        for (read, rows) in zip(kinds, try await readAll(reads)) {
            let company = read.company
            for row in rows {
                switch read.kind {
                case .delimiter:
                    if let d = row["DimensionSegmentDelimiter"]?.stringValue.flatMap(DimensionSetup.delimiter(fromEnum:)) { delimiter = d }
                case .pendingHeaders:
                    guard ODataValue.string(row[F.company]).lowercased() == company,
                        let key = ourKeys[company]?[ODataValue.string(row[F.invoiceNumber]).lowercased()],
                        let reference = row[F.headerReference]?.stringValue, !reference.isEmpty
                    else { continue }
                    let currency = row[F.currency]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
                    if VendorInvoicePayload.isPosted(row) {
                        posted[key] = posted[key] ?? Found(reference: reference, currency: currency, pendingEntity: true)
                    } else if let current = pending[key], current.reference <= reference {
                        continue
                    } else {
                        pending[key] = Found(reference: reference, currency: currency, pendingEntity: true)
                    }
                case .postedHeaders:
                    guard ODataValue.string(row[P.company]).lowercased() == company,
                        let key = ourKeys[company]?[ODataValue.string(row[P.invoiceID]).lowercased()]
                    else { continue }
                    let voucher = ODataValue.string(row[P.voucher])
                    if let current = posted[key], !current.pendingEntity, current.reference <= voucher { continue }
                    posted[key] = Found(
                        reference: voucher, currency: row[P.currency]?.stringValue.flatMap { $0.isEmpty ? nil : $0 },
                        internalID: ODataValue.string(row[P.internalInvoiceID]))
                case .postedLines:
                    guard ODataValue.string(row[P.company]).lowercased() == company,
                        let key = ourKeys[company]?[ODataValue.string(row[P.invoiceID]).lowercased()],
                        let line = Self.snapshotLine(
                            number: row[P.lineNumber], amount: row[P.lineAmount],
                            account: D365PostedInvoice.mainAccount(ODataValue.string(row[P.ledgerDimensions])) ?? "")
                    else { continue }
                    postedLines[company + "\u{1F}" + key, default: []].append((ODataValue.string(row[P.internalInvoiceID]), line))
                }
            }
        }

        // Round two: the lines of the headers found in `VendorInvoiceHeaders`.
        var pendingKeys: [D365HeaderKey: String] = [:]
        for d in documents {
            guard let p = posted[d.key] ?? pending[d.key], p.pendingEntity else { continue }
            pendingKeys[D365HeaderKey(company: d.company.lowercased(), reference: p.reference)] = d.key
        }
        var pendingLines: [D365HeaderKey: [ERPLineSnapshot]] = [:]
        if !pendingKeys.isEmpty {
            var lineReads: [D365Read] = []
            var lineCompany: [String] = []
            let byCompany = Dictionary(grouping: pendingKeys.keys, by: \.company)
            for (company, headers) in byCompany.sorted(by: { $0.key < $1.key }) {
                for part in headers.map(\.reference).sorted().chunked(chunk) {
                    lineReads.append(
                        D365Read(
                            entitySet: VendorInvoicePayload.lineEntitySet,
                            filter: ODataFilter.and([ODataFilter.eq(F.company, company), ODataFilter.anyOf(F.headerReference, part)]),
                            select: [F.company, F.headerReference, F.lineNumber, F.netAmount, F.mainAccount]))
                    lineCompany.append(company)
                }
            }
            for (company, rows) in zip(lineCompany, try await readAll(lineReads)) {
                for row in rows {
                    guard let reference = row[F.headerReference]?.stringValue,
                        let line = Self.snapshotLine(
                            number: row[F.lineNumber], amount: row[F.netAmount],
                            account: Self.mainAccount(ODataValue.string(row[F.mainAccount]), delimiter: delimiter))
                    else { continue }
                    pendingLines[D365HeaderKey(company: company, reference: reference), default: []].append(line)
                }
            }
        }

        var out: [String: ERPDocumentSnapshot] = [:]
        for d in documents {
            let company = d.company.lowercased()
            if let p = posted[d.key] {
                let lines =
                    p.pendingEntity
                    ? pendingLines[D365HeaderKey(company: company, reference: p.reference)] ?? []
                    : (postedLines[company + "\u{1F}" + d.key] ?? [])
                        .filter { $0.internalID.isEmpty || p.internalID.isEmpty || $0.internalID == p.internalID }.map(\.line)
                out[d.key] = ERPDocumentSnapshot(
                    key: d.key, company: d.company, status: .posted, number: p.reference.isEmpty ? nil : p.reference, currency: p.currency,
                    lines: lines.sorted { $0.lineNumber < $1.lineNumber })
            } else if let p = pending[d.key] {
                let lines = pendingLines[D365HeaderKey(company: company, reference: p.reference)] ?? []
                out[d.key] = ERPDocumentSnapshot(
                    key: d.key, company: d.company, status: .draft, number: p.reference, currency: p.currency,
                    lines: lines.sorted { $0.lineNumber < $1.lineNumber })
            } else {
                out[d.key] = ERPDocumentSnapshot(key: d.key, company: d.company, status: .deleted, number: nil, currency: nil, lines: [])
            }
        }
        return out
    }

    /// One line from a row's number, amount (exact decimal text) and account; nil without a number or amount.
    static func snapshotLine(number: JSONValue?, amount: JSONValue?, account: String) -> ERPLineSnapshot? {
        guard let n = number?.decimalValue, let value = Int(exactly: NSDecimalNumber(decimal: n).int64Value), Decimal(value) == n,
            let a = amount?.decimalValue
        else { return nil }
        return ERPLineSnapshot(lineNumber: value, account: account, amount: DecimalText.plain(a))
    }

    /// The main account of a ledger display value (`600100-010-W01-`): its first segment, backslash escapes undone.
    static func mainAccount(_ displayValue: String, delimiter: String) -> String {
        var out = ""
        var rest = Substring(displayValue)
        while let c = rest.first {
            if c == "\\", let escaped = rest.dropFirst().first {
                out.append(escaped)
                rest = rest.dropFirst(2)
                continue
            }
            if !delimiter.isEmpty, rest.hasPrefix(delimiter) { break }
            out.append(c)
            rest = rest.dropFirst()
        }
        return out
    }
}
