import ConnectorCore
import Foundation
import GRDB

extension Ledger {
    // MARK: Batches

    /// Registers a new batch with the window it exports, before any of its files exist; `replayOf` names the batch
    /// whose held or failed reports it re-runs (`replay`).
    public func createBatch(
        id: String, target: String, approvedAfter: String?, exportLabel: String, exportUntil: String? = nil,
        replayOf: String? = nil, audit: AuditContext
    ) throws {
        try write { db in
            try db.execute(
                sql: "INSERT INTO batch (id, created_at, target, approved_after, export_label, export_until, replay_of) VALUES (?, ?, ?, ?, ?, ?, ?)",
                arguments: [id, Ledger.now(), target, approvedAfter, exportLabel, exportUntil, replayOf])
            try Ledger.insertAudit(
                db, audit, entityType: "batch", entityID: id, event: "batch.created",
                detail: "approvedAfter=\(approvedAfter ?? "-") until=\(exportUntil ?? "-") label=\(exportLabel)"
                    + (replayOf.map { " replayOf=\($0)" } ?? ""))
        }
    }

    /// One batch, or nil when the ledger has none of that ID.
    public func batch(_ id: String) throws -> BatchRecord? {
        try read { db in try BatchRecord.fetchOne(db, sql: "SELECT * FROM batch WHERE id = ?", arguments: [id]) }
    }

    /// The newest batches first, for `status`.
    public func batches(limit: Int = 20) throws -> [BatchRecord] {
        try read { db in try BatchRecord.fetchAll(db, sql: "SELECT * FROM batch ORDER BY id DESC LIMIT ?", arguments: [limit]) }
    }

    /// The batch a stage works on when none is named.
    public func latestBatch() throws -> BatchRecord? { try batches(limit: 1).first }

    // MARK: Stage runs

    /// Records a stage run as `running`, before it touches anything.
    public func startStage(batchID: String, stage: Stage, audit: AuditContext) throws -> Int64 {
        try write { db in
            try db.execute(
                sql: "INSERT INTO stage_run (batch_id, stage, started_at, outcome) VALUES (?, ?, ?, ?)",
                arguments: [batchID, stage.rawValue, Ledger.now(), StageOutcome.running.rawValue])
            let id = db.lastInsertedRowID
            try Ledger.insertAudit(db, audit, entityType: "stage_run", entityID: String(id), event: "stage.started", detail: stage.rawValue)
            return id
        }
    }

    /// Records how a stage run ended, with its counts and the SHA-256 of every file it wrote.
    public func finishStage(runID: Int64, outcome: StageOutcome, counts: [String: Int], files: [String: String], error: String?, audit: AuditContext)
        throws
    {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        let c = String(decoding: (try? enc.encode(counts)) ?? Data("{}".utf8), as: UTF8.self)
        let f = String(decoding: (try? enc.encode(files)) ?? Data("{}".utf8), as: UTF8.self)
        try write { db in
            try db.execute(
                sql: "UPDATE stage_run SET finished_at = ?, outcome = ?, counts = ?, files = ?, error = ? WHERE id = ?",
                arguments: [Ledger.now(), outcome.rawValue, c, f, error, runID])
            try Ledger.insertAudit(
                db, audit, entityType: "stage_run", entityID: String(runID),
                event: "stage.\(outcome.rawValue)", detail: error ?? c)
        }
    }

    /// Every run of every stage of a batch, oldest first.
    public func stageRuns(batchID: String) throws -> [StageRunRecord] {
        try read { db in try StageRunRecord.fetchAll(db, sql: "SELECT * FROM stage_run WHERE batch_id = ? ORDER BY id", arguments: [batchID]) }
    }

