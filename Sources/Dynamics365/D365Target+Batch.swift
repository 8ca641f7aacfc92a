import ConnectorCore
import ConnectorHTTP
import Foundation
import Logging
import OData

extension D365Target {
    /// Most operations put in one `$batch` (Microsoft documents 5,000; a smaller request keeps each answer quick).
    static let maxOperationsPerBatch = 1000

    /// How often one job may be handed back (throttled, not processed, refused strategy) before it fails.
    static let maxAttempts = 4

    /// Whole-request statuses meaning "this environment has no `$batch`": remembered for later runs.
    static let batchAbsentStatuses: Set<Int> = [404, 405, 501]

    /// Whole-request statuses meaning "this `$batch` was not taken", without proving the endpoint is absent:
    /// the rest of this run goes per document.
    static let batchRefusedStatuses: Set<Int> = [400, 413, 415]

    /// How new documents are written now (settings plus what is known about the environment).
    func writeMode() async -> D365WriteMode {
        guard settings.batchSize > 0 else { return .perDocument }
        if await runState.value(D365Capability.batch) == D365Capability.unsupported { return .perDocument }
        switch settings.keyAssignment {
        case .client:
            return await runState.value(D365Capability.clientHeaderReference) == D365Capability.refused ? .twoPhase : .clientKeys
        case .server:
            if settings.batchStrategy == .references,
                await runState.value(D365Capability.contentIDReferences) != D365Capability.unsupported
            {
                return .references
            }
            return .twoPhase
        }
    }

    /// Starts the run from what the ledger remembers of this environment, so a known refusal is not tried again.
    public func useCapabilities(_ remembered: [String: String]) async {
        await runState.remember(remembered)
        if !remembered.isEmpty {
            let mode = await writeMode()
            let facts = remembered.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
            logger.info(
                "D365 capabilities remembered from earlier runs",
                metadata: [
                    "system": "d365", "d365.capabilities": "\(facts)", "d365.write_mode": "\(mode.rawValue)",
                ])
        }
    }

    /// What this run learned that later runs should start from (the pipeline stores it without reading it).
    public func learnedCapabilities() async -> [String: String] { await runState.learnedFacts() }

    /// Per document: 200 documents a round. Batched: four rounds of `batchSize` × `concurrency` documents (at most
    /// 4,000, always a multiple of `batchSize`), so lookups are few and every `$batch` is full except the last.
    public func loadWindow(concurrency: Int) -> Int {
        guard settings.batchSize > 0 else { return 200 }
        let size = settings.batchSize
        let cap = max(size, (4000 / size) * size)
        return min(size * max(1, concurrency) * 4, cap)
    }

