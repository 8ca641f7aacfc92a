import ConnectorCore
import ConnectorLedger
import Expensify
import Foundation
import Logging

/// What `align categories|tags` found (dry run) or wrote (`--apply`), per policy.
public struct AlignSummary: Sendable, Codable {
    /// `categories` or `tags`.
    public var kind: String
    /// `dry-run` or `apply`.
    public var mode: String
    public var policies: [AlignPolicyDiff]
    /// Policy updater calls sent (0 for a dry run, and for an apply with nothing to do).
    public var updatesSent: Int
    /// Things the operator should know (e.g. a new account's GL code that no `accounts` entry maps yet).
    public var warnings: [String]

    /// 1 when a policy was left alone as a whole (`AlignPolicyDiff.refused`), else 0.
    public var exitCode: Int32 { policies.contains { $0.refused != nil } ? 1 : 0 }

    /// The operator's table.
    public var text: String {
        var out = ""
        let noun = kind == "categories" ? "category" : "tag"
        for p in policies {
            if let why = p.refused {
                out += "Policy \(p.policyID) (\(p.company)): left alone: \(why)\n"
                continue
            }
            out +=
                "Policy \(p.policyID) (\(p.company)): \(p.added.count) added, \(p.renamed.count) renamed, \(p.disabled.count) disabled, "
                + "\(p.enabled.count) enabled again, \(p.unchanged.count) unchanged, \(p.leftAlone.count) left alone\n"
            func row(_ action: String, _ i: AlignItem) {
                let name = i.previousName.map { "\($0) -> \(i.name)" } ?? i.name
                let gl = i.glCode.isEmpty ? "-" : i.glCode
                var line =
                    "  " + action.padding(toLength: 11, withPad: " ", startingAt: 0) + " "
                    + name.padding(
                        toLength: max(name.count, 32), withPad: " ", startingAt: 0)
                line += "  GL " + gl.padding(toLength: max(gl.count, 8), withPad: " ", startingAt: 0)
                if let s = i.source { line += "  \(s)" }
                if let r = i.reason { line += "  (\(r))" }
                while line.last == " " { line.removeLast() }
                out += line + "\n"
            }
            for i in p.added { row("added", i) }
            for i in p.renamed { row("renamed", i) }
            for i in p.disabled { row("disabled", i) }
            for i in p.enabled { row("enabled", i) }
            for i in p.unchanged { row("unchanged", i) }
            for i in p.leftAlone { row("left alone", i) }
        }
        for w in warnings { out += "warning: \(w)\n" }
        if !policies.isEmpty && policies.allSatisfy({ $0.refused != nil }) {
            out += "Nothing was aligned: every policy was left alone (see above).\n"
        } else if mode == "dry-run" {
            out += "Dry run: nothing was changed in Expensify. Run 'align \(kind) --apply' to write the \(noun) changes above.\n"
        } else if updatesSent == 0 {
            out += "Nothing to do: the policies already match the ERP.\n"
        } else {
            out += "Applied: \(updatesSent) policy update(s) sent; every change is in the audit trail.\n"
        }
        return out
    }
}