    /// The run whose files the next stage may read.
    public func lastSucceededStage(batchID: String, stage: Stage) throws -> StageRunRecord? {
        try read { db in
            try StageRunRecord.fetchOne(
                db, sql: "SELECT * FROM stage_run WHERE batch_id = ? AND stage = ? AND outcome = ? ORDER BY id DESC LIMIT 1",
                arguments: [batchID, stage.rawValue, StageOutcome.succeeded.rawValue])
        }
    }

    // MARK: Reports

    /// Records a report seen in an export. A report already loaded or committed keeps its state. `source`
    /// (e.g. "re-fetched by ID") goes to the audit detail.
    public func recordExtracted(
        reportID: String, policyID: String?, submitter: String?, approved: String?, batchID: String,
        source: String? = nil, audit: AuditContext
    ) throws {
        try write { db in
            let existing = try ReportRecord.fetchOne(db, sql: "SELECT * FROM report WHERE report_id = ?", arguments: [reportID])
            if let existing {
                let keep = existing.state.isPosted
                try db.execute(
                    sql:
                        "UPDATE report SET last_batch_id = ?, policy_id = COALESCE(?, policy_id), submitter = COALESCE(?, submitter), approved = COALESCE(?, approved), state = ?, updated_at = ? WHERE report_id = ?",
                    arguments: [
                        batchID, policyID, submitter, approved, keep ? existing.state.rawValue : ReportState.extracted.rawValue, Ledger.now(),
                        reportID,
                    ])
                try Ledger.insertAudit(
                    db, audit, entityType: "report", entityID: reportID, event: "report.extracted_again",
                    detail: "previous state \(existing.state.rawValue) in batch \(existing.lastBatchID)" + (source.map { "; \($0)" } ?? ""))
            } else {
                try db.execute(
                    sql:
                        "INSERT INTO report (report_id, policy_id, submitter, approved, state, first_batch_id, last_batch_id, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    arguments: [reportID, policyID, submitter, approved, ReportState.extracted.rawValue, batchID, batchID, Ledger.now()])
                try Ledger.insertAudit(db, audit, entityType: "report", entityID: reportID, event: "report.extracted", detail: source ?? "")
            }
        }
    }

    /// Moves a report to `state` (with an optional reason), auditing the change. Loaded/committed reports
    /// never go back to an earlier state.
    public func setReportState(
        _ reportID: String, state: ReportState, reason: String?, currency: String? = nil, total: String? = nil, audit: AuditContext
    ) throws {
        try write { db in
            guard let existing = try ReportRecord.fetchOne(db, sql: "SELECT * FROM report WHERE report_id = ?", arguments: [reportID]) else {
                throw ConnectorError("ledger.unknown_report", "Report \(reportID) is not in the ledger.", context: ["report": reportID])
            }
            if existing.state == .committed && state != .committed { return }
            if existing.state == .loaded && !state.isPosted { return }
            if existing.state == state && existing.reason == reason && (currency == nil || existing.currency == currency)
                && (total == nil || existing.total == total)
            {
                return
            }
            try db.execute(
                sql:
                    "UPDATE report SET state = ?, reason = ?, currency = COALESCE(?, currency), total = COALESCE(?, total), updated_at = ? WHERE report_id = ?",
                arguments: [state.rawValue, reason, currency, total, Ledger.now(), reportID])
            try Ledger.insertAudit(db, audit, entityType: "report", entityID: reportID, event: "report.\(state.rawValue)", detail: reason ?? "")
        }
    }

    /// One report's state, or nil when the ledger never saw it.
    public func report(_ id: String) throws -> ReportRecord? {
        try read { db in try ReportRecord.fetchOne(db, sql: "SELECT * FROM report WHERE report_id = ?", arguments: [id]) }
    }

    /// The reports a batch saw last, for `status`.
    public func reports(lastBatchID: String) throws -> [ReportRecord] {
        try read { db in
            try ReportRecord.fetchAll(db, sql: "SELECT * FROM report WHERE last_batch_id = ? ORDER BY report_id", arguments: [lastBatchID])
        }
    }

    /// Every report in one of `states`, whichever batch saw it last (commit's safety net for labels never recorded).
    public func reports(in states: [ReportState]) throws -> [ReportRecord] {
        guard !states.isEmpty else { return [] }
        let marks = Array(repeating: "?", count: states.count).joined(separator: ",")
        return try read { db in
            try ReportRecord.fetchAll(
                db, sql: "SELECT * FROM report WHERE state IN (\(marks)) ORDER BY report_id",
                arguments: StatementArguments(states.map(\.rawValue)))
        }
    }

    /// The lower-cased e-mail of everyone who has submitted a report the ledger knows, whatever its state.
    public func submitters() throws -> Set<String> {
        try read { db in
            Set(
                try String.fetchAll(
                    db, sql: "SELECT DISTINCT lower(trim(submitter)) FROM report WHERE submitter IS NOT NULL AND trim(submitter) <> ''"))
        }
    }

    /// Reports per state for a batch, for `status`.
    public func reportCounts(lastBatchID: String) throws -> [String: Int] {
        try read { db in
            var out: [String: Int] = [:]
            for row in try Row.fetchAll(
                db, sql: "SELECT state, COUNT(*) AS n FROM report WHERE last_batch_id = ? GROUP BY state", arguments: [lastBatchID])
            {
                out[row["state"]] = row["n"]
            }
            return out
        }
    }

    // MARK: Nightly retry and drops

    /// Reports not finished (any state but `committed`) and not dropped: every night's extract asks Expensify
    /// for them by ID, whatever the watermark. Sorted by report ID.
    public func reportsToRefetch() throws -> [String] {
        try read { db in
            try String.fetchAll(
                db, sql: "SELECT report_id FROM report WHERE state <> ? AND report_id NOT IN (SELECT report_id FROM report_drop) ORDER BY report_id",
                arguments: [ReportState.committed.rawValue])
        }
    }

    /// The open reports (see `reportsToRefetch`) with their states, for `status`.
    public func openReports(limit: Int = 1000) throws -> [ReportRecord] {
        try read { db in
            try ReportRecord.fetchAll(
                db, sql: "SELECT * FROM report WHERE state <> ? AND report_id NOT IN (SELECT report_id FROM report_drop) ORDER BY report_id LIMIT ?",
                arguments: [ReportState.committed.rawValue, limit])
        }
    }

    /// How many reports every night still asks for by ID.
    public func openReportCount() throws -> Int {
        try read { db in
            try Int.fetchOne(
                db, sql: "SELECT COUNT(*) FROM report WHERE state <> ? AND report_id NOT IN (SELECT report_id FROM report_drop)",
                arguments: [ReportState.committed.rawValue]) ?? 0
        }
    }

    /// Stops the nightly retry of a report, for good. Refused for a report that is unknown, already posted
    /// (`loaded`: the next commit labels it) or done (`committed`), or already dropped; the reason is required.
    @discardableResult
    public func dropReport(_ reportID: String, reason: String, audit: AuditContext) throws -> DropRecord {
        let why = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !why.isEmpty else {
            throw ConnectorError(
                "drop.reason_missing", "Give the reason for dropping report \(reportID) (--reason TEXT); it goes to the audit trail.",
                context: ["report": reportID])
        }
        return try write { db in
            guard let r = try ReportRecord.fetchOne(db, sql: "SELECT * FROM report WHERE report_id = ?", arguments: [reportID]) else {
                throw ConnectorError(
                    "drop.unknown_report", "Report \(reportID) is not in the ledger, so there is nothing to drop.", context: ["report": reportID])
            }
            if let d = try DropRecord.fetchOne(db, sql: "SELECT * FROM report_drop WHERE report_id = ?", arguments: [reportID]) {
                throw ConnectorError(
                    "drop.already_dropped", "Report \(reportID) was already dropped on \(d.droppedAt) by \(d.actor): \(d.reason)",
                    context: ["report": reportID])
            }
            switch r.state {
            case .committed:
                throw ConnectorError(
                    "drop.not_open", "Report \(reportID) is done (posted and labelled); there is nothing to drop.", context: ["report": reportID])
            case .loaded:
                throw ConnectorError(
                    "drop.not_open", "Report \(reportID) is already posted in the target; the next commit labels it in Expensify.",
                    context: ["report": reportID])
            default:
                break
            }
            let at = Ledger.now()
            try db.execute(
                sql: "INSERT INTO report_drop (report_id, dropped_at, actor, reason, state_at_drop, reason_at_drop) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [reportID, at, audit.actor, why, r.state.rawValue, r.reason])
            try Ledger.insertAudit(
                db, audit, entityType: "report", entityID: reportID, event: "report.dropped",
                detail: "\(why) (was \(r.state.rawValue)\(r.reason.map { ": \($0)" } ?? ""))")
            return try DropRecord.fetchOne(db, sql: "SELECT * FROM report_drop WHERE report_id = ?", arguments: [reportID])!
        }
    }

    /// The operator's drop of a report, if any.
    public func drop(_ reportID: String) throws -> DropRecord? {
        try read { db in try DropRecord.fetchOne(db, sql: "SELECT * FROM report_drop WHERE report_id = ?", arguments: [reportID]) }
    }

    /// Every drop, for `status`.
    public func drops() throws -> [DropRecord] {
        try read { db in try DropRecord.fetchAll(db, sql: "SELECT * FROM report_drop ORDER BY report_id") }
    }

    /// Reports extract must skip even when an export returns them.
    public func droppedIDs() throws -> Set<String> {
        try read { db in Set(try String.fetchAll(db, sql: "SELECT report_id FROM report_drop")) }
    }

    // MARK: Documents

    /// Registers a document about to be loaded (`pending`), or returns the existing record untouched.
    @discardableResult
    public func registerDocument(_ d: InvoiceDocument, batchID: String, audit: AuditContext) throws -> DocumentRecord {
        try write { db in
            if let existing = try DocumentRecord.fetchOne(db, sql: "SELECT * FROM document WHERE key = ?", arguments: [d.key]) {
                return existing
            }
            try db.execute(
                sql:
                    "INSERT INTO document (key, report_id, kind, company, vendor, currency, total, line_count, state, batch_id, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                arguments: [
                    d.key, d.reportID, d.kind.rawValue, d.company, d.vendorAccount, d.currency, d.total, d.lines.count,
                    DocumentState.pending.rawValue, batchID, Ledger.now(),
                ])
            try Ledger.insertAudit(
                db, audit, entityType: "document", entityID: d.key, event: "document.registered",
                detail: "\(d.company) \(d.vendorAccount) \(d.total) \(d.currency) lines=\(d.lines.count)")
            return try DocumentRecord.fetchOne(db, sql: "SELECT * FROM document WHERE key = ?", arguments: [d.key])!
        }
    }

    /// One document by its stable key.
    public func document(_ key: String) throws -> DocumentRecord? {
        try read { db in try DocumentRecord.fetchOne(db, sql: "SELECT * FROM document WHERE key = ?", arguments: [key]) }
    }

    /// A report's documents (employee and card invoices).
    public func documents(reportID: String) throws -> [DocumentRecord] {
        try read { db in try DocumentRecord.fetchAll(db, sql: "SELECT * FROM document WHERE report_id = ? ORDER BY key", arguments: [reportID]) }
    }

    /// The documents a batch last worked on.
    public func documents(batchID: String) throws -> [DocumentRecord] {
        try read { db in try DocumentRecord.fetchAll(db, sql: "SELECT * FROM document WHERE batch_id = ? ORDER BY key", arguments: [batchID]) }
    }

    /// Records the state of a document; a `loaded` document is final (enforced by a trigger too).
    public func setDocumentState(_ key: String, state: DocumentState, erpReference: String?, error: String?, batchID: String, audit: AuditContext)
        throws
    {
        try write { db in
            try Ledger.setDocumentState(db, key, state: state, erpReference: erpReference, error: error, batchID: batchID, audit: audit)
        }
    }

    /// Records the same state for many documents in one transaction (e.g. `loading` for a whole window before it
    /// is sent): key → ERP reference known so far.
    public func setDocumentStates(_ documents: [(key: String, erpReference: String?)], state: DocumentState, batchID: String, audit: AuditContext)
        throws
    {
        guard !documents.isEmpty else { return }
        try write { db in
            for document in documents {
                try Ledger.setDocumentState(
                    db, document.key, state: state, erpReference: document.erpReference, error: nil,
                    batchID: batchID, audit: audit)
            }
        }
    }

    private static func setDocumentState(
        _ db: Database, _ key: String, state: DocumentState, erpReference: String?, error: String?, batchID: String,
        audit: AuditContext
    ) throws {
        let current = try String.fetchOne(db.cachedStatement(sql: "SELECT state FROM document WHERE key = ?"), arguments: [key])
        guard let current else {
            throw ConnectorError("ledger.unknown_document", "Document \(key) is not in the ledger.", context: ["document": key])
        }
        if current == DocumentState.loaded.rawValue { return }
        let now = Ledger.now()
        try db.cachedStatement(
            sql:
                "UPDATE document SET state = ?, erp_reference = COALESCE(?, erp_reference), error = ?, batch_id = ?, loaded_at = CASE WHEN ? THEN ? ELSE loaded_at END, updated_at = ? WHERE key = ?"
        )
        .execute(arguments: [state.rawValue, erpReference, error, batchID, state == .loaded, now, now, key])
        try Ledger.insertAudit(
            db, audit, entityType: "document", entityID: key, event: "document.\(state.rawValue)",
            detail: [erpReference.map { "erpReference=\($0)" }, error].compactMap { $0 }.joined(separator: " "))
    }

    /// Records where a document stands inside the ERP and its number; audited when the status changes.
    public func setDocumentERPStatus(_ key: String, status: ERPDocumentStatus, number: String?, batchID: String?, audit: AuditContext) throws {
        try write { db in
            let row = try Row.fetchOne(db, sql: "SELECT erp_status, erp_number FROM document WHERE key = ?", arguments: [key])
            guard let row else {
                throw ConnectorError("ledger.unknown_document", "Document \(key) is not in the ledger.", context: ["document": key])
            }
            let old: String? = row["erp_status"]
            let oldNumber: String? = row["erp_number"]
            try db.execute(
                sql: "UPDATE document SET erp_status = ?, erp_number = COALESCE(?, erp_number), erp_checked_at = ?, updated_at = ? WHERE key = ?",
                arguments: [status.rawValue, number, Ledger.now(), Ledger.now(), key])
            if old != status.rawValue || (number != nil && number != oldNumber) {
                let was = old.map { "\($0) → " } ?? ""
                try Ledger.insertAudit(
                    db, audit, entityType: "document", entityID: key, event: "document.erp.\(status.rawValue)",
                    detail: "\(was)\(status.rawValue)" + (number.map { " number=\($0)" } ?? ""))
            }
        }
    }

    /// Loaded documents whose ERP status is `draft` (or unknown, when `includeUnknown`), for the read-back.
    public func documentsToReadBack(includeUnknown: Bool = false) throws -> [DocumentRecord] {
        try read { db in
            try DocumentRecord.fetchAll(
                db,
                sql: "SELECT * FROM document WHERE state = 'loaded' AND (erp_status = 'draft'"
                    + (includeUnknown ? " OR erp_status IS NULL" : "") + ") ORDER BY key")
        }
    }

    // MARK: Watermark

    /// The `approvedAfter` the next export starts from; nil before the first commit.
    public func watermark(_ name: String = "expensify.approvedAfter") throws -> String? {
        try read { db in try String.fetchOne(db, sql: "SELECT value FROM watermark WHERE name = ?", arguments: [name]) }
    }

    /// Moves the watermark forward only (an older value is ignored and audited as such).
    public func advanceWatermark(to value: String, name: String = "expensify.approvedAfter", batchID: String, audit: AuditContext) throws {
        try write { db in
            let current = try String.fetchOne(db, sql: "SELECT value FROM watermark WHERE name = ?", arguments: [name])
            if let current, current >= value {
                try Ledger.insertAudit(
                    db, audit, entityType: "watermark", entityID: name, event: "watermark.kept", detail: "\(current) (proposed \(value))")
                return
            }
            try db.execute(
                sql:
                    "INSERT INTO watermark (name, value, batch_id, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value, batch_id = excluded.batch_id, updated_at = excluded.updated_at",
                arguments: [name, value, batchID, Ledger.now()])
            try Ledger.insertAudit(
                db, audit, entityType: "watermark", entityID: name, event: "watermark.advanced", detail: "\(current ?? "-") -> \(value)")
        }
    }

    // MARK: Target capabilities

    /// Capabilities remembered for `target` (a target's identity), name → value.
    public func targetCapabilities(_ target: String) throws -> [String: String] {
        try read { db in
            var out: [String: String] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT name, value FROM target_capability WHERE target = ?", arguments: [target]) {
                out[row["name"]] = row["value"]
            }
            return out
        }
    }