    /// Writes many documents, at most `concurrency` requests at once; lines of one invoice always travel together
    /// and in order.
    ///
    /// Per document (`batchSize` 0, or no `$batch`): every document goes through `load`. Otherwise:
    /// - documents found under their key: posted ones are `.locked`, complete ones `.alreadyPresent`, the others
    ///   get their missing lines in a lines changeset;
    /// - new documents, `twoPhase`: a changeset with the header alone; when its 201 names the `HeaderReference`, a
    ///   later `$batch` carries a changeset with all its lines. A `$batch` mixes second-phase lines with the next
    ///   headers, so a night of N invoices costs about N / `batchSize` requests plus one per lane;
    /// - `references`: header and lines in one changeset through `$n`; `clientKeys`: header with the derived
    ///   reference and its lines in one changeset;
    /// - lines refused by D365 (a validation error) for a header that holds no other line of ours: the header is
    ///   deleted again in the same run and the document fails with D365's message;
    /// - anything that may or may not have been applied (no answer, 5xx, an unreadable answer) is looked up, never
    ///   sent blindly: what is found is continued; what is missing is sent again when the server answered (it is
    ///   done with the request), and left for the next run when no answer came at all (it may still be applying it);
    /// - a server that refuses `$n` references or client keys is noticed on the first refusal: the document goes
    ///   again two-phase, the rest of the run too, and `learnedCapabilities()` reports it for the next run.
    public func loadAll(
        _ documents: [InvoiceDocument], existing: [String: ExistingDocument], concurrency: Int,
        onResult: @escaping @Sendable (DocumentLoadResult) async -> Void
    ) async {
        let bound = max(1, concurrency)
        var queue = D365WorkQueue()
        let startMode = await writeMode()
        for doc in documents {
            if let found = existing[doc.key] {
                if startMode == .perDocument {
                    queue.singles.append(.document(doc))
                    continue
                }
                let present = Set(found.lineNumbers)
                let missing = doc.lines.filter { !present.contains($0.lineNumber) }
                if found.isPosted || missing.isEmpty {
                    // Nothing to send: `complete` answers `.locked` or `.alreadyPresent` without a request.
                    let result = await complete(doc, existing: found)
                    logResult(result, of: doc, batched: true)
                    await onResult(result)
                    continue
                }
                let job = D365LinesJob(
                    document: doc, reference: found.erpReference, lines: missing, status: .completed,
                    headerIsEmpty: found.lineNumbers.isEmpty)
                do {
                    // Every missing line's body is checked before any is sent.
                    _ = try job.bodies()
                    queue.lines.append(job)
                } catch {
                    let result = Self.failed(doc.key, error, reference: found.erpReference, written: 0)
                    logResult(result, of: doc, batched: true)
                    await onResult(result)
                }
                continue
            }
            if startMode == .perDocument {
                queue.singles.append(.document(doc))
                continue
            }
            do {
                queue.news.append(D365NewJob(prepared: try D365PreparedDocument(doc)))
            } catch {
                let result = Self.failed(doc.key, error, reference: nil, written: 0)
                logResult(result, of: doc, batched: true)
                await onResult(result)
            }
        }
        // Documents found under their key and loaded per document keep what was found.
        let found = existing
        await withTaskGroup(of: D365Step.self) { group in
            var running = 0
            while true {
                while running < bound {
                    let mode = await writeMode()
                    guard
                        let unit = queue.next(
                            mode: mode, batchSize: settings.batchSize, maxOperations: Self.maxOperationsPerBatch,
                            root: odata.root)
                    else { break }
                    group.addTask { await self.perform(unit, existing: found) }
                    running += 1
                }
                guard let step = await group.next() else { break }
                running -= 1
                for result in step.results { await onResult(result) }
                queue.add(step)
            }
        }
    }

    func perform(_ unit: D365LoadUnit, existing: [String: ExistingDocument]) async -> D365Step {
        switch unit {
        case .single(.document(let doc)):
            return D365Step(results: [await load(doc, existing: existing[doc.key])])
        case .single(.lines(let job)):
            let result = await writeLines(job.document, job.lines, headerReference: job.reference, status: job.status)
            logResult(result, of: job.document)
            return D365Step(results: [result])
        case .single(.remove(let job)):
            return D365Step(results: [await removeOne(job)])
        case .batch(let request):
            return await send(request)
        }
    }

    // MARK: - One $batch

