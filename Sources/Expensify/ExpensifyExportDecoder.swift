import ConnectorCore
import Foundation

/// Reads the shipped template's export (`export-template.json.ftl`) into the neutral `ExpenseReport`: the one place
/// that knows the export's field names and what Expensify means by an empty value.
public enum ExpensifyExportDecoder {
    /// The largest amount, total or edit accepted, in Expensify hundredths (100 billion currency units).
    public static let maxHundredths: UInt64 = 10_000_000_000_000

    /// One element of the export's JSON array as a record: malformed JSON becomes an issue naming the element
    /// (`export[<n>]`), never a guess at its report ID.
    public static func record(_ element: Data, index: Int) -> ExtractedReport {
        let value: JSONValue
        do {
            value = try JSONValue.parse(element)
        } catch let e as ConnectorError {
            return ExtractedReport(index: index, report: nil, issues: [RecordIssue(record: "export[\(index)]", field: "(json)", reason: e.message)])
        } catch {
            return ExtractedReport(index: index, report: nil, issues: [RecordIssue(record: "export[\(index)]", field: "(json)", reason: "\(error)")])
        }
        let (report, issues) = decode(value, index: index)
        guard let report, !report.reportID.isEmpty else {
            let why = issues.isEmpty ? [RecordIssue(record: "export[\(index)]", field: "(report)", reason: "cannot be read")] : issues
            return ExtractedReport(index: index, report: nil, issues: why)
        }
        return ExtractedReport(index: index, report: report, issues: issues)
    }

