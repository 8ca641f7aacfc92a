import Foundation

/// A job failure reported as the Integration Server does: HTTP 200 with `{"responseCode":N,...}`.
struct ExpensifyJobError: Error {
    let code: Int
    let message: String

    init(_ code: Int, _ message: String) {
        self.code = code
        self.message = message
    }

    static func missing(_ name: String) -> ExpensifyJobError { ExpensifyJobError(410, "Required parameter '\(name)' is missing") }
    static func malformed(_ name: String) -> ExpensifyJobError { ExpensifyJobError(410, "Argument '\(name)' is missing or malformed") }
}

enum ExpensifyDates {
    /// Strict `yyyy-MM-dd` with a real calendar date.
    static func isValidDay(_ s: String) -> Bool {
        let parts = s.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            parts.allSatisfy({ $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
            let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]), (1...12).contains(m), d >= 1
        else { return false }
        let days = [31, (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        return d <= days[m - 1]
    }

    /// The day part of a `yyyy-MM-dd HH:mm:ss` value.
    static func day(_ dateTime: String?) -> String? {
        guard let dateTime, dateTime.count >= 10 else { return nil }
        return String(dateTime.prefix(10))
    }

    static func dayNumber(_ day: String) -> Int? {
        guard isValidDay(day) else { return nil }
        let p = day.split(separator: "-").compactMap { Int($0) }
        guard p.count == 3 else { return nil }
        // Days since 1970-01-01 (proleptic Gregorian), civil-from-days inverse.
        let y = p[1] <= 2 ? p[0] - 1 : p[0]
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (p[1] + 9) % 12
        let doy = (153 * mp + 2) / 5 + p[2] - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func today() -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy-MM-dd"
        return f.string(from: Date())
    }

    static func now() -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return f.string(from: Date())
    }
}

/// The exporter's filters (reference §3.1 and §11.6).
struct ExpensifyExportFilters: Sendable {
    var reportIDs: Set<String>?
    var policyIDs: Set<String>?
    var startDate: String?
    var endDate: String?
    var approvedAfter: String?
    var markedAsExported: String?
    var states: Set<ExpensifyReportState>?
    var limit: Int?
    var employeeEmail: String?

    init() {}

    static func commaList(_ value: ExpensifyJSON?) -> Set<String>? {
        // org.json optString: a JSON array turns into its text and then matches nothing, as on the real service.
        guard let text = value?.stringValue else { return nil }
        let items = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        return items.isEmpty ? nil : Set(items)
    }

    static func parse(_ inputSettings: ExpensifyJSONObject, settings: ExpensifySettings, today: String) throws -> ExpensifyExportFilters {
        var f = ExpensifyExportFilters()
        let filters = inputSettings.object("filters") ?? ExpensifyJSONObject()
        f.reportIDs = commaList(filters["reportIDList"])
        f.policyIDs = commaList(filters["policyIDList"])
        func date(_ key: String) throws -> String? {
            guard let v = filters.string(key), !v.isEmpty else { return nil }
            guard ExpensifyDates.isValidDay(v) else {
                throw ExpensifyJobError(410, "Malformed date '\(v)'. Expected format is yyyy-MM-dd")
            }
            return v
        }
        f.startDate = try date("startDate")
        f.endDate = try date("endDate")
        f.approvedAfter = try date("approvedAfter")
        if let label = filters.string("markedAsExported"), !label.isEmpty { f.markedAsExported = label }
        guard f.reportIDs != nil || f.startDate != nil || f.approvedAfter != nil else {
            throw ExpensifyJobError(410, "Required parameter 'startDate' is missing (one of reportIDList, startDate or approvedAfter is required)")
        }
        // The one-year rule (reference §3.1 `endDate`, §10.11): without an endDate, startDate/approvedAfter may be
        // at most `maxDaysWithoutEndDate` back; with one, the range up to endDate may not exceed `maxRangeDays`.
        let todayNumber = ExpensifyDates.dayNumber(today)
        for from in [f.startDate, f.approvedAfter].compactMap({ $0 }) {
            guard let n = ExpensifyDates.dayNumber(from) else { continue }
            if let end = f.endDate, let e = ExpensifyDates.dayNumber(end) {
                if let maxRange = settings.maxRangeDays, e - n > maxRange {
                    throw ExpensifyJobError(410, "Date range exceeds one year: '\(from)' to endDate '\(end)' is more than \(maxRange) days")
                }
            } else if let maxDays = settings.maxDaysWithoutEndDate, let t = todayNumber, t - n > maxDays {
                throw ExpensifyJobError(410, "Date range exceeds one year: '\(from)' is more than \(maxDays) days ago, so an endDate is required")
            }
        }
        if let stateText = inputSettings.string("reportState"), !stateText.trimmingCharacters(in: .whitespaces).isEmpty {
            var states = Set<ExpensifyReportState>()
            for name in stateText.split(separator: ",") {
                let trimmed = name.trimmingCharacters(in: .whitespaces)
                guard !trimmed.isEmpty else { continue }
                guard let state = ExpensifyReportState(rawValue: trimmed.uppercased()) else {
                    throw ExpensifyJobError(
                        410, "Argument 'reportState' is malformed: unknown state '\(trimmed)' (use OPEN, SUBMITTED, APPROVED, REIMBURSED, ARCHIVED)")
                }
                states.insert(state)
            }
            f.states = states
        }
        if let limitValue = inputSettings["limit"], limitValue != .null {
            guard let limit = limitValue.intValue, limit >= 0 else { throw ExpensifyJobError.malformed("limit") }
            f.limit = limit
        }
        if let email = inputSettings.string("employeeEmail"), !email.isEmpty { f.employeeEmail = email.lowercased() }
        return f
    }