    private func send(_ request: D365BatchRequest) async -> D365Step {
        let response: HTTPResponse
        do {
            response = try await odata.batch(items: request.changesets.map { .changeset($0) }, idempotent: false)
        } catch let error as ConnectorError where error.isTransient {
            logger.info(
                "D365 $batch failed after it may have been applied; looking its documents up",
                metadata: [
                    "system": "d365", "d365.changesets": "\(request.entries.count)", "error.code": "\(error.code)",
                ])
            return await settle(request.entries, because: error)
        } catch {
            return failAll(request.entries, error)
        }

        let status = response.status
        guard response.isSuccess else {
            if Self.batchAbsentStatuses.contains(status) || Self.batchRefusedStatuses.contains(status) {
                await learn(
                    D365Capability.batch, D365Capability.unsupported, remember: Self.batchAbsentStatuses.contains(status),
                    "D365 does not accept this $batch; loading per document for the rest of the run", status: status)
                return D365Step(singles: request.entries.map(Self.single))
            }
            let error = D365Errors.error(for: response, entitySet: "$batch", method: "POST")
            if status >= 500 && status != 503 { return await settle(request.entries, because: error) }
            // 401 after the refresh, 403, 429/503 after the retries, other 4xx: nothing was processed.
            return failAll(request.entries, error)
        }

        let outcomes: [D365ChangesetOutcome]
        do {
            let items = try ODataBatch.parseResponse(response.body, contentType: response.header("Content-Type"))
            guard let read = request.interpret(items) else {
                throw ODataBatch.ParseError(description: "its parts do not match the changesets sent")
            }
            outcomes = read
        } catch {
            let failure = ConnectorError(
                "d365.unexpected_response", "D365's answer to a $batch could not be read (\(error)).",
                context: ["d365.entity_set": "$batch", "http.status": String(status)], isTransient: true)
            return await settle(request.entries, because: failure)
        }
        if outcomes.allSatisfy({ if case .notProcessed = $0 { return true } else { return false } }) {
            // Nothing matched at all; never loop on such an answer.
            let failure = ConnectorError(
                "d365.unexpected_response", "D365's answer to a $batch has no part for any changeset.",
                context: ["d365.entity_set": "$batch"], isTransient: true)
            return await settle(request.entries, because: failure)
        }

        var step = D365Step()
        var creates: [(D365NewJob, LookupReason)] = []
        var lines: [(D365LinesJob, ConnectorError)] = []
        for (entry, outcome) in zip(request.entries, outcomes) {
            switch entry {
            case .header(let job):
                await handleCreate(job, shape: .header, outcome, into: &step, lookups: &creates)
            case .withReferences(let job):
                await handleCreate(job, shape: .references, outcome, into: &step, lookups: &creates)
            case .withClientKey(let job, let reference):
                await handleCreate(job, shape: .clientKey(reference), outcome, into: &step, lookups: &creates)
            case .lines(let job, _):
                await handleLines(job, outcome, into: &step, lookups: &lines)
            case .remove(let job):
                handleRemove(job, outcome, into: &step)
            }
        }
        logger.debug(
            "D365 $batch answered",
            metadata: [
                "system": "d365", "d365.changesets": "\(request.entries.count)", "d365.results": "\(step.results.count)",
                "d365.lookups": "\(creates.count + lines.count)",
            ])
        step.merge(await settleCreates(creates))
        step.merge(await settleLines(lines))
        return step
    }

    enum CreateShape: Equatable {
        case header
        case references
        case clientKey(String)
    }

    /// Why a new document has to be looked up before anything else is done with it.
    enum LookupReason: Sendable {
        /// Our create may or may not have been applied.
        case uncertain(ConnectorError)
        /// The header was refused because its invoice number is taken.
        case duplicate(ConnectorError)
    }

