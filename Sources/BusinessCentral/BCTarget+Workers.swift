import ConnectorCore
import Foundation

extension BCTarget {
    /// Reads `employees` (API v2.0, nav-bc-api.md) of every company, paged: `number` (the personnel number),
    /// `displayName`, `email` (the company e-mail; `personalEmail` when it is blank), `status`, `terminationDate`.
    ///
    /// - `Active` is employed; `Terminated` is a leaver. `Inactive` (BC's status for an absence, with a cause of
    ///   inactivity, e.g. leave) maps to `pending`, which `employees sync` leaves alone rather than removing the person.
    /// - BC's employee has no manager field (the API exposes none): `managerEmail` stays nil, and the sync keeps the
    ///   approver Expensify already has, or `employees.defaultManager`.
    public func fetchWorkers(companies: [String]) async throws -> [ERPWorker] {
        var out: [ERPWorker] = []
        for configured in Array(Set(companies)).sorted() {
            let c = try await company(configured)
            let rows = try await api.getAll(
                Self.path(c.id, "employees"), select: ["number", "displayName", "email", "personalEmail", "status", "terminationDate"])
            for row in rows {
                let number = row["number"]?.stringValue ?? ""
                guard !number.isEmpty else { continue }
                let status: ERPWorker.Status
                switch (row["status"]?.stringValue ?? "").lowercased() {
                case "terminated": status = .terminated
                case "inactive": status = .pending
                default: status = .employed
                }
                let email = (row["email"]?.stringValue ?? "").trimmingCharacters(in: .whitespaces)
                let personal = (row["personalEmail"]?.stringValue ?? "").trimmingCharacters(in: .whitespaces)
                var end: String?
                if let text = row["terminationDate"]?.stringValue, text.count >= 10, !text.hasPrefix("0001-01-01") { end = String(text.prefix(10)) }
                out.append(
                    ERPWorker(
                        personnelNumber: number, name: row["displayName"]?.stringValue ?? "", email: email.isEmpty ? personal : email,
                        managerEmail: nil, company: configured, status: status, employmentEndDate: end))
            }
        }
        return out.sorted { ($0.personnelNumber, $0.company) < ($1.personnelNumber, $1.company) }
    }
}
