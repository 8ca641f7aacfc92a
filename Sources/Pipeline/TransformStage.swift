import ConnectorCore
import ConnectorStaging
import Foundation
import Logging

/// What `transform` decided, per company and currency.
public struct TransformSummary: Sendable, Codable {
    public struct Total: Sendable, Codable, Hashable {
        public var company: String
        public var currency: String
        public var documents: Int
        public var lines: Int
        public var amount: String
    }

    public var batchID: String
    public var reports: Int
    public var ready: Int
    public var held: Int
    public var empty: Int
    public var documents: Int
    public var exceptions: Int
    public var totals: [Total]

    /// Counts, then one line per company and currency, for the operator.
    public var text: String {
        var text = "Batch \(batchID): \(reports) report(s): \(ready) ready, \(held) held, \(empty) nothing to post; \(documents) document(s), \(exceptions) exception(s)\n"
        for t in totals { text += "  \(t.company) \(t.currency): \(t.documents) document(s), \(t.lines) line(s), \(t.amount)\n" }
        return text
    }
}

extension PipelineContext {
    static let lineColumns = ["company", "currency", "report_id", "invoice_number", "document", "vendor", "employee", "line",
                              "transaction_id", "expense_date", "merchant", "category", "gl_code", "main_account", "dimensions",
                              "amount", "original_amount", "original_currency", "reimbursable", "status"]
    static let exceptionColumns = ["record", "field", "reason", "report_id", "company", "employee"]
    static let reportColumns = ["report_id", "policy_id", "company", "employee", "approved", "currency", "expensify_total",
                                "employee_invoice", "employee_total", "card_invoice", "card_total", "status", "reason"]
    static let totalColumns = ["company", "currency", "main_account", "lines", "amount"]

