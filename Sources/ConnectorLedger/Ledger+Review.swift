import ConnectorCore
import Foundation
import GRDB

/// Where finance's review of a batch stands: the newest decision recorded for it.
public enum ReviewDecisionKind: String, Sendable, Codable, CaseIterable {
    /// `run` stopped after transform (review required) or an import changed the staged files: a sign-off is needed.
    case awaiting
    /// Signed off (`review approve`): the sign-off holds the files' hashes and the control totals.
    case approved
    /// Held (`review reject`), with a reason.
    case rejected
}

/// One review decision as the ledger keeps it (append-only: the newest row per batch is the batch's review state).
public struct ReviewDecision: Sendable, Hashable, Codable {
    public var id: Int64
    public var batchID: String
    public var decision: ReviewDecisionKind
    /// Who decided (approver, rejecter); nil for `awaiting` set by a stage.
    public var by: String?
    /// When, ISO 8601 UTC.
    public var at: String
    /// Why (reject, or what made the batch await review again).
    public var reason: String?
    /// The sign-off, for `approved`.
    public var signOff: ReviewSignOff?
}

/// One accepted edit from finance's spreadsheet, applied by transform over the mapped line: who, when, old, new.
public struct LineOverride: Sendable, Hashable, Codable {
    public var id: Int64
    public var batchID: String
    public var reportID: String
    /// The Expensify expense (transaction) the line comes from: stable across reruns of transform.
    public var transactionID: String
    /// The document key and line number at the time of the edit (for messages and the audit trail).
    public var documentKey: String
    public var lineNumber: Int
    /// The `invoice-lines.csv` column edited: `main_account` or `dimensions` (or a single dimension's column).
    public var field: String
    public var oldValue: String
    public var newValue: String
    public var by: String
    public var at: String
    /// The file imported (its name only).
    public var sourceFile: String?

    /// Memberwise (id and at are set by the ledger when recorded).
    public init(
        id: Int64 = 0, batchID: String, reportID: String, transactionID: String, documentKey: String, lineNumber: Int,
        field: String, oldValue: String, newValue: String, by: String, at: String = "", sourceFile: String?
    ) {
        self.id = id
        self.batchID = batchID
        self.reportID = reportID
        self.transactionID = transactionID
        self.documentKey = documentKey
        self.lineNumber = lineNumber
        self.field = field
        self.oldValue = oldValue
        self.newValue = newValue
        self.by = by
        self.at = at
        self.sourceFile = sourceFile
    }
}

/// One stored reconciliation of a batch.
public struct ReconciliationRecord: Sendable, Hashable {
    public var id: Int64
    public var batchID: String
    public var checkedAt: String
    public var reconciled: Bool
    public var varianceCount: Int
    public var result: ReconciliationResult
}

extension Ledger {
    static func registerReviewMigrations(_ m: inout DatabaseMigrator) {
        // Finance's review gate: every decision (awaiting, approved with the sign-off, rejected) and every accepted
        // spreadsheet edit, both append-only.
        m.registerMigration("v5-review") { db in
            try db.execute(
                sql: """
                    CREATE TABLE review_decision (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        batch_id TEXT NOT NULL REFERENCES batch(id),
                        decision TEXT NOT NULL CHECK (decision IN ('awaiting','approved','rejected')),
                        decided_by TEXT,
                        at TEXT NOT NULL,
                        reason TEXT,
                        files TEXT NOT NULL DEFAULT '{}',
                        totals TEXT NOT NULL DEFAULT '{}'
                    );
                    CREATE INDEX review_decision_batch ON review_decision(batch_id, id);
                    CREATE TABLE line_override (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        batch_id TEXT NOT NULL REFERENCES batch(id),
                        report_id TEXT NOT NULL,
                        transaction_id TEXT NOT NULL,
                        document_key TEXT NOT NULL,
                        line_number INTEGER NOT NULL,
                        field TEXT NOT NULL,
                        old_value TEXT NOT NULL,
                        new_value TEXT NOT NULL,
                        decided_by TEXT NOT NULL,
                        at TEXT NOT NULL,
                        source_file TEXT
                    );
                    CREATE INDEX line_override_batch ON line_override(batch_id, report_id, transaction_id);
                    CREATE TRIGGER review_decision_append_only_u BEFORE UPDATE ON review_decision
                        BEGIN SELECT RAISE(ABORT, 'review_decision is append-only'); END;
                    CREATE TRIGGER review_decision_append_only_d BEFORE DELETE ON review_decision
                        BEGIN SELECT RAISE(ABORT, 'review_decision is append-only'); END;
                    CREATE TRIGGER line_override_append_only_u BEFORE UPDATE ON line_override
                        BEGIN SELECT RAISE(ABORT, 'line_override is append-only'); END;
                    CREATE TRIGGER line_override_append_only_d BEFORE DELETE ON line_override
                        BEGIN SELECT RAISE(ABORT, 'line_override is append-only'); END;
                    """)
        }
        // Three-way reconciliation results, newest per batch shown by `status` and the batch report.
        m.registerMigration("v5-reconciliation") { db in
            try db.execute(
                sql: """
                    CREATE TABLE reconciliation (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        batch_id TEXT NOT NULL REFERENCES batch(id),
                        checked_at TEXT NOT NULL,
                        reconciled INTEGER NOT NULL,
                        variances INTEGER NOT NULL,
                        result TEXT NOT NULL
                    );
                    CREATE INDEX reconciliation_batch ON reconciliation(batch_id, id);
                    """)
        }
    }

