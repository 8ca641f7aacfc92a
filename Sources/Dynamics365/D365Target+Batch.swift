import ConnectorCore
import ConnectorHTTP
import Foundation
import Logging
import OData

/// Remembers, for one target (one run), that the environment does not take `$batch` or `$n` references, so
/// the warning is logged once and every later document goes the per-document way.
actor D365BatchSupport {
    private(set) var isUnsupported = false

    /// Marks `$batch` as unusable; true only the first time (the caller warns then).
    func markUnsupported() -> Bool {
        defer { isUnsupported = true }
        return !isUnsupported
    }
}

/// A unit of loading work: one document the per-document way, or new documents packed into one `$batch`.
enum D365LoadWork: Sendable {
    case single(InvoiceDocument, ExistingDocument?)
    case batch([InvoiceDocument])
}

/// What a unit of work came to: results to report, and work it hands back (documents to send again).
struct D365LoadOutcome: Sendable {
    var results: [DocumentLoadResult] = []
    var followUp: [D365LoadWork] = []
}

/// A new document ready for a changeset: its header body and its line bodies (without `HeaderReference`).
struct D365PreparedDocument: Sendable {
    var document: InvoiceDocument
    var header: [String: JSONValue]
    var lines: [[String: JSONValue]]

    init(_ doc: InvoiceDocument) throws {
        document = doc
        header = try VendorInvoicePayload.header(doc)
        lines = try doc.lines.map { try VendorInvoicePayload.batchLine($0, of: doc) }
    }
}

/// What one document's changeset came to, read from a `$batch` answer.
enum D365ChangesetOutcome: Sendable {
    /// Every operation answered 2xx: header and all lines exist.
    case created(headerReference: String, linesWritten: Int)
    /// One 4xx error part replaced the changeset: nothing of it was applied. `entitySet` is the failing operation's.
    case rejected(ODataBatchPart, entitySet: String)
    /// 404/405/501 for an operation: the server does not route the request or the `$n` reference.
    case unsupported(ODataBatchPart)
    /// 429/503 for the changeset: not processed.
    case throttled(ODataBatchPart)
    /// An answer that does not say clearly whether the changeset was applied; the document must be looked up.
    case uncertain(String)
    /// No answer for this changeset: the server stopped processing before it.
    case notProcessed
}

/// The request for one `$batch` of new documents, and the reading of its answer.
///
/// Content-IDs are unique within the whole batch request (OData v4.01 requires it, v4.0 servers accept it):
/// the first document's header is `1` and its lines `2…n`, the next document's header `n+1`, and so on; each line
/// is `POST $<its header's Content-ID>/VendorInvoiceLine`. Answers are matched to documents by Content-ID when the
/// server echoes them and by order otherwise.
struct D365BatchPlan: Sendable {
    let documents: [InvoiceDocument]
    let changesets: [ODataChangeset]
    let headerIDs: [String]
    let lineCounts: [Int]
    /// Content-ID → index of the document whose changeset holds it.
    let owner: [String: Int]

    init(_ prepared: [D365PreparedDocument], base: String) {
        var changesets: [ODataChangeset] = []
        var headerIDs: [String] = []
        var owner: [String: Int] = [:]
        var next = 1
        for (index, doc) in prepared.enumerated() {
            let headerID = String(next)
            next += 1
            owner[headerID] = index
            var operations = [ODataBatchOperation(contentID: headerID, url: base + "/data/" + VendorInvoicePayload.headerEntitySet,
                                                  body: doc.header)]
            for line in doc.lines {
                let id = String(next)
                next += 1
                owner[id] = index
                operations.append(ODataBatchOperation(contentID: id, url: "$\(headerID)/" + VendorInvoicePayload.linesNavigation, body: line))
            }
            changesets.append(ODataChangeset(operations))
            headerIDs.append(headerID)
        }
        self.documents = prepared.map(\.document)
        self.changesets = changesets
        self.headerIDs = headerIDs
        self.lineCounts = prepared.map(\.lines.count)
        self.owner = owner
    }

    /// One outcome per document, in document order; nil when the answer does not fit the request (more items
    /// than changesets, one document answered twice, one item naming several documents).
    func interpret(_ items: [ODataBatchResponseItem]) -> [D365ChangesetOutcome]? {
        var answered: [Int: [ODataBatchPart]] = [:]
        for (position, item) in items.enumerated() {
            let parts = item.parts
            let owners = Set(parts.compactMap { $0.contentID.flatMap { owner[$0] } })
            let index: Int
            if owners.count == 1, let only = owners.first {
                index = only
            } else if owners.isEmpty, position < documents.count {
                index = position
            } else {
                return nil
            }
            guard answered[index] == nil else { return nil }
            answered[index] = parts
        }
        return documents.indices.map { outcome(answered[$0], index: $0) }
    }

