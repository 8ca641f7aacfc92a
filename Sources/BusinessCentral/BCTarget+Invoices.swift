import ConnectorCore
import Foundation
import OData

extension BCTarget {
    /// Writes documents in phases of JSON `$batch` requests: creates (deep-inserted invoices, or each journal
    /// document's lines as one atomicity group), a read-back of the new ids, dimension set lines, then posting when
    /// configured. A document refused in any phase is removed again, so no half-made draft stays behind.
    public func loadAll(
        _ documents: [InvoiceDocument], existing: [String: ExistingDocument], concurrency: Int,
        onResult: @escaping @Sendable (DocumentLoadResult) async -> Void
    ) async {
        let results: [DocumentLoadResult]
        switch configuration.documentType {
        case .purchaseInvoice: results = await loadInvoices(documents, existing: existing)
        case .generalJournal: results = await loadJournals(documents, existing: existing)
        }
        for r in results { await onResult(r) }
    }

    /// One document through the same phases as `loadAll`.
    public func load(_ document: InvoiceDocument, existing: ExistingDocument?) async -> DocumentLoadResult {
        let results =
            configuration.documentType == .purchaseInvoice
            ? await loadInvoices([document], existing: existing.map { [document.key: $0] } ?? [:])
            : await loadJournals([document], existing: existing.map { [document.key: $0] } ?? [:])
        return results.first ?? DocumentLoadResult(key: document.key, status: .failed, erpReference: nil, linesWritten: 0, errorCode: "bc.unexpected")
    }

    /// A failed result with the ERP's words.
    static func failed(_ key: String, _ code: String, _ message: String, reference: String? = nil) -> DocumentLoadResult {
        DocumentLoadResult(key: key, status: .failed, erpReference: reference, linesWritten: 0, errorCode: code, errorMessage: message)
    }

    // MARK: Purchase invoices

    func invoiceLineBody(_ l: InvoiceLine) -> [String: JSONValue] {
        let negative = l.amount.hasPrefix("-")
        return [
            "sequence": .int(l.lineNumber * 10000), "lineType": .string("Account"), "lineObjectNumber": .string(l.mainAccount),
            "description": .string(String(l.description.prefix(100))), "quantity": .number(negative ? "-1" : "1"),
            "unitCost": .number(negative ? String(l.amount.dropFirst()) : l.amount),
        ]
    }

    func invoiceBody(_ d: InvoiceDocument) -> JSONValue {
        .object([
            "vendorNumber": .string(d.vendorAccount), "vendorInvoiceNumber": .string(d.key), "invoiceDate": .string(d.invoiceDate),
            "postingDate": .string(d.postingDate), "currencyCode": .string(d.currency),
            "purchaseInvoiceLines": .array(d.lines.map { .object(invoiceLineBody($0)) }),
        ])
    }

    func loadInvoices(_ documents: [InvoiceDocument], existing: [String: ExistingDocument]) async -> [DocumentLoadResult] {
        var results: [String: DocumentLoadResult] = [:]
        var companyOf: [String: String] = [:]
        var found: [String: BCFoundDocument] = [:]
        var isNew: Set<String> = []
        var written: [String: Int] = [:]
        var groups: [[ODataJSONBatchRequest]] = []
        var opKey: [String: String] = [:]
        for d in documents {
            let cid: String
            do { cid = try await company(d.company).id } catch {
                results[d.key] = Self.failed(d.key, "bc.company_not_found", "\(error)")
                continue
            }
            companyOf[d.key] = cid
            if existing[d.key] != nil, let f = await state.found[d.key] {
                let have = Set(f.lines.map(\.lineNumber))
                let missing = d.lines.filter { !have.contains($0.lineNumber) }
                if f.isPosted {
                    results[d.key] =
                        missing.isEmpty
                        ? DocumentLoadResult(
                            key: d.key, status: .alreadyPresent, erpReference: f.id, linesWritten: 0, erpNumber: f.number, erpStatus: .posted)
                        : DocumentLoadResult(
                            key: d.key, status: .locked, erpReference: f.id, linesWritten: 0, errorCode: "bc.posted",
                            errorMessage:
                                "purchase invoice \(f.number) is posted (\(f.status)) but lacks line(s) \(missing.map { String($0.lineNumber) }.joined(separator: ", ")); not changed"
                        )
                    continue
                }
                found[d.key] = f
                var group: [ODataJSONBatchRequest] = []
                for l in missing {
                    let id = "l\(opKey.count)"
                    opKey[id] = d.key
                    group.append(
                        ODataJSONBatchRequest(
                            id: id, method: "POST", url: Self.path(cid, "purchaseInvoices(\(f.id))/purchaseInvoiceLines"),
                            body: .object(invoiceLineBody(l))))
                }
                if !group.isEmpty { groups.append(group) }
            } else {
                let id = "h\(opKey.count)"
                opKey[id] = d.key
                isNew.insert(d.key)
                groups.append([ODataJSONBatchRequest(id: id, method: "POST", url: Self.path(cid, "purchaseInvoices"), body: invoiceBody(d))])
            }
        }
        let byKey = Dictionary(documents.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })

