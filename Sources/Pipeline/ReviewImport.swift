import ConnectorCore
import ConnectorLedger
import ConnectorStaging
import Foundation
import Logging
import SwiftCSV

/// One problem found in an imported review spreadsheet: the spreadsheet row (1-based, the header is row 1) and column.
public struct ReviewImportProblem: Sendable, Codable, Hashable {
    /// The row in the spreadsheet (header = 1); 0 for a problem with the whole file.
    public var line: Int
    /// The column concerned ("" for the whole row or file).
    public var column: String
    public var message: String

    /// `line 4, amount: …`.
    public var text: String { line == 0 ? message : "line \(line)\(column.isEmpty ? "" : ", \(column)"): \(message)" }
}

/// What `review import` did.
public struct ReviewImportSummary: Sendable, Codable {
    public var batchID: String
    /// The file imported (its name).
    public var file: String
    /// The separator found in its header line.
    public var separator: String
    /// Rows read (the header aside).
    public var rows: Int
    /// The edits recorded as overrides (empty when rejected or nothing changed).
    public var overrides: [LineOverride]
    /// Why nothing was applied; empty when the import was accepted.
    public var rejected: [ReviewImportProblem]
    /// Whether the overrides were recorded and the staged files rebuilt.
    public var applied: Bool
    /// What to run next.
    public var next: [String]

    /// For the operator.
    public var text: String {
        if !rejected.isEmpty {
            var s = "Import of \(file) into batch \(batchID) REJECTED: nothing was applied. \(rejected.count) problem(s):\n"
            for p in rejected { s += "  \(p.text)\n" }
            s += "Only main_account and dimensions can be edited; correct amounts, currencies, vendors and keys in Expensify.\n"
            return s
        }
        if overrides.isEmpty {
            return "Import of \(file) into batch \(batchID): \(rows) row(s) read, no change to main_account or dimensions; nothing applied.\n"
        }
        var s = "Import of \(file) into batch \(batchID): \(overrides.count) edit(s) applied as audited overrides, staged files rebuilt:\n"
        for o in overrides {
            s += "  \(o.documentKey) line \(o.lineNumber) (expense \(o.transactionID)) \(o.field): '\(o.oldValue)' -> '\(o.newValue)'\n"
        }
        s += "The batch awaits a new sign-off:\n"
        for c in next { s += "  \(c)\n" }
        return s
    }
}

/// Numbers as spreadsheets write them back: decimal comma or point, thousands separators (`.`, `,`, space,
/// apostrophe), a leading minus.
enum SpreadsheetNumber {
    /// The exact value; nil when the text is not a number. `decimals` (the currency's digits) settles `1.234` and
    /// `1,234`: with fewer digits after the only separator than three, or a currency with three or more digits, it
    /// is the decimal separator; with exactly three and a currency of fewer, it groups thousands.
    static func parse(_ text: String, decimals: Int) -> Decimal? {
        var t = text.trimmingCharacters(in: .whitespaces)
        for junk in [" ", "\u{00A0}", "\u{202F}", "'", "\u{2019}"] { t = t.replacingOccurrences(of: junk, with: "") }
        guard !t.isEmpty else { return nil }
        var negative = false
        if t.hasPrefix("-") || t.hasPrefix("\u{2212}") {
            negative = true
            t.removeFirst()
        } else if t.hasPrefix("+") {
            t.removeFirst()
        }
        guard !t.isEmpty, t.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == "." || $0 == ",") }) else { return nil }
        let commas = t.filter { $0 == "," }.count
        let points = t.filter { $0 == "." }.count
        var decimalSeparator: Character?
        if commas > 0 && points > 0 {
            decimalSeparator = t.lastIndex(of: ",")! > t.lastIndex(of: ".")! ? "," : "."
        } else if commas == 1 || points == 1 {
            let sep: Character = commas == 1 ? "," : "."
            let after = t.distance(from: t.index(after: t.lastIndex(of: sep)!), to: t.endIndex)
            decimalSeparator = (after == 3 && decimals < 3) ? nil : sep
        }
        var digits = ""
        var seenDecimal = false
        for c in t {
            if c == decimalSeparator {
                if seenDecimal { return nil }
                seenDecimal = true
                digits.append(".")
            } else if c.isNumber {
                digits.append(c)
            }
        }
        guard digits.first?.isNumber == true || digits.first == ".", digits.contains(where: \.isNumber) else { return nil }
        guard let d = DecimalText.parse(digits.hasPrefix(".") ? "0" + digits : digits) else { return nil }
        return negative ? -d : d
    }
}

