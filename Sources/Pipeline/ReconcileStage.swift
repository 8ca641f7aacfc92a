import ConnectorCore
import ConnectorLedger
import ConnectorStaging
import Foundation
import Logging

/// What `reconcile` found, with the counts the operator needs to read it.
public struct ReconcileSummary: Sendable, Codable {
    /// The three-way comparison, as stored in the ledger.
    public var result: ReconciliationResult
    /// Reports whose documents the batch staged (compared three ways).
    public var reportsCompared: Int
    /// Held reports and reports with nothing to post: not staged, so neither the ERP nor Expensify is compared for them.
    public var reportsNotCompared: Int
    /// Staged documents read back from the ERP.
    public var documents: Int
    /// HTTP requests the read-back cost (tokens included).
    public var httpRequests: Int
    /// `reconcile/reconciliation.json` and `reconcile/variances.csv` under the batch folder.
    public var files: [String]

    /// The totals table and the variances, for a terminal.
    public var text: String {
        var s = "Batch \(result.batchID): " + (result.reconciled ? "reconciled" : "\(result.variances.count) VARIANCE(S)")
        s += " (checked \(result.checkedAt); \(reportsCompared) report(s), \(documents) document(s) compared"
        if reportsNotCompared > 0 { s += "; \(reportsNotCompared) held or with nothing to post, not compared" }
        s += "; \(httpRequests) HTTP request(s))\n"
        let header = ["company", "currency", "account", "expensify", "staged", "ERP", "difference"]
        let rows = result.totals.map { t in
            [t.company, t.currency, t.account.isEmpty ? "(all)" : t.account, t.expensify ?? "-", t.staged, t.erp, t.difference]
        }
        s += Self.table(header, rows)
        if !result.variances.isEmpty {
            s += "\nVariances:\n"
            for v in result.variances {
                s += "  \(v.kind)  \(v.company)  report \(v.reportID)" + (v.documentKey.isEmpty ? "" : "  \(v.documentKey)") + ": \(v.detail)\n"
            }
        }
        s += "Files: \(files.joined(separator: ", "))\n"
        return s
    }

    /// Left-aligned text columns, amounts right-aligned.
    static func table(_ header: [String], _ rows: [[String]]) -> String {
        var widths = header.map(\.count)
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        func line(_ cells: [String]) -> String {
            "  "
                + cells.enumerated().map { i, cell in
                    let pad = String(repeating: " ", count: widths[i] - cell.count)
                    return i < 3 ? cell + pad : pad + cell
                }.joined(separator: "  ") + "\n"
        }
        return line(header) + rows.map(line).joined()
    }
}

/// The reconciliation outcome a `run` reports: reconciled or how many variances, or why it was skipped.
public struct RunReconciliation: Sendable, Codable {
    /// Whether the batch reconciled; nil when reconciliation was skipped or failed.
    public var reconciled: Bool?
    /// How many variances; nil when skipped or failed.
    public var variances: Int?
    /// Why it was skipped or failed (the target cannot read back, the ERP did not answer); nil when it ran.
    public var skipped: String?

    /// One line of the run summary.
    public var text: String {
        if let skipped { return "not checked (\(skipped))" }
        if reconciled == true { return "reconciled (zero variance)" }
        return "\(variances ?? 0) VARIANCE(S), see reconcile/variances.csv or 'ml-connector reconcile'"
    }
}

extension PipelineContext {
    static let varianceColumns = ["kind", "company", "report_id", "document", "detail"]

    /// Compares, per company, currency and account, what Expensify approved, what transform staged and what the ERP
    /// holds now (read back by the documents' keys in bounded requests), stores the result in the ledger, writes
    /// `reconcile/reconciliation.json` and `reconcile/variances.csv`, and audits every variance on its report.
    /// - Throws: `batch.unknown`; `reconcile.not_transformed` without staged documents; `reconcile.unsupported` when the
    ///   target cannot read documents back.
    public func reconcile(batchID requested: String?) async throws -> ReconciliationResult {
        try await reconcileSummary(batchID: requested).result
    }

