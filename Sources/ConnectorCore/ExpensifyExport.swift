import Foundation

/// One report of the export, as rendered by the shipped template (`export-template.json.ftl`).
/// Amounts are Expensify hundredths (integer "cents" whatever the currency).
public struct ExportedReport: Sendable, Hashable {
    public var reportID: String
    public var reportName: String
    public var policyID: String
    public var policyName: String
    public var status: String
    public var currency: String
    public var total: Int64?
    public var created: String
    public var submitted: String
    public var approved: String
    public var accountEmail: String
    public var managerEmail: String
    public var submitterFullName: String
    public var expenses: [ExportedExpense]
}

/// One expense of the export. What "no value" means is decided here, not in the template (which writes
/// JSON null for an absent, null or "" value and passes numbers through): see `ExportedReport.decode`.
public struct ExportedExpense: Sendable, Hashable {
    public var transactionID: String
    public var amount: Int64?
    public var currency: String
    /// In the report currency, edits included; nil when not sent. 0 is a real zero (the expense is held).
    public var convertedAmount: Int64?
    /// Exact decimal text, informational (amounts come converted in `convertedAmount`); nil when not sent or 0.
    public var currencyConversionRate: String?
    /// The edited amount in the expense currency; nil when not modified (null, "" or 0 in the export).
    public var modifiedAmount: Int64?
    public var merchant: String
    /// "" when not edited (null, "" or "0" in the export).
    public var modifiedMerchant: String
    public var created: String
    /// "" when not edited (null, "" or "0" in the export).
    public var modifiedCreated: String
    public var category: String
    public var categoryGlCode: String
    public var tag: String
    public var tagGlCode: String
    /// Tag levels (`ntag1`, `ntag2`, ...) with their GL codes, in level order; empty names dropped at the end.
    public var tagLevels: [(name: String, glCode: String)]
    public var comment: String
    public var reimbursable: Bool
    public var billable: Bool
    public var receiptURL: String

    public static func == (a: ExportedExpense, b: ExportedExpense) -> Bool { a.transactionID == b.transactionID && a.hashKey == b.hashKey }
    public func hash(into h: inout Hasher) { h.combine(transactionID); h.combine(hashKey) }
    private var hashKey: String {
        "\(amount.map(String.init) ?? "-")|\(currency)|\(convertedAmount.map(String.init) ?? "-")|\(modifiedAmount.map(String.init) ?? "-")|\(merchant)|\(modifiedMerchant)|\(created)|\(modifiedCreated)|\(category)|\(categoryGlCode)|\(tag)|\(tagGlCode)|\(tagLevels.map { "\($0.name)=\($0.glCode)" })|\(reimbursable)|\(billable)"
    }
}

/// A field-level problem with one record of the export.
public struct RecordIssue: Sendable, Hashable, Codable {
    /// `<reportID>` or `<reportID>/<transactionID>` (or `export[<n>]` when the report has no readable ID).
    public var record: String
    public var field: String
    public var reason: String

    public init(record: String, field: String, reason: String) {
        self.record = record; self.field = field; self.reason = reason
    }
}

extension ExportedReport {
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
    public static func decode(_ value: JSONValue, index: Int) -> (report: ExportedReport?, issues: [RecordIssue]) {
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
            return i
        }
        func rate(_ o: [String: JSONValue], _ key: String) -> String? {
            guard let v = o[key], let text = v.isBool ? nil : v.stringValue?.trimmingCharacters(in: .whitespaces),
                  let d = DecimalText.parse(text), d != 0 else { return nil }
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

        var expenses: [ExportedExpense] = []
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
                var levels: [(String, String)] = []
                for n in 1...3 {
                    levels.append((str(e, "ntag\(n)", rec), str(e, "ntag\(n)GlCode", rec)))
                }
                while let last = levels.last, last.0.isEmpty { levels.removeLast() }
                let modified = int(e, "modifiedAmount", rec)
                expenses.append(ExportedExpense(
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
        let report = ExportedReport(
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

/// Categories and tags of the policies, as the policy getter returned them (`policyInfo`).
public struct PolicyCatalog: Sendable {
    public struct Policy: Sendable {
        public var categories: [String: String]  // name → glCode
        public var tags: Set<String>             // full names (levels joined by ':')
        public var hasTagList: Bool
    }

    public var policies: [String: Policy]

    public init(policies: [String: Policy] = [:]) { self.policies = policies }

    /// Reads the policy getter's `policyInfo` object; accepts both tag shapes (flat list with `name`,
    /// or levels with nested `tags`) and both GL-code keys (`glCode`, `GL Code`).
    public init(policyInfo: JSONValue) {
        var out: [String: Policy] = [:]
        for (pid, pv) in policyInfo.objectValue ?? [:] {
            var cats: [String: String] = [:]
            for c in pv["categories"]?.arrayValue ?? [] {
                guard let name = c["name"]?.stringValue else { continue }
                cats[name] = c["glCode"]?.stringValue ?? c["GL Code"]?.stringValue ?? ""
            }
            var tags = Set<String>()
            let tagList = pv["tags"]?.arrayValue
            for t in tagList ?? [] {
                if let nested = t["tags"]?.arrayValue {
                    for n in nested { if let name = n["name"]?.stringValue { tags.insert(name) } }
                } else if let name = t["name"]?.stringValue {
                    tags.insert(name)
                }
            }
            out[pid] = Policy(categories: cats, tags: tags, hasTagList: tagList != nil && !(tagList ?? []).isEmpty)
        }
        self.policies = out
    }
}
