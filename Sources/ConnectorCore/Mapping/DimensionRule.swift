import Foundation

/// Dimensions: tag level N feeds the dimension configured for it (`dimensions.tagLevels`), with the level's GL code,
/// its name or an explicit map as value. The tag must belong to the policy, and every value must exist and be active
/// in the company on the document date.
public struct DimensionRule: Sendable {
    /// The configured dimensions and tag levels.
    public let dimensions: ConnectorConfig.DimensionSettings
    /// The policies' tag lists, to refuse a tag the policy does not know.
    public let catalog: PolicyCatalog
    /// The target's dimension values, to refuse a missing or inactive value.
    public let reference: ReferenceData
    /// Per company (lower-case, as `reference.company(_:)` finds it): whether it has dimension values, and each value
    /// by dimension and value (the first of each).
    private let values: [String: (any: Bool, byKey: [DimensionKey: DimensionValueReference])]

    struct DimensionKey: Hashable {
        var dimension: String
        var value: String
    }

    /// The rule for one configuration and one extract's catalog and master data.
    public init(dimensions: ConnectorConfig.DimensionSettings, catalog: PolicyCatalog, reference: ReferenceData) {
        self.dimensions = dimensions
        self.catalog = catalog
        self.reference = reference
        var values: [String: (any: Bool, byKey: [DimensionKey: DimensionValueReference])] = [:]
        for c in reference.companies where values[c.id.lowercased()] == nil {
            let byKey = Dictionary(
                c.dimensionValues.map { (DimensionKey(dimension: $0.dimension, value: $0.value), $0) },
                uniquingKeysWith: { first, _ in first })
            values[c.id.lowercased()] = (!c.dimensionValues.isEmpty, byKey)
        }
        self.values = values
    }

    /// The values in `dimensions.format` order (blank where the expense sets none), and the issues that stop them.
    public func segments(
        for e: Expense, record: String, policyID: String, company: String,
        date: String
    ) -> (segments: [String], issues: [RecordIssue]) {
        var segments = Array(repeating: "", count: dimensions.format.count)
        var issues: [RecordIssue] = []
        let names = e.tagLevels.isEmpty ? e.tag.split(separator: ":", omittingEmptySubsequences: false).map(String.init) : e.tagLevels.map(\.name)
        let fullTag = e.tag.isEmpty ? names.joined(separator: ":") : e.tag
        if !fullTag.isEmpty, let p = catalog.policies[policyID], p.hasTagList {
            let known = p.tags.contains(fullTag) || names.allSatisfy { p.tags.contains($0) }
            if !known {
                return (segments, [RecordIssue(record: record, field: "tag", reason: "'\(fullTag)' is not a tag of policy \(policyID)")])
            }
        }
        for level in dimensions.tagLevels {
            let idx = level.level - 1
            let name = idx < names.count ? names[idx].trimmedWhitespace : ""
            if name.isEmpty {
                if level.required ?? false {
                    issues.append(RecordIssue(record: record, field: "tag", reason: "level \(level.level) (\(level.dimension)) is required"))
                }
                continue
            }
            guard var value = Self.value(of: level, name: name, names: names, expense: e) else {
                issues.append(
                    RecordIssue(
                        record: record, field: "tag", reason: "tag level \(level.level) '\(name)' has no GL code, so no \(level.dimension) value"))
                continue
            }
            value = value.trimmedWhitespace
            if let pos = dimensions.format.firstIndex(of: level.dimension) { segments[pos] = value }
            if let why = problem(dimension: level.dimension, value: value, company: company, date: date) {
                issues.append(RecordIssue(record: record, field: "tag", reason: "\(level.dimension) value '\(value)' (tag '\(fullTag)') \(why)"))
            }
        }
        return (segments, issues)
    }

    /// Why `value` of `dimension` cannot be used in `company` on `date` ("does not exist in company X", "is
    /// suspended", …), nil when it can (or the target gave the company no dimension values to check against): the
    /// check every tag-derived value goes through, also used for values finance sets in the review spreadsheet.
    public func problem(dimension: String, value: String, company: String, date: String) -> String? {
        guard let companyValues = values[company.lowercased()], companyValues.any else { return nil }
        guard let dv = companyValues.byKey[DimensionKey(dimension: dimension, value: value)] else {
            return "does not exist in company \(company)"
        }
        return inactivityReason(suspended: dv.isSuspended, blocked: dv.isBlocked, activeFrom: dv.activeFrom, activeTo: dv.activeTo, on: date)
    }

    /// The dimension value a tag level gives: the explicit map, else its name or GL code; nil when the GL code is missing.
    static func value(of level: ConnectorConfig.TagLevel, name: String, names: [String], expense e: Expense) -> String? {
        let idx = level.level - 1
        let code = idx < e.tagLevels.count ? e.tagLevels[idx].glCode : (names.count == 1 && idx == 0 ? e.tagGlCode : "")
        return value(of: level, name: name, names: names, glCode: code)
    }

    /// The dimension value tag `name` (of `names`, levels 1 to its own) with `glCode` gives at `level`: the explicit
    /// map (by name, then by the path up to the level), else its name or GL code; nil when the GL code is missing.
    /// The same rule transform applies, for `maps check`, which has policy tags rather than expenses.
    public static func value(of level: ConnectorConfig.TagLevel, name: String, names: [String], glCode: String) -> String? {
        if let mapped = level.values?[name] ?? level.values?[names.prefix(level.level).joined(separator: ":")] { return mapped }
        if (level.valueFrom ?? "glCode") == "name" { return name }
        return glCode.isEmpty ? nil : glCode
    }
}