    /// `reconcile` with the counts and files, for the command.
    public func reconcileSummary(batchID requested: String?) async throws -> ReconcileSummary {
        let batchID = try resolveBatch(requested)
        lock?.update(batch: batchID)
        let layout = self.layout(batchID)
        guard try ledger.lastSucceededStage(batchID: batchID, stage: .transform) != nil,
            FileManager.default.fileExists(atPath: layout.invoicesFile.path)
        else {
            throw ConnectorError(
                "reconcile.not_transformed",
                "Batch \(batchID) has no staged documents yet; run 'transform --batch \(batchID)' (and 'load') before 'reconcile'.",
                context: ["batch": batchID])
        }
        let a = audit(batchID, nil)
        let staged = try readStagedDocuments(layout, batchID: batchID)
        let reports = try readReportRows(layout)
        let unpostedCard = try readUnpostedCardSpend(layout)

        let target = try self.target(batchID: batchID, stage: nil)
        var tracked: [TrackedDocument] = []
        var records: [String: DocumentRecord] = [:]
        for d in staged {
            let record = try ledger.document(d.key)
            records[d.key] = record
            tracked.append(TrackedDocument(key: d.key, company: d.company, erpReference: record?.erpReference, number: record?.erpNumber))
        }
        let before = await target.requestCount()
        let snapshots: [String: ERPDocumentSnapshot]
        do {
            snapshots = tracked.isEmpty ? [:] : try await target.snapshot(tracked)
        } catch let e as ConnectorError where e.code == "reconcile.unsupported" {
            throw ConnectorError(
                "reconcile.unsupported",
                "Batch \(batchID) cannot be reconciled: the configured target (\(target.name)) cannot read documents back yet. \(e.message)",
                context: ["batch": batchID])
        }
        let requests = await target.requestCount() - before

        let comparison = Reconciliation(staged: staged, reports: reports, unpostedCard: unpostedCard, snapshots: snapshots, records: records)
        let result = ReconciliationResult(
            batchID: batchID, checkedAt: Date().formatted(.iso8601), reconciled: comparison.variances.isEmpty,
            totals: comparison.totals, variances: comparison.variances)

        let directory = layout.batchDirectory.appendingPathComponent("reconcile", isDirectory: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        try StagedFile.write(try encoder.encode(result), to: directory.appendingPathComponent("reconciliation.json"))
        var csv = CSVWriter(columns: Self.varianceColumns, style: csvStyle)
        for v in result.variances {
            csv.append(["kind": v.kind, "company": v.company, "report_id": v.reportID, "document": v.documentKey, "detail": v.detail])
        }
        try StagedFile.write(csv.data, to: directory.appendingPathComponent("variances.csv"))

        _ = try ledger.recordReconciliation(result, audit: a)
        writeBatchReportAfterStage(batchID)
        for v in result.variances {
            try ledger.audit(
                a, entityType: "report", entityID: v.reportID, event: "reconcile.\(v.kind)",
                detail: (v.documentKey.isEmpty ? "" : "\(v.documentKey): ") + v.detail)
        }
        logger.info(
            "batch reconciled against the ERP",
            metadata: [
                "batch.id": "\(batchID)", "reconcile.reconciled": "\(result.reconciled)", "reconcile.variances": "\(result.variances.count)",
                "reconcile.documents": "\(staged.count)", "http.requests": "\(requests)",
            ])
        let compared = Set(staged.map(\.reportID)).count
        return ReconcileSummary(
            result: result, reportsCompared: compared,
            reportsNotCompared: reports.values.filter { $0.status != "ready" }.count,
            documents: staged.count, httpRequests: requests,
            files: ["reconcile/reconciliation.json", "reconcile/variances.csv"].map { "\(layout.batchDirectory.path)/\($0)" })
    }

    /// After `load` in `run`: reconciles unless `reconcile.afterLoad` is false. Never fails the run: a target that
    /// cannot read back, or an ERP that does not answer, is logged, audited and reported as not checked.
    func reconcileAfterLoad(batchID: String) async -> RunReconciliation? {
        guard config.reconcileAfterLoad else { return nil }
        do {
            let r = try await reconcile(batchID: batchID)
            return RunReconciliation(reconciled: r.reconciled, variances: r.variances.count, skipped: nil)
        } catch is CancellationError {
            return RunReconciliation(reconciled: nil, variances: nil, skipped: "interrupted")
        } catch {
            let code = (error as? ConnectorError)?.code ?? "reconcile.failed"
            let why = code == "reconcile.unsupported" ? "the target cannot read documents back" : "reconciliation failed: \(code)"
            logger.warning("reconciliation after load skipped", metadata: ["batch.id": "\(batchID)", "error": "\(error)"])
            try? ledger.audit(audit(batchID, nil), entityType: "batch", entityID: batchID, event: "reconcile.skipped", detail: "\(error)")
            return RunReconciliation(reconciled: nil, variances: nil, skipped: why)
        }
    }

    // MARK: Staged files

    func readStagedDocuments(_ layout: BatchLayout, batchID: String) throws -> [InvoiceDocument] {
        var reader = try JSONArrayReader(url: layout.invoicesFile)
        defer { reader.close() }
        var out: [InvoiceDocument] = []
        while let element = try reader.next() {
            do { out.append(try JSONDecoder().decode(InvoiceDocument.self, from: element)) } catch {
                throw ConnectorError("staging.malformed", "invoices.json of batch \(batchID) has an unreadable document: \(error)")
            }
        }
        return out
    }

    /// `transform/reports.csv` by report ID.
    func readReportRows(_ layout: BatchLayout) throws -> [String: ReportRow] {
        guard let data = FileManager.default.contents(atPath: layout.reportsCSV.path) else {
            throw ConnectorError("staging.missing", "Cannot read \(layout.reportsCSV.path).", context: ["file": layout.reportsCSV.path])
        }
        var out: [String: ReportRow] = [:]
        for row in CSVReader.rows(data) {
            guard let id = row["report_id"], !id.isEmpty else { continue }
            out[id] = ReportRow(
                reportID: id, company: row["company"] ?? "", currency: row["currency"] ?? "", status: row["status"] ?? "",
                expensifyTotal: row["expensify_total"] ?? "")
        }
        return out
    }

    /// Per report, the company-card spend transform deliberately does not post (review lines without an invoice number
    /// on a report that posts), exact.
    func readUnpostedCardSpend(_ layout: BatchLayout) throws -> [String: Decimal] {
        guard let data = FileManager.default.contents(atPath: layout.linesCSV.path) else { return [:] }
        var out: [String: Decimal] = [:]
        for row in CSVReader.rows(data) where (row["invoice_number"] ?? "").isEmpty && row["reimbursable"] == "no" {
            guard let id = row["report_id"], let amount = DecimalText.parse(row["amount"] ?? "") else { continue }
            out[id, default: 0] += amount
        }
        return out
    }
}

/// One row of `transform/reports.csv`, as reconciliation needs it.
struct ReportRow: Sendable {
    var reportID: String
    var company: String
    var currency: String
    var status: String
    var expensifyTotal: String
}

/// The comparison itself, pure: staged documents, Expensify's report totals and the ERP's snapshots in, totals and
/// variances out. Exact `Decimal` arithmetic throughout.
struct Reconciliation {
    var totals: [ReconciliationTotal] = []
    var variances: [ReconciliationVariance] = []