        // Phase 1: creates and missing lines.
        let created = await send(groups, idempotent: false)
        var lost: Set<String> = []
        for (id, key) in opKey.sorted(by: { $0.key < $1.key }) {
            guard results[key] == nil, let d = byKey[key] else { continue }
            if let e = created.refused[id] {
                results[key] = Self.failed(key, e.code, e.message)
            } else if created.lost.contains(id) {
                lost.insert(key)
            } else if let a = created.answers[id] {
                if a.isSuccess {
                    written[key, default: 0] += id.hasPrefix("h") ? d.lines.count : 1
                } else {
                    let what = id.hasPrefix("h") ? "the purchase invoice" : "a missing line"
                    results[key] = Self.failed(key, "bc.refused", "Business Central refused \(what): \(reason(a))", reference: found[key]?.id)
                }
            }
        }
        // Phase 2: read back ids (and settle lost answers: a document found exists, one not found was not created).
        let toRead = documents.filter { results[$0.key] == nil }
        let after: [String: BCFoundDocument]
        do { after = try await lookUp(toRead.map { ($0.key, $0.company) }) } catch {
            for d in toRead {
                results[d.key] = Self.failed(
                    d.key, "bc.lookup_failed", "created, but could not be read back (\(error)); looked up again on the next run",
                    reference: found[d.key]?.id)
            }
            return documents.compactMap { results[$0.key] }
        }
        for d in toRead {
            guard let f = after[d.key] else {
                results[d.key] = Self.failed(
                    d.key, lost.contains(d.key) ? "bc.no_answer" : "bc.not_found",
                    lost.contains(d.key)
                        ? "Business Central did not answer the create and the invoice is not there; retried on the next run"
                        : "Business Central confirmed the invoice but it cannot be found by vendorInvoiceNumber \(d.key)")
                continue
            }
            if lost.contains(d.key) { written[d.key] = isNew.contains(d.key) ? d.lines.count : written[d.key, default: 0] }
            found[d.key] = f
            await state.remember(f)
        }

        // Phase 3: dimension set lines that are not there yet.
        var dimGroups: [[ODataJSONBatchRequest]] = []
        var dimKey: [String: String] = [:]
        for d in documents where results[d.key] == nil {
            guard let f = found[d.key], let cid = companyOf[d.key] else { continue }
            var group: [ODataJSONBatchRequest] = []
            func add(_ url: String, _ code: String, _ value: String) {
                let id = "d\(dimKey.count)"
                dimKey[id] = d.key
                group.append(
                    ODataJSONBatchRequest(
                        id: id, method: "POST", url: url, body: .object(["code": .string(code), "valueCode": .string(value)])))
            }
            for (code, value) in (d.dimensions ?? [:]).sorted(by: { $0.key < $1.key }) where f.dimensions[code] != value {
                add(Self.path(cid, "purchaseInvoices(\(f.id))/dimensionSetLines"), code, value)
            }
            for l in d.lines {
                guard let fl = f.lines.first(where: { $0.lineNumber == l.lineNumber }) else { continue }
                for (code, value) in (l.dimensions ?? [:]).sorted(by: { $0.key < $1.key }) where fl.dimensions[code] != value {
                    add(Self.path(cid, "purchaseInvoices(\(f.id))/purchaseInvoiceLines(\(fl.id))/dimensionSetLines"), code, value)
                }
            }
            if !group.isEmpty { dimGroups.append(group) }
        }
        let dimFailures = await sendDimensions(dimGroups, keyOf: dimKey)
        for (key, why) in dimFailures.sorted(by: { $0.key < $1.key }) {
            guard let f = found[key], let cid = companyOf[key] else { continue }
            results[key] = await removeDraft(key: key, f: f, companyID: cid, isNew: isNew.contains(key), why: why)
        }

