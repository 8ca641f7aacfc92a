import ConnectorCore
import ConnectorHTTP
import Foundation
import Logging
import OData

/// Dynamics 365 Finance & Operations as a target: pending vendor invoices over OData
/// (`VendorInvoiceHeaders` / `VendorInvoiceLines`), master data from `Ledgers`, `MainAccounts`, `VendorsV2`,
/// `FinancialDimensionValues`, `DimensionIntegrationFormats` and `DimensionParameters`.
///
/// Reads are batched (one paged read per entity per company, `or`-chained key lookups, several lookups in one
/// `$batch`); writes go in `$batch` requests (`D365Settings.batchSize`, default 50: headers, then their lines,
/// D365Target+Batch.swift), or, with `batchSize` 0, one header POST then one POST per line, in order. A
/// document's stable key is sent as `InvoiceNumber`, so a rerun finds what an earlier run wrote instead of
/// creating it again.
public struct D365Target: TargetSystem {
    /// The `target.type` this target answers to, recorded with each batch.
    public var name: String { D365Configuration.type }
    /// The system name in logs, HTTP audit events and error codes.
    public static let system = "d365"
    /// Where and as whom this target talks to F&O.
    public let settings: D365Settings
    /// The shared OData client on this environment's `/data`, with F&O's error mapping.
    public let odata: ODataClient
    let http: HTTPClient
    let logger: Logger
    /// What is known about the environment (remembered and learned capabilities), shared by copies of this
    /// target for the run.
    let runState = D365RunState()

    /// A target that gets its tokens from Entra ID with the settings' client credentials, through `http`.
    public init(settings: D365Settings, http: HTTPClient, logger: Logger) {
        let tokens = EntraTokenProvider(
            authorityURL: settings.authorityURL, tenant: settings.tenant, clientID: settings.clientID,
            clientSecret: settings.clientSecret, scope: settings.resolvedScope, http: http)
        self.init(settings: settings, http: http, tokens: tokens, logger: logger)
    }

    /// A target with an explicit token provider.
    public init(settings: D365Settings, http: HTTPClient, tokens: any TokenProvider, logger: Logger) {
        self.settings = settings
        self.http = http
        self.logger = logger
        self.odata = ODataClient(
            base: settings.environmentURL, servicePath: "/data", authorization: BearerAuthorization(tokens: tokens),
            http: http, logger: logger, system: Self.system, errors: D365Errors.mapping)
    }

    /// HTTP requests sent so far, tokens included, for run summaries and benchmarks.
    public func requestCount() async -> Int { await http.requestCount }

    /// `d365fo <environment URL>`: capabilities learned about one environment never steer another.
    public var identity: String { name + " " + settings.environmentBase }

    private var chunkSize: Int { max(1, settings.lookupChunkSize) }

    // MARK: - Existing documents

    /// Looks documents up by key, per company, `lookupChunkSize` keys per read, then reads the line numbers of
    /// the headers found. With `$batch` on, all reads of a step travel in one `$batch` (GET parts), so a window of
    /// any size costs one request, plus one more when some headers exist. When one key matches several headers
    /// (should not happen), a posted one wins, then the one with most lines, then the lowest `HeaderReference`.
    public func findExisting(_ documents: [InvoiceDocument]) async throws -> [String: ExistingDocument] {
        typealias F = VendorInvoicePayload.Field
        var keysByCompany: [String: Set<String>] = [:]
        for doc in documents { keysByCompany[doc.company.lowercased(), default: []].insert(doc.key) }

        var reads: [D365Read] = []
        var readCompany: [String] = []
        var ourKeys: [String: [String: String]] = [:]
        for (company, keySet) in keysByCompany.sorted(by: { $0.key < $1.key }) {
            let keys = keySet.sorted()
            var ourKey: [String: String] = [:]
            for key in keys { ourKey[key.lowercased()] = key }
            ourKeys[company] = ourKey
            for chunk in keys.chunked(chunkSize) {
                reads.append(
                    D365Read(
                        entitySet: VendorInvoicePayload.headerEntitySet,
                        filter: ODataFilter.and([ODataFilter.eq(F.company, company), ODataFilter.anyOf(F.invoiceNumber, chunk)])))
                readCompany.append(company)
            }
        }
        var headers: [(key: String, company: String, reference: String, posted: Bool)] = []
        for (company, rows) in zip(readCompany, try await readAll(reads)) {
            for row in rows {
                guard ODataValue.string(row[F.company]).lowercased() == company,
                    let key = ourKeys[company]?[ODataValue.string(row[F.invoiceNumber]).lowercased()],
                    let reference = row[F.headerReference]?.stringValue, !reference.isEmpty
                else { continue }
                headers.append((key, company, reference, VendorInvoicePayload.isPosted(row)))
            }
        }
        guard !headers.isEmpty else { return [:] }

        let lines = try await presentLines(headers.map { D365HeaderKey(company: $0.company, reference: $0.reference) })
        var result: [String: ExistingDocument] = [:]
        for header in headers {
            let numbers = lines[D365HeaderKey(company: header.company, reference: header.reference)] ?? []
            let candidate = ExistingDocument(
                key: header.key, company: header.company, erpReference: header.reference,
                isPosted: header.posted, lineNumbers: numbers.sorted())
            if let current = result[header.key], !Self.prefer(candidate, over: current) { continue }
            result[header.key] = candidate
        }
        return result
    }

