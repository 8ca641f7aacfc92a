import ConnectorCore
import ConnectorHTTP
import Foundation

/// One employee of a policy as the policy getter's `employees` field lists them (expensify-api.md §6.2; keys are
/// omitted when unset).
public struct ExpensifyEmployee: Sendable, Equatable, Codable {
    public var email: String
    public var role: String?
    /// The approver the employee submits to (the manager).
    public var submitsTo: String?
    public var employeeID: String?

    public init(email: String, role: String?, submitsTo: String?, employeeID: String?) {
        self.email = email
        self.role = role
        self.submitsTo = submitsTo
        self.employeeID = employeeID
    }
}

/// One entry of the advanced employee updater's `data` (expensify-api.md §7.2).
public struct ExpensifyEmployeeUpdate: Sendable, Equatable, Codable {
    public var employeeEmail: String
    public var managerEmail: String
    public var employeeID: String
    public var policyID: String
    /// True removes the employee from `policyID`.
    public var isTerminated: Bool
    public var firstName: String?
    public var lastName: String?

    public init(
        employeeEmail: String, managerEmail: String, employeeID: String, policyID: String, isTerminated: Bool,
        firstName: String? = nil, lastName: String? = nil
    ) {
        self.employeeEmail = employeeEmail
        self.managerEmail = managerEmail
        self.employeeID = employeeID
        self.policyID = policyID
        self.isTerminated = isTerminated
        self.firstName = firstName
        self.lastName = lastName
    }

    var json: JSONValue {
        var o: [String: JSONValue] = [
            "employeeEmail": .string(employeeEmail), "managerEmail": .string(managerEmail), "employeeID": .string(employeeID),
            "policyID": .string(policyID),
        ]
        if isTerminated { o["isTerminated"] = .bool(true) }
        if let firstName, !firstName.isEmpty { o["firstName"] = .string(firstName) }
        if let lastName, !lastName.isEmpty { o["lastName"] = .string(lastName) }
        return .object(o)
    }
}

/// The advanced employee updater's answer. `responseCode` 200 does not mean every employee was applied: read
/// `skippedEmployees` and `failedPolicies` (the recorded real answer lists a failed policy under 200).
public struct ExpensifyEmployeeUpdateResult: Sendable, Equatable, Codable {
    public struct Skipped: Sendable, Equatable, Codable {
        public var email: String
        public var reason: String
    }
    public var dryRun: Bool
    public var updatedEmployeesCount: Int
    /// `diff.diffToAdd`: policy ID → e-mails added.
    public var added: [String: [String]]
    /// `diff.diffToRemove`: policy ID → e-mails removed.
    public var removed: [String: [String]]
    public var skippedEmployees: [Skipped]
    public var failedPolicies: [String]
    public var requestID: String?

    /// Reads the answer's JSON (every key optional but `responseCode`, which the client already checked).
    static func decode(_ json: JSONValue) -> ExpensifyEmployeeUpdateResult {
        func lists(_ v: JSONValue?) -> [String: [String]] {
            var out: [String: [String]] = [:]
            for (k, list) in v?.objectValue ?? [:] { out[k] = (list.arrayValue ?? []).compactMap(\.stringValue) }
            return out
        }
        return ExpensifyEmployeeUpdateResult(
            dryRun: json["dry-run"]?.boolValue ?? false,
            updatedEmployeesCount: Int(json["updatedEmployeesCount"]?.int64Value ?? 0),
            added: lists(json["diff"]?["diffToAdd"]), removed: lists(json["diff"]?["diffToRemove"]),
            skippedEmployees: (json["skippedEmployees"]?.arrayValue ?? []).map {
                Skipped(email: $0["email"]?.stringValue ?? "", reason: $0["reason"]?.stringValue ?? "")
            },
            failedPolicies: (json["failedPolicies"]?.arrayValue ?? []).compactMap(\.stringValue),
            requestID: json["requestID"]?.stringValue)
    }
}

extension ExpensifyClient {
    /// The policy getter with the `employees` field (documented by recorded answers, expensify-api.md §6.2).
    /// - Returns: policy ID → its employees, for every id asked for.
    /// - Throws: `expensify.*` errors (an unknown policy is `expensify.410`).
    public func getPolicyEmployees(_ ids: [String]) async throws -> [String: [ExpensifyEmployee]] {
        guard !ids.isEmpty else { return [:] }
        let job: JSONValue = .object([
            "type": .string("get"),
            "credentials": ExpensifyJobs.credentials(credentials),
            "inputSettings": .object([
                "type": .string("policy"), "fields": .array([.string("employees")]),
                "policyIDList": .array(ids.map { .string($0) }),
            ]),
        ])
        let json = try await send(job: job, data: nil, operation: "policyEmployees")
        guard let info = json["policyInfo"]?.objectValue else {
            throw ConnectorError(
                "expensify.unexpected_response", "The policy getter's answer has no policyInfo object.",
                context: ["expensify.operation": "policyEmployees"])
        }
        var out: [String: [ExpensifyEmployee]] = [:]
        for (id, policy) in info {
            out[id] = (policy["employees"]?.arrayValue ?? []).compactMap { e in
                guard let email = e["email"]?.stringValue, !email.isEmpty else { return nil }
                return ExpensifyEmployee(
                    email: email, role: e["role"]?.stringValue, submitsTo: e["submitsTo"]?.stringValue,
                    employeeID: e["employeeID"]?.stringValue ?? e["customField1"]?.stringValue)
            }
        }
        return out
    }

    /// The advanced employee updater with `dataSource:request` and `data` = `{"Employees":[…]}`
    /// (expensify-api.md §7.2). With `dryRun` Expensify answers the diff and changes nothing.
    /// - Throws: `expensify.410` (invalid input), `expensify.*`; skipped employees and failed policies are not errors
    ///   here: they are in the result.
    public func updateEmployees(_ employees: [ExpensifyEmployeeUpdate], dryRun: Bool) async throws -> ExpensifyEmployeeUpdateResult {
        let job: JSONValue = .object([
            "type": .string("update"),
            "dry-run": .bool(dryRun),
            "credentials": ExpensifyJobs.credentials(credentials),
            "dataSource": .string("request"),
            "inputSettings": .object(["type": .string("employees"), "entity": .string("generic")]),
            "setEmployeePrimaryPolicy": .string("none"),
        ])
        let data: JSONValue = .object(["Employees": .array(employees.map(\.json))])
        let json = try await send(job: job, data: data.serializedString(), operation: "employeeUpdater")
        return ExpensifyEmployeeUpdateResult.decode(json)
    }

    private func send(job: JSONValue, data: String?, operation: String) async throws -> JSONValue {
        var fields = [("requestJobDescription", job.serializedString())]
        if let data { fields.append(("data", data)) }
        let request = HTTPRequest(
            method: "POST", url: endpoint,
            headers: ["Content-Type": "application/x-www-form-urlencoded", "Accept": "*/*"],
            body: FormEncoding.body(fields), timeout: timeout)
        let http = self.http
        // Sending the same employees twice leaves Expensify as once: safe to repeat.
        let response = try await perform(operation: operation) { try await http.send(request, idempotent: true) }
        guard let json = try? JSONValue.parse(response.body), json.objectValue != nil else {
            throw ConnectorError(
                "expensify.unexpected_response", "The \(operation) answer is not a JSON object.",
                context: ["expensify.operation": operation, "http.status": String(response.status)])
        }
        return json
    }
}
