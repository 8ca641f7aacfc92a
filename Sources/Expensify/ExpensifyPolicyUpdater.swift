import ConnectorCore
import ConnectorHTTP
import Foundation

/// A category or tag as the policy getter shows it and the policy updater writes it (expensify-api.md §6.2, §6.4).
public struct ExpensifyPolicyEntry: Sendable, Hashable, Codable {
    /// The name (a multi-level tag in the flat shape is `Level1:Level2`).
    public var name: String
    public var enabled: Bool
    /// The GL code ("" when none).
    public var glCode: String
    /// For tags read in the levels shape, or written inline: the tag level's name (list) it belongs to.
    public var level: String?

    public init(name: String, enabled: Bool, glCode: String, level: String? = nil) {
        self.name = name
        self.enabled = enabled
        self.glCode = glCode
        self.level = level
    }
}

/// One policy's categories and tags, read for `align`.
public struct ExpensifyPolicyLists: Sendable, Hashable {
    public var categories: [ExpensifyPolicyEntry]
    public var tags: [ExpensifyPolicyEntry]
    /// Whether the getter answered tags in the levels shape (`[{"name":"Tags","tags":[…]}]`).
    public var tagsInLevels: Bool
}

extension ExpensifyPolicies {
    /// The categories and tags of `policyID` in the getter's `policyInfo` (both tag shapes, both GL code keys).
    /// - Throws: `expensify.policy_missing` when the answer has no such policy.
    public static func lists(from policyInfo: JSONValue, policyID: String) throws -> ExpensifyPolicyLists {
        guard let p = policyInfo[policyID] else {
            throw ConnectorError(
                "expensify.policy_missing", "The policy getter's answer has no policy \(policyID).", context: ["policy": policyID])
        }
        func entry(_ v: JSONValue, level: String?) -> ExpensifyPolicyEntry? {
            guard let name = v["name"]?.stringValue else { return nil }
            return ExpensifyPolicyEntry(
                name: name, enabled: v["enabled"]?.boolValue ?? true,
                glCode: v["glCode"]?.stringValue ?? v["GL Code"]?.stringValue ?? "", level: level)
        }
        let categories = (p["categories"]?.arrayValue ?? []).compactMap { entry($0, level: nil) }
        var tags: [ExpensifyPolicyEntry] = []
        var inLevels = false
        for t in p["tags"]?.arrayValue ?? [] {
            if let nested = t["tags"]?.arrayValue {
                inLevels = true
                let level = t["name"]?.stringValue
                tags += nested.compactMap { entry($0, level: level) }
            } else if let e = entry(t, level: nil) {
                tags.append(e)
            }
        }
        return ExpensifyPolicyLists(categories: categories, tags: tags, tagsInLevels: inLevels)
    }
}

extension ExpensifyJobs {
    /// The policy updater with `categories` `merge`: named categories are added or updated, the others stay.
    static func mergeCategories(policyID: String, _ entries: [ExpensifyPolicyEntry], credentials c: ExpensifyCredentials) -> JSONValue {
        .object([
            "type": .string("update"),
            "credentials": credentials(c),
            "inputSettings": .object(["type": .string("policy"), "policyID": .string(policyID)]),
            "categories": .object([
                "action": .string("merge"),
                "data": .array(
                    entries.map { e in
                        .object(["name": .string(e.name), "enabled": .bool(e.enabled), "glCode": .string(e.glCode)])
                    }),
            ]),
        ])
    }

    /// The policy updater with inline tags (independent levels): the levels given REPLACE every tag of the policy.
    static func replaceTags(policyID: String, levels: [(name: String, tags: [ExpensifyPolicyEntry])], credentials c: ExpensifyCredentials)
        -> JSONValue
    {
        .object([
            "type": .string("update"),
            "credentials": credentials(c),
            "inputSettings": .object(["type": .string("policy"), "policyID": .string(policyID)]),
            "tags": .object([
                "source": .string("inline"),
                "data": .array(
                    levels.map { level in
                        .object([
                            "name": .string(level.name),
                            "tags": .array(
                                level.tags.map { e in
                                    .object(["name": .string(e.name), "enabled": .bool(e.enabled), "glCode": .string(e.glCode)])
                                }),
                        ])
                    }),
            ]),
        ])
    }
}

extension ExpensifyClient {
    /// The categories and tags of one policy (policy getter).
    public func policyLists(_ policyID: String) async throws -> ExpensifyPolicyLists {
        try ExpensifyPolicies.lists(from: try await getPolicies([policyID]), policyID: policyID)
    }

    /// Adds or updates `entries` as categories of `policyID` (`action: merge`: categories not named stay as they are).
    /// Does nothing for no entries.
    /// - Throws: `expensify.404` for an unknown policy, `expensify.410` for a malformed update, other `expensify.*`.
    public func mergeCategories(policyID: String, _ entries: [ExpensifyPolicyEntry]) async throws {
        guard !entries.isEmpty else { return }
        let job = ExpensifyJobs.mergeCategories(policyID: policyID, entries, credentials: credentials)
        _ = try await perform(job: job, template: nil, operation: "updatePolicy", timeout: 120)
    }

    /// Replaces every tag of `policyID` with `levels` (inline tags, independent levels): the caller passes the full
    /// list, tags to keep included.
    public func replaceTags(policyID: String, levels: [(name: String, tags: [ExpensifyPolicyEntry])]) async throws {
        let job = ExpensifyJobs.replaceTags(policyID: policyID, levels: levels, credentials: credentials)
        _ = try await perform(job: job, template: nil, operation: "updatePolicy", timeout: 120)
    }
}
