import ConnectorCore
import ConnectorStaging
import Foundation

/// What transform writes, streamed as reports are mapped: `invoices.json` for load, and for finance
/// `invoice-lines.csv`, `exceptions.csv`, `reports.csv` and `control-totals.csv` (per company, currency and main
/// account, then per company and currency).
final class ReviewFiles {
    static let lineColumns = [
        "company", "currency", "report_id", "invoice_number", "document", "vendor", "employee", "line",
        "transaction_id", "expense_date", "merchant", "category", "gl_code", "main_account", "dimensions",
        "amount", "original_amount", "original_currency", "reimbursable", "status",
    ]
    static let exceptionColumns = ["record", "field", "reason", "report_id", "company", "employee"]
    static let reportColumns = [
        "report_id", "policy_id", "company", "employee", "approved", "currency", "expensify_total",
        "employee_invoice", "employee_total", "card_invoice", "card_total", "status", "reason",
    ]
    static let totalColumns = ["company", "currency", "main_account", "lines", "amount"]

    /// Running sums in minor units, exact.
    struct Sum {
        var documents = 0
        var lines = 0
        var minor: Int64 = 0
    }

    private let layout: BatchLayout
    private let style: CSVStyle
    private let invoices: StreamingFile
    private let lines: CSVFile
    private let exceptions: CSVFile
    private let reports: CSVFile
    private let encoder = JSONEncoder()
    private var firstDocument = true
    /// "company|currency|account" and "company|currency" → sums.
    private var byAccount: [String: Sum] = [:]
    private var byCurrency: [String: Sum] = [:]
    private(set) var counts = ["reports": 0, "ready": 0, "held": 0, "empty": 0, "documents": 0, "exceptions": 0, "lines": 0]

    init(layout: BatchLayout, style: CSVStyle) throws {
        self.layout = layout
        self.style = style
        invoices = try StreamingFile(layout.invoicesFile)
        lines = try CSVFile(layout.linesCSV, columns: Self.lineColumns, style: style)
        exceptions = try CSVFile(layout.exceptionsCSV, columns: Self.exceptionColumns, style: style)
        reports = try CSVFile(layout.reportsCSV, columns: Self.reportColumns, style: style)
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        invoices.write("[")
    }

    /// An element extract could not read at all: its problems, under `export[<n>]`.
    func unreadable(_ record: ExtractedReport) {
        counts["reports", default: 0] += 1
        counts["held", default: 0] += 1
        counts["exceptions", default: 0] += record.issues.count
        for i in record.issues { exceptions.append(["record": i.record, "field": i.field, "reason": i.reason]) }
    }

    /// A second copy of a report already mapped (extract keeps one; this guards a hand-made records file).
    func duplicate(_ reportID: String) {
        counts["reports", default: 0] += 1
        counts["exceptions", default: 0] += 1
        exceptions.append([
            "record": reportID, "field": "reportID", "reason": "appears twice in the export; the second copy is ignored",
            "report_id": reportID,
        ])
    }

    /// One mapped report: its exceptions, review lines, report row, documents and their totals.
    func add(_ outcome: ReportOutcome) throws {
        counts["reports", default: 0] += 1
        counts[outcome.status.rawValue, default: 0] += 1
        counts["exceptions", default: 0] += outcome.issues.count
        for i in outcome.issues {
            exceptions.append([
                "record": i.record, "field": i.field, "reason": i.reason, "report_id": outcome.reportID,
                "company": outcome.company, "employee": outcome.employee,
            ])
        }
        for l in outcome.lines {
            lines.append([
                "company": l.company, "currency": l.currency, "report_id": l.reportID, "invoice_number": l.invoiceNumber,
                "document": l.document, "vendor": l.vendor, "employee": l.employee, "line": l.line,
                "transaction_id": l.transactionID, "expense_date": l.expenseDate, "merchant": l.merchant,
                "category": l.category, "gl_code": l.glCode, "main_account": l.mainAccount, "dimensions": l.dimensions,
                "amount": l.amount, "original_amount": l.originalAmount, "original_currency": l.originalCurrency,
                "reimbursable": l.reimbursable ? "yes" : "no", "status": l.status,
            ])
            counts["lines", default: 0] += 1
        }
        let employee = outcome.documents.first { $0.kind == .employee }
        let card = outcome.documents.first { $0.kind == .companyCard }
        reports.append([
            "report_id": outcome.reportID, "policy_id": outcome.policyID, "company": outcome.company,
            "employee": outcome.employee, "approved": outcome.approved, "currency": outcome.currency,
            "expensify_total": outcome.expensifyTotal, "employee_invoice": employee?.key ?? "",
            "employee_total": employee?.total ?? "", "card_invoice": card?.key ?? "", "card_total": card?.total ?? "",
            "status": outcome.status.rawValue, "reason": outcome.reason,
        ])
        for d in outcome.documents {
            invoices.write(firstDocument ? "\n" : ",\n")
            firstDocument = false
            invoices.write(try encoder.encode(d))
            counts["documents", default: 0] += 1
            total(d)
        }
    }

    private func total(_ d: InvoiceDocument) {
        guard let currency = Currency(code: d.currency) else { return }
        let key = "\(d.company)|\(d.currency)"
        var sum = byCurrency[key] ?? Sum()
        sum.documents += 1
        for l in d.lines {
            guard let m = Money.parse(l.amount, currency: currency) else { continue }
            byAccount["\(key)|\(l.mainAccount)", default: Sum()].lines += 1
            byAccount["\(key)|\(l.mainAccount)", default: Sum()].minor += m.minorUnits
            sum.lines += 1
            sum.minor += m.minorUnits
        }
        byCurrency[key] = sum
    }

    /// Closes every file (moved into place atomically) and writes the control totals.
    /// - Returns: each file's SHA-256 by name, and the per company and currency totals.
    func finish() throws -> (files: [String: String], totals: [TransformSummary.Total]) {
        invoices.write(firstDocument ? "]\n" : "\n]\n")
        var control = CSVWriter(columns: Self.totalColumns, style: style)
        for key in byAccount.keys.sorted() {
            let parts = key.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            guard let currency = Currency(code: parts[1]), let sum = byAccount[key] else { continue }
            control.append([
                "company": parts[0], "currency": parts[1], "main_account": parts[2], "lines": String(sum.lines),
                "amount": Money(minorUnits: sum.minor, currency: currency).amountText,
            ])
        }
        var totals: [TransformSummary.Total] = []
        for key in byCurrency.keys.sorted() {
            let parts = key.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            guard let currency = Currency(code: parts[1]), let sum = byCurrency[key] else { continue }
            let amount = Money(minorUnits: sum.minor, currency: currency).amountText
            control.append(["company": parts[0], "currency": parts[1], "main_account": "(all)", "lines": String(sum.lines), "amount": amount])
            totals.append(.init(company: parts[0], currency: parts[1], documents: sum.documents, lines: sum.lines, amount: amount))
        }
        var files: [String: String] = [:]
        files["control-totals.csv"] = try StagedFile.write(control.data, to: layout.controlTotalsCSV)
        files["invoices.json"] = try invoices.finish()
        files["invoice-lines.csv"] = try lines.finish()
        files["exceptions.csv"] = try exceptions.finish()
        files["reports.csv"] = try reports.finish()
        return (files, totals)
    }
}
