import ConnectorCore
import ConnectorLedger
import ConnectorStaging
import Foundation
import Logging

/// What `load` did.
public struct LoadSummary: Sendable, Codable {
    /// The batch loaded.
    public var batchID: String
    /// Documents in `invoices.json`.
    public var documents: Int
    /// Created by this run.
    public var created: Int
    /// Found with lines missing and completed.
    public var completed: Int
    /// Found complete in the ERP by their keys (a crashed run's work).
    public var alreadyPresent: Int
    /// Known to the ledger as loaded: not sent again.
    public var skippedLoaded: Int
    /// Refused or not settled: the reports stay unlabelled and are retried.
    public var failed: Int
    /// Found posted or locked: need a person.
    public var locked: Int
    /// Documents already posted whose report Expensify has since changed (never reposted; for finance).
    public var changedAfterLoad: Int
    /// Requests sent to the target (tokens included).
    public var httpRequests: Int

    /// Nothing loaded (the run stopped before load, e.g. for review).
    static func notRun(_ batchID: String) -> LoadSummary {
        LoadSummary(
            batchID: batchID, documents: 0, created: 0, completed: 0, alreadyPresent: 0, skippedLoaded: 0, failed: 0, locked: 0,
            changedAfterLoad: 0, httpRequests: 0)
    }

    /// One line for the operator.
    public var text: String {
        "Batch \(batchID): \(created) created, \(completed) completed, \(alreadyPresent + skippedLoaded) already in the target, \(failed) failed, \(locked) locked; \(httpRequests) HTTP request(s)\n"
    }
}
