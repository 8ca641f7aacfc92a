import Foundation

/// What a codeunit method answered: `return_value` and any `var` parameters, in order.
public struct NAVCodeunitResult: Sendable, Equatable {
    /// Every element of `{Method}_Result` as text fields, `return_value` included.
    public let values: NAVRecord

    /// A result from the answer's elements.
    public init(values: NAVRecord) { self.values = values }

    /// The method's return value; nil when the method returns nothing.
    public var returnValue: String? { values["return_value"] }
}
