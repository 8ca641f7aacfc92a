import ConnectorCore
import Foundation

/// A policy as `maps check` needs it: every category and tag with its GL code and whether it is enabled, and the
/// policy's members, read from the policy getter's answer (fields `categories`, `tags`, `employees`).
public struct ExpensifyPolicyDetails: Sendable, Equatable {
    /// One category.
    public struct Category: Sendable, Equatable {
        public var name: String
        public var glCode: String
        public var enabled: Bool
    }

    /// One tag of one level.
    public struct Tag: Sendable, Equatable {
        /// 1-based level: the position of its level list (levels shape), or the number of `:`-separated names (flat shape).
        public var level: Int
        /// The tag's names from level 1 to its own (flat shape), or only its own name (levels shape, whose levels
        /// are independent lists), blank for the levels above.
        public var names: [String]
        /// As Expensify shows it (`Sales:West`, or `West` in a levels list).
        public var fullName: String
        public var glCode: String
        public var enabled: Bool
    }

    /// One member of the policy.
    public struct Employee: Sendable, Equatable {
        public var email: String
        public var role: String
    }

    public var policyID: String
    public var categories: [Category]
    public var tags: [Tag]
    public var employees: [Employee]

    /// Every policy of the policy getter's `policyInfo` object, sorted by policy ID; accepts both tag shapes (flat list
    /// with `name`, or levels with nested `tags`) and both GL-code keys (`glCode`, `GL Code`), as `ExpensifyPolicies` does.
    public static func read(_ policyInfo: JSONValue) -> [ExpensifyPolicyDetails] {
        (policyInfo.objectValue ?? [:]).sorted { $0.key < $1.key }.map { pid, pv in
            func gl(_ v: JSONValue) -> String { v["glCode"]?.stringValue ?? v["GL Code"]?.stringValue ?? "" }
            func enabled(_ v: JSONValue) -> Bool { v["enabled"]?.boolValue ?? true }
            let categories = (pv["categories"]?.arrayValue ?? []).compactMap { c -> Category? in
                guard let name = c["name"]?.stringValue else { return nil }
                return Category(name: name, glCode: gl(c), enabled: enabled(c))
            }
            var tags: [Tag] = []
            for (i, t) in (pv["tags"]?.arrayValue ?? []).enumerated() {
                if let nested = t["tags"]?.arrayValue {
                    for n in nested {
                        guard let name = n["name"]?.stringValue else { continue }
                        tags.append(
                            Tag(
                                level: i + 1, names: Array(repeating: "", count: i) + [name], fullName: name, glCode: gl(n),
                                enabled: enabled(n) && enabled(t)))
                    }
                } else if let name = t["name"]?.stringValue {
                    let names = name.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
                    tags.append(Tag(level: names.count, names: names, fullName: name, glCode: gl(t), enabled: enabled(t)))
                }
            }
            let employees = (pv["employees"]?.arrayValue ?? []).compactMap { e -> Employee? in
                guard let email = e["email"]?.stringValue, !email.isEmpty else { return nil }
                return Employee(email: email, role: e["role"]?.stringValue ?? "")
            }
            return ExpensifyPolicyDetails(policyID: pid, categories: categories, tags: tags, employees: employees)
        }
    }
}