    func matches(_ r: ExpensifyReport, keepUnapproved: Bool) -> Bool {
        if let reportIDs, !reportIDs.contains(r.reportID) { return false }
        if let policyIDs, !policyIDs.contains(r.policyID) { return false }
        if let states, !states.contains(r.state) { return false }
        if let employeeEmail {
            if r.accountEmail.lowercased() != employeeEmail || r.state == .open { return false }
        }
        if startDate != nil || endDate != nil {
            // Against the later of created and submitted, inclusive (day granularity).
            let days = [ExpensifyDates.day(r.created), ExpensifyDates.day(r.submitted)].compactMap { $0 }
            guard let later = days.max() else { return false }
            if let startDate, later < startDate { return false }
            if let endDate, later > endDate { return false }
        }
        if let approvedAfter {
            if let approvedDay = ExpensifyDates.day(r.approved), r.state.isApprovedOrLater {
                if approvedDay <= approvedAfter { return false }
            } else if !keepUnapproved {
                return false
            }
        }
        if let markedAsExported, r.labels.contains(markedAsExported) { return false }
        return true
    }
}

/// Builds the template data model of §4.2/§4.3 from stored reports and the current policies.
struct ExpensifyModelBuilder {
    let policies: [String: ExpensifyPolicy]
    /// How fields a report or expense does not have appear (settings `unsetFields`).
    var unset: ExpensifyUnsetShape = .absent

    /// Optional fields filled with "" (or 0) when `unset` is not `.absent` and the report lacks them.
    static let optionalReportKeys = ["reportName", "created", "submitted", "approved", "reimbursed", "submitter", "accountID"]
    static let optionalExpenseKeys = [
        "convertedAmount", "currencyConversionRate", "modifiedAmount", "modifiedMerchant", "modifiedCreated", "inserted",
        "comment", "tag", "receiptObject", "receiptID", "receiptFilename", "mcc", "modifiedMCC", "externalID",
    ]
    static let receiptKeys = ["url", "thumbnail", "smallThumbnail", "type", "transactionID"]

    /// Gives every optional key without a value the configured "unset" shape.
    private func fillUnset(_ h: inout FMHash, _ keys: [String]) {
        guard unset != .absent else { return }
        for key in keys where h[key] == nil {
            h[key] = key == "modifiedAmount" && unset == .zero ? .int(0) : .string("")
        }
    }

    private func employee(_ email: String, policy: ExpensifyPolicy?) -> ExpensifyJSONObject? {
        if let e = policy?.employee(email) { return e }
        for p in policies.values.sorted(by: { $0.id < $1.id }) {
            if let e = p.employee(email) { return e }
        }
        return nil
    }

    private func person(_ employee: ExpensifyJSONObject?) -> FMHash? {
        guard let employee, let first = employee.string("firstName"), let last = employee.string("lastName") else { return nil }
        return FMHash([
            ("firstName", .string(first)), ("lastName", .string(last)),
            ("fullName", .string([first, last].filter { !$0.isEmpty }.joined(separator: " "))),
        ])
    }

