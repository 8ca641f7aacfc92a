import Foundation

/// Finance's sign-off of a batch's staged transform files, as the ledger records it: who approved, when, the SHA-256 of
/// every staged transform file and the control totals at that moment. `load` refuses a batch whose files or totals
/// no longer match it.
public struct ReviewSignOff: Sendable, Hashable, Codable {
    /// The batch signed off.
    public var batchID: String
    /// The approver's name as given with `review approve --by`.
    public var approver: String
    /// When, ISO 8601 UTC.
    public var approvedAt: String
    /// Staged file name (relative to the batch's `transform/` folder) → lowercase hex SHA-256.
    public var files: [String: String]
    /// Control totals signed off: "company|currency" → exact decimal text.
    public var totals: [String: String]

    /// Memberwise.
    public init(batchID: String, approver: String, approvedAt: String, files: [String: String], totals: [String: String]) {
        self.batchID = batchID
        self.approver = approver
        self.approvedAt = approvedAt
        self.files = files
        self.totals = totals
    }
}