    private func outcome(_ parts: [ODataBatchPart]?, index: Int) -> D365ChangesetOutcome {
        guard let parts, !parts.isEmpty else { return .notProcessed }
        let failures = parts.filter { !$0.isSuccess }
        let expected = 1 + lineCounts[index]
        guard let failure = failures.first else {
            guard parts.count == expected else {
                return .uncertain("D365 answered \(parts.count) operations of a changeset that had \(expected).")
            }
            let header = parts.first { $0.contentID == headerIDs[index] } ?? parts[0]
            guard let reference = (try? JSONValue.parse(header.body))?[VendorInvoicePayload.Field.headerReference]?.stringValue,
                  !reference.isEmpty else {
                return .uncertain("D365 created the header in a $batch but its answer has no HeaderReference.")
            }
            return .created(headerReference: reference, linesWritten: lineCounts[index])
        }
        guard parts.count == 1 else {
            // Atomic changesets answer with one error part; successes beside an error leave the outcome open.
            return .uncertain("D365 answered a changeset with \(parts.count - failures.count) successes and \(failures.count) failures (HTTP \(failure.status)).")
        }
        switch failure.status {
        case 404, 405, 501:
            return .unsupported(failure)
        case 429, 503:
            return .throttled(failure)
        case 400..<500:
            let isLine = failure.contentID.map { $0 != headerIDs[index] && owner[$0] == index } ?? false
            return .rejected(failure, entitySet: isLine ? VendorInvoicePayload.lineEntitySet : VendorInvoicePayload.headerEntitySet)
        default:
            return .uncertain("D365 answered a changeset with HTTP \(failure.status).")
        }
    }
}

extension D365Target {
    /// Most operations put in one `$batch` (S-spl mentions 5,000 per batch; not a verified F&O limit).
    static let maxOperationsPerBatch = 1000

    /// Whole-request statuses that mean "this server does not take this `$batch`" (nothing was processed).
    static let batchUnsupportedStatuses: Set<Int> = [400, 404, 405, 413, 415, 501]

    /// Writes many documents, at most `concurrency` units of work at once.
    ///
    /// With `settings.batchSize` 0 every document goes through `load`, as the protocol's default does. Otherwise
    /// documents already in the ERP (`existing[key] != nil`) still go through `load` (it completes missing
    /// lines), and new ones are packed `batchSize` at a time into one `$batch` each, one atomic changeset per
    /// document. What a `$batch` cannot settle goes back on the queue as per-document work:
    /// - a failure after the request may have been applied (network, 5xx, an unreadable answer): every document
    ///   of the batch is looked up; those found are continued (`complete`); the others are sent again one by one
    ///   when the server answered (it is done with the batch), but left failed for the next run when no answer
    ///   came at all (it may still be applying them);
    /// - a duplicate-invoice rejection of a header: looked up and continued if pending, else `.locked`;
    /// - changesets the server did not process (it stopped after an error): sent again in a new `$batch`;
    /// - a server that does not take `$batch` or `$n` references (404/405/501, or a 400 for the whole request):
    ///   warned about once, then everything left is loaded per document for the rest of the run.
    public func loadAll(_ documents: [InvoiceDocument], existing: [String: ExistingDocument], concurrency: Int,
                        onResult: @escaping @Sendable (DocumentLoadResult) async -> Void) async {
        var queue = Self.plan(documents, existing: existing, batchSize: settings.batchSize)
        let bound = max(1, concurrency)
        await withTaskGroup(of: D365LoadOutcome.self) { group in
            var running = 0
            while true {
                while running < bound, !queue.isEmpty {
                    let work = queue.removeFirst()
                    if case .batch(let docs) = work, await batchSupport.isUnsupported {
                        queue.insert(contentsOf: docs.map { D365LoadWork.single($0, nil) }, at: 0)
                        continue
                    }
                    group.addTask { await self.perform(work) }
                    running += 1
                }
                guard let outcome = await group.next() else { break }
                running -= 1
                for result in outcome.results { await onResult(result) }
                queue.insert(contentsOf: outcome.followUp, at: 0)
            }
        }
    }