extension PipelineContext {
    /// Columns of `invoice-lines.csv` that must not change in an import (amount is compared as a number).
    static let frozenReviewColumns = ["company", "currency", "vendor", "invoice_number", "document"]
    /// The columns an import may change.
    static let editableReviewColumns = ["main_account", "dimensions"]

    /// `review import`: reads finance's spreadsheet (a copy of `transform/invoice-lines.csv` saved by Excel or
    /// LibreOffice), takes its `main_account` and `dimensions` edits, and rejects anything else it changed.
    ///
    /// All or nothing: any problem rejects the file and nothing is applied. Accepted edits are recorded as audited
    /// overrides, transform is rerun for the batch with them (so `invoices.json`, the CSVs and the totals agree),
    /// and the batch awaits a new sign-off.
    public func reviewImport(batchID requested: String, file: String, by: String?) async throws -> ReviewImportSummary {
        let batchID = try reviewBatch(requested)
        try refuseReviewAfterLoad(batchID, action: "edited")
        let layout = self.layout(batchID)
        let url = URL(fileURLWithPath: file)
        let name = by?.trimmedWhitespace.nilIfEmpty ?? environment["USER"] ?? environment["LOGNAME"] ?? "unknown"
        // Read first: the file may be the staged invoice-lines.csv itself, edited in place.
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw ConnectorError("review.import_unreadable", "Cannot read \(file): \(error.localizedDescription)", context: ["file": file])
        }
        guard var text = String(data: data, encoding: .utf8) else {
            throw ConnectorError(
                "review.import_unreadable", "\(url.lastPathComponent) is not UTF-8 text; save it as 'CSV UTF-8' and import again.",
                context: ["file": file])
        }
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        // The comparison is against the lines as transform maps them (with the overrides already recorded), not against
        // the staged file, which finance may have edited in place and which stays as it is when the import is rejected.
        _ = try requireCurrent(.transform, batchID: batchID, before: .load)
        let extractRun = try requireStage(.extract, batchID: batchID, before: .transform)
        try verifyInputs([layout.recordsFile, layout.catalogFile, layout.referenceFile].map(\.lastPathComponent), of: extractRun, layout: layout)

        let separator = Self.sniffSeparator(text)
        var summary = ReviewImportSummary(
            batchID: batchID, file: url.lastPathComponent, separator: separator == "\t" ? "tab" : String(separator), rows: 0, overrides: [],
            rejected: [], applied: false, next: [])
        let sheet: EnumeratedCSV
        do {
            sheet = try EnumeratedCSV(string: text, delimiter: CSVDelimiter.character(separator), loadColumns: false)
        } catch {
            summary.rejected = [ReviewImportProblem(line: 0, column: "", message: "\(url.lastPathComponent) is not readable CSV: \(error)")]
            return summary
        }
        let header = sheet.header.map(Self.columnName)
        var problems: [ReviewImportProblem] = []
        for required in ["report_id", "transaction_id"] where !header.contains(required) {
            problems.append(ReviewImportProblem(line: 1, column: required, message: "column '\(required)' is missing; keep the key columns"))
        }
        if !header.contains(where: { Self.editableReviewColumns.contains($0) }) {
            problems.append(ReviewImportProblem(line: 1, column: "", message: "neither a main_account nor a dimensions column: nothing to import"))
        }
        guard problems.isEmpty else {
            summary.rejected = problems
            return summary
        }
        func column(_ name: String) -> Int? { header.firstIndex(of: name) }