extension PipelineContext {
    /// `align categories|tags`: the diff between the ERP's records (through the target protocol) and the configured
    /// policies, printed (dry run) or written through the policy updater (`apply`) and recorded in the ledger.
    /// - Parameters:
    ///   - kind: `categories` or `tags`.
    ///   - policy: one policy of `companies`; nil for all of them.
    ///   - disable: names the operator allows the connector to disable although it did not create them.
    /// - Throws: `align.not_configured` without `align.<kind>`; `align.unknown_policy`; target and Expensify errors. A
    ///   policy whose tags cannot be aligned (dependent levels) is not an error: it is listed as `refused`.
    public func align(kind: String, apply: Bool, policy: String?, disable: [String]) async throws -> AlignSummary {
        guard kind == "categories" || kind == "tags" else {
            throw ConnectorError("align.kind", "align takes 'categories' or 'tags', not '\(kind)'.")
        }
        guard kind == "categories" ? config.align?.categories != nil : config.align?.tags != nil else {
            throw ConnectorError(
                "align.not_configured",
                "align \(kind) is off: the configuration has no align.\(kind) section (see the README, 'Aligning Expensify with the ERP').")
        }
        var policies = config.companies.sorted { $0.key < $1.key }
        if let policy {
            guard let company = config.companies[policy] else {
                throw ConnectorError(
                    "align.unknown_policy", "Policy \(policy) is not in the configuration's companies map.", context: ["policy": policy])
            }
            policies = [(policy, company)]
        }
        let today = try self.today()
        let target = try self.target()
        let companies = Array(Set(policies.map(\.value))).sorted()
        let reference = try await target.fetchReferenceData(companies: companies, vendorGroup: nil)
        // Types and categories only when align.categories filters by them (one more paged read of the chart).
        let classes: [String: [String: AccountClassification]] =
            kind == "categories" && config.alignFiltersByClass ? try await target.fetchAccountClassifications(companies: companies) : [:]
        let expensify = try expensifyClient()
        let audit = self.audit(nil, nil)
        var summary = AlignSummary(kind: kind, mode: apply ? "apply" : "dry-run", policies: [], updatesSent: 0, warnings: [])
        let entryKind = kind == "categories" ? "category" : "tag"
        let disableSet = Set(disable)
        var named = Set<String>()

        for (policyID, company) in policies {
            let lists = try await expensify.policyLists(policyID)
            let created = Dictionary(
                try ledger.alignedEntries(policyID: policyID, kind: entryKind).map { ($0.name, $0.disabledAt != nil) },
                uniquingKeysWith: { a, _ in a })
            let existing = kind == "categories" ? lists.categories : lists.tags
            for e in existing where disableSet.contains(e.name) { named.insert(e.name) }
            let diff: AlignPolicyDiff
            var tagPlan: AlignTagPlan?
            if kind == "categories" {
                let wanted = try alignCategoriesWanted(
                    reference: reference, company: company, today: today, classes: classes[company], warnings: &summary.warnings)
                diff = AlignDiff.compute(
                    policyID: policyID, company: company, wanted: wanted, existing: existing, created: created, disable: disableSet)
            } else {
                let plan: AlignTagPlan
                do {
                    plan = try alignTagPlan(reference: reference, company: company, today: today, lists: lists, policyID: policyID)
                } catch let e as ConnectorError where e.code == "align.tags_dependent" {
                    // This policy is left alone; the others are still aligned.
                    var refused = AlignPolicyDiff(policyID: policyID, company: company)
                    refused.refused = "[\(e.code)] \(e.message)"
                    summary.policies.append(refused)
                    logger.warning("align left a policy alone", metadata: ["policy": "\(policyID)", "error.code": "\(e.code)"])
                    continue
                }
                diff = plan.diff(policyID: policyID, company: company, created: created, disable: disableSet)
                tagPlan = plan
            }
            summary.policies.append(diff)
            let disabling = Set(diff.disabled.map(\.name) + diff.renamed.compactMap { $0.disablesPrevious == true ? $0.previousName : nil })
            for e in existing where disableSet.contains(e.name) && e.enabled && !disabling.contains(e.name) {
                summary.warnings.append(
                    "--disable '\(e.name)' in policy \(policyID): not disabled, its ERP record is active and in the aligned set")
            }
            guard apply, diff.hasChanges else { continue }
            if kind == "categories" {
                try await expensify.mergeCategories(policyID: policyID, Self.categoryUpdates(diff, existing: existing))
            } else {
                try await expensify.replaceTags(policyID: policyID, levels: tagPlan?.replacement(applying: diff) ?? [])
            }
            summary.updatesSent += 1
            try ledger.recordAlignment(policyID: policyID, changes: Self.changeRecords(diff, kind: entryKind, created: created), audit: audit)
            logger.info(
                "align applied",
                metadata: [
                    "policy": "\(policyID)", "align.kind": "\(kind)", "align.added": "\(diff.added.count)",
                    "align.renamed": "\(diff.renamed.count)", "align.disabled": "\(diff.disabled.count)",
                ])
        }
        for name in disable.sorted() where !named.contains(name) {
            summary.warnings.append("--disable '\(name)': no \(entryKind) of that name in the policies aligned")
        }
        return summary
    }