    private struct Sums {
        var expensify: Decimal?
        var staged: Decimal = 0
        var erp: Decimal = 0
    }

    init(
        staged: [InvoiceDocument], reports: [String: ReportRow], unpostedCard: [String: Decimal],
        snapshots: [String: ERPDocumentSnapshot], records: [String: DocumentRecord]
    ) {
        var byAccount: [[String]: Sums] = [:]
        var byCurrency: [[String]: Sums] = [:]
        var stagedByReport: [String: Decimal] = [:]
        var reportCurrency: [String: (company: String, currency: String)] = [:]

        for doc in staged {
            let docTotal = doc.lines.reduce(Decimal(0)) { $0 + (DecimalText.parse($1.amount) ?? 0) }
            stagedByReport[doc.reportID, default: 0] += docTotal
            reportCurrency[doc.reportID] = (doc.company, doc.currency)
            for line in doc.lines {
                let amount = DecimalText.parse(line.amount) ?? 0
                byAccount[[doc.company, doc.currency, line.mainAccount], default: Sums()].staged += amount
                byCurrency[[doc.company, doc.currency], default: Sums()].staged += amount
            }
            let snap =
                snapshots[doc.key]
                ?? ERPDocumentSnapshot(key: doc.key, company: doc.company, status: .deleted, number: nil, currency: nil, lines: [])
            let erpCurrency = snap.currency.map { $0.uppercased() } ?? doc.currency
            for line in snap.lines {
                let amount = DecimalText.parse(line.amount) ?? 0
                byAccount[[doc.company, erpCurrency, line.account], default: Sums()].erp += amount
                byCurrency[[doc.company, erpCurrency], default: Sums()].erp += amount
            }
            variances += Self.compare(doc, snap, record: records[doc.key])
        }

        // Expensify: each staged report's approved total, less the company-card spend the configuration does not post
        // when Expensify's total includes it (the two readings `TotalRule` accepts at transform).
        for (reportID, stagedTotal) in stagedByReport.sorted(by: { $0.key < $1.key }) {
            guard let origin = reportCurrency[reportID] else { continue }
            let row = reports[reportID]
            let approved = row.flatMap { DecimalText.parse($0.expensifyTotal) }
            let card = unpostedCard[reportID] ?? 0
            var comparable = approved ?? stagedTotal
            if let approved {
                if approved == stagedTotal {
                    comparable = approved
                } else if card != 0, approved - card == stagedTotal {
                    comparable = approved - card
                } else {
                    let cardNote = card != 0 ? " (company-card spend not posted: \(Self.text(card, origin.currency)))" : ""
                    variances.append(
                        ReconciliationVariance(
                            kind: "expensifyDiffers", company: origin.company, reportID: reportID, documentKey: "",
                            detail:
                                "Expensify approved \(Self.text(approved, origin.currency)) \(origin.currency); the batch staged \(Self.text(stagedTotal, origin.currency))\(cardNote)"
                        ))
                }
            } else {
                variances.append(
                    ReconciliationVariance(
                        kind: "expensifyDiffers", company: origin.company, reportID: reportID, documentKey: "",
                        detail:
                            "transform/reports.csv has no Expensify total for this report; the batch staged \(Self.text(stagedTotal, origin.currency))"
                    ))
            }
            let key = [origin.company, origin.currency]
            var sums = byCurrency[key, default: Sums()]
            sums.expensify = (sums.expensify ?? 0) + comparable
            byCurrency[key] = sums
        }

        for (key, s) in byAccount {
            totals.append(
                ReconciliationTotal(
                    company: key[0], currency: key[1], account: key[2], expensify: nil, staged: Self.text(s.staged, key[1]),
                    erp: Self.text(s.erp, key[1]), difference: Self.difference(s.erp - s.staged, key[1])))
        }
        for (key, s) in byCurrency {
            // The ERP against what Expensify approved (staged, where Expensify has no figure).
            let against = s.expensify ?? s.staged
            totals.append(
                ReconciliationTotal(
                    company: key[0], currency: key[1], account: "", expensify: s.expensify.map { Self.text($0, key[1]) },
                    staged: Self.text(s.staged, key[1]), erp: Self.text(s.erp, key[1]), difference: Self.difference(s.erp - against, key[1])))
        }
        totals.sort { ($0.company, $0.currency, $0.account) < ($1.company, $1.currency, $1.account) }
        variances.sort {
            ($0.company, $0.reportID, $0.documentKey, $0.kind, $0.detail) < ($1.company, $1.reportID, $1.documentKey, $1.kind, $1.detail)
        }
    }

