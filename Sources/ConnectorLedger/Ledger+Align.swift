import ConnectorCore
import Foundation
import GRDB

/// One category or tag `ml-connector align` created in an Expensify policy: the connector only ever disables or
/// renames entries it finds here (or that the operator names with `--disable`).
public struct AlignedEntry: Sendable, Hashable, Codable {
    /// The Expensify policy ID.
    public var policyID: String
    /// `category` or `tag`.
    public var kind: String
    /// The name in Expensify (current: a rename records the new name and keeps the old in `renamedFrom`).
    public var name: String
    /// The GL code written with it.
    public var glCode: String
    public var createdAt: String
    public var createdBy: String
    /// The name it had before the last rename, and when.
    public var renamedFrom: String?
    public var renamedAt: String?
    /// When the connector disabled it (nil while enabled).
    public var disabledAt: String?
    public var disabledBy: String?
}

/// One change `align --apply` wrote to a policy, as recorded and audited.
public struct AlignChangeRecord: Sendable, Hashable {
    /// `added`, `renamed`, `disabled` or `enabled`.
    public var action: String
    public var kind: String
    public var name: String
    public var glCode: String
    /// For `renamed`: the old name.
    public var previousName: String?
    /// For `disabled`: whether the connector had created the entry (false: named with `--disable`).
    public var created: Bool

    public init(action: String, kind: String, name: String, glCode: String, previousName: String? = nil, created: Bool = true) {
        self.action = action
        self.kind = kind
        self.name = name
        self.glCode = glCode
        self.previousName = previousName
        self.created = created
    }
}

extension Ledger {
    static func registerAlignMigrations(_ m: inout DatabaseMigrator) {
        // What `align` created in Expensify, so it never disables or renames anything else.
        m.registerMigration("v6-align") { db in
            try db.execute(
                sql: """
                    CREATE TABLE aligned_entry (
                        policy_id TEXT NOT NULL,
                        kind TEXT NOT NULL CHECK (kind IN ('category','tag')),
                        name TEXT NOT NULL,
                        gl_code TEXT NOT NULL,
                        created_at TEXT NOT NULL,
                        created_by TEXT NOT NULL,
                        renamed_from TEXT,
                        renamed_at TEXT,
                        disabled_at TEXT,
                        disabled_by TEXT,
                        PRIMARY KEY (policy_id, kind, name)
                    );
                    """)
        }
    }

    /// Entries `align` created in `policyID` of `kind`, by name.
    public func alignedEntries(policyID: String, kind: String) throws -> [AlignedEntry] {
        try read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM aligned_entry WHERE policy_id = ? AND kind = ? ORDER BY name", arguments: [policyID, kind]
            ).map { r in
                AlignedEntry(
                    policyID: r["policy_id"], kind: r["kind"], name: r["name"], glCode: r["gl_code"], createdAt: r["created_at"],
                    createdBy: r["created_by"], renamedFrom: r["renamed_from"], renamedAt: r["renamed_at"], disabledAt: r["disabled_at"],
                    disabledBy: r["disabled_by"])
            }
        }
    }

    /// Records the changes one apply wrote to `policyID` (after Expensify confirmed them), one audit event each
    /// (`align.<kind>.<action>`, entity `policy`/`policyID`), in one transaction.
    public func recordAlignment(policyID: String, changes: [AlignChangeRecord], audit: AuditContext) throws {
        guard !changes.isEmpty else { return }
        try write { db in
            let at = Ledger.now()
            for c in changes {
                switch c.action {
                case "added":
                    try db.execute(
                        sql: """
                            INSERT INTO aligned_entry (policy_id, kind, name, gl_code, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?)
                            ON CONFLICT (policy_id, kind, name) DO UPDATE SET gl_code = excluded.gl_code, disabled_at = NULL, disabled_by = NULL
                            """,
                        arguments: [policyID, c.kind, c.name, c.glCode, at, audit.actor])
                case "renamed":
                    try db.execute(
                        sql: """
                            INSERT INTO aligned_entry (policy_id, kind, name, gl_code, created_at, created_by, renamed_from, renamed_at)
                            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                            ON CONFLICT (policy_id, kind, name) DO UPDATE SET gl_code = excluded.gl_code, renamed_from = excluded.renamed_from,
                                renamed_at = excluded.renamed_at, disabled_at = NULL, disabled_by = NULL
                            """,
                        arguments: [policyID, c.kind, c.name, c.glCode, at, audit.actor, c.previousName, at])
                    if let old = c.previousName {
                        try db.execute(
                            sql: """
                                UPDATE aligned_entry SET disabled_at = ?, disabled_by = ?
                                WHERE policy_id = ? AND kind = ? AND name = ? AND disabled_at IS NULL
                                """,
                            arguments: [at, audit.actor, policyID, c.kind, old])
                    }
                case "disabled":
                    try db.execute(
                        sql: """
                            UPDATE aligned_entry SET disabled_at = ?, disabled_by = ? WHERE policy_id = ? AND kind = ? AND name = ?
                            """,
                        arguments: [at, audit.actor, policyID, c.kind, c.name])
                case "enabled":
                    try db.execute(
                        sql: "UPDATE aligned_entry SET disabled_at = NULL, disabled_by = NULL WHERE policy_id = ? AND kind = ? AND name = ?",
                        arguments: [policyID, c.kind, c.name])
                default:
                    throw ConnectorError("ledger.align_action", "Unknown align action '\(c.action)' for \(c.kind) '\(c.name)'.")
                }
                var detail = "\(c.kind) '\(c.name)' GL code '\(c.glCode)'"
                if let old = c.previousName { detail += " (was '\(old)')" }
                if c.action == "disabled" && !c.created { detail += " (not created by ml-connector; named with --disable)" }
                try Ledger.insertAudit(
                    db, audit, entityType: "policy", entityID: policyID, event: "align.\(c.kind).\(c.action)", detail: detail, at: at)
            }
        }
    }
}