    func reportModel(_ r: ExpensifyReport) -> FMValue {
        let policy = policies[r.policyID]
        let email = r.accountEmail
        let submitter = employee(email, policy: policy)
        var h = FMHash()
        h["reportID"] = .string(r.reportID)
        h["reportName"] = r.fields["reportName"]?.templateValue
        h["policyID"] = .string(r.policyID)
        h["policyName"] = policy.map { .string($0.name) }
        h["status"] = .string(r.state.display)
        h["currency"] = r.fields["currency"]?.templateValue ?? policy.map { .string($0.outputCurrency) }
        h["total"] = .int(r.total)
        h["created"] = r.fields["created"]?.templateValue
        h["submitted"] = r.fields["submitted"]?.templateValue
        h["approved"] = r.fields["approved"]?.templateValue
        h["reimbursed"] = r.fields["reimbursed"]?.templateValue
        h["accountEmail"] = .string(email)
        h["accountID"] = r.fields["accountID"]?.templateValue ?? submitter?["accountID"]?.templateValue
        if let s = r.fields["submitter"]?.templateValue {
            h["submitter"] = s
        } else if let p = person(submitter) {
            h["submitter"] = .hash(p)
        }
        let managerEmail = r.fields.string("managerEmail") ?? submitter?.string("submitsTo") ?? policy?.owner
        h["managerEmail"] = managerEmail.map { .string($0) }
        if let m = managerEmail, let p = person(employee(m, policy: policy)) { h["manager"] = .hash(p) }
        if let approvers = r.fields["approvers"]?.templateValue {
            h["approvers"] = approvers
        } else if r.state.isApprovedOrLater, let approved = r.approved, let m = managerEmail {
            var a = FMHash([("email", .string(m)), ("date", .string(approved))])
            if let p = person(employee(m, policy: policy)) {
                for k in p.keys { a[k] = p[k] }
            }
            h["approvers"] = .sequence([.hash(a)])
        } else {
            h["approvers"] = .sequence([])
        }
        h["transactionList"] = .sequence(r.expenses.map { expenseModel($0, report: r, policy: policy) })
        // Any other seed field passes through (e.g. customField, isACHReimbursed).
        for (k, v) in r.fields.pairs where h[k] == nil && k != "transactionList" && k != "managerEmail" {
            h[k] = v.templateValue
        }
        fillUnset(&h, Self.optionalReportKeys)
        return .hash(h)
    }

    static let expenseKeyOrder = [
        "transactionID", "amount", "currency", "convertedAmount", "currencyConversionRate", "modifiedAmount",
        "merchant", "modifiedMerchant", "created", "modifiedCreated", "inserted", "category", "tag", "comment",
        "reimbursable", "billable", "receiptObject", "type",
    ]

    func expenseModel(_ e: ExpensifyJSONObject, report: ExpensifyReport, policy: ExpensifyPolicy?) -> FMValue {
        var h = FMHash()
        func copy(_ key: String) { if let v = e[key]?.templateValue { h[key] = v } }
        for key in ExpensifyModelBuilder.expenseKeyOrder {
            copy(key)
            if key == "category" {
                // GL codes come from the policy at render time, so a policy edit shows in the next export.
                let category = e.string("category") ?? ""
                h["categoryGlCode"] = .string(policy?.categoryGLCode(category) ?? "")
            }
            if key == "tag" {
                let tag = e.string("tag") ?? ""
                h["tagGlCode"] = .string(policy?.tagGLCode(tag) ?? "")
                let levels = tag.isEmpty ? [] : tag.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
                let depth = max(policy?.tagLevels ?? 1, levels.count)
                for n in 1...depth {
                    let name = n <= levels.count ? levels[n - 1] : ""
                    h["ntag\(n)"] = .string(name)
                    let path = n <= levels.count ? levels[0..<n].joined(separator: ":") : ""
                    h["ntag\(n)GlCode"] = .string(name.isEmpty ? "" : (policy?.tagGLCode(path) ?? ""))
                }
            }
        }
        h["reportID"] = .string(report.reportID)
        for (k, v) in e.pairs where h[k] == nil {
            h[k] = v.templateValue
        }
        if unset != .absent, case .hash(var receipt)? = h["receiptObject"] {
            // An empty receiptObject is "" in this shape; a partial one gets "" for its missing parts.
            if receipt.isEmpty {
                h["receiptObject"] = .string("")
            } else {
                for key in Self.receiptKeys where receipt[key] == nil { receipt[key] = .string("") }
                h["receiptObject"] = .hash(receipt)
            }
        }
        fillUnset(&h, Self.optionalExpenseKeys)
        return .hash(h)
    }
}