        let formatter = try dimensionFormatter()
        var byKey: [String: [String: String]] = [:]
        for outcome in try mapReports(batchID: batchID, layout: layout, formatter: formatter, overrides: try ledger.overrides(batchID: batchID)) {
            for l in outcome.lines {
                let key = ReportMapper.editKey(reportID: l.reportID, transactionID: l.transactionID)
                guard byKey[key] == nil else { continue }
                byKey[key] = [
                    "company": l.company, "currency": l.currency, "vendor": l.vendor, "invoice_number": l.invoiceNumber, "document": l.document,
                    "line": l.line, "amount": l.amount, "main_account": l.mainAccount, "dimensions": l.dimensions,
                ]
            }
        }
        let dimensionCount = config.dimensions.format.count
        var seen: [String: Int] = [:]
        var edits: [(line: Int, override: LineOverride)] = []
        for (index, cells) in sheet.rows.enumerated() {
            let line = index + 2
            if cells.allSatisfy({ $0.trimmedWhitespace.isEmpty }) { continue }
            summary.rows += 1
            func cell(_ name: String) -> String? { column(name).map { $0 < cells.count ? Self.undefused(cells[$0].trimmedWhitespace) : "" } }
            let reportID = cell("report_id") ?? ""
            let transactionID = cell("transaction_id") ?? ""
            let key = ReportMapper.editKey(reportID: reportID, transactionID: transactionID)
            guard let original = byKey[key] else {
                problems.append(
                    ReviewImportProblem(
                        line: line, column: "report_id",
                        message: "report \(reportID), expense '\(transactionID)' is not a line of batch \(batchID) (keys cannot be changed)"))
                continue
            }
            if let first = seen[key] {
                problems.append(
                    ReviewImportProblem(
                        line: line, column: "transaction_id",
                        message: "expense \(transactionID) of report \(reportID) appears twice (also line \(first))"))
                continue
            }
            seen[key] = line
            for name in Self.frozenReviewColumns {
                guard let value = cell(name), value != (original[name] ?? "").trimmedWhitespace else { continue }
                problems.append(
                    ReviewImportProblem(
                        line: line, column: name,
                        message: "'\(value)' differs from the staged '\(original[name] ?? "")'; \(name) cannot be changed in review"))
            }
            if let value = cell("amount") {
                let stagedAmount = original["amount"] ?? ""
                let decimals = Currency(code: original["currency"] ?? "")?.exponent ?? 2
                let same: Bool
                if value.isEmpty || stagedAmount.isEmpty {
                    same = value.isEmpty && stagedAmount.isEmpty
                } else if let v = SpreadsheetNumber.parse(value, decimals: decimals), let s = DecimalText.parse(stagedAmount) {
                    same = v == s
                } else {
                    same = false
                }
                if !same {
                    problems.append(
                        ReviewImportProblem(
                            line: line, column: "amount",
                            message:
                                "'\(value)' differs from the staged amount \(stagedAmount) \(original["currency"] ?? ""); amounts cannot be changed in review (correct the expense in Expensify)"
                        ))
                }
            }
            let documentKey = original["invoice_number"] ?? ""
            let lineNumber = Int(original["line"] ?? "") ?? 0
            func edit(_ field: String, old: String, new: String) {
                if transactionID.isEmpty {
                    problems.append(
                        ReviewImportProblem(
                            line: line, column: field, message: "the expense has no transaction ID, so its line cannot be edited here"))
                    return
                }
                edits.append(
                    (
                        line,
                        LineOverride(
                            batchID: batchID, reportID: reportID, transactionID: transactionID, documentKey: documentKey, lineNumber: lineNumber,
                            field: field, oldValue: old, newValue: new, by: name, sourceFile: url.lastPathComponent)
                    ))
            }
            if let account = cell("main_account"), account != (original["main_account"] ?? "").trimmedWhitespace {
                if account.isEmpty {
                    problems.append(ReviewImportProblem(line: line, column: "main_account", message: "is empty; a line needs a main account"))
                } else {
                    edit("main_account", old: original["main_account"] ?? "", new: account)
                }
            }
            if let dims = cell("dimensions"), dims != (original["dimensions"] ?? "").trimmedWhitespace {
                let old = original["dimensions"] ?? ""
                if let segments = formatter.segments(of: dims, count: dimensionCount) {
                    if segments != formatter.segments(of: old, count: dimensionCount) {
                        edit("dimensions", old: old, new: formatter.text(segments))
                    }
                } else {
                    problems.append(
                        ReviewImportProblem(
                            line: line, column: "dimensions",
                            message:
                                "'\(dims)' is not readable as \(dimensionCount) dimension value(s) (\(config.dimensions.format.joined(separator: ", ")))"
                        ))
                }
            }
        }