    /// Splits documents into work: existing ones singly, new ones in batches of `batchSize` (and at most
    /// `maxOperationsPerBatch` operations), in input order. `batchSize` 0: every document singly.
    static func plan(_ documents: [InvoiceDocument], existing: [String: ExistingDocument], batchSize: Int) -> [D365LoadWork] {
        guard batchSize > 0 else { return documents.map { .single($0, existing[$0.key]) } }
        var work: [D365LoadWork] = []
        var chunk: [InvoiceDocument] = []
        var operations = 0
        for doc in documents {
            if let found = existing[doc.key] {
                work.append(.single(doc, found))
                continue
            }
            let size = 1 + doc.lines.count
            if !chunk.isEmpty, chunk.count >= batchSize || operations + size > maxOperationsPerBatch {
                work.append(.batch(chunk))
                chunk = []
                operations = 0
            }
            chunk.append(doc)
            operations += size
        }
        if !chunk.isEmpty { work.append(.batch(chunk)) }
        return work
    }

    func perform(_ work: D365LoadWork) async -> D365LoadOutcome {
        switch work {
        case .single(let doc, let found):
            return D365LoadOutcome(results: [await load(doc, existing: found)])
        case .batch(let docs):
            return await loadBatch(docs)
        }
    }

    // MARK: - One $batch

    private func loadBatch(_ docs: [InvoiceDocument]) async -> D365LoadOutcome {
        var outcome = D365LoadOutcome()
        var prepared: [D365PreparedDocument] = []
        for doc in docs {
            do {
                // Every body is built before anything is sent, so a bad amount cannot leave a header without lines.
                prepared.append(try D365PreparedDocument(doc))
            } catch {
                outcome.results.append(reported(Self.failed(doc.key, error, reference: nil, written: 0), doc))
            }
        }
        guard !prepared.isEmpty else { return outcome }
        if await batchSupport.isUnsupported {
            outcome.followUp = prepared.map { .single($0.document, nil) }
            return outcome
        }

        let plan = D365BatchPlan(prepared, base: odata.base)
        let response: HTTPResponse
        do {
            response = try await odata.batch(plan.changesets)
        } catch let error as ConnectorError where error.isTransient {
            logger.info("D365 $batch failed after it may have been applied; looking its documents up", metadata: [
                "system": "d365", "d365.documents": "\(plan.documents.count)", "error.code": "\(error.code)",
            ])
            return outcome.merged(await settleByLookup(plan.documents.map { ($0, .uncertain(error)) }))
        } catch {
            outcome.results += plan.documents.map { reported(Self.failed($0.key, error, reference: nil, written: 0), $0) }
            return outcome
        }

        let status = response.status
        guard response.isSuccess else {
            if Self.batchUnsupportedStatuses.contains(status) {
                await fallBack(status: status, reason: "the $batch request")
                outcome.followUp = plan.documents.map { .single($0, nil) }
            } else if status >= 500 && status != 503 {
                let error = D365Errors.error(for: response, entitySet: "$batch", method: "POST")
                return outcome.merged(await settleByLookup(plan.documents.map { ($0, .uncertain(error)) }))
            } else {
                // 401 after the refresh, 403, 429/503 after the retries, other 4xx: nothing was processed.
                let error = D365Errors.error(for: response, entitySet: "$batch", method: "POST")
                outcome.results += plan.documents.map { reported(Self.failed($0.key, error, reference: nil, written: 0), $0) }
            }
            return outcome
        }

        let outcomes: [D365ChangesetOutcome]
        do {
            let items = try ODataBatch.parseResponse(response.body, contentType: response.header("Content-Type"))
            guard let read = plan.interpret(items) else {
                throw ODataBatch.ParseError(description: "its parts do not match the changesets sent")
            }
            outcomes = read
        } catch {
            let failure = ConnectorError("d365.unexpected_response", "D365's answer to a $batch could not be read (\(error)).",
                                         context: ["d365.entity_set": "$batch", "http.status": String(status)], isTransient: true)
            return outcome.merged(await settleByLookup(plan.documents.map { ($0, .uncertain(failure)) }))
        }

        var lookups: [(InvoiceDocument, LookupReason)] = []
        var notProcessed: [InvoiceDocument] = []
        var created = 0
        for (doc, result) in zip(plan.documents, outcomes) {
            switch result {
            case .created(let reference, let lines):
                created += 1
                outcome.results.append(reported(DocumentLoadResult(key: doc.key, status: .created, erpReference: reference,
                                                                   linesWritten: lines), doc))
            case .rejected(let part, let entitySet):
                var error = D365Errors.error(for: part.response, entitySet: entitySet, method: "POST")
                if let id = part.contentID { error.context["d365.content_id"] = id }
                if entitySet == VendorInvoicePayload.headerEntitySet, VendorInvoicePayload.isDuplicateInvoiceRejection(error) {
                    lookups.append((doc, .duplicate(error)))
                } else {
                    outcome.results.append(reported(Self.failed(doc.key, error, reference: nil, written: 0), doc))
                }
            case .unsupported(let part):
                await fallBack(status: part.status, reason: "an operation inside a changeset")
                lookups.append((doc, .unsupported))
            case .throttled:
                outcome.followUp.append(.single(doc, nil))
            case .uncertain(let reason):
                lookups.append((doc, .uncertain(ConnectorError("d365.unexpected_response", reason,
                                                                context: ["d365.entity_set": "$batch"], isTransient: true))))
            case .notProcessed:
                notProcessed.append(doc)
            }
        }
        if notProcessed.count == plan.documents.count {
            // Nothing matched at all; never loop on such an answer.
            let failure = ConnectorError("d365.unexpected_response", "D365's answer to a $batch has no part for any changeset.",
                                         context: ["d365.entity_set": "$batch"], isTransient: true)
            lookups += notProcessed.map { ($0, .uncertain(failure)) }
        } else if !notProcessed.isEmpty {
            outcome.followUp.append(.batch(notProcessed))
        }
        logger.debug("D365 $batch answered", metadata: [
            "system": "d365", "d365.documents": "\(plan.documents.count)", "d365.created": "\(created)",
            "d365.lookups": "\(lookups.count)", "d365.not_processed": "\(notProcessed.count)",
        ])
        return outcome.merged(await settleByLookup(lookups))
    }