    /// The in-scope main accounts of `company` as wanted categories, sorted by account number.
    func alignCategoriesWanted(
        reference: ReferenceData, company: String, today: String, classes: [String: AccountClassification]?, warnings: inout [String]
    ) throws -> [AlignWanted] {
        let chart = reference.company(company)?.mainAccounts ?? reference.mainAccounts
        var out: [AlignWanted] = []
        for a in chart where config.alignIncludes(account: a.id, classification: classes?[a.id]) {
            let (gl, mapped) = config.alignGlCode(account: a.id, company: company)
            let name = config.alignCategoryNameFrom == "numberAndName" ? "\(a.id) \(a.name)" : a.name
            let inactive =
                a.problem
                ?? inactivityReason(
                    suspended: a.isSuspended, blocked: a.doNotAllowManualEntry, activeFrom: a.activeFrom, activeTo: a.activeTo, on: today)
            if !mapped && inactive == nil {
                let w =
                    "GL code '\(gl)' of main account \(a.id) (\(a.name)) is not in the accounts map; add \"\(gl)\": \"\(a.id)\" so transform posts it"
                if !warnings.contains(w) { warnings.append(w) }
            }
            guard !name.trimmingCharacters(in: .whitespaces).isEmpty else { continue }
            out.append(AlignWanted(name: name, glCode: gl, source: "main account \(a.id)", inactive: inactive))
        }
        return out.sorted { ConnectorConfig.accountSort($0.source, $1.source) }
    }

    /// The categories the policy updater gets (`merge`): only the changed ones.
    static func categoryUpdates(_ d: AlignPolicyDiff, existing: [ExpensifyPolicyEntry]) -> [ExpensifyPolicyEntry] {
        var out: [ExpensifyPolicyEntry] = []
        for i in d.added + d.enabled { out.append(ExpensifyPolicyEntry(name: i.name, enabled: true, glCode: i.glCode)) }
        for i in d.renamed {
            out.append(ExpensifyPolicyEntry(name: i.name, enabled: true, glCode: i.glCode))
            if i.disablesPrevious == true, let old = i.previousName {
                let gl = existing.first { $0.name == old }?.glCode ?? i.glCode
                out.append(ExpensifyPolicyEntry(name: old, enabled: false, glCode: gl))
            }
        }
        for i in d.disabled { out.append(ExpensifyPolicyEntry(name: i.name, enabled: false, glCode: i.glCode)) }
        return out
    }

    /// The ledger's records of an applied diff.
    static func changeRecords(_ d: AlignPolicyDiff, kind: String, created: [String: Bool]) -> [AlignChangeRecord] {
        d.added.map { AlignChangeRecord(action: "added", kind: kind, name: $0.name, glCode: $0.glCode) }
            + d.renamed.map { AlignChangeRecord(action: "renamed", kind: kind, name: $0.name, glCode: $0.glCode, previousName: $0.previousName) }
            + d.disabled.map { AlignChangeRecord(action: "disabled", kind: kind, name: $0.name, glCode: $0.glCode, created: created[$0.name] != nil) }
            + d.enabled.map { AlignChangeRecord(action: "enabled", kind: kind, name: $0.name, glCode: $0.glCode) }
    }
}

extension ConnectorConfig {
    /// Orders `main account 600100` sources by their account number (numeric where possible).
    static func accountSort(_ a: String, _ b: String) -> Bool {
        let x = a.split(separator: " ").last.map(String.init) ?? a
        let y = b.split(separator: " ").last.map(String.init) ?? b
        let o = accountOrder(x, y)
        return o == 0 ? a < b : o < 0
    }
}
