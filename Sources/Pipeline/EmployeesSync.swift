import ConnectorCore
import ConnectorLedger
import ConnectorStaging
import Expensify
import Foundation
import Logging

extension PipelineContext {
    /// `employees sync`: keeps Expensify's employees in step with the ERP's workers.
    ///
    /// 1. Workers of the configured legal entities come from the target (`fetchWorkers`), each placed in a policy by
    ///    `employees.policyByCompany` (else the one policy `companies` maps to the company).
    /// 2. The policies' current employees come from the policy getter (`employees` field).
    /// 3. Each worker becomes `added` (not in the policy), `changed` (manager or employee ID differs), `terminated`
    ///    (left the ERP — terminated or employment ended before today — and still in the policy) or unchanged.
    ///    Employees of the policy the ERP does not know are never touched.
    /// 4. `apply` sends only the added, changed and terminated employees through the advanced employee updater and
    ///    audits the call; a dry run sends nothing (it does not use the updater's `dry-run`), so it needs no write access.
    /// 5. Employees with expenses (report submitters in the ledger) whose company has no usable vendor for them are
    ///    listed for the ERP team.
    ///
    /// Files go to `<staging root>/employees/<UTC timestamp>/`: `changes.csv`, `exceptions.csv`, `vendors-missing.csv`.
    /// Exceptions (worker without e-mail, policy or manager; `skippedEmployees` and `failedPolicies` in the answer,
    /// although `responseCode` is 200) make the exit code 1; a missing vendor alone does not (`maps check` gates that).
    public func employeesSync(apply: Bool) async throws -> EmployeesSyncSummary {
        let today = try today()
        let target = try target()
        let expensify = try expensifyClient()
        let mode = apply ? "apply" : "dry-run"
        var log = logger
        log[metadataKey: "employees.mode"] = "\(mode)"

        // Which legal entities, and which policy each one's workers go to.
        var companySet = Set(config.companies.values.map { $0.lowercased() })
        for key in (config.employees?.policyByCompany ?? [:]).keys { companySet.insert(key.lowercased()) }
        let companies = companySet.sorted()
        let workers = try await target.fetchWorkers(companies: companies)
        log.info("workers read", metadata: ["employees.workers": "\(workers.count)", "employees.companies": "\(companies.joined(separator: ","))"])

        let policyIDs = Set(companies.compactMap { config.employeePolicy(company: $0) }).sorted()
        let current = try await expensify.getPolicyEmployees(policyIDs)

        var exceptions: [EmployeesSyncSummary.Exception] = []
        var added: [EmployeesSyncSummary.Change] = []
        var changed: [EmployeesSyncSummary.Change] = []
        var terminated: [EmployeesSyncSummary.Change] = []
        var updates: [ExpensifyEmployeeUpdate] = []
        var unchanged = 0
        var pending = 0
        let defaultManager = config.employees?.defaultManager
        for worker in workers {
            if worker.status == .pending && !worker.hasLeft(asOf: today) {
                pending += 1
                continue
            }
            let email = worker.email.trimmingCharacters(in: .whitespaces)
            guard let policyID = config.employeePolicy(company: worker.company) else {
                exceptions.append(
                    .init(
                        source: "connector", email: email, employeeID: worker.personnelNumber, policyID: "",
                        reason: "no policy for legal entity \(worker.company): set employees.policyByCompany"))
                continue
            }
            let employees = current[policyID] ?? []
            let existing =
                employees.first { !email.isEmpty && $0.email.lowercased() == email.lowercased() }
                ?? employees.first { $0.employeeID == worker.personnelNumber }
            if worker.hasLeft(asOf: today) {
                guard let existing else { continue }  // already gone from the policy
                let manager = existing.submitsTo ?? worker.managerEmail ?? defaultManager ?? ""
                terminated.append(
                    .init(
                        kind: "terminated", email: existing.email, employeeID: worker.personnelNumber, policyID: policyID,
                        company: worker.company, managerEmail: manager,
                        detail: worker.employmentEndDate.map { "left \($0)" } ?? "terminated in the ERP"))
                updates.append(
                    ExpensifyEmployeeUpdate(
                        employeeEmail: existing.email, managerEmail: manager, employeeID: worker.personnelNumber, policyID: policyID,
                        isTerminated: true))
                continue
            }
            guard !email.isEmpty else {
                exceptions.append(
                    .init(
                        source: "connector", email: "", employeeID: worker.personnelNumber, policyID: policyID,
                        reason: "worker \(worker.personnelNumber) (\(worker.name)) has no e-mail in the ERP"))
                continue
            }
            guard let manager = worker.managerEmail ?? existing?.submitsTo ?? defaultManager, !manager.isEmpty else {
                exceptions.append(
                    .init(
                        source: "connector", email: email, employeeID: worker.personnelNumber, policyID: policyID,
                        reason: "no manager: the ERP names none and employees.defaultManager is not set"))
                continue
            }
            let names = worker.name.split(separator: " ", maxSplits: 1).map(String.init)
            let update = ExpensifyEmployeeUpdate(
                employeeEmail: email, managerEmail: manager, employeeID: worker.personnelNumber, policyID: policyID, isTerminated: false,
                firstName: names.first, lastName: names.count > 1 ? names[1] : nil)
            guard let existing else {
                added.append(
                    .init(
                        kind: "added", email: email, employeeID: worker.personnelNumber, policyID: policyID, company: worker.company,
                        managerEmail: manager, detail: ""))
                updates.append(update)
                continue
            }
            var differences: [String] = []
            if existing.email.lowercased() != email.lowercased() { differences.append("employeeEmail \(existing.email) → \(email)") }
            if (existing.submitsTo ?? "").lowercased() != manager.lowercased() {
                differences.append("managerEmail \(existing.submitsTo ?? "-") → \(manager)")
            }
            if existing.employeeID != worker.personnelNumber {
                differences.append("employeeID \(existing.employeeID ?? "-") → \(worker.personnelNumber)")
            }
            if differences.isEmpty {
                unchanged += 1
                continue
            }
            changed.append(
                .init(
                    kind: "changed", email: email, employeeID: worker.personnelNumber, policyID: policyID, company: worker.company,
                    managerEmail: manager, detail: differences.joined(separator: "; ")))
            updates.append(update)
        }

        var failedPolicies: [String] = []
        var result: ExpensifyEmployeeUpdateResult?
        let audit = AuditContext(actor: actor, batchID: nil, stage: nil)
        if apply && !updates.isEmpty {
            let answer = try await expensify.updateEmployees(updates, dryRun: false)
            result = answer
            for s in answer.skippedEmployees {
                let sent = updates.first { $0.employeeEmail.lowercased() == s.email.lowercased() }
                exceptions.append(
                    .init(source: "expensify", email: s.email, employeeID: sent?.employeeID ?? "", policyID: sent?.policyID ?? "", reason: s.reason))
            }
            failedPolicies = answer.failedPolicies.sorted()
            for p in failedPolicies {
                let affected = updates.filter { $0.policyID == p }.map(\.employeeEmail)
                exceptions.append(
                    .init(
                        source: "expensify", email: "", employeeID: "", policyID: p,
                        reason: "Expensify reported the policy as failed (failedPolicies); \(affected.count) employee(s) not applied: "
                            + affected.joined(separator: ", ")))
            }
        }
        exceptions.sort {
            ($0.source, $0.policyID, $0.email, $0.employeeID, $0.reason) < ($1.source, $1.policyID, $1.email, $1.employeeID, $1.reason)
        }
        if apply {
            // Every apply is audited, also one that found nothing to send.
            try ledger.audit(
                audit, entityType: "employees", entityID: "expensify", event: "employees.applied",
                detail:
                    "sent \(result == nil ? 0 : updates.count) (added \(added.count), changed \(changed.count), terminated \(terminated.count)); "
                    + "updatedEmployeesCount \(result?.updatedEmployeesCount ?? 0); skipped \(result?.skippedEmployees.count ?? 0); "
                    + "failedPolicies \(failedPolicies.isEmpty ? "-" : failedPolicies.joined(separator: ",")); requestID \(result?.requestID ?? "-")")
            for e in exceptions {
                try ledger.audit(
                    audit, entityType: "employee", entityID: e.email.isEmpty ? (e.employeeID.isEmpty ? e.policyID : e.employeeID) : e.email,
                    event: "employees.exception", detail: "[\(e.source)] policy \(e.policyID.isEmpty ? "-" : e.policyID): \(e.reason)")
            }
        }

        let missing = try await vendorsMissing(target: target)
        let (folder, files) = try writeEmployeeFiles(
            changes: added + changed + terminated, exceptions: exceptions, missing: missing)
        let summary = EmployeesSyncSummary(
            mode: mode, workers: workers.count, pending: pending, added: added, changed: changed, terminated: terminated,
            unchanged: unchanged, sent: result == nil ? 0 : updates.count, updatedEmployeesCount: result?.updatedEmployeesCount,
            requestID: result?.requestID, exceptions: exceptions, failedPolicies: failedPolicies, vendorsMissing: missing,
            folder: folder.path, files: files, exitCode: exceptions.isEmpty ? 0 : 1)
        log.info(
            "employees sync finished",
            metadata: [
                "employees.added": "\(added.count)", "employees.changed": "\(changed.count)", "employees.terminated": "\(terminated.count)",
                "employees.exceptions": "\(exceptions.count)", "employees.vendors_missing": "\(missing.count)",
            ])
        return summary
    }