    // MARK: Review decisions

    /// Records that `batchID` awaits finance's sign-off (review required, or the staged files changed). Audited.
    public func markAwaitingReview(batchID: String, reason: String, audit: AuditContext) throws {
        try write { db in
            try db.execute(
                sql: "INSERT INTO review_decision (batch_id, decision, at, reason) VALUES (?, 'awaiting', ?, ?)",
                arguments: [batchID, Ledger.now(), reason])
            try Ledger.insertAudit(db, audit, entityType: "batch", entityID: batchID, event: "review.awaiting", detail: reason)
        }
    }

    /// Records finance's sign-off. Audited with the approver and the number of files signed.
    public func recordSignOff(_ s: ReviewSignOff, audit: AuditContext) throws {
        let files = String(decoding: try Ledger.sortedJSON(s.files), as: UTF8.self)
        let totals = String(decoding: try Ledger.sortedJSON(s.totals), as: UTF8.self)
        try write { db in
            try db.execute(
                sql:
                    "INSERT INTO review_decision (batch_id, decision, decided_by, at, files, totals) VALUES (?, 'approved', ?, ?, ?, ?)",
                arguments: [s.batchID, s.approver, s.approvedAt, files, totals])
            try Ledger.insertAudit(
                db, audit, entityType: "batch", entityID: s.batchID, event: "review.approved",
                detail:
                    "signed off by \(s.approver): \(s.files.count) staged files, totals \(s.totals.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", "))"
            )
        }
    }

    /// Records that finance holds the batch. Audited with the reason.
    public func recordRejection(batchID: String, by: String, reason: String, audit: AuditContext) throws {
        try write { db in
            try db.execute(
                sql: "INSERT INTO review_decision (batch_id, decision, decided_by, at, reason) VALUES (?, 'rejected', ?, ?, ?)",
                arguments: [batchID, by, Ledger.now(), reason])
            try Ledger.insertAudit(
                db, audit, entityType: "batch", entityID: batchID, event: "review.rejected", detail: "held by \(by): \(reason)")
        }
    }

    /// The batch's review state: its newest decision; nil when none was ever recorded (review not involved).
    public func reviewDecision(batchID: String) throws -> ReviewDecision? {
        try reviewDecisions(batchID: batchID).last
    }

