import ConnectorCore
import Foundation
import GRDB

/// The batch ledger: one SQLite file that remembers every batch, stage run, report, document, the
/// watermark and an append-only audit trail. It is the connector's source of truth for "was this
/// report ever posted?", whatever Expensify or the staged files say.
public struct Ledger: Sendable {
    let db: DatabaseQueue
    /// Where the SQLite file lives, for messages and the run lock.
    public let path: String

    /// Opens (creating if needed) and migrates the ledger at `path`.
    /// - Parameter acceptEmpty: take an existing zero-length file as a new ledger. Off by default, because an empty
    ///   ledger where one was expected means it was truncated or replaced, and starting afresh would forget what
    ///   was posted.
    /// - Throws: `ledger.empty` for a zero-length file unless accepted; `ledger.open_failed`.
    public init(path: String, acceptEmpty: Bool = false) throws {
        self.path = path
        let dir = URL(fileURLWithPath: path).deletingLastPathComponent()
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        // Personal data: owner-only before SQLite creates it (its -wal and -shm files take the same mode).
        if !FileManager.default.fileExists(atPath: path) {
            FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600])
        } else if !acceptEmpty, let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber, size.intValue == 0 {
            throw ConnectorError(ErrorCode.ledgerEmpty, "The ledger \(path) is an empty file: it may have been truncated or replaced, and starting afresh would forget what was posted. Restore it, or pass --new-ledger if a new ledger is meant.",
                                 context: ["path": path])
        }
        var config = Configuration()
        config.foreignKeysEnabled = true
        config.busyMode = .timeout(10)
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA journal_mode = WAL")
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        do {
            db = try DatabaseQueue(path: path, configuration: config)
            try Ledger.migrator.migrate(db)
        } catch {
            throw ConnectorError("ledger.open_failed", "Cannot open the ledger at \(path): \(error)", context: ["path": path])
        }
    }

    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE batch (
                    id TEXT PRIMARY KEY NOT NULL,
                    created_at TEXT NOT NULL,
                    target TEXT NOT NULL,
                    approved_after TEXT,
                    export_label TEXT NOT NULL
                );
                CREATE TABLE stage_run (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    batch_id TEXT NOT NULL REFERENCES batch(id),
                    stage TEXT NOT NULL CHECK (stage IN ('extract','transform','load','commit')),
                    started_at TEXT NOT NULL,
                    finished_at TEXT,
                    outcome TEXT NOT NULL CHECK (outcome IN ('running','succeeded','failed')),
                    counts TEXT NOT NULL DEFAULT '{}',
                    files TEXT NOT NULL DEFAULT '{}',
                    error TEXT
                );
                CREATE INDEX stage_run_batch ON stage_run(batch_id, stage);
                CREATE TABLE report (
                    report_id TEXT PRIMARY KEY NOT NULL,
                    policy_id TEXT,
                    submitter TEXT,
                    approved TEXT,
                    currency TEXT,
                    total TEXT,
                    state TEXT NOT NULL CHECK (state IN ('extracted','ready','held','empty','loaded','failed','committed')),
                    reason TEXT,
                    first_batch_id TEXT NOT NULL REFERENCES batch(id),
                    last_batch_id TEXT NOT NULL REFERENCES batch(id),
                    updated_at TEXT NOT NULL
                );
                CREATE INDEX report_batch ON report(last_batch_id);
                CREATE TABLE document (
                    key TEXT PRIMARY KEY NOT NULL,
                    report_id TEXT NOT NULL REFERENCES report(report_id),
                    kind TEXT NOT NULL,
                    company TEXT NOT NULL,
                    vendor TEXT NOT NULL,
                    currency TEXT NOT NULL,
                    total TEXT NOT NULL,
                    line_count INTEGER NOT NULL,
                    state TEXT NOT NULL CHECK (state IN ('pending','loading','loaded','failed','locked')),
                    erp_reference TEXT,
                    error TEXT,
                    batch_id TEXT NOT NULL REFERENCES batch(id),
                    loaded_at TEXT,
                    updated_at TEXT NOT NULL
                );
                CREATE INDEX document_report ON document(report_id);
                CREATE TABLE watermark (
                    name TEXT PRIMARY KEY NOT NULL,
                    value TEXT NOT NULL,
                    batch_id TEXT,
                    updated_at TEXT NOT NULL
                );
                CREATE TABLE audit_event (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    at TEXT NOT NULL,
                    actor TEXT NOT NULL,
                    batch_id TEXT,
                    stage TEXT,
                    entity_type TEXT NOT NULL,
                    entity_id TEXT NOT NULL,
                    event TEXT NOT NULL,
                    detail TEXT NOT NULL DEFAULT ''
                );
                CREATE INDEX audit_entity ON audit_event(entity_type, entity_id);
                CREATE INDEX audit_batch ON audit_event(batch_id);
                CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit_event
                    BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END;
                CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit_event
                    BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END;
                CREATE TRIGGER document_loaded_is_final BEFORE UPDATE OF state ON document
                    WHEN OLD.state = 'loaded' AND NEW.state <> 'loaded'
                    BEGIN SELECT RAISE(ABORT, 'a loaded document never goes back'); END;
                """)
        }
        // Reports held or failed stay in `report` and are re-fetched by ID every night, independent of the
        // watermark, until they post or an operator drops them. A drop is final and append-only, like the audit.
        m.registerMigration("v2-refetch-and-drop") { db in
            try db.execute(sql: """
                ALTER TABLE batch ADD COLUMN export_until TEXT;
                CREATE INDEX report_state ON report(state);
                CREATE TABLE report_drop (
                    report_id TEXT PRIMARY KEY NOT NULL REFERENCES report(report_id),
                    dropped_at TEXT NOT NULL,
                    actor TEXT NOT NULL,
                    reason TEXT NOT NULL CHECK (length(trim(reason)) > 0),
                    state_at_drop TEXT NOT NULL,
                    reason_at_drop TEXT
                );
                CREATE TRIGGER report_drop_no_update BEFORE UPDATE ON report_drop
                    BEGIN SELECT RAISE(ABORT, 'a drop is final'); END;
                CREATE TRIGGER report_drop_no_delete BEFORE DELETE ON report_drop
                    BEGIN SELECT RAISE(ABORT, 'a drop is final'); END;
                """)
        }
        // What a target learned about the system it writes to (e.g. "refuses $n references"), per target identity,
        // so the next run starts from it. Names and values are the target's own; the ledger does not read them.
        m.registerMigration("v2-target-capabilities") { db in
            try db.execute(sql: """
                CREATE TABLE target_capability (
                    target TEXT NOT NULL,
                    name TEXT NOT NULL,
                    value TEXT NOT NULL,
                    batch_id TEXT,
                    updated_at TEXT NOT NULL,
                    PRIMARY KEY (target, name)
                );
                """)
        }
        // A stage stopped by SIGINT/SIGTERM (or found abandoned by a process that died) is `interrupted`. SQLite cannot
        // change a CHECK constraint in place, so the table is rebuilt with the same rows, ids and index.
        m.registerMigration("v3-stage-run-interrupted") { db in
            try db.execute(sql: """
                CREATE TABLE stage_run_v3 (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    batch_id TEXT NOT NULL REFERENCES batch(id),
                    stage TEXT NOT NULL CHECK (stage IN ('extract','transform','load','commit')),
                    started_at TEXT NOT NULL,
                    finished_at TEXT,
                    outcome TEXT NOT NULL CHECK (outcome IN ('running','succeeded','failed','interrupted')),
                    counts TEXT NOT NULL DEFAULT '{}',
                    files TEXT NOT NULL DEFAULT '{}',
                    error TEXT
                );
                INSERT INTO stage_run_v3 (id, batch_id, stage, started_at, finished_at, outcome, counts, files, error)
                    SELECT id, batch_id, stage, started_at, finished_at, outcome, counts, files, error FROM stage_run;
                DROP TABLE stage_run;
                ALTER TABLE stage_run_v3 RENAME TO stage_run;
                CREATE INDEX stage_run_batch ON stage_run(batch_id, stage);
                """)
        }
        // `ml-connector replay` re-runs a batch's held or failed reports in a new batch that names the one it replays.
        m.registerMigration("v3-batch-replay-of") { db in
            try db.execute(sql: "ALTER TABLE batch ADD COLUMN replay_of TEXT REFERENCES batch(id)")
        }
        return m
    }

    /// `2026-11-21T08:00:00.123Z`. A format style is a value: no formatter object is built per write (that cost
    /// about 70 µs a call, several calls a document).
    static func now() -> String { Date().formatted(timestampStyle) }

    private static let timestampStyle = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    func write<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try db.write(body) } catch let e as ConnectorError { throw e } catch {
            throw ConnectorError("ledger.write_failed", "Ledger write failed: \(error)", context: ["path": path])
        }
    }

    func read<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try db.read(body) } catch {
            throw ConnectorError("ledger.read_failed", "Ledger read failed: \(error)", context: ["path": path])
        }
    }
}

// MARK: - Records

/// One batch as the ledger keeps it: when, for which target, and the window it exported.
public struct BatchRecord: Sendable, Equatable, Codable, FetchableRecord {
    /// The batch ID, also its folder under the staging root.
    public var id: String
    /// When the batch was created (ISO 8601, UTC).
    public var createdAt: String
    /// The `target.type` the batch was made for.
    public var target: String
    /// The watermark its export started from.
    public var approvedAfter: String?
    /// The label its reports get once the ERP confirmed them.
    public var exportLabel: String
    /// The day the batch's export ran up to ("today" then; the last window's endDate when it was split).
    public var exportUntil: String?
    /// The batch whose held or failed reports this one re-runs (`ml-connector replay`); nil for a nightly batch.
    public var replayOf: String?

    /// Reads the record from its table row.
    public init(row: Row) {
        id = row["id"]; createdAt = row["created_at"]; target = row["target"]
        approvedAfter = row["approved_after"]; exportLabel = row["export_label"]; exportUntil = row["export_until"]
        replayOf = row["replay_of"]
    }
}

/// An operator's decision to stop retrying a report (`ml-connector drop`). Final; the report and its audit
/// trail stay in the ledger.
public struct DropRecord: Sendable, Equatable, Codable, FetchableRecord {
    /// The source's report ID.
    public var reportID: String
    /// When the operator dropped it.
    public var droppedAt: String
    /// Who acted.
    public var actor: String
    /// Why, as the operator wrote it.
    public var reason: String
    /// The report's state and reason when it was dropped (e.g. `held`, "no vendor for …").
    public var stateAtDrop: String
    /// Why the report was held or failed when it was dropped.
    public var reasonAtDrop: String?

    /// Reads the record from its table row.
    public init(row: Row) {
        reportID = row["report_id"]; droppedAt = row["dropped_at"]; actor = row["actor"]; reason = row["reason"]
        stateAtDrop = row["state_at_drop"]; reasonAtDrop = row["reason_at_drop"]
    }
}

/// One run of one stage: when, how it ended, its counts and the hashes of the files it wrote.
public struct StageRunRecord: Sendable, Equatable, Codable, FetchableRecord {
    /// Increasing: a later run has a larger ID.
    public var id: Int64
    /// The batch it belongs to.
    public var batchID: String
    /// Which stage ran.
    public var stage: Stage
    /// When it started.
    public var startedAt: String
    /// When it ended; nil while running or after a crash.
    public var finishedAt: String?
    /// How it ended.
    public var outcome: StageOutcome
    /// What it counted (reports, documents, exceptions…), for `status`.
    public var counts: [String: Int]
    /// SHA-256 of each staged file it wrote, by name: what the next stage verifies.
    public var files: [String: String]
    /// The error that ended it, when it failed.
    public var error: String?

    /// Reads the record from its table row.
    public init(row: Row) {
        id = row["id"]; batchID = row["batch_id"]; startedAt = row["started_at"]
        // The table's CHECK constraints admit only known values.
        stage = Stage(rawValue: row["stage"]) ?? .extract
        outcome = StageOutcome(rawValue: row["outcome"]) ?? .failed
        finishedAt = row["finished_at"]; error = row["error"]
        counts = (try? JSONDecoder().decode([String: Int].self, from: Data((row["counts"] as String? ?? "{}").utf8))) ?? [:]
        files = (try? JSONDecoder().decode([String: String].self, from: Data((row["files"] as String? ?? "{}").utf8))) ?? [:]
    }
}

/// One report's way through the connector: its state, why, and the batches that saw it.
public struct ReportRecord: Sendable, Equatable, Codable, FetchableRecord {
    /// The source's report ID.
    public var reportID: String
    /// The source policy, which decides the company.
    public var policyID: String?
    /// The submitter's e-mail.
    public var submitter: String?
    /// When the source approved it.
    public var approved: String?
    /// The report currency, once transform read it.
    public var currency: String?
    /// The total posted or to post, exact decimal text.
    public var total: String?
    /// Where it stands; `loaded` and `committed` never go back.
    public var state: ReportState
    /// Why it is held or failed, in the words of the rule that decided it.
    public var reason: String?
    /// The batch that first saw it.
    public var firstBatchID: String
    /// The batch that saw it last.
    public var lastBatchID: String
    /// When its state last changed.
    public var updatedAt: String

    /// Reads the record from its table row.
    public init(row: Row) {
        reportID = row["report_id"]; policyID = row["policy_id"]; submitter = row["submitter"]; approved = row["approved"]
        currency = row["currency"]; total = row["total"]; state = ReportState(rawValue: row["state"]) ?? .extracted; reason = row["reason"]
        firstBatchID = row["first_batch_id"]; lastBatchID = row["last_batch_id"]; updatedAt = row["updated_at"]
    }
}

/// One document as registered by load: what was sent, and what the ERP holds.
public struct DocumentRecord: Sendable, Equatable, Codable, FetchableRecord {
    /// The stable key (`EXP<reportID>`, `-CC` for card invoices).
    public var key: String
    /// The source's report ID.
    public var reportID: String
    /// `employee` or `companyCard`.
    public var kind: String
    /// The ERP company.
    public var company: String
    /// The vendor account it is payable to.
    public var vendor: String
    /// The document currency.
    public var currency: String
    /// Its total, exact decimal text.
    public var total: String
    /// How many lines it has; with `total` and `vendor`, how a changed report is recognised.
    public var lineCount: Int
    /// Where it stands with the ERP; `loaded` is final.
    public var state: DocumentState
    /// The ERP's own key for it (`HeaderReference` on F&O).
    public var erpReference: String?
    /// The ERP's refusal or the failure that kept it from loading.
    public var error: String?
    /// The batch it belongs to.
    public var batchID: String
    /// When the ERP confirmed it.
    public var loadedAt: String?

    /// Reads the record from its table row.
    public init(row: Row) {
        key = row["key"]; reportID = row["report_id"]; kind = row["kind"]; company = row["company"]; vendor = row["vendor"]
        currency = row["currency"]; total = row["total"]; lineCount = row["line_count"]; state = DocumentState(rawValue: row["state"]) ?? .pending
        erpReference = row["erp_reference"]; error = row["error"]; batchID = row["batch_id"]; loadedAt = row["loaded_at"]
    }
}

/// One entry of the append-only audit trail.
public struct AuditEvent: Sendable, Equatable, Codable, FetchableRecord {
    /// Increasing: a later event has a larger ID.
    public var id: Int64
    /// When it happened.
    public var at: String
    /// Who acted.
    public var actor: String
    /// The batch it belongs to.
    public var batchID: String?
    /// The stage that acted, when a stage did.
    public var stage: String?
    /// What it concerns: `report`, `document`, `batch`, `http`, …
    public var entityType: String
    /// Which one (report ID, document key, …).
    public var entityID: String
    /// What happened (`report.held`, `document.loaded`, `http.error`, …).
    public var event: String
    /// The reason or values, never a secret.
    public var detail: String

    /// Reads the record from its table row.
    public init(row: Row) {
        id = row["id"]; at = row["at"]; actor = row["actor"]; batchID = row["batch_id"]; stage = row["stage"]
        entityType = row["entity_type"]; entityID = row["entity_id"]; event = row["event"]; detail = row["detail"]
    }
}
