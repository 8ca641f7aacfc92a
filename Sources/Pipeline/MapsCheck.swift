import ConnectorCore
import ConnectorLedger
import ConnectorStaging
import Expensify
import Foundation
import Logging

extension PipelineContext {
    /// `maps check`: reads the Expensify policies (categories and tags with their GL codes, members) and the target's
    /// master data (the ledger's cache while fresh, unless `refresh`), and reports what would hold a report tonight
    /// (categories and tags no map covers, map entries to missing or inactive ERP values, employees without a usable
    /// vendor) and, for information, ERP values nobody maps to. Posts nothing, exports nothing; the mapping rules
    /// are transform's own.
    public func mapsCheck(refresh: Bool = false) async throws -> MapsCheckReport {
        let a = audit(nil, nil)
        let date = try today()
        let policyIDs = Set(config.companies.keys).union(config.expensify.policyIDs ?? []).sorted()
        let companies = Set(config.companies.values).sorted()
        var findings: [MapsFinding] = []

        // Expensify first: the policy getter with members, one policy at a time when one of them cannot be read.
        let expensify = try expensifyClient()
        var policyInfo: [String: JSONValue] = [:]
        if !policyIDs.isEmpty {
            do {
                policyInfo = try await expensify.getPolicies(policyIDs, withEmployees: true).objectValue ?? [:]
            } catch let e as ConnectorError where ExpensifyErrors.isUnreadablePolicy(e) {
                for id in policyIDs {
                    do {
                        for (k, v) in try await expensify.getPolicies([id], withEmployees: true).objectValue ?? [:] { policyInfo[k] = v }
                    } catch let one as ConnectorError where ExpensifyErrors.isUnreadablePolicy(one) {
                        logger.warning("policy cannot be read", metadata: ["expensify.policy": "\(id)", "error": "\(one.message)"])
                    }
                }
            }
        }
        for id in policyIDs where policyInfo[id] == nil {
            findings.append(
                MapsFinding(
                    kind: "policy.unreadable", blocking: true, policy: id, company: config.companies[id], item: id,
                    problem: "Expensify did not return the policy to these credentials",
                    action: "Check the policy ID, and that the partner user is an admin of the policy."))
        }
        for id in policyIDs where config.companies[id] == nil {
            findings.append(
                MapsFinding(
                    kind: "policy.no_company", blocking: true, policy: id, item: id,
                    problem: "listed in expensify.policyIDs but not in companies, so its reports are exceptions",
                    action: "Map the policy to an ERP company in companies."))
        }
        let info = JSONValue.object(policyInfo)
        let policies = ExpensifyPolicyDetails.read(info)
        let catalog = ExpensifyPolicies.catalog(from: info)

        // Then the ERP's master data: cached while fresh, shared with extract.
        let target = try self.target()
        let (reference, origin) = try await masterData(target: target, companies: companies, refresh: refresh, audit: a)

        do {
            try checkDimensionFormat(reference)
        } catch let e as ConnectorError {
            findings.append(
                MapsFinding(
                    kind: "config.dimension_format", blocking: true, item: "dimensions.format", problem: e.message,
                    action: "Make dimensions.format and dimensions.delimiter match the target's active format; extract refuses to run until they do."
                ))
        }
        let submitters = try ledger.submitters()
        let checker = MapsChecker(config: config, catalog: catalog, reference: reference, date: date, submitters: submitters)
        findings += checker.policyFindings(policies)
        findings += checker.accountMapFindings(companies: companies)
        findings += checker.dimensionMapFindings(companies: companies)
        findings += checker.unusedAccountFindings(companies: companies)
        findings += checker.unusedDimensionValueFindings(policies, companies: companies)

        var report = MapsCheckReport(
            checkedOn: date, target: reference.target, masterData: origin, policies: policyIDs, companies: companies, findings: findings)
        // The findings as a CSV finance can hand on (e.g. employees without a vendor to the ERP team).
        var csv = CSVWriter(columns: ["kind", "blocking", "policy", "company", "item", "problem", "valid_until", "action"], style: csvStyle)
        for f in report.findings {
            csv.append([
                "kind": f.kind, "blocking": f.blocking ? "yes" : "no", "policy": f.policy ?? "", "company": f.company ?? "", "item": f.item,
                "problem": f.problem, "valid_until": f.validUntil ?? "", "action": f.action,
            ])
        }
        report.file = try writeRunFile("findings.csv", csv, in: try newRunFolder("maps"))
        logger.info(
            "maps checked",
            metadata: [
                "maps.blocking": "\(report.blocking)", "maps.informational": "\(report.informational)",
                "master_data.source": "\(origin.source)",
            ])
        return report
    }
}

