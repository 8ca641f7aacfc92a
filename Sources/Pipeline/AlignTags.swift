import ConnectorCore
import Expensify
import Foundation

/// The tag levels of one policy as `align tags` sees them: per configured dimension, the wanted values and the
/// policy's tags of that level; levels the configuration does not name are kept as they are.
struct AlignTagPlan: Sendable {
    struct Level: Sendable {
        /// The tag level's (list's) name: the policy's own name for it, else the dimension.
        var name: String
        var wanted: [AlignWanted]
        var existing: [ExpensifyPolicyEntry]
    }
    var levels: [Level]
    /// Levels of the policy beyond the configured ones, sent back unchanged (inline tags replace every tag).
    var untouched: [(name: String, tags: [ExpensifyPolicyEntry])]

    func diff(policyID: String, company: String, created: [String: Bool], disable: Set<String>) -> AlignPolicyDiff {
        var d = AlignPolicyDiff(policyID: policyID, company: company)
        for (i, level) in levels.enumerated() {
            let part = AlignDiff.compute(
                policyID: policyID, company: company, wanted: level.wanted, existing: level.existing, created: created, disable: disable,
                tagLevel: i + 1)
            d.added += part.added
            d.renamed += part.renamed
            d.disabled += part.disabled
            d.enabled += part.enabled
            d.unchanged += part.unchanged
            d.leftAlone += part.leftAlone
        }
        return d
    }

    /// The full tag list the inline policy updater replaces the policy's tags with: every tag the policy has, in its
    /// order, with the diff applied (new ones appended). With several levels Expensify ignores `enabled`, so a tag to
    /// disable is left out instead (only tags the connector created, or named with `--disable`, are ever disabled).
    func replacement(applying d: AlignPolicyDiff) -> [(name: String, tags: [ExpensifyPolicyEntry])] {
        let multi = levels.count + untouched.count > 1
        var out: [(name: String, tags: [ExpensifyPolicyEntry])] = []
        for (i, level) in levels.enumerated() {
            let n = i + 1
            var tags = level.existing.map { ExpensifyPolicyEntry(name: $0.name, enabled: $0.enabled, glCode: $0.glCode) }
            func set(_ name: String, enabled: Bool, glCode: String) {
                if let k = tags.firstIndex(where: { $0.name == name }) {
                    tags[k].enabled = enabled
                    tags[k].glCode = glCode
                } else {
                    tags.append(ExpensifyPolicyEntry(name: name, enabled: enabled, glCode: glCode))
                }
            }
            for i in d.added + d.enabled where i.level == n { set(i.name, enabled: true, glCode: i.glCode) }
            for i in d.renamed where i.level == n {
                set(i.name, enabled: true, glCode: i.glCode)
                if i.disablesPrevious == true, let old = i.previousName, let k = tags.firstIndex(where: { $0.name == old }) {
                    if multi { tags.remove(at: k) } else { tags[k].enabled = false }
                }
            }
            for i in d.disabled where i.level == n {
                if let k = tags.firstIndex(where: { $0.name == i.name }) {
                    if multi { tags.remove(at: k) } else { tags[k].enabled = false }
                }
            }
            out.append((level.name, tags))
        }
        return out + untouched
    }
}

extension PipelineContext {
    /// The configured dimensions' values of `company` against the policy's tag levels.
    /// - Throws: `align.tags_dependent` when the policy has dependent multi-level tags (`Sales:West`): inline tags
    ///   cannot write them and the ERP does not say which value belongs under which.
    func alignTagPlan(reference: ReferenceData, company: String, today: String, lists: ExpensifyPolicyLists, policyID: String) throws
        -> AlignTagPlan
    {
        let dims =
            config.align?.tags?.dimensions
            ?? config.dimensions.tagLevels.sorted { $0.level < $1.level }.map(\.dimension)
        if !lists.tagsInLevels, let dependent = lists.tags.first(where: { $0.name.contains(":") }) {
            throw ConnectorError(
                "align.tags_dependent",
                "Policy \(policyID) has dependent multi-level tags ('\(dependent.name)'); align tags writes independent levels only (inline tags replace the whole list), so it leaves this policy alone. Align its tags by hand or switch the policy to independent levels.",
                context: ["policy": policyID])
        }
        // The policy's levels in order (levels shape), or its one flat list.
        var existingLevels: [(name: String, tags: [ExpensifyPolicyEntry])] = []
        if lists.tagsInLevels {
            for t in lists.tags {
                let name = t.level ?? "Tags"
                if let k = existingLevels.firstIndex(where: { $0.name == name }) {
                    existingLevels[k].tags.append(t)
                } else {
                    existingLevels.append((name, [t]))
                }
            }
        } else if !lists.tags.isEmpty {
            existingLevels = [(dims.first ?? "Tags", lists.tags)]
        }
        let values = reference.company(company)?.dimensionValues ?? []
        let byValue = config.align?.tags?.nameFrom == "value"
        var levels: [AlignTagPlan.Level] = []
        for (i, dim) in dims.enumerated() {
            let valueFromName = config.dimensions.tagLevels.first { $0.dimension == dim }?.valueFrom == "name"
            let wanted = values.filter { $0.dimension == dim }.map { v -> AlignWanted in
                let name = byValue || valueFromName ? v.value : (v.name.flatMap { $0.isEmpty ? nil : $0 } ?? v.value)
                let inactive = inactivityReason(
                    suspended: v.isSuspended, blocked: v.isBlocked, activeFrom: v.activeFrom, activeTo: v.activeTo, on: today)
                return AlignWanted(name: name, glCode: v.value, source: "\(dim) \(v.value)", inactive: inactive)
            }
            let existing: (name: String, tags: [ExpensifyPolicyEntry]) = i < existingLevels.count ? existingLevels[i] : (dim, [])
            levels.append(AlignTagPlan.Level(name: existing.name, wanted: wanted, existing: existing.tags))
        }
        let untouched = existingLevels.count > dims.count ? Array(existingLevels[dims.count...]) : []
        return AlignTagPlan(levels: levels, untouched: untouched)
    }
}
