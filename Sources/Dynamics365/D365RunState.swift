import ConnectorCore
import ConnectorHTTP
import Foundation
import Logging
import OData

/// What one target knows about its environment during a run: facts remembered from earlier runs and facts
/// learned now. Shared by copies of the target.
actor D365RunState {
    private var remembered: [String: String] = [:]
    private var learned: [String: String] = [:]
    /// Facts that hold for this run only (a refusal that may be a passing condition, such as a 400 or 413 for a
    /// whole `$batch`).
    private var forThisRun: [String: String] = [:]

    func remember(_ facts: [String: String]) {
        for (name, value) in facts { remembered[name] = value }
    }

    func value(_ name: String) -> String? { forThisRun[name] ?? learned[name] ?? remembered[name] }

    /// Records a fact; true when it is news (the caller then warns, once).
    func learn(_ name: String, _ value: String, remember: Bool) -> Bool {
        guard self.value(name) != value else { return false }
        if remember { learned[name] = value } else { forThisRun[name] = value }
        return true
    }

    func learnedFacts() -> [String: String] { learned }
}