    /// Decodes one element of the export. Structural problems (wrong types, missing identifiers) are
    /// returned as issues naming the record and field; the report is then held, never guessed.
    ///
    /// The meaning of "no value" (the template writes JSON null for absent, null and "", and passes
    /// numbers and text through unchanged):
    /// - text: null → ""; a number arrives as its digits ("6010"); `modifiedMerchant`/`modifiedCreated` "0" → "" (not edited);
    /// - amounts: null or "" → nil; numeric text is read as a number; `modifiedAmount` 0 → nil, because
    ///   Expensify sends 0 for "not modified" (reference §4.3). An expense really edited to zero carries that
    ///   zero in `convertedAmount`, which is read first, so it is held as a zero amount, never posted at its
    ///   original amount;
    /// - `reimbursable`: null → an issue (never guessed); `billable`: null → false;
    /// - `{"unsupported":true}` (the template's mark for a list, object or date where a value belongs) → an issue.
    public static func decode(_ value: JSONValue, index: Int) -> (report: ExpenseReport?, issues: [RecordIssue]) {
        var issues: [RecordIssue] = []
        guard let obj = value.objectValue else {
            return (nil, [RecordIssue(record: "export[\(index)]", field: "(report)", reason: "is not a JSON object")])
        }
        let id = obj["reportID"]?.stringValue?.trimmingCharacters(in: .whitespaces) ?? ""
        let record = id.isEmpty ? "export[\(index)]" : id
        if id.isEmpty { issues.append(RecordIssue(record: record, field: "reportID", reason: "is missing")) }
        let unsupported = "holds a list, an object or a date where a single value belongs"

        func str(_ o: [String: JSONValue], _ key: String, _ rec: String) -> String {
            guard let v = o[key], !v.isNull else { return "" }
            if case .string(let s) = v { return s }
            if case .number(let n) = v { return n }
            issues.append(RecordIssue(record: rec, field: key, reason: v.objectValue?["unsupported"] != nil ? unsupported : "is not text"))
            return ""
        }
        /// An edit field: "0" (Expensify's "not edited") is the same as no value.
        func edit(_ o: [String: JSONValue], _ key: String, _ rec: String) -> String {
            let s = str(o, key, rec)
            return s.trimmingCharacters(in: .whitespaces) == "0" ? "" : s
        }
        func int(_ o: [String: JSONValue], _ key: String, _ rec: String) -> Int64? {
            guard let v = o[key], !v.isNull else { return nil }
            if case .string(let s) = v, s.trimmingCharacters(in: .whitespaces).isEmpty { return nil }
            guard let i = v.int64Value, !v.isBool else {
                let reason = v.objectValue?["unsupported"] != nil ? unsupported : "'\(v.stringValue ?? "?")' is not a whole number of cents"
                issues.append(RecordIssue(record: rec, field: key, reason: reason))
                return nil
            }
            // Sums and currency scaling stay far inside Int64 (no overflow, whatever the export holds).
            guard i.magnitude <= maxHundredths else {
                issues.append(RecordIssue(record: rec, field: key, reason: "\(i) is beyond the largest amount accepted (100,000,000,000.00)"))
                return nil
            }
            return i
        }
        func rate(_ o: [String: JSONValue], _ key: String) -> String? {
            guard let v = o[key], let text = v.isBool ? nil : v.stringValue?.trimmingCharacters(in: .whitespaces),
                let d = DecimalText.parse(text), d != 0
            else { return nil }
            return DecimalText.plain(d)
        }
        func bool(_ o: [String: JSONValue], _ key: String, _ rec: String, default d: Bool?) -> Bool {
            guard let v = o[key], !v.isNull, v != .string("") else {
                if let d { return d }
                issues.append(RecordIssue(record: rec, field: key, reason: "is missing, so employee spend cannot be told from company card spend"))
                return false
            }
            guard let b = v.boolValue else {
                let reason = v.objectValue?["unsupported"] != nil ? unsupported : "'\(v.stringValue ?? "?")' is not true or false"
                issues.append(RecordIssue(record: rec, field: key, reason: reason))
                return d ?? false
            }
            return b
        }

        var expenses: [Expense] = []
        switch obj["transactionList"] {
        case nil, .some(.null): break
        case .some(.array(let list)):
            for (i, ev) in list.enumerated() {
                guard let e = ev.objectValue, e["unsupported"] == nil else {
                    issues.append(RecordIssue(record: "\(record)/expense[\(i)]", field: "(expense)", reason: "is not a JSON object"))
                    continue
                }
                let tid = e["transactionID"]?.stringValue ?? ""
                let rec = "\(record)/" + (tid.isEmpty ? "expense[\(i)]" : tid)
                if tid.isEmpty { issues.append(RecordIssue(record: rec, field: "transactionID", reason: "is missing")) }
                var levels: [ExpenseTag] = []
                for n in 1...3 {
                    levels.append(ExpenseTag(name: str(e, "ntag\(n)", rec), glCode: str(e, "ntag\(n)GlCode", rec)))
                }
                while let last = levels.last, last.name.isEmpty { levels.removeLast() }
                let modified = int(e, "modifiedAmount", rec)
                expenses.append(
                    Expense(
                        transactionID: tid, amount: int(e, "amount", rec), currency: str(e, "currency", rec),
                        convertedAmount: int(e, "convertedAmount", rec), currencyConversionRate: rate(e, "currencyConversionRate"),
                        modifiedAmount: modified == 0 ? nil : modified,
                        merchant: str(e, "merchant", rec), modifiedMerchant: edit(e, "modifiedMerchant", rec),
                        created: str(e, "created", rec), modifiedCreated: edit(e, "modifiedCreated", rec),
                        category: str(e, "category", rec), categoryGlCode: str(e, "categoryGlCode", rec),
                        tag: str(e, "tag", rec), tagGlCode: str(e, "tagGlCode", rec), tagLevels: levels,
                        comment: str(e, "comment", rec), reimbursable: bool(e, "reimbursable", rec, default: nil),
                        billable: bool(e, "billable", rec, default: false), receiptURL: str(e, "receiptURL", rec)))
            }
        case .some:
            issues.append(RecordIssue(record: record, field: "transactionList", reason: "is not a list"))
        }
        let report = ExpenseReport(
            reportID: id, reportName: str(obj, "reportName", record), policyID: str(obj, "policyID", record),
            policyName: str(obj, "policyName", record), status: str(obj, "status", record), currency: str(obj, "currency", record),
            total: int(obj, "total", record), created: str(obj, "created", record), submitted: str(obj, "submitted", record),
            approved: str(obj, "approved", record), accountEmail: str(obj, "accountEmail", record),
            managerEmail: str(obj, "managerEmail", record), submitterFullName: str(obj, "submitterFullName", record),
            expenses: expenses)
        return (report, issues)
    }
}

extension JSONValue {
    fileprivate var isBool: Bool { if case .bool = self { return true } else { return false } }
}
