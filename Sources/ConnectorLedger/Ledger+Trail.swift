import ConnectorCore
import Foundation
import GRDB

/// What `status`, `audit` and `replay` read from the ledger, and the bookkeeping of interrupted stages.
extension Ledger {
    // MARK: Interrupted stages

    /// Marks every stage run still `running` as `interrupted`, with `reason`. Only a process holding the ledger's lock
    /// may call it: then no other process can be running a stage, so a `running` row was left by one that died
    /// (SIGKILL, a crash, a power cut). Returns the runs it closed.
    @discardableResult
    public func closeAbandonedStageRuns(reason: String, audit: AuditContext) throws -> [StageRunRecord] {
        try write { db in
            let open = try StageRunRecord.fetchAll(
                db, sql: "SELECT * FROM stage_run WHERE outcome = ? ORDER BY id",
                arguments: [StageOutcome.running.rawValue])
            for run in open {
                try db.execute(
                    sql: "UPDATE stage_run SET outcome = ?, finished_at = ?, error = ? WHERE id = ?",
                    arguments: [StageOutcome.interrupted.rawValue, Ledger.now(), reason, run.id])
                var ctx = audit
                ctx.batchID = run.batchID
                ctx.stage = run.stage
                try Ledger.insertAudit(db, ctx, entityType: "stage_run", entityID: String(run.id), event: "stage.interrupted", detail: reason)
            }
            return open
        }
    }

    // MARK: Reports of a batch

    /// Every report a batch's extract registered (first seen there, or seen again), sorted by report ID.
    public func reportIDs(extractedIn batchID: String) throws -> [String] {
        try read { db in
            try String.fetchAll(
                db,
                sql: """
                    SELECT DISTINCT entity_id FROM audit_event
                    WHERE batch_id = ? AND entity_type = 'report' AND event IN ('report.extracted', 'report.extracted_again')
                    ORDER BY entity_id
                    """, arguments: [batchID])
        }
    }

    /// The batches that extracted `reportID`, oldest first, with when and how (`export window after …`,
    /// `re-fetched by ID`, `replayed from …`).
    public func extractions(of reportID: String) throws -> [AuditEvent] {
        try read { db in
            try AuditEvent.fetchAll(
                db,
                sql: """
                    SELECT * FROM audit_event WHERE entity_type = 'report' AND entity_id = ?
                    AND event IN ('report.extracted', 'report.extracted_again') ORDER BY id
                    """, arguments: [reportID])
        }
    }

    /// Audit events of `entityType` (e.g. `http`, `document`) recorded for `batchID`, optionally only these entities,
    /// oldest first, at most `limit`.
    public func auditEvents(batchID: String, entityType: String, entityIDs: [String]? = nil, limit: Int = 1000) throws -> [AuditEvent] {
        try read { db in
            if let entityIDs {
                guard !entityIDs.isEmpty else { return [] }
                let marks = Array(repeating: "?", count: entityIDs.count).joined(separator: ",")
                return try AuditEvent.fetchAll(
                    db, sql: "SELECT * FROM audit_event WHERE batch_id = ? AND entity_type = ? AND entity_id IN (\(marks)) ORDER BY id LIMIT ?",
                    arguments: StatementArguments([batchID, entityType] as [any DatabaseValueConvertible] + entityIDs + [limit]))
            }
            return try AuditEvent.fetchAll(
                db, sql: "SELECT * FROM audit_event WHERE batch_id = ? AND entity_type = ? ORDER BY id LIMIT ?",
                arguments: [batchID, entityType, limit])
        }
    }

    /// How many audit events of `entityType` a batch has (to say how many a capped list left out).
    public func auditEventCount(batchID: String, entityType: String) throws -> Int {
        try read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM audit_event WHERE batch_id = ? AND entity_type = ?", arguments: [batchID, entityType])
                ?? 0
        }
    }

    /// The batches that replay `batchID` (newest first).
    public func replays(of batchID: String) throws -> [BatchRecord] {
        try read { db in try BatchRecord.fetchAll(db, sql: "SELECT * FROM batch WHERE replay_of = ? ORDER BY id DESC", arguments: [batchID]) }
    }

    /// Loaded documents by ERP status (`draft`, `posted`, `deleted`; `unknown` when the target does not say).
    public func documentERPStatusCounts() throws -> [String: Int] {
        try read { db in
            var out: [String: Int] = [:]
            for row in try Row.fetchAll(
                db, sql: "SELECT COALESCE(erp_status, 'unknown') AS s, COUNT(*) AS n FROM document WHERE state = 'loaded' GROUP BY s")
            {
                out[row["s"]] = row["n"]
            }
            return out
        }
    }

    /// Reports by state over the whole ledger.
    public func reportStateCounts() throws -> [String: Int] {
        try read { db in
            var out: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT state, COUNT(*) AS n FROM report GROUP BY state") {
                out[row["state"]] = row["n"]
            }
            return out
        }
    }
}
