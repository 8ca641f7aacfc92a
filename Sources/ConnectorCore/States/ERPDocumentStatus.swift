import Foundation

/// Where a loaded document stands inside the ERP, as the last read-back found it: finance needs to know whether a
/// draft was posted (and is therefore never touched again) or removed by someone in the ERP.
public enum ERPDocumentStatus: String, Sendable, Codable, CaseIterable {
    /// Unposted: a draft purchase invoice, or journal lines waiting in their batch.
    case draft
    /// Posted to the ledger; the connector never modifies it.
    case posted
    /// Neither found as a draft nor as posted: someone deleted it in the ERP.
    case deleted
}