/// The checks of `maps check` over one configuration, policy catalog and master data, with transform's rules
/// (`MainAccountRule`, `DimensionRule`, `VendorRule`) deciding what is usable.
struct MapsChecker {
    let config: ConnectorConfig
    let reference: ReferenceData
    let date: String
    let accounts: MainAccountRule
    let dimensions: DimensionRule
    let vendors: VendorRule
    /// Lower-cased e-mails of everyone who has submitted a report the ledger knows.
    let submitters: Set<String>

    init(config: ConnectorConfig, catalog: PolicyCatalog, reference: ReferenceData, date: String, submitters: Set<String> = []) {
        self.config = config
        self.submitters = submitters
        self.reference = reference
        self.date = date
        accounts = MainAccountRule(config: config, catalog: catalog, reference: reference)
        dimensions = DimensionRule(dimensions: config.dimensions, catalog: catalog, reference: reference)
        vendors = VendorRule(vendors: config.vendors, reference: reference)
    }

    /// A company's chart: its own (per-company targets) or the shared one.
    func chart(_ company: String) -> [MainAccountReference] { reference.company(company)?.mainAccounts ?? reference.mainAccounts }

    /// The last day a dated record may be used, when the ERP gives one.
    static func until(_ activeTo: String?) -> String? {
        guard let t = activeTo, !t.isEmpty, t > "1900-01-01" else { return nil }
        return t
    }

    // MARK: Policies: categories, tags, members

    func policyFindings(_ policies: [ExpensifyPolicyDetails]) -> [MapsFinding] {
        var out: [MapsFinding] = []
        for p in policies {
            guard let company = config.companies[p.policyID] else { continue }
            for c in p.categories {
                let note = c.enabled ? "" : " (disabled in Expensify)"
                if c.glCode.isEmpty {
                    out.append(
                        MapsFinding(
                            kind: "category.no_gl_code", blocking: c.enabled, policy: p.policyID, company: company, item: c.name,
                            problem: "has no GL code, so no main account" + note,
                            action: "Give the category a GL code in the Expensify policy (one listed in accounts)."))
                } else if config.mainAccount(glCode: c.glCode, company: company) == nil {
                    out.append(
                        MapsFinding(
                            kind: "category.unmapped", blocking: c.enabled, policy: p.policyID, company: company, item: c.name,
                            problem: "GL code \(c.glCode) is not in accounts or accountOverrides.\(company)" + note,
                            action:
                                "Add \"\(c.glCode)\": \"<main account>\" to accounts (or accountOverrides.\(company)), or fix the category's GL code."
                        ))
                }
            }
            for t in p.tags {
                guard let (index, level) = config.dimensions.tagLevels.enumerated().first(where: { $0.element.level == t.level }) else {
                    continue
                }
                let note = t.enabled ? "" : " (disabled in Expensify)"
                let name = t.level - 1 < t.names.count ? t.names[t.level - 1].trimmedWhitespace : ""
                guard !name.isEmpty else { continue }
                guard let value = DimensionRule.value(of: level, name: name, names: t.names, glCode: t.glCode)?.trimmedWhitespace else {
                    out.append(
                        MapsFinding(
                            kind: "tag.unmapped", blocking: t.enabled, policy: p.policyID, company: company, item: t.fullName,
                            problem:
                                "tag level \(t.level) has no GL code and no entry in dimensions.tagLevels[\(index)].values, so no \(level.dimension) value"
                                + note,
                            action:
                                "Give the tag a GL code (the \(level.dimension) value) in the Expensify policy, or map it in dimensions.tagLevels[\(index)].values."
                        ))
                    continue
                }
                if let why = dimensions.problem(dimension: level.dimension, value: value, company: company, date: date) {
                    let found = dimensionValue(level.dimension, value, company: company)
                    out.append(
                        MapsFinding(
                            kind: found == nil ? "tag.value_missing" : "tag.value_inactive", blocking: t.enabled, policy: p.policyID,
                            company: company, item: t.fullName, problem: "\(level.dimension) value '\(value)' \(why)" + note,
                            validUntil: Self.until(found?.activeTo),
                            action: found == nil
                                ? "Create \(level.dimension) value \(value) in company \(company), or change the tag's GL code."
                                : "Reactivate \(level.dimension) value \(value) in company \(company), or point the tag at an active value and disable it."
                        ))
                } else if let until = Self.until(dimensionValue(level.dimension, value, company: company)?.activeTo) {
                    out.append(
                        MapsFinding(
                            kind: "tag.value_expiring", blocking: false, policy: p.policyID, company: company, item: t.fullName,
                            problem: "\(level.dimension) value '\(value)' stops being valid after \(until)", validUntil: until,
                            action: "Plan the tag's replacement before \(until)."))
                }
            }
            guard reference.vendorsRequired ?? true else { continue }
            for e in p.employees {
                let (resolution, kind) = vendors.employeeVendorProblem(email: e.email, company: company)
                guard case .problem(let why) = resolution else { continue }
                let (word, action): (String, String) =
                    switch kind {
                    case .noVendor:
                        (
                            "employee.no_vendor",
                            "Create a vendor\(config.vendors.employeeVendorGroup.map { " in group \($0)" } ?? "") in company \(company) with primary e-mail \(e.email), or add it to vendors.byEmail."
                        )
                    case .severalVendors:
                        ("employee.several_vendors", "Keep one vendor with this e-mail in company \(company), or pick one in vendors.byEmail.")
                    case .onHold: ("employee.vendor_on_hold", "Release the vendor's hold for invoices in company \(company).")
                    case .configuredVendor:
                        ("employee.configured_vendor_unusable", "Fix vendors.byEmail / vendors.defaultVendor, or the vendor in the ERP.")
                    case .other, nil: ("employee.vendor_problem", "See the problem; run maps check --refresh after fixing it.")
                    }
                // An admin or auditor (the policy owner, finance) holds a report only by submitting one: blocking once
                // the ledger has seen them submit, informational until then.
                let approverOnly = ["admin", "auditor"].contains(e.role.lowercased()) && !submitters.contains(e.email.lowercased())
                out.append(
                    MapsFinding(
                        kind: word, blocking: !approverOnly, policy: p.policyID, company: company, item: e.email,
                        problem: approverOnly ? "\(why) (a policy \(e.role.lowercased()) who has submitted no report so far)" : why,
                        action: action))
            }
        }
        return out
    }

