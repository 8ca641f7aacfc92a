import ConnectorCore
import Foundation

/// Reads the policy getter's answer into the neutral `PolicyCatalog`: the one place that knows its shapes.
public enum ExpensifyPolicies {
    /// Reads the policy getter's `policyInfo` object; accepts both tag shapes (flat list with `name`,
    /// or levels with nested `tags`) and both GL-code keys (`glCode`, `GL Code`).
    public static func catalog(from policyInfo: JSONValue) -> PolicyCatalog {
        var out: [String: PolicyCatalog.Policy] = [:]
        for (pid, pv) in policyInfo.objectValue ?? [:] {
            var cats: [String: String] = [:]
            for c in pv["categories"]?.arrayValue ?? [] {
                guard let name = c["name"]?.stringValue else { continue }
                cats[name] = c["glCode"]?.stringValue ?? c["GL Code"]?.stringValue ?? ""
            }
            var tags = Set<String>()
            let tagList = pv["tags"]?.arrayValue
            for t in tagList ?? [] {
                if let nested = t["tags"]?.arrayValue {
                    for n in nested { if let name = n["name"]?.stringValue { tags.insert(name) } }
                } else if let name = t["name"]?.stringValue {
                    tags.insert(name)
                }
            }
            out[pid] = PolicyCatalog.Policy(categories: cats, tags: tags, hasTagList: tagList != nil && !(tagList ?? []).isEmpty)
        }
        return PolicyCatalog(policies: out)
    }
}