    /// Report submitters in the ledger whose company has no usable employee vendor (none, several, or on hold), with
    /// `vendors.byEmail` overrides honoured and `vendors.defaultVendor` ignored (a fallback is not the employee's vendor).
    func vendorsMissing(target: any TargetSystem) async throws -> [EmployeesSyncSummary.MissingVendor] {
        struct Key: Hashable {
            var email: String
            var company: String
            var policyID: String
        }
        var counts: [Key: Int] = [:]
        for report in try ledger.reports(in: ReportState.allCases) {
            guard let email = report.submitter?.trimmingCharacters(in: .whitespaces), !email.isEmpty, let policyID = report.policyID,
                let company = config.companies[policyID]?.lowercased()
            else { continue }
            counts[Key(email: email.lowercased(), company: company, policyID: policyID), default: 0] += 1
        }
        guard !counts.isEmpty else { return [] }
        let companies = Set(counts.keys.map(\.company)).sorted()
        // Every vendor, as extract reads them: the rule matches e-mails within the employee vendor group itself, and a
        // `vendors.byEmail` override may name a vendor of another group.
        let reference = try await target.fetchReferenceData(companies: companies, vendorGroup: nil)
        var settings = config.vendors
        settings.defaultVendor = nil
        let rule = VendorRule(vendors: settings, reference: reference)
        var out: [EmployeesSyncSummary.MissingVendor] = []
        for (key, n) in counts {
            if case .problem(let why) = rule.employeeVendor(email: key.email, company: key.company) {
                out.append(.init(email: key.email, company: key.company, policyID: key.policyID, reports: n, reason: why))
            }
        }
        return out.sorted { ($0.email, $0.company, $0.policyID) < ($1.email, $1.company, $1.policyID) }
    }

