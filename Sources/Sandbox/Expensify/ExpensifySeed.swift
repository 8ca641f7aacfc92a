import Foundation

/// Report states: the exporter's `reportState` names and the display strings templates see.
enum ExpensifyReportState: String, Sendable, CaseIterable {
    case open = "OPEN"
    case submitted = "SUBMITTED"
    case approved = "APPROVED"
    case reimbursed = "REIMBURSED"
    case archived = "ARCHIVED"

    /// `report.status` in templates (reference §9.2).
    var display: String {
        switch self {
        case .open: return "Open"
        case .submitted: return "Processing"
        case .approved: return "Approved"
        case .reimbursed: return "Reimbursed"
        case .archived: return "Closed"
        }
    }

    /// Seed spelling: a state name or a display string, any case.
    init?(seed: String) {
        let upper = seed.trimmingCharacters(in: .whitespaces).uppercased()
        switch upper {
        case "OPEN": self = .open
        case "SUBMITTED", "PROCESSING": self = .submitted
        case "APPROVED": self = .approved
        case "REIMBURSED": self = .reimbursed
        case "ARCHIVED", "CLOSED": self = .archived
        default: return nil
        }
    }

    var isApprovedOrLater: Bool { self == .approved || self == .reimbursed || self == .archived }
}

struct ExpensifyRateWindow: Sendable, Equatable {
    let limit: Int
    let milliseconds: Int

    var json: ExpensifyJSON {
        .object(ExpensifyJSONObject([("limit", .int(limit)), ("seconds", .number(Decimal(milliseconds) / 1000))]))
    }

    /// `{"limit":5,"seconds":10}`.
    init(limit: Int, milliseconds: Int) {
        self.limit = limit
        self.milliseconds = milliseconds
    }

    init(json: ExpensifyJSON) throws {
        guard let o = json.objectValue, let limit = o["limit"]?.intValue, limit >= 0,
            let seconds = o["seconds"]?.decimalValue, seconds > 0
        else {
            throw ExpensifySeedError("a rate-limit window needs \"limit\" (whole number) and \"seconds\" (> 0): \(json.serialized())")
        }
        self.limit = limit
        self.milliseconds = max(1, NSDecimalNumber(decimal: seconds * 1000).intValue)
    }

    static func list(_ json: ExpensifyJSON?) throws -> [ExpensifyRateWindow] {
        guard let json else { return [] }
        if let o = json.objectValue, let windows = o["windows"] { return try list(windows) }
        guard let items = json.arrayValue else {
            throw ExpensifySeedError("rate limits must be an array of windows or {\"windows\": [...]}")
        }
        return try items.map { try ExpensifyRateWindow(json: $0) }
    }
}

/// How the exporter's data model shows a field the report or expense does not have (expensify-api.md §4.3
/// says an unmodified expense's `modifiedAmount` is "empty/0"; templates must cope with every shape).
enum ExpensifyUnsetShape: String, Sendable, CaseIterable {
    /// The key is absent from the model (a template must default it with `!`).
    case absent
    /// The key holds "" (an empty receiptObject too).
    case empty
    /// Like `empty`, but the amounts Expensify documents as 0 when unset (`modifiedAmount`) hold 0.
    case zero
}