    private func handleCreate(
        _ job: D365NewJob, shape: CreateShape, _ outcome: D365ChangesetOutcome, into step: inout D365Step,
        lookups: inout [(D365NewJob, LookupReason)]
    ) async {
        let doc = job.document
        switch outcome {
        case .succeeded(let parts):
            let reference =
                D365BatchRequest.headerReference(in: parts[0])
                ?? {
                    if case .clientKey(let reference) = shape { return reference }
                    return nil
                }()
            guard let reference else {
                let error = ConnectorError(
                    "d365.unexpected_response", "D365 created the header in a $batch but its answer has no HeaderReference.",
                    context: ["d365.entity_set": "$batch"], isTransient: true)
                lookups.append((job, .uncertain(error)))
                return
            }
            if shape == .header, !doc.lines.isEmpty {
                step.lines.append(D365LinesJob(document: doc, reference: reference, lines: doc.lines, status: .created, headerIsEmpty: true))
            } else {
                step.results.append(
                    reported(
                        DocumentLoadResult(
                            key: doc.key, status: .created, erpReference: reference,
                            linesWritten: doc.lines.count), doc))
            }

        case .failed(let part, let operation):
            let status = part.status
            if status == 429 || status == 503 {
                requeue(job, into: &step, because: D365Errors.error(for: part.response, entitySet: "$batch", method: "POST"))
                return
            }
            let isLine = (operation ?? 0) > 0
            var error = D365Errors.error(
                for: part.response, entitySet: isLine ? VendorInvoicePayload.lineEntitySet : VendorInvoicePayload.headerEntitySet,
                method: "POST")
            if let id = part.contentID { error.context["d365.content_id"] = id }
            if shape == .references, Self.refusesReferences(status: status, error: error, operation: operation) {
                await learn(
                    D365Capability.contentIDReferences, D365Capability.unsupported, remember: true,
                    "D365 refuses $n Content-ID references in changesets; loading two-phase (headers, then lines) from now on", status: status)
                requeue(job, into: &step, because: error)
                return
            }
            if !isLine, VendorInvoicePayload.isDuplicateInvoiceRejection(error) {
                lookups.append((job, .duplicate(error)))
                return
            }
            if case .clientKey = shape, Self.refusesClientKey(error) {
                await learn(
                    D365Capability.clientHeaderReference, D365Capability.refused, remember: true,
                    "D365 does not take a client-assigned HeaderReference; loading with server-assigned keys, two-phase, from now on", status: status)
                requeue(job, into: &step, because: error)
                return
            }
            if Self.batchAbsentStatuses.contains(status) {
                // The server does not route this operation inside a $batch: this run goes per document.
                await learn(
                    D365Capability.batch, D365Capability.unsupported, remember: false,
                    "D365 does not route invoice writes inside a $batch; loading per document for the rest of the run", status: status)
                step.singles.append(.document(doc))
                return
            }
            if status >= 500 {
                lookups.append((job, .uncertain(ConnectorError(error.code, error.message, context: error.context, isTransient: true))))
                return
            }
            // A validation error: the changeset was rolled back, nothing of the document exists.
            step.results.append(reported(Self.failed(doc.key, error, reference: nil, written: 0), doc))

        case .uncertain(let reason):
            lookups.append(
                (
                    job,
                    .uncertain(
                        ConnectorError(
                            "d365.unexpected_response", reason, context: ["d365.entity_set": "$batch"],
                            isTransient: true))
                ))
        case .notProcessed:
            requeue(job, into: &step, because: ConnectorError("d365.not_processed", "D365 did not process the changeset.", isTransient: true))
        }
    }

    private func handleLines(
        _ job: D365LinesJob, _ outcome: D365ChangesetOutcome, into step: inout D365Step,
        lookups: inout [(D365LinesJob, ConnectorError)]
    ) async {
        let doc = job.document
        switch outcome {
        case .succeeded:
            step.results.append(
                reported(
                    DocumentLoadResult(
                        key: doc.key, status: job.status, erpReference: job.reference,
                        linesWritten: job.lines.count), doc))
        case .failed(let part, _):
            let status = part.status
            var error = D365Errors.error(for: part.response, entitySet: VendorInvoicePayload.lineEntitySet, method: "POST")
            if let id = part.contentID { error.context["d365.content_id"] = id }
            if status == 429 || status == 503 {
                requeueLines(job, into: &step, because: error)
            } else if status >= 500 || error.message.lowercased().contains("already exists") {
                // Some line may be there already (a lost answer applied late): look before anything else.
                lookups.append((job, ConnectorError(error.code, error.message, context: error.context, isTransient: true)))
            } else if Self.batchAbsentStatuses.contains(status) {
                await learn(
                    D365Capability.batch, D365Capability.unsupported, remember: false,
                    "D365 does not route invoice writes inside a $batch; loading per document for the rest of the run", status: status)
                step.singles.append(.lines(job))
            } else if job.headerIsEmpty {
                // D365 refused the lines: take the header back so no empty invoice is left for an accountant to find.
                step.removes.append(D365RemoveJob(document: doc, reference: job.reference, cause: error))
            } else {
                step.results.append(reported(Self.failed(doc.key, error, reference: job.reference, written: 0), doc))
            }
        case .uncertain(let reason):
            lookups.append((job, ConnectorError("d365.unexpected_response", reason, context: ["d365.entity_set": "$batch"], isTransient: true)))
        case .notProcessed:
            requeueLines(job, into: &step, because: ConnectorError("d365.not_processed", "D365 did not process the changeset.", isTransient: true))
        }
    }

