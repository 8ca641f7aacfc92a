import Foundation

/// A loaded document as the ledger knows it, handed to a target's read-back.
public struct TrackedDocument: Sendable, Hashable {
    /// The stable key the document was written under (vendor invoice number / document number).
    public var key: String
    /// The company that holds it.
    public var company: String
    /// The ERP's own reference recorded at load (BC: the document id).
    public var erpReference: String?
    /// The number the ERP gave it, when recorded.
    public var number: String?

    /// Memberwise.
    public init(key: String, company: String, erpReference: String?, number: String?) {
        self.key = key
        self.company = company
        self.erpReference = erpReference
        self.number = number
    }
}