struct ExpensifySettings: Sendable {
    /// Sliding windows per partnerUserID. The real service: 5 per 10 s and 20 per 60 s.
    var rateLimitWindows: [ExpensifyRateWindow] = [
        ExpensifyRateWindow(limit: 5, milliseconds: 10_000), ExpensifyRateWindow(limit: 20, milliseconds: 60_000),
    ]
    /// `responseCode` for bad credentials (401; the reference says 407 is possible too).
    var authFailureCode = 401
    /// An export whose `startDate`/`approvedAfter` is more than this many days back needs an `endDate`
    /// (newer docs: one year). nil disables the rule.
    var maxDaysWithoutEndDate: Int? = 365
    /// The longest startDate/approvedAfter → endDate range, in days ("Date range exceeds one year", 410).
    /// nil: an endDate makes any range acceptable (the other reading of the newer docs).
    var maxRangeDays: Int?
    /// Whether `approvedAfter` keeps reports that were never approved (the docs are ambiguous; default no).
    var approvedAfterKeepsUnapproved = false
    /// How fields a report or expense does not have appear in the template model (default: absent).
    var unsetFields = ExpensifyUnsetShape.absent
    /// Reports whose element in a rendered export is broken JSON (the colon after `"reportName"` removed), to play a
    /// server or template that emits one malformed record among good ones.
    var corruptReportIDs: Set<String> = []
    /// Reports rendered twice, one after the other, in every export that selects them, to play an export that repeats
    /// a report.
    var duplicateReportIDs: Set<String> = []
    /// Policies the advanced employee updater lists in `failedPolicies` (nothing of them changes), control `settings`.
    var failEmployeePolicies: Set<String> = []
    /// Category and tag names the benchmark generator may use (default: every category with a GL code
    /// and every second-level tag of the policy).
    var generatorCategories: [String]?
    var generatorTags: [String]?

    init() {}

