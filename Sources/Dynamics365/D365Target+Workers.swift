import ConnectorCore
import Foundation
import Logging
import OData

extension D365Target {
    /// Reads workers for `employees sync` (d365-fo-odata.md §6), each entity once, paged (`@odata.nextLink` followed):
    ///
    /// - `EmployeesV2` filtered on `EmploymentLegalEntityId` (an `or` chain of the companies): personnel number,
    ///   legal entity, e-mail, employment start and end. A worker employed in several of the companies gives one
    ///   `ERPWorker` per company.
    /// - `Workers` (shared, key `PersonnelNumber`), all rows: `PrimaryContactEmail` and `WorkerStatus`
    ///   (`HcmWorkerStatus`: `Pending`, `Employed`, `Terminated`). Its e-mail wins over the employment's.
    /// - The manager [UNCERTAIN]: neither entity has a manager field. F&O derives "reports to" from the position
    ///   hierarchy (AX 2012 `HcmPosition::getReportsToWorker`: the worker assigned to the parent position in the
    ///   hierarchy of type "Line"; the data entities are `HcmPositionHierarchyEntity` and
    ///   `HcmPositionWorkerAssignmentEntity`). The public collection names and fields used here —
    ///   `PositionWorkerAssignments` (`PositionId`, `PersonnelNumber`, `ValidFrom`, `ValidTo`) and
    ///   `PositionHierarchies` (`PositionId`, `ParentPositionId`, `HierarchyTypeName`, `ValidFrom`, `ValidTo`) — match a
    ///   client generated from a real F&O `$metadata` (public repository `ntrtd/d365-agent`), not tried live. When either
    ///   is not exposed (404/403) or refuses the query (400, e.g. a field this environment lacks) every manager stays
    ///   nil, and the employee's current submits-to in Expensify (else `employees.defaultManager`) is kept.
    /// - Throws: `d365.*` errors of the reads.
    public func fetchWorkers(companies: [String]) async throws -> [ERPWorker] {
        let ids = Array(Set(companies.map { $0.lowercased() })).sorted()
        guard let companyFilter = ODataFilter.anyOf("EmploymentLegalEntityId", ids) else { return [] }
        let today = Self.isoDay(Date())

        let employmentRows = try await odata.getAll(
            "EmployeesV2", filter: companyFilter,
            select: [
                "PersonnelNumber", "EmploymentLegalEntityId", "Name", "PrimaryContactEmail", "EmploymentStartDate", "EmploymentEndDate",
            ],
            crossCompany: true)
        let workerRows = try await odata.getAll(
            "Workers", select: ["PersonnelNumber", "Name", "PrimaryContactEmail", "WorkerStatus"])
        var workers: [String: (name: String, email: String, status: ERPWorker.Status)] = [:]
        for row in workerRows {
            let number = ODataValue.string(row["PersonnelNumber"])
            guard !number.isEmpty else { continue }
            let status: ERPWorker.Status
            switch ODataValue.string(row["WorkerStatus"]).lowercased() {
            case "terminated": status = .terminated
            case "pending": status = .pending
            default: status = .employed
            }
            workers[number] = (
                ODataValue.string(row["Name"]), ODataValue.string(row["PrimaryContactEmail"]).trimmingCharacters(in: .whitespaces), status
            )
        }
        let managers = try await readManagers(today: today, emails: workers.mapValues(\.email))

        struct Key: Hashable {
            var number: String
            var company: String
        }
        var out: [Key: ERPWorker] = [:]
        for row in employmentRows {
            let number = ODataValue.string(row["PersonnelNumber"])
            let company = ODataValue.string(row["EmploymentLegalEntityId"]).lowercased()
            guard !number.isEmpty, ids.contains(company) else { continue }
            let end = ODataValue.date(row["EmploymentEndDate"]).flatMap { $0 >= "2154-12-31" ? nil : $0 }
            let worker = workers[number]
            let ownEmail = ODataValue.string(row["PrimaryContactEmail"]).trimmingCharacters(in: .whitespaces)
            let candidate = ERPWorker(
                personnelNumber: number, name: worker?.name ?? ODataValue.string(row["Name"]),
                email: (worker?.email).flatMap { $0.isEmpty ? nil : $0 } ?? ownEmail,
                managerEmail: managers[number], company: company, status: worker?.status ?? .employed,
                employmentEndDate: end)
            let key = Key(number: number, company: company)
            // Several employments in one company (rehire): the open or latest-ending one describes the worker now.
            if let existing = out[key] {
                switch (existing.employmentEndDate, end) {
                case (nil, _): continue
                case (let kept?, let new?) where kept >= new: continue
                default: break
                }
            }
            out[key] = candidate
        }
        return out.values.sorted { ($0.personnelNumber, $0.company) < ($1.personnelNumber, $1.company) }
    }