    /// Remembers one capability of `target`; a change is audited, an unchanged value is left alone.
    public func rememberTargetCapability(_ target: String, name: String, value: String, batchID: String?, audit: AuditContext) throws {
        try write { db in
            let current = try String.fetchOne(
                db, sql: "SELECT value FROM target_capability WHERE target = ? AND name = ?",
                arguments: [target, name])
            guard current != value else { return }
            try db.execute(
                sql:
                    "INSERT INTO target_capability (target, name, value, batch_id, updated_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT(target, name) DO UPDATE SET value = excluded.value, batch_id = excluded.batch_id, updated_at = excluded.updated_at",
                arguments: [target, name, value, batchID, Ledger.now()])
            try Ledger.insertAudit(
                db, audit, entityType: "target", entityID: target, event: "target.capability",
                detail: "\(name): \(current ?? "-") -> \(value)")
        }
    }

    // MARK: Audit

    /// Appends one event to the audit trail (append-only: triggers refuse updates and deletes).
    public func audit(_ ctx: AuditContext, entityType: String, entityID: String, event: String, detail: String) throws {
        try write { db in try Ledger.insertAudit(db, ctx, entityType: entityType, entityID: entityID, event: event, detail: detail) }
    }

    /// Audit events of one record or batch, oldest first.
    public func auditEvents(entityID: String? = nil, batchID: String? = nil) throws -> [AuditEvent] {
        try read { db in
            if let entityID {
                return try AuditEvent.fetchAll(db, sql: "SELECT * FROM audit_event WHERE entity_id = ? ORDER BY id", arguments: [entityID])
            }
            if let batchID {
                return try AuditEvent.fetchAll(db, sql: "SELECT * FROM audit_event WHERE batch_id = ? ORDER BY id", arguments: [batchID])
            }
            return try AuditEvent.fetchAll(db, sql: "SELECT * FROM audit_event ORDER BY id")
        }
    }

    static func insertAudit(
        _ db: Database, _ ctx: AuditContext, entityType: String, entityID: String, event: String, detail: String,
        at: String? = nil
    ) throws {
        try db.cachedStatement(
            sql: "INSERT INTO audit_event (at, actor, batch_id, stage, entity_type, entity_id, event, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
        )
        .execute(arguments: [at ?? now(), ctx.actor, ctx.batchID, ctx.stage?.rawValue, entityType, entityID, event, detail])
    }
}
