import Foundation

/// The advanced employee updater (expensify-api.md §7.2): `type:update`, `inputSettings:{type:employees,
/// entity:generic}`, `dataSource:request`, form field `data` = `{"Employees":[…]}` or a bare array, `dry-run`.
///
/// Per employee: `employeeEmail`, `managerEmail`, `employeeID`, `policyID` are required. An employee that cannot be
/// applied is listed in `skippedEmployees` (`{"email","reason"}`) while the job still answers `responseCode` 200:
/// a missing field, an invalid employee or manager e-mail ("Invalid manager email address '…'"), an unknown policy
/// ("No policy found for '…'"). A policy named in the sandbox setting `failEmployeePolicies` is listed in
/// `failedPolicies` and nothing of it changes (the recorded real answer shows `failedPolicies` under 200 too).
/// `isTerminated` removes the employee from `policyID`; `employeeID` finds an employee whose e-mail changed.
/// `dry-run` answers the same diff and changes nothing.
extension ExpensifySimulator {
    func updateEmployees(_ job: ExpensifyJSONObject, form: ExpensifyForm) throws -> SimResponse {
        let dataSource = job.string("dataSource") ?? "request"
        guard dataSource == "request" else {
            throw ExpensifyJobError(410, "dataSource '\(dataSource)' is not available in the sandbox; send the employees with dataSource 'request'")
        }
        let dryRun = job["dry-run"]?.boolValue ?? false
        guard let text = form["data"], !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw ExpensifyJobError(410, "Invalid input data: the employee data is missing")
        }
        let parsed: ExpensifyJSON
        do {
            parsed = try ExpensifyJSONParser.parse(text)
        } catch {
            throw ExpensifyJobError(410, "Invalid input data: \(error)")
        }
        let items: [ExpensifyJSON]
        if let array = parsed.arrayValue {
            items = array
        } else if let wrapped = parsed.objectValue?.array("Employees") {
            items = wrapped
        } else {
            throw ExpensifyJobError(410, "Invalid input data: expected {\"Employees\":[…]} or an array of employees")
        }

        var working = policies
        var skipped: [ExpensifyJSON] = []
        var failed: [String] = []
        var toAdd = ExpensifyJSONObject()
        var toRemove = ExpensifyJSONObject()
        var updated = 0
        func skip(_ email: String, _ reason: String) {
            skipped.append(.object(ExpensifyJSONObject([("email", .string(email)), ("reason", .string(reason))])))
        }
        func append(_ map: inout ExpensifyJSONObject, _ policyID: String, _ email: String) {
            var list = map[policyID]?.arrayValue ?? []
            list.append(.string(email))
            map[policyID] = .array(list)
        }

        for item in items {
            guard let e = item.objectValue else { throw ExpensifyJobError(410, "Invalid input data: every employee must be an object") }
            let email = (e.string("employeeEmail") ?? "").trimmingCharacters(in: .whitespaces)
            var missing: String?
            for field in ["employeeEmail", "managerEmail", "employeeID", "policyID"] where (e.string(field) ?? "").isEmpty {
                missing = field
                break
            }
            if let missing {
                skip(email, "Missing required field '\(missing)'")
                continue
            }
            let manager = e.string("managerEmail") ?? ""
            let employeeID = e.string("employeeID") ?? ""
            let policyID = e.string("policyID") ?? ""
            guard Self.isEmail(email) else {
                skip(email, "Invalid employee email address '\(email)'")
                continue
            }
            guard Self.isEmail(manager) else {
                skip(email, "Invalid manager email address '\(manager)'")
                continue
            }
            guard let index = working.firstIndex(where: { $0.id == policyID }) else {
                skip(email, "No policy found for '\(policyID)'")
                continue
            }
            if settings.failEmployeePolicies.contains(policyID) {
                if !failed.contains(policyID) { failed.append(policyID) }
                continue
            }
            var policy = working[index]
            let byEmail = policy.employees.firstIndex { ($0.string("email") ?? "").lowercased() == email.lowercased() }
            let byID = policy.employees.firstIndex { $0.string("employeeID") == employeeID }
            let existing = byEmail ?? byID
            if e["isTerminated"]?.boolValue == true {
                if let existing {
                    let removed = policy.employees.remove(at: existing)
                    append(&toRemove, policyID, removed.string("email") ?? email)
                    updated += 1
                }
                working[index] = policy
                continue
            }
            var record = existing.map { policy.employees[$0] } ?? ExpensifyJSONObject([("email", .string(email)), ("role", .string("user"))])
            let before = record
            record["email"] = .string(email)
            record["submitsTo"] = .string(manager)
            record["employeeID"] = .string(employeeID)
            record["customField1"] = .string(employeeID)
            if let v = e.string("customField2") { record["customField2"] = .string(v) }
            if let v = e.string("approvesTo") { record["forwardsTo"] = .string(v) }
            if let role = e.string("role"), ["user", "auditor", "admin"].contains(role), before.string("role") != "admin" || role == "admin" {
                record["role"] = .string(role)
            }
            for name in ["firstName", "lastName"] where record[name] == nil {
                if let v = e.string(name) { record[name] = .string(v) }
            }
            if let existing {
                if before.string("email")?.lowercased() != email.lowercased() {
                    append(&toRemove, policyID, before.string("email") ?? "")
                    append(&toAdd, policyID, email)
                }
                if record != before { updated += 1 }
                policy.employees[existing] = record
            } else {
                policy.employees.append(record)
                append(&toAdd, policyID, email)
                updated += 1
            }
            working[index] = policy
        }
        if !dryRun { policies = working }
        var diff = ExpensifyJSONObject([("diffToAdd", .object(toAdd))])
        diff["diffToRemove"] = .object(toRemove)
        return ExpensifySimulator.success([
            ("dry-run", .bool(dryRun)), ("updatedEmployeesCount", .int(updated)), ("diff", .object(diff)),
            ("securityGroupEmployeesMap", .object(ExpensifyJSONObject())), ("skippedEmployees", .array(skipped)),
            ("failedPolicies", .array(failed.map { .string($0) })), ("requestID", .string(String(format: "SB%05d", jobCounter))),
        ])
    }

    /// A plain address check: one `@`, a non-empty local part, a dotted domain, no spaces.
    static func isEmail(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !text.contains(where: \.isWhitespace) else { return false }
        let domain = parts[1].split(separator: ".", omittingEmptySubsequences: false)
        return domain.count >= 2 && domain.allSatisfy { !$0.isEmpty }
    }
}
