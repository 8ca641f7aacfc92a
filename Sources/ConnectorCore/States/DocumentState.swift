import Foundation

/// Where one document stands with the ERP, as the ledger records it.
public enum DocumentState: String, Sendable, Codable, CaseIterable {
    /// Registered by load, not sent yet.
    case pending
    /// Being written; after a crash, looked up before anything is sent again.
    case loading
    /// Confirmed in the ERP; final (a ledger trigger refuses any change back).
    case loaded
    /// The ERP refused it or no answer settled it; retried next run.
    case failed
    /// Exists in the ERP but is posted or locked, so it cannot be completed by the connector.
    case locked
}