    /// Turns the extracted files into target documents and review files under `staging/<batch>/transform/`.
    /// Pure with respect to its inputs: the same extract files and configuration give byte-identical output.
    public func transform(batchID requested: String? = nil) async throws -> TransformSummary {
        let batchID = try resolveBatch(requested)
        _ = try requireStage("extract", batchID: batchID, before: "transform")
        let layout = self.layout(batchID)
        for f in [layout.exportFile, layout.policiesFile, layout.referenceFile] { try layout.require(f, producedBy: "extract") }
        return try await recordStage("transform", batchID: batchID) {
            try layout.ensure("transform")
            let catalog = PolicyCatalog(policyInfo: try JSONValue.parse(try Data(contentsOf: layout.policiesFile)))
            let reference: ReferenceData
            do {
                reference = try JSONDecoder().decode(ReferenceData.self, from: try Data(contentsOf: layout.referenceFile))
            } catch {
                throw ConnectorError("staging.malformed", "reference.json of batch \(batchID) cannot be read: \(error)", context: ["file": layout.referenceFile.path])
            }
            let mapper = ReportMapper(config: config, catalog: catalog, reference: reference, dimensionFormatter: try dimensionFormatter())

            let invoices = try StreamingFile(layout.invoicesFile)
            let lines = try CSVFile(layout.linesCSV, columns: Self.lineColumns, style: csvStyle)
            let exceptions = try CSVFile(layout.exceptionsCSV, columns: Self.exceptionColumns, style: csvStyle)
            let reports = try CSVFile(layout.reportsCSV, columns: Self.reportColumns, style: csvStyle)
            var totals: [String: (company: String, currency: String, account: String, lines: Int, minor: Int64, exponent: Int)] = [:]
            var docTotals: [String: (docs: Int, lines: Int, minor: Int64, exponent: Int)] = [:]
            var counts = ["reports": 0, "ready": 0, "held": 0, "empty": 0, "documents": 0, "exceptions": 0, "lines": 0]
            var seen = Set<String>()
            let enc = JSONEncoder()
            enc.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
            invoices.write("[")
            var firstDoc = true
            let a = audit(batchID, "transform")

            var reader = try JSONArrayReader(url: layout.exportFile)
            defer { reader.close() }
            var index = 0
            while let element = try reader.next() {
                defer { index += 1 }
                counts["reports", default: 0] += 1
                let value: JSONValue
                do {
                    value = try JSONValue.parse(element)
                } catch let e as ConnectorError {
                    // Malformed JSON inside one element: name it and go on with the rest.
                    let id = Self.sniffReportID(element)
                    let rid = id ?? "export[\(index)]"
                    exceptions.append(["record": rid, "field": "(json)", "reason": e.message, "report_id": id ?? ""])
                    counts["held", default: 0] += 1
                    counts["exceptions", default: 0] += 1
                    try ledger.audit(a, entityType: "report", entityID: rid, event: "exception", detail: "(json): \(e.message)")
                    if let id, try ledger.report(id) != nil {
                        try ledger.setReportState(id, state: "held", reason: "(json): \(e.message)", audit: a)
                    }
                    continue
                }
                let (decoded, decodeIssues) = ExportedReport.decode(value, index: index)
                guard let report = decoded, !report.reportID.isEmpty else {
                    let issues = decodeIssues.isEmpty ? [RecordIssue(record: "export[\(index)]", field: "(report)", reason: "cannot be read")] : decodeIssues
                    for i in issues { exceptions.append(["record": i.record, "field": i.field, "reason": i.reason]) }
                    counts["held", default: 0] += 1
                    counts["exceptions", default: 0] += issues.count
                    try ledger.audit(a, entityType: "export", entityID: "export[\(index)]", event: "exception",
                                     detail: issues.map { "\($0.field): \($0.reason)" }.joined(separator: "; "))
                    continue
                }
                if seen.contains(report.reportID) {
                    let i = RecordIssue(record: report.reportID, field: "reportID", reason: "appears twice in the export; the second copy is ignored")
                    exceptions.append(["record": i.record, "field": i.field, "reason": i.reason, "report_id": report.reportID])
                    counts["exceptions", default: 0] += 1
                    continue
                }
                seen.insert(report.reportID)
                let outcome = mapper.map(report, decodeIssues: decodeIssues)

                counts[outcome.status.rawValue, default: 0] += 1
                for i in outcome.issues {
                    exceptions.append(["record": i.record, "field": i.field, "reason": i.reason, "report_id": outcome.reportID,
                                       "company": outcome.company, "employee": outcome.employee])
                }
                counts["exceptions", default: 0] += outcome.issues.count
                for l in outcome.lines {
                    lines.append(["company": l.company, "currency": l.currency, "report_id": l.reportID, "invoice_number": l.invoiceNumber,
                                  "document": l.document, "vendor": l.vendor, "employee": l.employee, "line": l.line,
                                  "transaction_id": l.transactionID, "expense_date": l.expenseDate, "merchant": l.merchant,
                                  "category": l.category, "gl_code": l.glCode, "main_account": l.mainAccount, "dimensions": l.dimensions,
                                  "amount": l.amount, "original_amount": l.originalAmount, "original_currency": l.originalCurrency,
                                  "reimbursable": l.reimbursable ? "yes" : "no", "status": l.status])
                    counts["lines", default: 0] += 1
                }
                let emp = outcome.documents.first { $0.kind == .employee }
                let card = outcome.documents.first { $0.kind == .companyCard }
                reports.append(["report_id": outcome.reportID, "policy_id": outcome.policyID, "company": outcome.company,
                                "employee": outcome.employee, "approved": outcome.approved, "currency": outcome.currency,
                                "expensify_total": outcome.expensifyTotal, "employee_invoice": emp?.key ?? "",
                                "employee_total": emp?.total ?? "", "card_invoice": card?.key ?? "", "card_total": card?.total ?? "",
                                "status": outcome.status.rawValue, "reason": outcome.reason])
                for d in outcome.documents {
                    invoices.write(firstDoc ? "\n" : ",\n")
                    firstDoc = false
                    invoices.write(try enc.encode(d))
                    counts["documents", default: 0] += 1
                    guard let cur = Currency(code: d.currency) else { continue }
                    let dk = "\(d.company)|\(d.currency)"
                    var dt = docTotals[dk] ?? (0, 0, 0, cur.exponent)
                    dt.docs += 1
                    for l in d.lines {
                        guard let m = Money.parse(l.amount, currency: cur) else { continue }
                        let k = "\(d.company)|\(d.currency)|\(l.mainAccount)"
                        var t = totals[k] ?? (d.company, d.currency, l.mainAccount, 0, 0, cur.exponent)
                        t.lines += 1
                        t.minor += m.minorUnits
                        totals[k] = t
                        dt.lines += 1
                        dt.minor += m.minorUnits
                    }
                    docTotals[dk] = dt
                }

                // Ledger: the report's decision, and every exception as an audit event.
                if try ledger.report(outcome.reportID) != nil {
                    let state = outcome.status == .ready ? "ready" : (outcome.status == .held ? "held" : "empty")
                    let total = emp?.total ?? card?.total
                    try ledger.setReportState(outcome.reportID, state: state, reason: outcome.reason.isEmpty ? nil : outcome.reason,
                                              currency: outcome.currency.isEmpty ? nil : outcome.currency, total: total, audit: a)
                }
                for i in outcome.issues {
                    try ledger.audit(a, entityType: "report", entityID: outcome.reportID, event: "exception", detail: "\(i.record) \(i.field): \(i.reason)")
                }
            }
            invoices.write(firstDoc ? "]\n" : "\n]\n")

            // Control totals: per company, currency and main account, then per company and currency.
            var totalRows: [TransformSummary.Total] = []
            var ctrl = CSVWriter(columns: Self.totalColumns, style: csvStyle)
            for k in totals.keys.sorted() {
                let t = totals[k]!
                guard let cur = Currency(code: t.currency) else { continue }
                ctrl.append(["company": t.company, "currency": t.currency, "main_account": t.account, "lines": String(t.lines),
                             "amount": Money(minorUnits: t.minor, currency: cur).amountText])
            }
            for k in docTotals.keys.sorted() {
                let t = docTotals[k]!
                let parts = k.split(separator: "|").map(String.init)
                guard let cur = Currency(code: parts[1]) else { continue }
                let amount = Money(minorUnits: t.minor, currency: cur).amountText
                ctrl.append(["company": parts[0], "currency": parts[1], "main_account": "(all)", "lines": String(t.lines), "amount": amount])
                totalRows.append(.init(company: parts[0], currency: parts[1], documents: t.docs, lines: t.lines, amount: amount))
            }
            var files: [String: String] = [:]
            files["control-totals.csv"] = try StagedFile.write(ctrl.data, to: layout.controlTotalsCSV)
            files["invoices.json"] = try invoices.finish()
            files["invoice-lines.csv"] = try lines.finish()
            files["exceptions.csv"] = try exceptions.finish()
            files["reports.csv"] = try reports.finish()

            let summary = TransformSummary(batchID: batchID, reports: counts["reports"] ?? 0, ready: counts["ready"] ?? 0,
                                           held: counts["held"] ?? 0, empty: counts["empty"] ?? 0, documents: counts["documents"] ?? 0,
                                           exceptions: counts["exceptions"] ?? 0, totals: totalRows)
            return (summary, counts, files)
        }
    }

    /// Best effort: the `reportID` of an element whose JSON is broken, for the exception row.
    static func sniffReportID(_ element: Data) -> String? {
        let text = String(decoding: element.prefix(4096), as: UTF8.self)
        guard let r = text.range(of: "\"reportID\"") else { return nil }
        let rest = text[r.upperBound...].drop { $0 == " " || $0 == ":" || $0 == "\"" }
        let id = rest.prefix { $0.isNumber || $0.isLetter }
        return id.isEmpty ? nil : String(id)
    }
}