    /// Personnel number → manager e-mail through the line position hierarchy, as of `today`; empty when the
    /// position entities are not exposed.
    private func readManagers(today: String, emails: [String: String]) async throws -> [String: String] {
        func current(_ row: [String: JSONValue]) -> Bool {
            if let from = ODataValue.date(row["ValidFrom"]), from > today { return false }
            if let to = ODataValue.date(row["ValidTo"]), to < today { return false }
            return true
        }
        let assignments: [[String: JSONValue]]
        let hierarchy: [[String: JSONValue]]
        do {
            assignments = try await odata.getAll(
                "PositionWorkerAssignments", select: ["PositionId", "PersonnelNumber", "ValidFrom", "ValidTo"])
            hierarchy = try await odata.getAll(
                "PositionHierarchies", select: ["PositionId", "ParentPositionId", "HierarchyTypeName", "ValidFrom", "ValidTo"])
        } catch let error as ConnectorError where [D365Errors.notFound, D365Errors.forbidden].contains(error.code) {
            logger.info(
                "D365 does not expose the position entities; workers are read without managers",
                metadata: ["system": "d365", "error.code": "\(error.code)"])
            return [:]
        } catch let error as ConnectorError where error.code == D365Errors.validation {
            // An environment whose position entities lack one of the fields asked for (400 on $select): the manager
            // is an enrichment, so the workers are still read, and the operator is told why managers are missing.
            logger.warning(
                "D365 refused the position entities' query; workers are read without managers",
                metadata: ["system": "d365", "error.code": "\(error.code)", "error": "\(error.message)"])
            return [:]
        }
        var positionsOf: [String: [String]] = [:]
        var holderOf: [String: String] = [:]
        for row in assignments.filter(current).sorted(by: { ODataValue.string($0["PositionId"]) < ODataValue.string($1["PositionId"]) }) {
            let position = ODataValue.string(row["PositionId"])
            let number = ODataValue.string(row["PersonnelNumber"])
            guard !position.isEmpty, !number.isEmpty else { continue }
            positionsOf[number, default: []].append(position)
            if holderOf[position] == nil { holderOf[position] = number }
        }
        var parentOf: [String: String] = [:]
        for row in hierarchy.filter(current) {
            let type = ODataValue.string(row["HierarchyTypeName"])
            guard type.isEmpty || type.lowercased() == "line" else { continue }
            let position = ODataValue.string(row["PositionId"])
            let parent = ODataValue.string(row["ParentPositionId"])
            if !position.isEmpty, !parent.isEmpty { parentOf[position] = parent }
        }
        var out: [String: String] = [:]
        for (number, positions) in positionsOf {
            // The first of the worker's positions (by id) that has a parent with a holder other than the worker.
            for position in positions.sorted() {
                guard let parent = parentOf[position], let manager = holderOf[parent], manager != number,
                    let email = emails[manager], !email.isEmpty
                else { continue }
                out[number] = email
                break
            }
        }
        return out
    }

    static func isoDay(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? .current
        let c = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", c.year ?? 1970, c.month ?? 1, c.day ?? 1)
    }
}