    private func handleRemove(_ job: D365RemoveJob, _ outcome: D365ChangesetOutcome, into step: inout D365Step) {
        switch outcome {
        case .succeeded:
            step.results.append(reported(Self.removed(job), job.document))
        case .failed(let part, _) where part.status == 404:
            // Gone already (a repeat of a delete that was applied).
            step.results.append(reported(Self.removed(job), job.document))
        case .failed(let part, _) where part.status < 500 && part.status != 429:
            let error = D365Errors.error(for: part.response, entitySet: VendorInvoicePayload.headerEntitySet, method: "DELETE")
            step.results.append(reported(Self.notRemoved(job, because: error.message), job.document))
        case .failed, .uncertain, .notProcessed:
            // Deleting by key is idempotent: asking again is safe.
            if job.attempts + 1 < Self.maxAttempts {
                var again = job
                again.attempts += 1
                step.removes.append(again)
            } else {
                step.results.append(reported(Self.notRemoved(job, because: "no clear answer after \(Self.maxAttempts) attempts"), job.document))
            }
        }
    }

    /// A changeset refused because of `$n` references: a routing status for a line, or the OData library's
    /// "Resource not found for the segment '$1'" for any operation.
    static func refusesReferences(status: Int, error: ConnectorError, operation: Int?) -> Bool {
        if error.message.lowercased().contains("resource not found for the segment '$") { return true }
        return batchAbsentStatuses.contains(status) && (operation ?? 1) > 0
    }

    /// A changeset refused because the reference was set by the client: the number sequence does not allow
    /// manual numbers, or the server replaced the header's reference so the lines' one is unknown.
    static func refusesClientKey(_ error: ConnectorError) -> Bool {
        guard error.code == "d365.validation" else { return false }
        let text = error.message.lowercased()
        if text.contains("number sequence") && text.contains("manual") { return true }
        return text.contains("header reference") && text.contains("not found")
    }

    private func requeue(_ job: D365NewJob, into step: inout D365Step, because error: ConnectorError) {
        guard job.attempts + 1 < Self.maxAttempts else {
            step.results.append(reported(Self.failed(job.document.key, error, reference: nil, written: 0), job.document))
            return
        }
        var again = job
        again.attempts += 1
        step.news.append(again)
    }

    private func requeueLines(_ job: D365LinesJob, into step: inout D365Step, because error: ConnectorError) {
        guard job.attempts + 1 < Self.maxAttempts else {
            step.results.append(reported(Self.linesLeft(job, error, written: 0), job.document))
            return
        }
        var again = job
        again.attempts += 1
        step.lines.append(again)
    }

    private func learn(_ name: String, _ value: String, remember: Bool, _ warning: String, status: Int) async {
        guard await runState.learn(name, value, remember: remember) else { return }
        logger.warning("\(warning)", metadata: ["system": "d365", "http.status": "\(status)", "d365.capability": "\(name)=\(value)"])
    }

    static func single(_ entry: D365BatchEntry) -> D365SingleWork {
        switch entry {
        case .header(let job), .withReferences(let job), .withClientKey(let job, _): return .document(job.document)
        case .lines(let job, _): return .lines(job)
        case .remove(let job): return .remove(job)
        }
    }

    /// Every entry fails with `error` (nothing was processed).
    private func failAll(_ entries: [D365BatchEntry], _ error: any Error) -> D365Step {
        var step = D365Step()
        for entry in entries {
            switch entry {
            case .header(let job), .withReferences(let job), .withClientKey(let job, _):
                step.results.append(reported(Self.failed(job.document.key, error, reference: nil, written: 0), job.document))
            case .lines(let job, _):
                step.results.append(reported(Self.linesLeft(job, error, written: 0), job.document))
            case .remove(let job):
                step.results.append(
                    reported(
                        Self.notRemoved(
                            job,
                            because: Self.failed(job.document.key, error, reference: nil, written: 0)
                                .errorMessage ?? "\(error)"), job.document))
            }
        }
        return step
    }

