import Foundation

/// Where a report is on its way from the source to the ERP, as the ledger records it (the raw value is stored).
public enum ReportState: String, Sendable, Codable, CaseIterable {
    /// Seen in an export; not yet mapped.
    case extracted
    /// Mapped to documents that load will send.
    case ready
    /// Not posted: an exception holds it until fixed (re-fetched every night).
    case held
    /// Nothing to post (no expenses, or only omitted card spend); labelled like a posted one.
    case empty
    /// Every document confirmed by the ERP; never goes back to an earlier state.
    case loaded
    /// A document failed to load; retried next night.
    case failed
    /// Labelled exported in the source: done.
    case committed

    /// Whether the ERP already holds everything of the report (so nothing may undo it).
    public var isPosted: Bool { self == .loaded || self == .committed }
}
