import ConnectorCore
import Foundation
import OData

extension BCTarget {
    func journalLineBody(_ plan: NAVJournalLinePlan, document d: InvoiceDocument) -> JSONValue {
        var body: [String: JSONValue] = [
            "accountType": .string("G/L Account"), "accountNumber": .string(plan.account), "postingDate": .string(d.postingDate),
            "documentNumber": .string(d.key), "externalDocumentNumber": .string(d.reportID), "amount": .number(plan.amount),
            "description": .string(String(plan.description.prefix(100))),
        ]
        if let balancing = plan.balancingAccount {
            body["balanceAccountType"] = .string("G/L Account")
            body["balancingAccountNumber"] = .string(balancing)
        }
        return .object(body)
    }

    /// Each document's journal lines in one atomicity group (all or none), then their dimension set lines, then one
    /// `Microsoft.NAV.post` per company journal when configured (it posts the whole batch: use a dedicated one).
    func loadJournals(_ documents: [InvoiceDocument], existing: [String: ExistingDocument]) async -> [DocumentLoadResult] {
        guard let journal = configuration.journal else {
            return documents.map { Self.failed($0.key, "config.invalid", "target.journal is required for document 'generalJournal'") }
        }
        var results: [String: DocumentLoadResult] = [:]
        var companyOf: [String: String] = [:]
        var journalOf: [String: String] = [:]
        var plans: [String: [NAVJournalLinePlan]] = [:]
        var found: [String: BCFoundDocument] = [:]
        var isNew: Set<String> = []
        var groups: [[ODataJSONBatchRequest]] = []
        var opKey: [String: String] = [:]
        for d in documents {
            let cid: String
            let jid: String
            do {
                cid = try await company(d.company).id
                jid = try await journalID(companyID: cid)
            } catch let e as ConnectorError {
                results[d.key] = Self.failed(d.key, e.code, e.message)
                continue
            } catch {
                results[d.key] = Self.failed(d.key, "bc.unexpected", "\(error)")
                continue
            }
            companyOf[d.key] = cid
            journalOf[d.key] = jid
            let plan = NAVJournalLinePlan.lines(for: d, journal: journal)
            plans[d.key] = plan
            if existing[d.key] != nil, let f = await state.found[d.key] {
                if f.lines.count >= plan.count {
                    if f.isPosted {
                        results[d.key] = DocumentLoadResult(
                            key: d.key, status: .alreadyPresent, erpReference: f.id, linesWritten: 0, erpNumber: d.key, erpStatus: .posted)
                    } else {
                        found[d.key] = f
                    }
                } else {
                    results[d.key] = DocumentLoadResult(
                        key: d.key, status: .locked, erpReference: f.id, linesWritten: 0, errorCode: "bc.incomplete",
                        errorMessage:
                            "journal document \(d.key) has \(f.lines.count) of \(plan.count) lines in Business Central (\(f.status)); delete them there (or post the rest by hand) and rerun"
                    )
                }
                continue
            }
            isNew.insert(d.key)
            var group: [ODataJSONBatchRequest] = []
            for p in plan {
                let id = "j\(opKey.count)"
                opKey[id] = d.key
                group.append(
                    ODataJSONBatchRequest(
                        id: id, method: "POST", url: Self.path(cid, "journals(\(jid))/journalLines"), body: journalLineBody(p, document: d),
                        atomicityGroup: "g-\(d.key)"))
            }
            groups.append(group)
        }
        let created = await send(groups, idempotent: false)
        var lost: Set<String> = []
        for (id, key) in opKey.sorted(by: { $0.key < $1.key }) where results[key] == nil {
            if let e = created.refused[id] {
                results[key] = Self.failed(key, e.code, e.message)
            } else if created.lost.contains(id) {
                lost.insert(key)
            } else if let a = created.answers[id], !a.isSuccess, a.status != 424 {
                results[key] = Self.failed(key, "bc.refused", "Business Central refused a journal line: \(reason(a))")
            }
        }
        let toRead = documents.filter { results[$0.key] == nil }
        let after: [String: BCFoundDocument]
        do { after = try await lookUp(toRead.map { ($0.key, $0.company) }) } catch {
            for d in toRead {
                results[d.key] = Self.failed(
                    d.key, "bc.lookup_failed", "written, but could not be read back (\(error)); looked up again on the next run")
            }
            return documents.compactMap { results[$0.key] }
        }
        for d in toRead {
            guard let f = after[d.key], f.lines.count >= (plans[d.key]?.count ?? 0) else {
                results[d.key] = Self.failed(
                    d.key, lost.contains(d.key) ? "bc.no_answer" : "bc.not_found",
                    lost.contains(d.key)
                        ? "Business Central did not answer and the journal lines are not there; retried on the next run"
                        : "Business Central confirmed the journal lines but they cannot be found by documentNumber \(d.key)")
                continue
            }
            found[d.key] = f
            await state.remember(f)
        }

        var dimGroups: [[ODataJSONBatchRequest]] = []
        var dimKey: [String: String] = [:]
        for d in documents where results[d.key] == nil {
            guard let f = found[d.key], let cid = companyOf[d.key], let jid = journalOf[d.key], let plan = plans[d.key] else { continue }
            var group: [ODataJSONBatchRequest] = []
            for (n, p) in plan.enumerated() where n < f.lines.count {
                let line = f.lines[n]
                for (code, value) in p.dimensions.sorted(by: { $0.key < $1.key }) where line.dimensions[code] != value {
                    let id = "d\(dimKey.count)"
                    dimKey[id] = d.key
                    group.append(
                        ODataJSONBatchRequest(
                            id: id, method: "POST", url: Self.path(cid, "journals(\(jid))/journalLines(\(line.id))/dimensionSetLines"),
                            body: .object(["code": .string(code), "valueCode": .string(value)])))
                }
            }
            if !group.isEmpty { dimGroups.append(group) }
        }
        for (key, why) in await sendDimensions(dimGroups, keyOf: dimKey).sorted(by: { $0.key < $1.key }) {
            guard let f = found[key], let cid = companyOf[key], let jid = journalOf[key] else { continue }
            if isNew.contains(key) {
                var left: [String] = []
                for line in f.lines {
                    do { try await api.delete(path: Self.path(cid, "journals(\(jid))/journalLines(\(line.id))"), ifMatch: "*") } catch {
                        left.append(line.id)
                    }
                }
                await state.forget(key)
                results[key] = Self.failed(
                    key, "bc.refused",
                    left.isEmpty
                        ? "\(why); its journal lines were deleted again"
                        : "\(why); \(left.count) journal line(s) could not be deleted: remove them in Business Central")
            } else {
                results[key] = Self.failed(key, "bc.refused", "\(why); the journal lines from an earlier run were left as they are", reference: f.id)
            }
        }

        var postedCompanies: Set<String> = []
        if configuration.post == true {
            var journals: [String: String] = [:]
            for d in documents where results[d.key] == nil {
                if let cid = companyOf[d.key], let jid = journalOf[d.key] { journals[cid] = jid }
            }
            for (cid, jid) in journals.sorted(by: { $0.key < $1.key }) {
                do {
                    _ = try await api.create(Self.path(cid, "journals(\(jid))/Microsoft.NAV.post"), body: [:])
                    postedCompanies.insert(cid)
                } catch {
                    logger.warning(
                        "posting the journal batch failed; the lines stay unposted", metadata: ["company.id": "\(cid)", "error": "\(error)"])
                }
            }
        }
        for d in documents where results[d.key] == nil {
            let f = found[d.key]
            let new = isNew.contains(d.key)
            let dims = dimKey.values.contains(d.key)
            let posted = companyOf[d.key].map(postedCompanies.contains) ?? false
            results[d.key] = DocumentLoadResult(
                key: d.key, status: new ? .created : (dims ? .completed : .alreadyPresent), erpReference: f?.id,
                linesWritten: new ? (plans[d.key]?.count ?? 0) : 0, erpNumber: d.key, erpStatus: posted ? .posted : .draft)
        }
        return documents.compactMap { results[$0.key] }
    }
}