    /// Why a document of a batch has to be looked up before anything else is done with it.
    enum LookupReason: Sendable {
        /// The batch (or its changeset) may or may not have been applied.
        case uncertain(ConnectorError)
        /// The header was refused because its invoice number is taken.
        case duplicate(ConnectorError)
        /// The server did not route an operation; its changeset should have been rolled back.
        case unsupported
    }

    /// Looks documents up (one batched lookup) and continues those found; the others are sent again per
    /// document, except duplicate-number rejections, which are `.locked` as in `load`.
    private func settleByLookup(_ items: [(InvoiceDocument, LookupReason)]) async -> D365LoadOutcome {
        var outcome = D365LoadOutcome()
        guard !items.isEmpty else { return outcome }
        let found: [String: ExistingDocument]
        do {
            found = try await findExisting(items.map(\.0))
        } catch let lookup {
            for (doc, reason) in items {
                switch reason {
                case .duplicate(let error):
                    outcome.results.append(reported(Self.duplicate(doc, error), doc))
                case .uncertain(var error):
                    error.message += " The follow-up lookup failed too (\(Self.code(of: lookup))); the next run will look again."
                    outcome.results.append(reported(Self.failed(doc.key, error, reference: nil, written: 0), doc))
                case .unsupported:
                    outcome.results.append(reported(Self.failed(doc.key, lookup, reference: nil, written: 0), doc))
                }
            }
            return outcome
        }
        for (doc, reason) in items {
            if let existing = found[doc.key] {
                outcome.results.append(reported(await complete(doc, existing: existing), doc))
            } else if case .duplicate(let error) = reason {
                outcome.results.append(reported(Self.duplicate(doc, error), doc))
            } else if case .uncertain(var error) = reason, error.code == ErrorCode.httpNetwork {
                // No answer at all: the server may still be applying the batch, so "not found yet" proves
                // nothing. Never send it again in this run; the next run looks it up first.
                error.message += " It was not found right after, but D365 may still be applying it, so it is not sent again in this run; the next run looks it up first."
                outcome.results.append(reported(Self.failed(doc.key, error, reference: nil, written: 0), doc))
            } else {
                // The server answered (5xx, unreadable reply): it finished with the batch, so the lookup is
                // conclusive and what is missing was rolled back.
                outcome.followUp.append(.single(doc, nil))
            }
        }
        return outcome
    }

    static func duplicate(_ doc: InvoiceDocument, _ error: ConnectorError) -> DocumentLoadResult {
        DocumentLoadResult(key: doc.key, status: .locked, erpReference: nil, linesWritten: 0, errorCode: "d365.duplicate_invoice",
                           errorMessage: "D365 already holds invoice number \(doc.key) outside the pending invoices (probably posted): \(error.message)")
    }

    private func fallBack(status: Int, reason: String) async {
        guard await batchSupport.markUnsupported() else { return }
        logger.warning("D365 does not accept this $batch; loading per document for the rest of the run", metadata: [
            "system": "d365", "http.status": "\(status)", "d365.batch_failure": "\(reason)",
        ])
    }

    private func reported(_ result: DocumentLoadResult, _ doc: InvoiceDocument) -> DocumentLoadResult {
        logResult(result, of: doc, batched: true)
        return result
    }
}

extension D365LoadOutcome {
    func merged(_ other: D365LoadOutcome) -> D365LoadOutcome {
        D365LoadOutcome(results: results + other.results, followUp: followUp + other.followUp)
    }
}