    static func prefer(_ a: ExistingDocument, over b: ExistingDocument) -> Bool {
        if a.isPosted != b.isPosted { return a.isPosted }
        if a.lineNumbers.count != b.lineNumbers.count { return a.lineNumbers.count > b.lineNumbers.count }
        return a.erpReference < b.erpReference
    }

    /// The line numbers present under each header (headers without lines are absent from the result).
    func presentLines(_ headers: [D365HeaderKey]) async throws -> [D365HeaderKey: Set<Int>] {
        typealias F = VendorInvoicePayload.Field
        var byCompany: [String: Set<String>] = [:]
        for header in headers { byCompany[header.company, default: []].insert(header.reference) }
        var reads: [D365Read] = []
        var readCompany: [String] = []
        for (company, references) in byCompany.sorted(by: { $0.key < $1.key }) {
            for chunk in references.sorted().chunked(chunkSize) {
                reads.append(
                    D365Read(
                        entitySet: VendorInvoicePayload.lineEntitySet,
                        filter: ODataFilter.and([ODataFilter.eq(F.company, company), ODataFilter.anyOf(F.headerReference, chunk)]),
                        select: [F.headerReference, F.lineNumber]))
                readCompany.append(company)
            }
        }
        var lines: [D365HeaderKey: Set<Int>] = [:]
        for (company, rows) in zip(readCompany, try await readAll(reads)) {
            for row in rows {
                guard let reference = row[F.headerReference]?.stringValue,
                    let number = row[F.lineNumber]?.decimalValue,
                    let value = Int(exactly: NSDecimalNumber(decimal: number).int64Value), Decimal(value) == number
                else { continue }
                lines[D365HeaderKey(company: company, reference: reference), default: []].insert(value)
            }
        }
        return lines
    }

    // MARK: - Loading

    /// The per-request path (`batchSize` 0): header, then each missing line, in order; never a posted document.
    public func load(_ document: InvoiceDocument, existing: ExistingDocument?) async -> DocumentLoadResult {
        let result = await loadDocument(document, existing: existing)
        logResult(result, of: document)
        return result
    }

    func logResult(_ result: DocumentLoadResult, of document: InvoiceDocument, batched: Bool = false) {
        var metadata: Logger.Metadata = [
            "system": "d365", "document.key": "\(document.key)", "erp.company": "\(document.company)",
            "load.status": "\(result.status.rawValue)", "load.lines_written": "\(result.linesWritten)",
        ]
        if batched { metadata["load.batched"] = "true" }
        logger.debug("D365 document load", metadata: metadata)
    }

