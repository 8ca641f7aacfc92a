import ConnectorCore
import ConnectorHTTP
import Foundation
import Logging
import OData

/// How new documents are written, given the settings and what is known about the environment.
enum D365WriteMode: String, Sendable {
    /// One header POST, then one POST per line (`batchSize` 0, or no `$batch`).
    case perDocument
    /// Headers in a `$batch` (a changeset each); their lines in a later `$batch` (a changeset per invoice).
    case twoPhase
    /// Header and lines in one changeset through `$n` references.
    case references
    /// Header with a client-assigned `HeaderReference` and its lines in one changeset.
    case clientKeys
}