    init(json: ExpensifyJSONObject?) throws {
        guard let json else { return }
        if let rl = json["rateLimits"] { rateLimitWindows = try ExpensifyRateWindow.list(rl) }
        if let code = json["authFailureCode"]?.intValue { authFailureCode = code }
        if let v = json["maxDaysWithoutEndDate"] {
            maxDaysWithoutEndDate = v == .null ? nil : v.intValue
        }
        if let v = json["maxRangeDays"] { maxRangeDays = v == .null ? nil : v.intValue }
        if let v = json["approvedAfterKeepsUnapproved"]?.boolValue { approvedAfterKeepsUnapproved = v }
        if let v = json["unsetFields"] {
            guard let text = v.stringValue, let shape = ExpensifyUnsetShape(rawValue: text) else {
                throw ExpensifySeedError(
                    "settings.unsetFields must be one of \(ExpensifyUnsetShape.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            unsetFields = shape
        }
        if let g = json.object("generator") {
            generatorCategories = g.array("categories")?.compactMap { $0.stringValue }
            generatorTags = g.array("tags")?.compactMap { $0.stringValue }
        }
    }
}

struct ExpensifyPartner: Sendable {
    let partnerUserID: String
    let partnerUserSecret: String
    /// The Expensify account the credentials belong to.
    let email: String
}

/// A policy (workspace) with its categories, tags (flat list, levels joined by `:`), report fields,
/// tax and employees.
struct ExpensifyPolicy: Sendable {
    var id: String
    var name: String
    var outputCurrency: String
    var owner: String
    var type: String
    var categories: [ExpensifyJSONObject]
    var tags: [ExpensifyJSONObject]
    var reportFields: [ExpensifyJSON]
    var tax: ExpensifyJSONObject
    var employees: [ExpensifyJSONObject]

    init(json: ExpensifyJSONObject) throws {
        guard let id = json.string("id") ?? json.string("policyID"), !id.isEmpty else {
            throw ExpensifySeedError("a policy needs an \"id\"")
        }
        self.id = id
        name = json.string("name") ?? id
        outputCurrency = json.string("outputCurrency") ?? "USD"
        owner = json.string("owner") ?? ""
        type = json.string("type") ?? "corporate"
        categories = try ExpensifyPolicy.objects(json["categories"], "categories", id)
        tags = try ExpensifyPolicy.objects(json["tags"], "tags", id)
        reportFields =
            json.array("reportFields") ?? [
                .object(ExpensifyJSONObject([("values", .array([])), ("name", .string("title")), ("type", .string("formula"))]))
            ]
        tax = json.object("tax") ?? ExpensifyJSONObject()
        employees = try ExpensifyPolicy.objects(json["employees"], "employees", id)
        for category in categories where category.string("name") == nil {
            throw ExpensifySeedError("policy \(id): every category needs a \"name\"")
        }
        for tag in tags where tag.string("name") == nil {
            throw ExpensifySeedError("policy \(id): every tag needs a \"name\"")
        }
    }

    private static func objects(_ json: ExpensifyJSON?, _ what: String, _ id: String) throws -> [ExpensifyJSONObject] {
        guard let json else { return [] }
        guard let items = json.arrayValue else { throw ExpensifySeedError("policy \(id): \"\(what)\" must be an array") }
        return try items.map { item in
            guard let o = item.objectValue else { throw ExpensifySeedError("policy \(id): \"\(what)\" must hold objects") }
            return o
        }
    }

    var json: ExpensifyJSONObject {
        ExpensifyJSONObject([
            ("id", .string(id)), ("name", .string(name)), ("outputCurrency", .string(outputCurrency)),
            ("owner", .string(owner)), ("type", .string(type)),
            ("categories", .array(categories.map { .object($0) })), ("tags", .array(tags.map { .object($0) })),
            ("reportFields", .array(reportFields)), ("tax", .object(tax)),
            ("employees", .array(employees.map { .object($0) })),
        ])
    }

    /// GL code of a category, "" when the category is unknown or has none.
    func categoryGLCode(_ name: String) -> String {
        categories.first { $0.string("name") == name }?.string("glCode") ?? ""
    }

    /// GL code of a tag (full `Level1:Level2` name), "" when unknown.
    func tagGLCode(_ name: String) -> String {
        tags.first { $0.string("name") == name }?.string("glCode") ?? ""
    }

    /// Number of tag levels (1 when the policy has no multi-level tags).
    var tagLevels: Int {
        max(1, tags.map { ($0.string("name") ?? "").split(separator: ":", omittingEmptySubsequences: false).count }.max() ?? 1)
    }

    func employee(_ email: String) -> ExpensifyJSONObject? {
        employees.first { ($0.string("email") ?? "").lowercased() == email.lowercased() }
    }
}

/// A report as stored by the simulator: state and labels are kept apart from the other fields, which
/// are passed to templates as they are (absent stays absent).
struct ExpensifyReport: Sendable {
    var reportID: String
    var policyID: String
    var state: ExpensifyReportState
    var labels: [String]
    /// Every other seed field, `transactionList` included.
    var fields: ExpensifyJSONObject

    static let moneyFields = ["amount", "convertedAmount", "modifiedAmount"]

    init(json: ExpensifyJSONObject) throws {
        guard let id = json.string("reportID"), !id.isEmpty else { throw ExpensifySeedError("a report needs a \"reportID\"") }
        reportID = id
        guard let policyID = json.string("policyID"), !policyID.isEmpty else {
            throw ExpensifySeedError("report \(id): \"policyID\" is missing")
        }
        self.policyID = policyID
        guard let stateText = json.string("state") ?? json.string("status"), let state = ExpensifyReportState(seed: stateText) else {
            throw ExpensifySeedError("report \(id): \"state\" must be one of OPEN, SUBMITTED, APPROVED, REIMBURSED, ARCHIVED")
        }
        self.state = state
        labels = (json.array("labels") ?? []).compactMap { $0.stringValue }
        var rest = json
        for key in ["reportID", "policyID", "state", "status", "labels"] { rest[key] = nil }
        if rest["transactionList"] == nil { rest["transactionList"] = .array([]) }
        guard let expenses = rest.array("transactionList") else {
            throw ExpensifySeedError("report \(id): \"transactionList\" must be an array")
        }
        for expense in expenses {
            guard let e = expense.objectValue else { throw ExpensifySeedError("report \(id): expenses must be objects") }
            guard e.string("transactionID") != nil else {
                throw ExpensifySeedError("report \(id): every expense needs a \"transactionID\"")
            }
            for key in ExpensifyReport.moneyFields {
                if let v = e[key], v.intValue == nil {
                    throw ExpensifySeedError(
                        "report \(id), expense \(e.string("transactionID") ?? "?"): \"\(key)\" must be whole cents, got \(v.serialized())")
                }
            }
        }
        if let total = rest["total"], total.intValue == nil {
            throw ExpensifySeedError("report \(id): \"total\" must be whole cents")
        }
        fields = rest
    }

    var expenses: [ExpensifyJSONObject] { (fields.array("transactionList") ?? []).compactMap { $0.objectValue } }
    var created: String? { fields.string("created") }
    var submitted: String? { fields.string("submitted") }
    var approved: String? { fields.string("approved") }
    var accountEmail: String { fields.string("accountEmail") ?? "" }

    /// Report total in report currency: the seed's `total`, else the sum of every expense's
    /// `convertedAmount` (falling back to `modifiedAmount`, then `amount`), card expenses included.
    var total: Int {
        if let t = fields["total"]?.intValue { return t }
        return expenses.reduce(0) { sum, e in
            sum + (e["convertedAmount"]?.intValue ?? e["modifiedAmount"]?.intValue ?? e["amount"]?.intValue ?? 0)
        }
    }

    /// The report in seed format.
    var json: ExpensifyJSONObject {
        var o = ExpensifyJSONObject([
            ("reportID", .string(reportID)), ("policyID", .string(policyID)), ("state", .string(state.rawValue)),
            ("labels", .array(labels.map { .string($0) })),
        ])
        for (k, v) in fields.pairs { o[k] = v }
        return o
    }
}

struct ExpensifySeedError: Error, CustomStringConvertible {
    let message: String
    init(_ message: String) { self.message = message }
    var description: String { "Expensify seed: \(message)" }
}

/// The simulator's initial state: settings, partner credentials, policies and reports.
struct ExpensifySeed: Sendable {
    var settings: ExpensifySettings
    var partners: [ExpensifyPartner]
    var policies: [ExpensifyPolicy]
    var reports: [ExpensifyReport]

    init(
        settings: ExpensifySettings = ExpensifySettings(), partners: [ExpensifyPartner] = [], policies: [ExpensifyPolicy] = [],
        reports: [ExpensifyReport] = []
    ) {
        self.settings = settings
        self.partners = partners
        self.policies = policies
        self.reports = reports
    }

    static func load(from url: URL) throws -> ExpensifySeed {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw ExpensifySeedError("can't read \(url.path): \(error.localizedDescription)")
        }
        let json: ExpensifyJSONObject
        do { json = try ExpensifyJSONParser.parseObject(String(decoding: data, as: UTF8.self)) } catch {
            throw ExpensifySeedError("\(url.path) is not valid JSON: \(error)")
        }
        return try ExpensifySeed(json: json)
    }

    init(json: ExpensifyJSONObject) throws {
        settings = try ExpensifySettings(json: json.object("settings"))
        partners = try (json.array("partners") ?? []).map { item in
            guard let o = item.objectValue, let id = o.string("partnerUserID"), let secret = o.string("partnerUserSecret") else {
                throw ExpensifySeedError("every partner needs \"partnerUserID\" and \"partnerUserSecret\"")
            }
            return ExpensifyPartner(partnerUserID: id, partnerUserSecret: secret, email: o.string("email") ?? "")
        }
        policies = try (json.array("policies") ?? []).map { item in
            guard let o = item.objectValue else { throw ExpensifySeedError("\"policies\" must hold objects") }
            return try ExpensifyPolicy(json: o)
        }
        reports = try (json.array("reports") ?? []).map { item in
            guard let o = item.objectValue else { throw ExpensifySeedError("\"reports\" must hold objects") }
            return try ExpensifyReport(json: o)
        }
        let policyIDs = Set(policies.map(\.id))
        for report in reports where !policyIDs.contains(report.policyID) {
            throw ExpensifySeedError("report \(report.reportID) refers to unknown policy \(report.policyID)")
        }
        var seen = Set<String>()
        for report in reports {
            guard seen.insert(report.reportID).inserted else { throw ExpensifySeedError("duplicate reportID \(report.reportID)") }
        }
    }
}
