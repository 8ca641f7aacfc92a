import ConnectorCore
import Expensify
import Foundation

/// What one ERP record should look like in a policy: a category (main account) or a tag (dimension value).
struct AlignWanted: Sendable, Hashable {
    /// Category or tag name.
    var name: String
    var glCode: String
    /// The ERP record it comes from (account number, `Dimension/value`), for the report.
    var source: String
    /// Why it must not be used (suspended, blocked, expired, …); nil when active.
    var inactive: String?
}

/// One line of an align diff.
public struct AlignItem: Sendable, Hashable, Codable {
    public var name: String
    public var glCode: String
    /// The ERP record (account number or `Dimension/value`); nil for entries the ERP does not know.
    public var source: String?
    /// For `renamed`: the name in Expensify now.
    public var previousName: String?
    /// Why it is disabled or left alone.
    public var reason: String?
    /// For `renamed`: whether the old name is disabled (the connector created it, or `--disable` named it).
    public var disablesPrevious: Bool?
    /// For tags: the 1-based level.
    public var level: Int?
}

/// The diff of one policy: what `--apply` writes (added, renamed, disabled, enabled again) and what it does not.
public struct AlignPolicyDiff: Sendable, Hashable, Codable {
    public var policyID: String
    public var company: String
    public var added: [AlignItem] = []
    public var renamed: [AlignItem] = []
    public var disabled: [AlignItem] = []
    /// Entries the connector had disabled whose ERP record is active again.
    public var enabled: [AlignItem] = []
    public var unchanged: [AlignItem] = []
    /// Entries in Expensify the connector leaves as they are (not created by it, or in conflict), with the reason.
    public var leftAlone: [AlignItem] = []
    /// Why the whole policy was left alone (e.g. `align.tags_dependent`: its tags are dependent levels), with the code;
    /// nil when it was aligned. The other policies are still aligned, and the command exits 1.
    public var refused: String?

    /// Whether `--apply` has anything to write.
    public var hasChanges: Bool { !(added.isEmpty && renamed.isEmpty && disabled.isEmpty && enabled.isEmpty) }
}

/// The align diff, pure: ERP records wanted vs the policy's entries and what the ledger says the connector created.
enum AlignDiff {
    /// - Parameters:
    ///   - wanted: the ERP records in scope (active or not), sorted.
    ///   - existing: the policy's categories or tags.
    ///   - created: names the connector created in this policy (ledger), with whether it disabled them since.
    ///   - disable: names the operator told the connector to disable (`--disable`).
    static func compute(
        policyID: String, company: String, wanted: [AlignWanted], existing: [ExpensifyPolicyEntry],
        created: [String: Bool], disable: Set<String>, tagLevel: Int? = nil
    ) -> AlignPolicyDiff {
        var diff = AlignPolicyDiff(policyID: policyID, company: company)
        var byName: [String: ExpensifyPolicyEntry] = [:]
        for e in existing where byName[e.name] == nil { byName[e.name] = e }
        var consumed = Set<String>()
        func ours(_ name: String) -> Bool { created[name] != nil }
        func mayDisable(_ name: String) -> Bool { ours(name) || disable.contains(name) }
        // Other enabled entries with the record's GL code: disabled when the connector may, else left alone and said so.
        func disableDuplicates(of w: AlignWanted, among entries: [ExpensifyPolicyEntry]) {
            for r in entries {
                var i = AlignItem(name: r.name, glCode: r.glCode, source: w.source, level: tagLevel)
                if mayDisable(r.name) {
                    i.reason = "same GL code as '\(w.name)'"
                    diff.disabled.append(i)
                } else {
                    i.reason = "same GL code as '\(w.name)'; not created by ml-connector"
                    diff.leftAlone.append(i)
                }
            }
        }

        for w in wanted {
            let related = existing.filter { $0.glCode == w.glCode && !w.glCode.isEmpty && $0.name != w.name }
            let target = byName[w.name]
            consumed.insert(w.name)
            for r in related { consumed.insert(r.name) }
            var item = AlignItem(name: w.name, glCode: w.glCode, source: w.source, level: tagLevel)
            if let why = w.inactive {
                // Every enabled entry of this record is to be disabled, if the connector may.
                for e in ([target].compactMap { $0 }.filter { $0.glCode == w.glCode } + related) where e.enabled {
                    var i = AlignItem(name: e.name, glCode: e.glCode, source: w.source, level: tagLevel)
                    if mayDisable(e.name) {
                        i.reason = ours(e.name) ? why : "\(why); named with --disable"
                        diff.disabled.append(i)
                    } else {
                        i.reason = "\(why), but ml-connector did not create '\(e.name)'; disable it with --disable '\(e.name)'"
                        diff.leftAlone.append(i)
                    }
                }
                if let t = target, t.glCode == w.glCode, !t.enabled {
                    item.reason = "\(why); already disabled"
                    diff.unchanged.append(item)
                }
                continue
            }
            if let t = target {
                if t.glCode != w.glCode {
                    item.reason = "'\(w.name)' exists with GL code '\(t.glCode)', not '\(w.glCode)'; left as it is"
                    diff.leftAlone.append(item)
                } else if t.enabled {
                    diff.unchanged.append(item)
                } else if created[w.name] == true {
                    item.reason = "active again"
                    diff.enabled.append(item)
                } else {
                    item.reason = "disabled in Expensify, not by ml-connector; left disabled"
                    diff.unchanged.append(item)
                }
                disableDuplicates(of: w, among: related.filter(\.enabled))
                continue
            }
            if let old = related.first(where: \.enabled) {
                item.previousName = old.name
                item.disablesPrevious = mayDisable(old.name)
                if !mayDisable(old.name) {
                    item.reason = "'\(old.name)' stays enabled: ml-connector did not create it; disable it with --disable '\(old.name)'"
                }
                diff.renamed.append(item)
                disableDuplicates(of: w, among: related.filter { $0.enabled && $0.name != old.name })
            } else {
                diff.added.append(item)
            }
        }
        // What the ERP subset does not (or no longer) hold.
        for e in existing where !consumed.contains(e.name) {
            var i = AlignItem(name: e.name, glCode: e.glCode, source: nil, level: tagLevel)
            guard e.enabled else { continue }
            if ours(e.name) {
                i.reason = "its ERP record is no longer in the aligned set"
                diff.disabled.append(i)
            } else if disable.contains(e.name) {
                i.reason = "named with --disable"
                diff.disabled.append(i)
            } else {
                i.reason = "not created by ml-connector"
                diff.leftAlone.append(i)
            }
        }
        return diff
    }
}
