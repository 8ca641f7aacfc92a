import ConnectorCore
import Foundation

extension NAVTarget {
    /// Reads the employee page (`target.services.employees`, default `EmployeeCard`, page 5200 on table 5200) of every
    /// company, paged by the backend (OData `@odata.nextLink`, SOAP `bookmarkKey`): `No` (the personnel number),
    /// `First_Name`/`Middle_Name`/`Last_Name`, `Company_E_Mail` (`E_Mail`, the private one, when it is blank),
    /// `Status`, `Termination_Date` and, where the page shows it, `Manager_No`.
    ///
    /// - `Active` is employed; `Terminated` is a leaver, and so is anyone whose `Termination_Date` is before today
    ///   (`employees sync` compares the date). `Inactive` (an absence with a cause of inactivity) maps to `pending`,
    ///   which the sync leaves alone, as for Business Central.
    /// - `Manager_No` (table 5200 field 26 "Manager No.") is resolved to that employee's e-mail in the same company.
    ///   The standard card does not show it: then `managerEmail` stays nil and the sync keeps the approver Expensify
    ///   has, or `employees.defaultManager`. A manager number with no employee (or no e-mail) is nil too.
    public func fetchWorkers(companies: [String]) async throws -> [ERPWorker] {
        var out: [ERPWorker] = []
        for configured in Array(Set(companies)).sorted() {
            let rows = try await backend.read(company: nav(configured), service: services.employees, conditions: [], journalBatch: nil)
            let emails = Dictionary(rows.map { ($0["No"], Self.email($0)) }, uniquingKeysWith: { a, _ in a })
            for row in rows {
                let number = row["No"]
                guard !number.isEmpty else { continue }
                let status: ERPWorker.Status
                switch row["Status"].lowercased() {
                case "terminated": status = .terminated
                case "inactive": status = .pending
                default: status = .employed
                }
                let manager = row["Manager_No"].trimmingCharacters(in: .whitespaces)
                let managerEmail = manager.isEmpty ? nil : emails[manager].flatMap { $0.isEmpty ? nil : $0 }
                let name = [row["First_Name"], row["Middle_Name"], row["Last_Name"]].map { $0.trimmingCharacters(in: .whitespaces) }
                    .filter { !$0.isEmpty }.joined(separator: " ")
                out.append(
                    ERPWorker(
                        personnelNumber: number, name: name, email: Self.email(row), managerEmail: managerEmail, company: configured,
                        status: status, employmentEndDate: Self.date(row["Termination_Date"])))
            }
            logger.info("NAV employees read", metadata: ["system": "\(name)", "company": "\(configured)", "employees": "\(rows.count)"])
        }
        return out.sorted { ($0.personnelNumber, $0.company) < ($1.personnelNumber, $1.company) }
    }

    /// The company e-mail, else the private one.
    static func email(_ row: NAVPageRow) -> String {
        let company = row["Company_E_Mail"].trimmingCharacters(in: .whitespaces)
        return company.isEmpty ? row["E_Mail"].trimmingCharacters(in: .whitespaces) : company
    }

    /// `yyyy-MM-dd`, nil for a blank NAV date (SOAP omits it or sends `0001-01-01`, OData sends `0001-01-01`).
    static func date(_ text: String) -> String? {
        let t = text.trimmingCharacters(in: .whitespaces)
        guard t.count >= 10, !t.hasPrefix("0001-01-01") else { return nil }
        return String(t.prefix(10))
    }
}
