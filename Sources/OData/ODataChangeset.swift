import Foundation

/// An atomic group of operations: the server applies all of them or none (d365-fo-odata.md §2.7).
public struct ODataChangeset: Sendable, Hashable {
    /// The operations in the order the server applies them (a line after its header).
    public var operations: [ODataBatchOperation]
    /// Unlabelled, so a changeset reads as the list of operations it is.
    public init(_ operations: [ODataBatchOperation]) { self.operations = operations }
}
