import ConnectorCore
import Foundation

/// What `employees sync` found and did, as text and as `--json`.
public struct EmployeesSyncSummary: Sendable, Codable {
    /// One employee the sync would send (or sent), or found unchanged.
    public struct Change: Sendable, Codable, Equatable {
        /// `added`, `changed`, `terminated` or `unchanged`.
        public var kind: String
        public var email: String
        public var employeeID: String
        public var policyID: String
        public var company: String
        public var managerEmail: String
        /// What differs for `changed` (e.g. `managerEmail finance@… → alice@…`); empty otherwise.
        public var detail: String
    }

    /// An employee or policy that could not be brought in step, and why.
    public struct Exception: Sendable, Codable, Equatable {
        /// `connector` (found before sending) or `expensify` (`skippedEmployees` / `failedPolicies` in the answer).
        public var source: String
        public var email: String
        public var employeeID: String
        public var policyID: String
        public var reason: String
    }

    /// An employee with expenses and no usable vendor in the ERP.
    public struct MissingVendor: Sendable, Codable, Equatable {
        public var email: String
        public var company: String
        public var policyID: String
        public var reports: Int
        public var reason: String
    }

    /// `dry-run` or `apply`.
    public var mode: String
    /// Workers read from the ERP (one per worker and legal entity).
    public var workers: Int
    /// Workers not yet employed (`pending`), left alone.
    public var pending: Int
    public var added: [Change]
    public var changed: [Change]
    public var terminated: [Change]
    public var unchanged: Int
    /// Employees sent to the advanced employee updater (0 for a dry run: it sends nothing).
    public var sent: Int
    /// The updater's `updatedEmployeesCount`, when something was sent.
    public var updatedEmployeesCount: Int?
    public var requestID: String?
    public var exceptions: [Exception]
    public var failedPolicies: [String]
    public var vendorsMissing: [MissingVendor]
    /// The folder the CSV files went to, and the files (name → path).
    public var folder: String
    public var files: [String: String]
    /// 0, or 1 when there are exceptions.
    public var exitCode: Int32

    /// The human-readable summary.
    public var text: String {
        var t = "employees sync (\(mode)): \(workers) worker(s) read; \(added.count) added, \(changed.count) changed, "
        t += "\(terminated.count) terminated, \(unchanged) unchanged"
        if pending > 0 { t += ", \(pending) pending left alone" }
        t += mode == "apply" ? "; \(sent) sent" + (updatedEmployeesCount.map { ", Expensify updated \($0)" } ?? "") : "; nothing sent"
        t += "\n"
        for (title, list) in [("added", added), ("changed", changed), ("terminated", terminated)] where !list.isEmpty {
            t += "\(title):\n"
            for c in list {
                t += "  \(c.email) (\(c.employeeID), \(c.company) → policy \(c.policyID))"
                t += c.detail.isEmpty ? (c.kind == "terminated" ? "" : ", manager \(c.managerEmail)") : ": \(c.detail)"
                t += "\n"
            }
        }
        if !exceptions.isEmpty {
            t += "exceptions (\(exceptions.count)):\n"
            for e in exceptions {
                t += "  [\(e.source)] \(e.email.isEmpty ? "-" : e.email)\(e.policyID.isEmpty ? "" : " policy \(e.policyID)"): \(e.reason)\n"
            }
        }
        if !vendorsMissing.isEmpty {
            t += "employees with expenses but no usable vendor (\(vendorsMissing.count)), for the ERP team:\n"
            for v in vendorsMissing { t += "  \(v.email) (\(v.company)): \(v.reason)\n" }
        }
        for name in files.keys.sorted() { t += "wrote \(files[name] ?? "")\n" }
        return t
    }
}