    /// Writes the three CSV files into a new `<staging root>/employees/<UTC timestamp>/` folder.
    func writeEmployeeFiles(
        changes: [EmployeesSyncSummary.Change], exceptions: [EmployeesSyncSummary.Exception], missing: [EmployeesSyncSummary.MissingVendor]
    ) throws -> (URL, [String: String]) {
        let folder = try newRunFolder("employees")
        var files: [String: String] = [:]
        func write(_ name: String, _ csv: CSVWriter) throws { files[name] = try writeRunFile(name, csv, in: folder) }
        var c = CSVWriter(columns: ["kind", "email", "employeeID", "policyID", "company", "managerEmail", "detail"], style: csvStyle)
        for x in changes.sorted(by: { ($0.kind, $0.policyID, $0.email) < ($1.kind, $1.policyID, $1.email) }) {
            c.append([
                "kind": x.kind, "email": x.email, "employeeID": x.employeeID, "policyID": x.policyID, "company": x.company,
                "managerEmail": x.managerEmail, "detail": x.detail,
            ])
        }
        try write("changes.csv", c)
        var e = CSVWriter(columns: ["source", "email", "employeeID", "policyID", "reason"], style: csvStyle)
        for x in exceptions {
            e.append(["source": x.source, "email": x.email, "employeeID": x.employeeID, "policyID": x.policyID, "reason": x.reason])
        }
        try write("exceptions.csv", e)
        var m = CSVWriter(columns: ["email", "company", "policyID", "reports", "reason"], style: csvStyle)
        for x in missing {
            m.append(["email": x.email, "company": x.company, "policyID": x.policyID, "reports": String(x.reports), "reason": x.reason])
        }
        try write("vendors-missing.csv", m)
        return (folder, files)
    }

    /// A new owner-only `<staging root>/<kind>/<UTC timestamp>/` folder (`-2`, `-3`, … when the second is taken), for
    /// the files of commands that belong to no batch (`employees sync`, `maps check`).
    func newRunFolder(_ kind: String) throws -> URL {
        let parent = stagingRoot.appendingPathComponent(kind, isDirectory: true)
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        let stamp = formatter.string(from: Date())
        var folder = parent.appendingPathComponent(stamp, isDirectory: true)
        var n = 1
        while FileManager.default.fileExists(atPath: folder.path) {
            n += 1
            folder = parent.appendingPathComponent("\(stamp)-\(n)", isDirectory: true)
        }
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try OwnerOnly.directory(folder)
        } catch let e as ConnectorError {
            throw e
        } catch {
            throw OwnerOnly.failure("create", folder, error)
        }
        return folder
    }

    /// Writes one CSV into a folder of `newRunFolder` and returns its path.
    func writeRunFile(_ name: String, _ csv: CSVWriter, in folder: URL) throws -> String {
        let url = folder.appendingPathComponent(name)
        do {
            try csv.data.write(to: url, options: .atomic)
            try OwnerOnly.restrict(url)
        } catch let e as ConnectorError {
            throw e
        } catch {
            throw ConnectorError("staging.write", "Could not write \(name) under \(folder.path).", context: ["file": url.path])
        }
        return url.path
    }
}
