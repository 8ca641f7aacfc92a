import ConnectorCore
import ConnectorLedger
import ConnectorStaging
import Foundation
import Logging

/// Collects results from concurrent loads, each recorded in the ledger as it arrives.
actor LoadRecorder {
    private(set) var results: [String: LoadedDocument] = [:]
    func add(_ r: LoadedDocument) { results[r.key] = r }
}
