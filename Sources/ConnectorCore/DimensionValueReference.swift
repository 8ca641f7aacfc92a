import Foundation

/// One dimension value of a company, with what makes it unusable, so a tag that points at a closed value is held, not refused by the ERP.
public struct DimensionValueReference: Sendable, Hashable, Codable {
    /// The dimension's name as in `dimensions.format` (`Department`, `CostCenter`).
    public var dimension: String
    /// The value as lines carry it.
    public var value: String
    /// A suspended value cannot be posted to.
    public var isSuspended: Bool
    /// A value blocked for manual entry cannot be posted to either.
    public var isBlocked: Bool
    /// First day the value may be used (`yyyy-MM-dd`), or nil when open-ended.
    public var activeFrom: String?
    /// Last day the value may be used (`yyyy-MM-dd`), or nil when open-ended.
    public var activeTo: String?
    /// The value's description in the ERP (F&O `Description`), when the target reads it; `align tags` names tags by it.
    public var name: String?

    /// Memberwise, for targets building master data and for tests.
    public init(
        dimension: String, value: String, isSuspended: Bool, isBlocked: Bool, activeFrom: String?, activeTo: String?, name: String? = nil
    ) {
        self.dimension = dimension
        self.value = value
        self.isSuspended = isSuspended
        self.isBlocked = isBlocked
        self.activeFrom = activeFrom
        self.activeTo = activeTo
        self.name = name
    }
}