        // Phase 4: posting, when configured.
        var posted: Set<String> = []
        if configuration.post == true {
            var postGroups: [[ODataJSONBatchRequest]] = []
            var postKey: [String: String] = [:]
            for d in documents where results[d.key] == nil {
                guard let f = found[d.key], let cid = companyOf[d.key], !f.isPosted else { continue }
                let id = "p\(postKey.count)"
                postKey[id] = d.key
                postGroups.append([
                    ODataJSONBatchRequest(id: id, method: "POST", url: Self.path(cid, "purchaseInvoices(\(f.id))/Microsoft.NAV.post"))
                ])
            }
            let outcome = await send(postGroups, idempotent: false)
            var unsure: [String] = []
            for (id, key) in postKey {
                if let a = outcome.answers[id], a.isSuccess {
                    posted.insert(key)
                } else if let a = outcome.answers[id], let f = found[key], let cid = companyOf[key] {
                    results[key] = await removeDraft(
                        key: key, f: f, companyID: cid, isNew: isNew.contains(key), why: "posting refused: \(reason(a))")
                } else {
                    unsure.append(key)
                }
            }
            // One read for all posted invoices: settles the unanswered posts and gives the posted numbers.
            let reread = posted.union(unsure).sorted()
            if !reread.isEmpty, let again = try? await lookUp(reread.compactMap { k in byKey[k].map { (k, $0.company) } }) {
                for key in unsure where again[key]?.isPosted == true { posted.insert(key) }
                for key in posted { if let f = again[key] { found[key] = f } }
            }
        }

        for d in documents where results[d.key] == nil {
            let f = found[d.key]
            let n = written[d.key] ?? 0
            let status: DocumentLoadResult.Status =
                isNew.contains(d.key) ? .created : (n > 0 || dimKey.values.contains(d.key) ? .completed : .alreadyPresent)
            results[d.key] = DocumentLoadResult(
                key: d.key, status: status, erpReference: f?.id, linesWritten: n, erpNumber: f?.number,
                erpStatus: posted.contains(d.key) || f?.isPosted == true ? .posted : .draft)
        }
        return documents.compactMap { results[$0.key] }
    }

    /// Sends dimension set lines; a line already there with the same value (a resent operation) counts as done.
    /// - Returns: document key → why its dimensions could not be set.
    func sendDimensions(_ groups: [[ODataJSONBatchRequest]], keyOf: [String: String]) async -> [String: String] {
        var failures: [String: String] = [:]
        var pending = groups
        for attempt in 0..<2 {
            let outcome = await send(pending, idempotent: false)
            var retry: [[ODataJSONBatchRequest]] = []
            for group in pending {
                var again: [ODataJSONBatchRequest] = []
                for op in group {
                    guard let key = keyOf[op.id] else { continue }
                    if let e = outcome.refused[op.id] {
                        failures[key] = failures[key] ?? e.message
                    } else if outcome.lost.contains(op.id) {
                        if attempt == 0 { again.append(op) } else { failures[key] = failures[key] ?? "Business Central did not answer" }
                    } else if let a = outcome.answers[op.id], !a.isSuccess {
                        let words = reason(a)
                        if attempt > 0 && words.lowercased().contains("already exists") { continue }
                        let code = op.body?["code"]?.stringValue ?? ""
                        let value = op.body?["valueCode"]?.stringValue ?? ""
                        failures[key] = failures[key] ?? "dimension \(code) value \(value) refused: \(words)"
                    }
                }
                if !again.isEmpty { retry.append(again) }
            }
            if retry.isEmpty { break }
            pending = retry
        }
        return failures
    }

    /// Deletes a draft this run created (or completed) after a later phase failed, so nothing half-made stays.
    func removeDraft(key: String, f: BCFoundDocument, companyID: String, isNew: Bool, why: String) async -> DocumentLoadResult {
        guard isNew else {
            return Self.failed(key, "bc.refused", "\(why); the draft \(f.number) from an earlier run was left as it is", reference: f.id)
        }
        do {
            try await api.delete(path: Self.path(companyID, "purchaseInvoices(\(f.id))"), ifMatch: "*")
            await state.forget(key)
            return Self.failed(key, "bc.refused", "\(why); the draft \(f.number) was deleted again")
        } catch {
            return Self.failed(
                key, "bc.refused", "\(why); deleting the draft \(f.number) failed too (\(error)): delete it in Business Central", reference: f.id)
        }
    }
}
