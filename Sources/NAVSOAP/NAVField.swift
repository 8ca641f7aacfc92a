import Foundation

/// One named field of a NAV page record, in the record's order: SOAP element names, order and nesting are the contract.
public struct NAVField: Sendable, Equatable {
    /// The SOAP element name (the control name under the underscore rule, e.g. `Bal_Account_No`; see `NAVName`).
    public var name: String
    /// Text, or a part's list of line records.
    public var value: NAVFieldValue

    /// A field as it goes on the wire.
    public init(name: String, value: NAVFieldValue) {
        self.name = name
        self.value = value
    }
}