        // The edits through transform's own rules: an account or value that is unknown, inactive or suspended is
        // refused exactly as transform would hold it, naming the line.
        if !edits.isEmpty {
            problems += try checkEdits(edits, batchID: batchID, layout: layout, formatter: formatter)
        }
        guard problems.isEmpty else {
            summary.rejected = problems.sorted { ($0.line, $0.column) < ($1.line, $1.column) }
            logger.warning(
                "review import rejected", metadata: ["batch.id": "\(batchID)", "file": "\(url.lastPathComponent)", "problems": "\(problems.count)"])
            return summary
        }
        guard !edits.isEmpty else { return summary }

        let overrides = edits.map { $0.override }
        let a = audit(batchID, nil)
        try ledger.recordOverrides(overrides, audit: a)
        _ = try await transform(batchID: batchID)
        try ledger.markAwaitingReview(batchID: batchID, reason: "edited by import of \(url.lastPathComponent) by \(name)", audit: a)
        writeBatchReportAfterStage(batchID)
        logger.info(
            "review import applied", metadata: ["batch.id": "\(batchID)", "file": "\(url.lastPathComponent)", "overrides": "\(overrides.count)"])
        summary.overrides = overrides
        summary.applied = true
        summary.next = Array(Self.reviewCommands(batchID))
        return summary
    }

    /// The batch's recorded overrides as the mapper's edits (a later edit of the same line and field wins).
    func reviewEdits(_ overrides: [LineOverride], formatter: any DimensionFormatter) -> [String: ReportMapper.LineEdit] {
        var edits: [String: ReportMapper.LineEdit] = [:]
        for o in overrides {
            let key = ReportMapper.editKey(reportID: o.reportID, transactionID: o.transactionID)
            var e = edits[key] ?? ReportMapper.LineEdit()
            switch o.field {
            case "main_account": e.mainAccount = o.newValue
            case "dimensions":
                guard let segments = formatter.segments(of: o.newValue, count: config.dimensions.format.count) else {
                    logger.warning(
                        "a dimensions override is not readable with the configured dimensions; ignored",
                        metadata: ["batch.id": "\(o.batchID)", "report": "\(o.reportID)", "override.id": "\(o.id)"])
                    continue
                }
                e.segments = segments
            default: continue
            }
            edits[key] = e
        }
        return edits
    }

    /// Maps the edited reports again with every override (recorded and new) and reports, by spreadsheet line, each
    /// edit the rules refuse or that does not reach a posted line.
    func checkEdits(
        _ edits: [(line: Int, override: LineOverride)], batchID: String, layout: BatchLayout, formatter: any DimensionFormatter
    ) throws -> [ReviewImportProblem] {
        let wanted = Set(edits.map { $0.override.reportID })
        var outcomes: [String: ReportOutcome] = [:]
        let all = try ledger.overrides(batchID: batchID) + edits.map { $0.override }
        for outcome in try mapReports(batchID: batchID, layout: layout, formatter: formatter, overrides: all, only: wanted) {
            outcomes[outcome.reportID] = outcome
        }
        var problems: [ReviewImportProblem] = []
        for (line, o) in edits {
            let record = "\(o.reportID)/\(o.transactionID)"
            guard let outcome = outcomes[o.reportID] else {
                problems.append(ReviewImportProblem(line: line, column: "report_id", message: "report \(o.reportID) is not in the batch's extract"))
                continue
            }
            let refused = outcome.issues.filter { $0.record == record && $0.field == o.field }
            for issue in refused { problems.append(ReviewImportProblem(line: line, column: o.field, message: issue.reason)) }
            guard refused.isEmpty else { continue }
            let mapped = outcome.lines.first { $0.transactionID == o.transactionID }
            let now = o.field == "main_account" ? mapped?.mainAccount : mapped?.dimensions
            if now != o.newValue {
                problems.append(
                    ReviewImportProblem(
                        line: line, column: o.field,
                        message: "the expense does not post (\(mapped?.status ?? "not mapped")), so its \(o.field) cannot be set"))
            }
        }
        return problems
    }

    /// The batch's reports (each once, as transform keeps them; only those in `only` when given) mapped again from its
    /// extract with `overrides`, exactly as transform maps them.
    func mapReports(
        batchID: String, layout: BatchLayout, formatter: any DimensionFormatter, overrides: [LineOverride], only: Set<String>? = nil
    ) throws -> [ReportOutcome] {
        let mapper = ReportMapper(
            config: config, catalog: try readStaged(PolicyCatalog.self, layout.catalogFile, batchID: batchID),
            reference: try readStaged(ReferenceData.self, layout.referenceFile, batchID: batchID), dimensionFormatter: formatter,
            documentRules: try documentRules(), edits: reviewEdits(overrides, formatter: formatter))
        var seen = Set<String>()
        var out: [ReportOutcome] = []
        var reader = try JSONLinesReader<ExtractedReport>(layout.recordsFile)
        defer { reader.close() }
        while let record = try reader.next() {
            guard let report = record.report, only?.contains(report.reportID) ?? true, seen.insert(report.reportID).inserted else { continue }
            out.append(mapper.map(report, decodeIssues: record.issues))
        }
        return out
    }

    /// The separator of a spreadsheet's CSV: whichever of `;`, `,` and tab occurs most in its header line (outside
    /// quotes); `,` when none does.
    static func sniffSeparator(_ text: String) -> Character {
        var counts: [Character: Int] = [",": 0, ";": 0, "\t": 0]
        var quoted = false
        for c in text {
            if c == "\"" { quoted.toggle() }
            if !quoted && (c == "\n" || c == "\r\n" || c == "\r") { break }
            if !quoted, counts[c] != nil { counts[c, default: 0] += 1 }
        }
        let best = counts.max { ($0.value, $1.key) < ($1.value, $0.key) }
        return (best?.value ?? 0) > 0 ? (best?.key ?? ",") : ","
    }

    /// A cell without the `'` the review CSVs put before text a spreadsheet would run as a formula (`'-W01-`).
    static func undefused(_ s: String) -> String {
        guard s.hasPrefix("'"), let next = s.dropFirst().first, "=+-@\t\r".contains(next) else { return s }
        return String(s.dropFirst())
    }

    /// A header cell as a column name: trimmed, lower-case, spaces and hyphens as underscores.
    static func columnName(_ s: String) -> String {
        s.trimmingCharacters(in: .whitespacesAndNewlines).lowercased().replacingOccurrences(of: " ", with: "_")
            .replacingOccurrences(of: "-", with: "_")
    }
}
