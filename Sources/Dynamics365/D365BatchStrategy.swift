import ConnectorCore
import Foundation
import OData

/// How new documents are packed into `$batch` requests when `keyAssignment` is `server`
/// (config key `target.batchStrategy`).
public enum D365BatchStrategy: String, Sendable, CaseIterable {
    /// Headers in one `$batch` (a changeset each), then their lines in a later one (a changeset per invoice)
    /// with the `HeaderReference` read from each 201. Works with any server.
    case twoPhase
    /// Header and lines in one changeset, the lines posted through the header's Content-ID
    /// (`POST $1/VendorInvoiceLine`). A server that refuses `$n` references is detected and the run goes on
    /// two-phase; the ledger remembers it for later runs.
    case references
}
