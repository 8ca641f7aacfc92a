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
            throw ConnectorError(
                ErrorCode.ledgerEmpty,
                "The ledger \(path) is an empty file: it may have been truncated or replaced, and starting afresh would forget what was posted. Restore it, or pass --new-ledger if a new ledger is meant.",
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
            try db.execute(
                sql: """
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
            try db.execute(
                sql: """
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
            try db.execute(
                sql: """
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
            try db.execute(
                sql: """
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
        // Where a loaded document stands inside the ERP (draft, posted, deleted) and the number the ERP gave it, as
        // load and the read-back of later runs found them.
        m.registerMigration("v4-document-erp-status") { db in
            try db.execute(
                sql: """
                    ALTER TABLE document ADD COLUMN erp_status TEXT CHECK (erp_status IN ('draft','posted','deleted'));
                    ALTER TABLE document ADD COLUMN erp_number TEXT;
                    ALTER TABLE document ADD COLUMN erp_checked_at TEXT;
                    CREATE INDEX document_erp_status ON document(erp_status);
                    """)
        }
        registerReviewMigrations(&m)
        registerMasterDataMigrations(&m)
        registerAlignMigrations(&m)
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