    func dimensionValue(_ dimension: String, _ value: String, company: String) -> DimensionValueReference? {
        reference.company(company)?.dimensionValues.first { $0.dimension == dimension && $0.value == value }
    }

    // MARK: Map entries

    /// Every `accounts` / `accountOverrides` entry as each company resolves it, checked with transform's account
    /// rule; one finding per entry and outcome, naming the companies it concerns.
    func accountMapFindings(companies: [String]) -> [MapsFinding] {
        struct Key: Hashable {
            var entry: String
            var kind: String
            var problem: String
            var until: String?
        }
        var grouped: [Key: [String]] = [:]
        var order: [Key] = []
        let codes = Set(config.accounts.keys).union(config.accountOverrides?.values.flatMap(\.keys) ?? [])
        for company in companies {
            for gl in codes.sorted() {
                guard let account = config.mainAccount(glCode: gl, company: company) else { continue }
                let path = config.accountOverrides?[company]?[gl] != nil ? "accountOverrides.\(company).\(gl)" : "accounts.\(gl)"
                let entry = "\(path) → \(account)"
                let ref = chart(company).first { $0.id == account }
                let key: Key
                switch accounts.check(account: account, company: company, date: date) {
                case .missing(let place):
                    key = Key(entry: entry, kind: "map.account_missing", problem: "main account \(account) does not exist in \(place)")
                case .unusable(let why):
                    key = Key(entry: entry, kind: "map.account_inactive", problem: "main account \(account) \(why)", until: Self.until(ref?.activeTo))
                case .usable:
                    guard let until = Self.until(ref?.activeTo) else { continue }
                    key = Key(
                        entry: entry, kind: "map.account_expiring", problem: "main account \(account) stops being valid after \(until)", until: until)
                }
                if grouped[key] == nil { order.append(key) }
                grouped[key, default: []].append(company)
            }
        }
        return order.map { k in
            let action =
                switch k.kind {
                case "map.account_missing": "Point the entry at an existing main account, or create the account in the ERP."
                case "map.account_inactive": "Point the entry at an active main account, or reactivate the account in the ERP."
                default: "Plan the entry's replacement before \(k.until ?? "that day")."
                }
            return MapsFinding(
                kind: k.kind, blocking: k.kind != "map.account_expiring", company: grouped[k, default: []].joined(separator: ","), item: k.entry,
                problem: k.problem, validUntil: k.until, action: action)
        }
    }

