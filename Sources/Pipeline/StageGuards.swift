import ConnectorCore
import ConnectorLedger
import ConnectorStaging
import Foundation

/// What keeps a hand-run stage from undoing work: its inputs must be exactly what the stage before wrote, and a
/// stage may be repeated only while no later stage has run for the batch (otherwise a new batch is the way).
extension PipelineContext {
    /// Refuses, naming the file, any of `names` (paths under the producing stage's folder) whose SHA-256 differs from
    /// what `run` recorded, so an edited staged file is never read as if a stage had written it.
    func verifyInputs(_ names: [String], of run: StageRunRecord, layout: BatchLayout) throws {
        let folder = layout.stageDirectory(run.stage)
        for name in names {
            let url = folder.appendingPathComponent(name)
            try layout.require(url, producedBy: run.stage)
            guard let expected = run.files[name] else { continue }  // written before hashes were recorded for it
            let actual = try StagedFile.sha256(of: url)
            guard actual == expected else {
                throw ConnectorError(
                    "staging.tampered",
                    "\(run.stage.rawValue)/\(name) of batch \(layout.batchID) changed after '\(run.stage.rawValue)' wrote it (sha256 \(actual.prefix(12))…, recorded \(expected.prefix(12))…). Rerun '\(run.stage.rawValue) --batch \(layout.batchID)' to rebuild it.",
                    context: ["batch": layout.batchID, "file": url.path])
            }
        }
    }

    /// Refuses to repeat `stage` for a batch once a later stage has run for it: the later stage acted on what this
    /// one wrote, and rewriting it would undo or contradict that work. Held and failed reports are picked up by a
    /// new batch (`run`), which asks for them again by ID.
    func checkRerunAllowed(_ stage: Stage, batchID: String) throws {
        guard let later = try ledger.stageRuns(batchID: batchID).last(where: { $0.stage > stage }) else { return }
        throw ConnectorError(
            "stage.order",
            "'\(stage.rawValue)' cannot run again for batch \(batchID): '\(later.stage.rawValue)' already ran for it (\(later.outcome.rawValue), \(later.startedAt)). Start a new batch with 'ml-connector run'; held and failed reports are asked for again.",
            context: ["batch": batchID])
    }

    /// The successful run of `stage` that `before` builds on, which must be newer than every run of the stages before
    /// it (a load older than the newest transform describes documents that no longer exist).
    func requireCurrent(_ stage: Stage, batchID: String, before: Stage) throws -> StageRunRecord {
        let run = try requireStage(stage, batchID: batchID, before: before)
        let runs = try ledger.stageRuns(batchID: batchID)
        if let newer = runs.last(where: { $0.stage < stage && $0.outcome == .succeeded && $0.id > run.id }) {
            throw ConnectorError(
                "stage.order",
                "'\(before.rawValue)' needs a '\(stage.rawValue)' newer than the last '\(newer.stage.rawValue)' of batch \(batchID) (\(newer.startedAt)); run '\(stage.rawValue) --batch \(batchID)' first.",
                context: ["batch": batchID])
        }
        return run
    }
}
