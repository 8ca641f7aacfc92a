import ConnectorCore
import ConnectorLedger
import ConnectorStaging
import Foundation
import Logging

/// What load did with one document, whichever way it went.
public enum LoadOutcome: String, Sendable, Codable, CaseIterable {
    /// Header and all lines created by this run.
    case created
    /// Found under its stable key with lines missing; the missing lines were added.
    case completed
    /// Already in the ERP (found by its key, or loaded by an earlier run); nothing written.
    case alreadyPresent
    /// Posted earlier, but the report has changed in the source since; never posted again, for a person to correct.
    case changedAfterLoad
    /// Found posted or locked in the ERP; nothing written, needs a person.
    case locked
    /// Refused by the ERP or not settled; nothing labelled, retried next run.
    case failed
}