    /// Every explicit `dimensions.tagLevels[i].values` entry, checked in every company with transform's dimension rule.
    func dimensionMapFindings(companies: [String]) -> [MapsFinding] {
        var out: [MapsFinding] = []
        for (index, level) in config.dimensions.tagLevels.enumerated() {
            for (tag, value) in (level.values ?? [:]).sorted(by: { $0.key < $1.key }) {
                var bad: [String: (kind: String, problem: String, until: String?)] = [:]
                for company in companies {
                    guard let why = dimensions.problem(dimension: level.dimension, value: value, company: company, date: date) else { continue }
                    let found = dimensionValue(level.dimension, value, company: company)
                    bad[company] = (
                        found == nil ? "map.dimension_value_missing" : "map.dimension_value_inactive", "\(level.dimension) value '\(value)' \(why)",
                        Self.until(found?.activeTo)
                    )
                }
                for company in bad.keys.sorted() {
                    let b = bad[company]!
                    out.append(
                        MapsFinding(
                            kind: b.kind, blocking: true, company: company, item: "dimensions.tagLevels[\(index)].values.\(tag) → \(value)",
                            problem: b.problem, validUntil: b.until,
                            action: "Point the entry at an existing, active \(level.dimension) value of company \(company)."))
                }
            }
        }
        return out
    }

    // MARK: ERP values nobody maps to (informational)

    /// Usable main accounts of each chart that no `accounts` / `accountOverrides` entry targets.
    func unusedAccountFindings(companies: [String]) -> [MapsFinding] {
        let codes = Set(config.accounts.keys).union(config.accountOverrides?.values.flatMap(\.keys) ?? [])
        var out: [MapsFinding] = []
        var sharedTargets = Set<String>()
        var perCompany: [(company: String, chart: [MainAccountReference], targets: Set<String>)] = []
        for company in companies {
            let targets = Set(codes.compactMap { config.mainAccount(glCode: $0, company: company) })
            if let own = reference.company(company)?.mainAccounts {
                perCompany.append((company, own, targets))
            } else {
                sharedTargets.formUnion(targets)
            }
        }
        let charts: [(company: String?, chart: [MainAccountReference], targets: Set<String>)] =
            (perCompany.count < companies.count ? [(nil, reference.mainAccounts, sharedTargets)] : [])
            + perCompany.map { ($0.company, $0.chart, $0.targets) }
        for (company, chart, targets) in charts {
            for account in chart where !targets.contains(account.id) {
                guard
                    account.problem == nil,
                    inactivityReason(
                        suspended: account.isSuspended, blocked: account.doNotAllowManualEntry, activeFrom: account.activeFrom,
                        activeTo: account.activeTo, on: date) == nil
                else { continue }
                out.append(
                    MapsFinding(
                        kind: "erp.account_unmapped", blocking: false, company: company, item: account.id,
                        problem: "main account '\(account.name)' is active and no accounts entry targets it",
                        validUntil: Self.until(account.activeTo),
                        action: "Nothing needed; map a GL code to it if expenses should post there."))
            }
        }
        return out
    }

    /// Usable values of the dimensions tags feed that no tag of a policy of the company (nor an explicit map entry) gives.
    func unusedDimensionValueFindings(_ policies: [ExpensifyPolicyDetails], companies: [String]) -> [MapsFinding] {
        var out: [MapsFinding] = []
        let fed = Set(config.dimensions.tagLevels.map(\.dimension))
        for company in companies {
            var given = Set<String>()
            for level in config.dimensions.tagLevels {
                for v in (level.values ?? [:]).values { given.insert(level.dimension + "\u{1F}" + v) }
            }
            for p in policies where config.companies[p.policyID] == company {
                for t in p.tags {
                    guard let level = config.dimensions.tagLevels.first(where: { $0.level == t.level }),
                        t.level - 1 < t.names.count,
                        let v = DimensionRule.value(
                            of: level, name: t.names[t.level - 1].trimmedWhitespace, names: t.names, glCode: t.glCode)
                    else { continue }
                    given.insert(level.dimension + "\u{1F}" + v.trimmedWhitespace)
                }
            }
            for dv in reference.company(company)?.dimensionValues ?? [] where fed.contains(dv.dimension) {
                guard !given.contains(dv.dimension + "\u{1F}" + dv.value),
                    inactivityReason(suspended: dv.isSuspended, blocked: dv.isBlocked, activeFrom: dv.activeFrom, activeTo: dv.activeTo, on: date)
                        == nil
                else { continue }
                out.append(
                    MapsFinding(
                        kind: "erp.dimension_value_unmapped", blocking: false, company: company, item: "\(dv.dimension) \(dv.value)",
                        problem: "active, and no tag of the company's policies gives it", validUntil: Self.until(dv.activeTo),
                        action: "Nothing needed; add a tag with this GL code if expenses should carry it."))
            }
        }
        return out
    }
}