    // MARK: - Settling by lookup

    /// Everything of a `$batch` whose answer is missing or unclear: creates and lines are looked up, deletions
    /// asked again (idempotent).
    private func settle(_ entries: [D365BatchEntry], because error: ConnectorError) async -> D365Step {
        var step = D365Step()
        var creates: [(D365NewJob, LookupReason)] = []
        var lines: [(D365LinesJob, ConnectorError)] = []
        for entry in entries {
            switch entry {
            case .header(let job), .withReferences(let job), .withClientKey(let job, _): creates.append((job, .uncertain(error)))
            case .lines(let job, _): lines.append((job, error))
            case .remove(let job): handleRemove(job, .uncertain(error.message), into: &step)
            }
        }
        step.merge(await settleCreates(creates))
        step.merge(await settleLines(lines))
        return step
    }

    /// Looks new documents up (one batched lookup) and continues those found; the others are sent again when
    /// the server answered, failed for this run when no answer came, `.locked` after a duplicate-number refusal.
    private func settleCreates(_ items: [(D365NewJob, LookupReason)]) async -> D365Step {
        var step = D365Step()
        guard !items.isEmpty else { return step }
        let found: [String: ExistingDocument]
        do {
            found = try await findExisting(items.map(\.0.document))
        } catch let lookup {
            for (job, reason) in items {
                let doc = job.document
                switch reason {
                case .duplicate(let error):
                    step.results.append(reported(Self.duplicate(doc, error), doc))
                case .uncertain(var error):
                    error.message += " The follow-up lookup failed too (\(Self.code(of: lookup))); the next run will look again."
                    step.results.append(reported(Self.failed(doc.key, error, reference: nil, written: 0), doc))
                }
            }
            return step
        }
        for (job, reason) in items {
            let doc = job.document
            if let existing = found[doc.key] {
                if existing.isPosted {
                    step.results.append(reported(await complete(doc, existing: existing), doc))
                    continue
                }
                // Found after our own unclear create: this run created it.
                var own = false
                if case .uncertain = reason { own = true }
                let present = Set(existing.lineNumbers)
                let missing = doc.lines.filter { !present.contains($0.lineNumber) }
                if missing.isEmpty {
                    step.results.append(
                        reported(
                            DocumentLoadResult(
                                key: doc.key, status: own ? .created : .alreadyPresent,
                                erpReference: existing.erpReference,
                                linesWritten: own ? doc.lines.count : 0), doc))
                } else {
                    step.lines.append(
                        D365LinesJob(
                            document: doc, reference: existing.erpReference, lines: missing,
                            status: own ? .created : .completed, headerIsEmpty: existing.lineNumbers.isEmpty))
                }
            } else if case .duplicate(let error) = reason {
                step.results.append(reported(Self.duplicate(doc, error), doc))
            } else if case .uncertain(var error) = reason, error.code == ErrorCode.httpNetwork {
                // No answer at all: the server may still be applying it, so "not found yet" proves nothing. Never
                // send it again in this run; the next run looks it up first.
                error.message +=
                    " It was not found right after, but D365 may still be applying it, so it is not sent again in this run; the next run looks it up first."
                step.results.append(reported(Self.failed(doc.key, error, reference: nil, written: 0), doc))
            } else if case .uncertain(let error) = reason {
                // The server answered (5xx, unreadable reply): it is done with the request, so the lookup is
                // conclusive and what is missing was rolled back.
                requeue(job, into: &step, because: error)
            }
        }
        return step
    }

