import Foundation

/// What a read-back found for one loaded document: its status and the ERP's document number at that moment (a
/// posted invoice may carry a new number).
public struct ERPDocumentState: Sendable, Hashable, Codable {
    /// Draft, posted or deleted.
    public var status: ERPDocumentStatus
    /// The number finance sees in the ERP (draft or posted number), when known.
    public var number: String?

    /// Memberwise.
    public init(status: ERPDocumentStatus, number: String?) {
        self.status = status
        self.number = number
    }
}
