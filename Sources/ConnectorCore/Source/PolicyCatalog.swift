import Foundation

/// The categories (with GL codes) and tags each source policy allows, as extract normalised them
/// (`extract/catalog.json`), so the mapping can refuse a category or tag the policy does not know.
public struct PolicyCatalog: Sendable, Equatable, Codable {
    /// One policy's categories and tags.
    public struct Policy: Sendable, Equatable, Codable {
        /// Category name → GL code.
        public var categories: [String: String]
        /// Full tag names (levels joined by ':').
        public var tags: Set<String>
        /// Whether the policy has a tag list at all (without one, any tag is accepted).
        public var hasTagList: Bool

        /// Memberwise, for the policy reader and tests.
        public init(categories: [String: String], tags: Set<String>, hasTagList: Bool) {
            self.categories = categories
            self.tags = tags
            self.hasTagList = hasTagList
        }

        enum CodingKeys: String, CodingKey { case categories, tags, hasTagList }

        /// Reads the tags as the sorted list `encode(to:)` writes.
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            categories = try c.decode([String: String].self, forKey: .categories)
            tags = Set(try c.decode([String].self, forKey: .tags))
            hasTagList = try c.decode(Bool.self, forKey: .hasTagList)
        }

        /// Tags sorted, so the staged catalog is byte-identical from the same input.
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(categories, forKey: .categories)
            try c.encode(tags.sorted(), forKey: .tags)
            try c.encode(hasTagList, forKey: .hasTagList)
        }
    }

    /// Policy ID → its catalog.
    public var policies: [String: Policy]

    /// Empty by default: with no catalog, no category or tag is refused for being unknown.
    public init(policies: [String: Policy] = [:]) { self.policies = policies }
}