    /// Reads which lines the headers hold (one batched read) and settles each lines job: complete ones are
    /// done; missing lines are sent again when the server answered, left for the next run when it did not.
    private func settleLines(_ items: [(D365LinesJob, ConnectorError)]) async -> D365Step {
        var step = D365Step()
        guard !items.isEmpty else { return step }
        let present: [D365HeaderKey: Set<Int>]
        do {
            present = try await presentLines(items.map { D365HeaderKey(company: $0.0.document.company, reference: $0.0.reference) })
        } catch let lookup {
            for (job, error) in items {
                var failure = error
                failure.message += " The follow-up lookup failed too (\(Self.code(of: lookup)))."
                step.results.append(reported(Self.linesLeft(job, failure, written: 0), job.document))
            }
            return step
        }
        for (job, error) in items {
            let have = present[D365HeaderKey(company: job.document.company, reference: job.reference)] ?? []
            let missing = job.lines.filter { !have.contains($0.lineNumber) }
            if missing.isEmpty {
                step.results.append(
                    reported(
                        DocumentLoadResult(
                            key: job.document.key, status: job.status, erpReference: job.reference,
                            linesWritten: job.lines.count), job.document))
            } else if error.code == ErrorCode.httpNetwork {
                var failure = error
                failure.message += " Some lines were not found right after; D365 may still be applying them, so they are not sent again in this run."
                step.results.append(reported(Self.linesLeft(job, failure, written: job.lines.count - missing.count), job.document))
            } else {
                var again = job
                again.lines = missing
                requeueLines(again, into: &step, because: error)
            }
        }
        return step
    }

    // MARK: - Results

    /// Lines that could not be written now: the header stays and the next run completes it.
    static func linesLeft(_ job: D365LinesJob, _ error: any Error, written: Int) -> DocumentLoadResult {
        var result = failed(job.document.key, error, reference: job.reference, written: written)
        result.errorMessage = (result.errorMessage ?? "") + " Header \(job.reference) stays; the next run adds the missing lines."
        return result
    }

    static func removed(_ job: D365RemoveJob) -> DocumentLoadResult {
        DocumentLoadResult(
            key: job.document.key, status: .failed, erpReference: nil, linesWritten: 0, errorCode: job.cause.code,
            errorMessage: job.cause.message
                + " (D365 refused the lines, so the header \(job.reference) created for them was deleted again: no empty invoice is left. The document is sent again on the next run once the cause is fixed.)"
        )
    }

    static func notRemoved(_ job: D365RemoveJob, because reason: String) -> DocumentLoadResult {
        DocumentLoadResult(
            key: job.document.key, status: .failed, erpReference: job.reference, linesWritten: 0, errorCode: job.cause.code,
            errorMessage: job.cause.message
                + " (D365 refused the lines; the empty header \(job.reference) could not be deleted: \(reason). The next run adds the lines once the cause is fixed.)"
        )
    }

    static func duplicate(_ doc: InvoiceDocument, _ error: ConnectorError) -> DocumentLoadResult {
        DocumentLoadResult(
            key: doc.key, status: .locked, erpReference: nil, linesWritten: 0, errorCode: "d365.duplicate_invoice",
            errorMessage: "D365 already holds invoice number \(doc.key) outside the pending invoices (probably posted): \(error.message)")
    }

    /// Deletes one header the per-document way (after its lines were refused).
    private func removeOne(_ job: D365RemoveJob) async -> DocumentLoadResult {
        let key: [(String, ODataLiteral)] = [
            (VendorInvoicePayload.Field.company, .string(job.document.company.lowercased())),
            (VendorInvoicePayload.Field.headerReference, .string(job.reference)),
        ]
        let result: DocumentLoadResult
        do {
            try await odata.delete(VendorInvoicePayload.headerEntitySet, key: key)
            result = Self.removed(job)
        } catch let error as ConnectorError where error.code == "d365.not_found" {
            result = Self.removed(job)
        } catch let error as ConnectorError {
            result = Self.notRemoved(job, because: error.message)
        } catch {
            result = Self.notRemoved(job, because: "\(error)")
        }
        logResult(result, of: job.document)
        return result
    }

    private func reported(_ result: DocumentLoadResult, _ doc: InvoiceDocument) -> DocumentLoadResult {
        logResult(result, of: doc, batched: true)
        return result
    }
}