    /// Every review decision of the batch, oldest first.
    public func reviewDecisions(batchID: String) throws -> [ReviewDecision] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM review_decision WHERE batch_id = ? ORDER BY id", arguments: [batchID]).map(Ledger.decision)
        }
    }

    /// The newest sign-off of the batch, even when a later decision superseded it (for "changes since the last sign-off").
    public func latestSignOff(batchID: String) throws -> ReviewSignOff? {
        try reviewDecisions(batchID: batchID).last(where: { $0.decision == .approved })?.signOff
    }

    /// Batches whose newest decision is `kind` (e.g. awaiting review, rejected), newest first.
    public func batches(inReview kind: ReviewDecisionKind, limit: Int = 100) throws -> [ReviewDecision] {
        try read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT r.* FROM review_decision r
                    WHERE r.id = (SELECT MAX(id) FROM review_decision WHERE batch_id = r.batch_id) AND r.decision = ?
                    ORDER BY r.id DESC LIMIT ?
                    """, arguments: [kind.rawValue, limit]
            ).map(Ledger.decision)
        }
    }

    static func decision(_ row: Row) -> ReviewDecision {
        let kind = ReviewDecisionKind(rawValue: row["decision"]) ?? .awaiting
        let batchID: String = row["batch_id"]
        let at: String = row["at"]
        var signOff: ReviewSignOff?
        if kind == .approved {
            let files = (try? JSONDecoder().decode([String: String].self, from: Data((row["files"] as String? ?? "{}").utf8))) ?? [:]
            let totals = (try? JSONDecoder().decode([String: String].self, from: Data((row["totals"] as String? ?? "{}").utf8))) ?? [:]
            signOff = ReviewSignOff(batchID: batchID, approver: row["decided_by"] ?? "", approvedAt: at, files: files, totals: totals)
        }
        return ReviewDecision(id: row["id"], batchID: batchID, decision: kind, by: row["decided_by"], at: at, reason: row["reason"], signOff: signOff)
    }

    // MARK: Line overrides

    /// Records accepted spreadsheet edits, each audited on its report (who, old, new, file).
    public func recordOverrides(_ overrides: [LineOverride], audit: AuditContext) throws {
        guard !overrides.isEmpty else { return }
        try write { db in
            let at = Ledger.now()
            for o in overrides {
                try db.execute(
                    sql: """
                        INSERT INTO line_override (batch_id, report_id, transaction_id, document_key, line_number, field,
                            old_value, new_value, decided_by, at, source_file) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        o.batchID, o.reportID, o.transactionID, o.documentKey, o.lineNumber, o.field, o.oldValue, o.newValue, o.by,
                        at, o.sourceFile,
                    ])
                try Ledger.insertAudit(
                    db, audit, entityType: "report", entityID: o.reportID, event: "review.override",
                    detail:
                        "\(o.documentKey) line \(o.lineNumber) (expense \(o.transactionID)) \(o.field): '\(o.oldValue)' -> '\(o.newValue)' by \(o.by)\(o.sourceFile.map { " from \($0)" } ?? "")",
                    at: at)
            }
        }
    }

    /// The batch's overrides, oldest first (a later edit of the same line and field wins).
    public func overrides(batchID: String) throws -> [LineOverride] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM line_override WHERE batch_id = ? ORDER BY id", arguments: [batchID]).map { row in
                LineOverride(
                    id: row["id"], batchID: row["batch_id"], reportID: row["report_id"], transactionID: row["transaction_id"],
                    documentKey: row["document_key"], lineNumber: row["line_number"], field: row["field"], oldValue: row["old_value"],
                    newValue: row["new_value"], by: row["decided_by"], at: row["at"], sourceFile: row["source_file"])
            }
        }
    }

    // MARK: Reconciliation

    /// Stores one reconciliation of a batch; audited with its outcome.
    @discardableResult
    public func recordReconciliation(_ r: ReconciliationResult, audit: AuditContext) throws -> Int64 {
        let json = String(decoding: try Ledger.sortedJSON(r), as: UTF8.self)
        return try write { db in
            try db.execute(
                sql: "INSERT INTO reconciliation (batch_id, checked_at, reconciled, variances, result) VALUES (?, ?, ?, ?, ?)",
                arguments: [r.batchID, r.checkedAt, r.reconciled, r.variances.count, json])
            let id = db.lastInsertedRowID
            try Ledger.insertAudit(
                db, audit, entityType: "batch", entityID: r.batchID, event: r.reconciled ? "reconcile.reconciled" : "reconcile.variances",
                detail: r.reconciled ? "zero variance" : "\(r.variances.count) variance(s)")
            return id
        }
    }

    /// The newest reconciliation of the batch, if any.
    public func latestReconciliation(batchID: String) throws -> ReconciliationRecord? {
        try read { db in
            try Row.fetchOne(
                db, sql: "SELECT * FROM reconciliation WHERE batch_id = ? ORDER BY id DESC LIMIT 1", arguments: [batchID]
            ).flatMap(Ledger.reconciliationRecord)
        }
    }

    static func reconciliationRecord(_ row: Row) -> ReconciliationRecord? {
        guard let json = row["result"] as String?,
            let result = try? JSONDecoder().decode(ReconciliationResult.self, from: Data(json.utf8))
        else { return nil }
        return ReconciliationRecord(
            id: row["id"], batchID: row["batch_id"], checkedAt: row["checked_at"], reconciled: row["reconciled"],
            varianceCount: row["variances"], result: result)
    }

    static func sortedJSON<T: Encodable>(_ value: T) throws -> Data {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return try e.encode(value)
    }
}
