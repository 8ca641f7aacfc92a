import Foundation

/// What the ERP already holds under a document's stable key.
public struct ExistingDocument: Sendable, Hashable, Codable {
    /// The stable key it was found under.
    public var key: String
    /// The company that holds it, where missing lines must be added.
    public var company: String
    /// The ERP's own reference (D365 `HeaderReference`).
    public var erpReference: String
    /// Posted documents are never touched again.
    public var isPosted: Bool
    /// Line numbers already present (a crash between header and lines leaves some missing).
    public var lineNumbers: [Int]

    /// Memberwise, for targets reporting a lookup and for tests.
    public init(key: String, company: String, erpReference: String, isPosted: Bool, lineNumbers: [Int]) {
        self.key = key
        self.company = company
        self.erpReference = erpReference
        self.isPosted = isPosted
        self.lineNumbers = lineNumbers
    }
}
