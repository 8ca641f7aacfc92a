import Foundation

/// One level of a multi-level tag (`Department:CostCenter`) with its GL code, which usually is the dimension value.
public struct ExpenseTag: Sendable, Hashable, Codable {
    /// The level's tag name, matched against the policy and `tagLevels` value maps.
    public var name: String
    /// The level's GL code, the default dimension value.
    public var glCode: String

    /// Memberwise, for the source decoder and tests.
    public init(name: String, glCode: String) {
        self.name = name
        self.glCode = glCode
    }
}
