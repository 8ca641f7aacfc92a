import ConnectorCore
import ConnectorStaging
import Foundation

/// What transform writes, streamed as reports are mapped: `invoices.json` for load, and for finance
/// `invoice-lines.csv`, `exceptions.csv`, `reports.csv` and `control-totals.csv` (per company, currency and main
/// account, then per company and currency).
final class ReviewFiles {
    /// The sums of the documents written to `invoices.json`, for the batch report (which need not read the file again).
    private(set) var amounts = BatchReportAmounts()
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
    /// One document's JSON before it goes to `invoices.json`.
    private var scratch: [UInt8] = []
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
        invoices.write("[")
    }

    /// An element extract could not read at all: its problems, under `export[<n>]`.
    func unreadable(_ record: ExtractedReport) {
        counts["reports", default: 0] += 1
        counts["held", default: 0] += 1
        counts["exceptions", default: 0] += record.issues.count
        for i in record.issues { exceptions.append(cells: [i.record, i.field, i.reason, "", "", ""]) }
    }

    /// A second copy of a report already mapped (extract keeps one; this guards a hand-made records file).
    func duplicate(_ reportID: String) {
        counts["reports", default: 0] += 1
        counts["exceptions", default: 0] += 1
        exceptions.append(cells: [reportID, "reportID", "appears twice in the export; the second copy is ignored", reportID, "", ""])
    }

    /// One mapped report: its exceptions, review lines, report row, documents and their totals.
    func add(_ outcome: ReportOutcome) throws {
        counts["reports", default: 0] += 1
        counts[outcome.status.rawValue, default: 0] += 1
        counts["exceptions", default: 0] += outcome.issues.count
        // Rows in the column order of `exceptionColumns`, `lineColumns` and `reportColumns`.
        for i in outcome.issues {
            exceptions.append(cells: [i.record, i.field, i.reason, outcome.reportID, outcome.company, outcome.employee])
        }
        for l in outcome.lines {
            lines.append(cells: [
                l.company, l.currency, l.reportID, l.invoiceNumber, l.document, l.vendor, l.employee, l.line,
                l.transactionID, l.expenseDate, l.merchant, l.category, l.glCode, l.mainAccount, l.dimensions,
                l.amount, l.originalAmount, l.originalCurrency, l.reimbursable ? "yes" : "no", l.status,
            ])
        }
        counts["lines", default: 0] += outcome.lines.count
        let employee = outcome.documents.first { $0.kind == .employee }
        let card = outcome.documents.first { $0.kind == .companyCard }
        reports.append(cells: [
            outcome.reportID, outcome.policyID, outcome.company, outcome.employee, outcome.approved, outcome.currency,
            outcome.expensifyTotal, employee?.key ?? "", employee?.total ?? "", card?.key ?? "", card?.total ?? "",
            outcome.status.rawValue, outcome.reason,
        ])
        for d in outcome.documents {
            scratch.removeAll(keepingCapacity: true)
            scratch.append(contentsOf: firstDocument ? [0x0A] : [0x2C, 0x0A])
            firstDocument = false
            InvoicesJSON.append(d, to: &scratch)
            invoices.write(scratch)
            counts["documents", default: 0] += 1
            amounts.addDocument(company: d.company, currency: d.currency)
            for l in d.lines {
                amounts.addLine(
                    currency: d.currency, amount: l.amount, mainAccount: l.mainAccount, dimensions: l.dimensions, merchant: l.merchant)
            }
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
            let accountKey = key + "|" + l.mainAccount
            var account = byAccount[accountKey] ?? Sum()
            account.lines += 1
            account.minor += m.minorUnits
            byAccount[accountKey] = account
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

/// `invoices.json`'s documents, written byte for byte as `JSONEncoder` with `[.sortedKeys, .prettyPrinted,
/// .withoutEscapingSlashes]` writes an `InvoiceDocument` (two-space indent, `"key" : value`, keys sorted), without its
/// cost (most of transform's writing time). `TransformFastPathTests` compares the two on awkward documents, so a field
/// added to `InvoiceDocument` or `InvoiceLine` and not here fails there.
enum InvoicesJSON {
    static func append(_ d: InvoiceDocument, to out: inout [UInt8]) {
        out.append(contentsOf: "{\n".utf8)
        field("company", d.company, 2, &out)
        field("currency", d.currency, 2, &out)
        field("description", d.description, 2, &out)
        field("dimensionDisplayValue", d.dimensionDisplayValue, 2, &out)
        dimensions("dimensions", d.dimensions, 2, &out)
        field("employeeEmail", d.employeeEmail, 2, &out)
        field("invoiceDate", d.invoiceDate, 2, &out)
        field("key", d.key, 2, &out)
        field("kind", d.kind.rawValue, 2, &out)
        out.append(contentsOf: "  \"lines\" : [".utf8)
        if d.lines.isEmpty {
            out.append(contentsOf: "\n\n  ]".utf8)
        } else {
            for (n, l) in d.lines.enumerated() {
                out.append(contentsOf: (n == 0 ? "\n    {\n" : ",\n    {\n").utf8)
                field("amount", l.amount, 6, &out)
                field("category", l.category, 6, &out)
                field("description", l.description, 6, &out)
                field("dimensionDisplayValue", l.dimensionDisplayValue, 6, &out)
                dimensions("dimensions", l.dimensions, 6, &out)
                field("expenseDate", l.expenseDate, 6, &out)
                out.append(contentsOf: "      \"lineNumber\" : \(l.lineNumber),\n".utf8)
                field("mainAccount", l.mainAccount, 6, &out)
                field("merchant", l.merchant, 6, &out)
                field("transactionID", l.transactionID, 6, &out, last: true)
                out.append(contentsOf: "    }".utf8)
            }
            out.append(contentsOf: "\n  ]".utf8)
        }
        out.append(contentsOf: ",\n".utf8)
        field("policyID", d.policyID, 2, &out)
        field("postingDate", d.postingDate, 2, &out)
        field("reportID", d.reportID, 2, &out)
        field("reportName", d.reportName, 2, &out)
        field("total", d.total, 2, &out)
        field("vendorAccount", d.vendorAccount, 2, &out, last: true)
        out.append(0x7D)
    }

    /// An optional object of strings (left out when nil), keys sorted, as the encoder writes it.
    private static func dimensions(_ name: StaticString, _ value: [String: String]?, _ indent: Int, _ out: inout [UInt8]) {
        guard let value else { return }
        out.append(contentsOf: repeatElement(0x20, count: indent))
        out.append(0x22)
        out.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
        out.append(contentsOf: "\" : {\n".utf8)
        if value.isEmpty { out.append(0x0A) }
        for (n, key) in value.keys.sorted().enumerated() {
            out.append(contentsOf: repeatElement(0x20, count: indent + 2))
            string(key, &out)
            out.append(contentsOf: [0x20, 0x3A, 0x20])
            string(value[key] ?? "", &out)
            out.append(contentsOf: n == value.count - 1 ? [0x0A] : [0x2C, 0x0A])
        }
        out.append(contentsOf: repeatElement(0x20, count: indent))
        out.append(contentsOf: "},\n".utf8)
    }

    private static func field(_ name: StaticString, _ value: String, _ indent: Int, _ out: inout [UInt8], last: Bool = false) {
        out.append(contentsOf: repeatElement(0x20, count: indent))
        out.append(0x22)
        out.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
        out.append(contentsOf: [0x22, 0x20, 0x3A, 0x20])
        string(value, &out)
        out.append(contentsOf: last ? [0x0A] : [0x2C, 0x0A])
    }

    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    /// A JSON string: `"` and `\\` escaped, control characters as `\b \t \n \f \r` or `\u00xx`, everything else
    /// (`/` and non-ASCII included) as it is.
    static func string(_ value: String, _ out: inout [UInt8]) {
        out.append(0x22)
        var s = value
        s.withUTF8 { bytes in
            var clean = bytes.startIndex
            for i in bytes.indices {
                let b = bytes[i]
                guard b < 0x20 || b == 0x22 || b == 0x5C else { continue }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[clean..<i]))
                clean = i + 1
                switch b {
                case 0x22: out.append(contentsOf: [0x5C, 0x22])
                case 0x5C: out.append(contentsOf: [0x5C, 0x5C])
                case 0x08: out.append(contentsOf: [0x5C, UInt8(ascii: "b")])
                case 0x09: out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
                case 0x0A: out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
                case 0x0C: out.append(contentsOf: [0x5C, UInt8(ascii: "f")])
                case 0x0D: out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
                default: out.append(contentsOf: [0x5C, UInt8(ascii: "u"), 0x30, 0x30, hex[Int(b >> 4)], hex[Int(b & 0xF)]])
                }
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[clean...]))
        }
        out.append(0x22)
    }
}