    private func loadDocument(_ doc: InvoiceDocument, existing: ExistingDocument?) async -> DocumentLoadResult {
        if let existing { return await complete(doc, existing: existing) }

        let header: [String: JSONValue]
        do {
            header = try VendorInvoicePayload.header(doc)
            // Check every line before writing anything, so a bad amount cannot leave a header without lines.
            for line in doc.lines { _ = try VendorInvoicePayload.line(line, of: doc, headerReference: "") }
        } catch {
            return Self.failed(doc.key, error, reference: nil, written: 0)
        }

        let created: [String: JSONValue]
        do {
            created = try await odata.create(VendorInvoicePayload.headerEntitySet, body: header)
        } catch let error as ConnectorError where error.isTransient {
            // The POST may have committed before the failure: look the key up, never post a second header.
            do {
                if let found = try await findExisting([doc])[doc.key] { return await complete(doc, existing: found) }
                return Self.failed(doc.key, error, reference: nil, written: 0)
            } catch let lookup {
                var failure = error
                failure.message += " The follow-up lookup failed too (\(Self.code(of: lookup))); the next run will look again."
                return Self.failed(doc.key, failure, reference: nil, written: 0)
            }
        } catch let error as ConnectorError where VendorInvoicePayload.isDuplicateInvoiceRejection(error) {
            // The number is taken. If it is a pending invoice the caller did not know about, continue it;
            // otherwise it is posted or out of reach: nothing is written and a person decides.
            if let found = try? await findExisting([doc])[doc.key] { return await complete(doc, existing: found) }
            return Self.duplicate(doc, error)
        } catch {
            return Self.failed(doc.key, error, reference: nil, written: 0)
        }

        guard let reference = created[VendorInvoicePayload.Field.headerReference]?.stringValue, !reference.isEmpty else {
            // A server that answers 201 without the entity (or without its key): find the header by key now.
            if let found = try? await findExisting([doc])[doc.key] { return await complete(doc, existing: found) }
            let error = ConnectorError(
                "d365.unexpected_response",
                "D365 created the header but its answer has no HeaderReference and the lookup did not find it yet; the next run will find it by key.",
                context: ["document.key": doc.key, "d365.entity_set": VendorInvoicePayload.headerEntitySet])
            return Self.failed(doc.key, error, reference: nil, written: 0)
        }
        return await writeLines(doc, doc.lines, headerReference: reference, status: .created)
    }

    /// Continues a document found under its key: never touches a posted one; adds only missing lines.
    func complete(_ doc: InvoiceDocument, existing: ExistingDocument) async -> DocumentLoadResult {
        if existing.isPosted {
            return DocumentLoadResult(
                key: doc.key, status: .locked, erpReference: existing.erpReference, linesWritten: 0,
                errorCode: "d365.posted",
                errorMessage: "Pending vendor invoice \(existing.erpReference) is already posted; nothing was changed.")
        }
        let present = Set(existing.lineNumbers)
        let missing = doc.lines.filter { !present.contains($0.lineNumber) }
        if missing.isEmpty {
            return DocumentLoadResult(key: doc.key, status: .alreadyPresent, erpReference: existing.erpReference, linesWritten: 0)
        }
        do {
            for line in missing { _ = try VendorInvoicePayload.line(line, of: doc, headerReference: existing.erpReference) }
        } catch {
            return Self.failed(doc.key, error, reference: existing.erpReference, written: 0)
        }
        return await writeLines(doc, missing, headerReference: existing.erpReference, status: .completed)
    }

    /// Posts lines one by one, in order (lines of one invoice are never written in parallel). A line whose POST
    /// fails ambiguously is looked up before the document is declared failed.
    func writeLines(
        _ doc: InvoiceDocument, _ lines: [InvoiceLine], headerReference: String,
        status: DocumentLoadResult.Status
    ) async -> DocumentLoadResult {
        var written = 0
        for line in lines {
            do {
                let body = try VendorInvoicePayload.line(line, of: doc, headerReference: headerReference)
                _ = try await odata.create(VendorInvoicePayload.lineEntitySet, body: body)
                written += 1
            } catch let error as ConnectorError where error.isTransient {
                let key = D365HeaderKey(company: doc.company, reference: headerReference)
                let present = try? await presentLines([key])
                if present?[key]?.contains(line.lineNumber) == true {
                    written += 1
                    continue
                }
                return Self.failed(doc.key, error, reference: headerReference, written: written)
            } catch {
                return Self.failed(doc.key, error, reference: headerReference, written: written)
            }
        }
        return DocumentLoadResult(key: doc.key, status: status, erpReference: headerReference, linesWritten: written)
    }

    static func failed(_ key: String, _ error: any Error, reference: String?, written: Int) -> DocumentLoadResult {
        let message: String
        if let error = error as? ConnectorError {
            message = error.message
        } else if error is CancellationError {
            message = "Cancelled before D365 confirmed the document."
        } else {
            message = "Unexpected failure: \(error)"
        }
        return DocumentLoadResult(
            key: key, status: .failed, erpReference: reference, linesWritten: written,
            errorCode: code(of: error), errorMessage: message)
    }

    static func code(of error: any Error) -> String {
        if let error = error as? ConnectorError { return error.code }
        if error is CancellationError { return "cancelled" }
        return "d365.unexpected"
    }
}