    /// One document against what the ERP holds: missing, extra or changed lines; a posted document that differs is
    /// one `postedWithChanges` naming every difference.
    static func compare(_ doc: InvoiceDocument, _ snap: ERPDocumentSnapshot, record: DocumentRecord?) -> [ReconciliationVariance] {
        func variance(_ kind: String, _ detail: String) -> ReconciliationVariance {
            ReconciliationVariance(kind: kind, company: doc.company, reportID: doc.reportID, documentKey: doc.key, detail: detail)
        }
        let total = text(doc.lines.reduce(Decimal(0)) { $0 + (DecimalText.parse($1.amount) ?? 0) }, doc.currency)
        if snap.status == .deleted {
            var detail = "not in the ERP, neither pending nor posted (staged \(doc.lines.count) line(s), \(total) \(doc.currency))"
            if let record, record.state != .loaded {
                detail += "; the ledger has it \(record.state.rawValue)" + (record.error.map { ": \($0)" } ?? "")
            } else if record == nil {
                detail += "; never loaded"
            }
            return [variance("missing", detail)]
        }
        var found: [(kind: String, detail: String)] = []
        if let currency = snap.currency, currency.uppercased() != doc.currency.uppercased() {
            found.append(("amountDiffers", "currency: staged \(doc.currency), the ERP holds \(currency)"))
        }
        var erpLines: [Int: ERPLineSnapshot] = [:]
        for line in snap.lines where erpLines[line.lineNumber] == nil { erpLines[line.lineNumber] = line }
        let stagedNumbers = Set(doc.lines.map(\.lineNumber))
        for line in doc.lines.sorted(by: { $0.lineNumber < $1.lineNumber }) {
            let amount = DecimalText.parse(line.amount) ?? 0
            guard let erp = erpLines[line.lineNumber] else {
                found.append(("missing", "line \(line.lineNumber) (\(text(amount, doc.currency)) on \(line.mainAccount)) is not in the ERP"))
                continue
            }
            let erpAmount = DecimalText.parse(erp.amount) ?? 0
            if erpAmount != amount {
                found.append(
                    (
                        "amountDiffers",
                        "line \(line.lineNumber): staged \(text(amount, doc.currency)) on \(line.mainAccount), the ERP holds \(text(erpAmount, doc.currency))"
                    ))
            }
            if erp.account.trimmingCharacters(in: .whitespaces) != line.mainAccount.trimmingCharacters(in: .whitespaces) {
                found.append(
                    (
                        "accountDiffers",
                        "line \(line.lineNumber): staged on \(line.mainAccount), the ERP books it to \(erp.account.isEmpty ? "(none)" : erp.account)"
                    ))
            }
        }
        for line in snap.lines.sorted(by: { $0.lineNumber < $1.lineNumber }) where !stagedNumbers.contains(line.lineNumber) {
            let amount = DecimalText.parse(line.amount) ?? 0
            found.append(("extra", "line \(line.lineNumber): the ERP holds \(text(amount, doc.currency)) on \(line.account), not staged"))
        }
        if found.isEmpty { return [] }
        if snap.status == .posted {
            let number = snap.number.map { " as \($0)" } ?? ""
            return [variance("postedWithChanges", "posted\(number) and differs: " + found.map(\.detail).joined(separator: "; "))]
        }
        return found.map { variance($0.kind, $0.detail) }
    }

    /// Exact text in the currency's digits when it has no more (`12.30`, `1500`), else plain decimal text.
    static func text(_ value: Decimal, _ currencyCode: String) -> String {
        guard let currency = Currency(code: currencyCode) else { return DecimalText.plain(value) }
        var scaled = value
        for _ in 0..<currency.exponent { scaled *= 10 }
        var rounded = Decimal()
        var copy = scaled
        NSDecimalRound(&rounded, &copy, 0, .plain)
        let minor = NSDecimalNumber(decimal: rounded).int64Value
        guard rounded == scaled, Decimal(minor) == rounded else { return DecimalText.plain(value) }
        return Money(minorUnits: minor, currency: currency).amountText
    }

    /// "0" when there is no difference, else the exact signed amount.
    static func difference(_ value: Decimal, _ currencyCode: String) -> String {
        value == 0 ? "0" : text(value, currencyCode)
    }
}
