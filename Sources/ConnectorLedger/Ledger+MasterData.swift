import ConnectorCore
import Foundation
import GRDB

/// The target's master data as the ledger keeps it: the `ReferenceData` one read returned, for one target
/// installation, one set of companies and one vendor group, with when it was read.
public struct CachedMasterData: Sendable, Hashable {
    /// The cache row's key (`identity|companies|vendor group`).
    public var key: String
    /// The target installation it was read from (`TargetSystem.identity`).
    public var identity: String
    /// The companies asked for, lower-case and sorted.
    public var companies: [String]
    /// The vendor group asked for, if any.
    public var vendorGroup: String?
    /// When it was read from the ERP.
    public var fetchedAt: Date
    /// What the read returned.
    public var reference: ReferenceData

    /// How old it is at `now`, in seconds.
    public func age(at now: Date = Date()) -> TimeInterval { now.timeIntervalSince(fetchedAt) }
}

extension Ledger {
    static func registerMasterDataMigrations(_ m: inout DatabaseMigrator) {
        // The target's master data, one row per target installation + companies + vendor group, replaced on every
        // read (`extract`, `maps check`), so a check or extract within `masterData.maxAgeMinutes` needs no ERP read.
        m.registerMigration("v6-master-data-cache") { db in
            try db.execute(
                sql: """
                    CREATE TABLE master_data_cache (
                        cache_key TEXT PRIMARY KEY NOT NULL,
                        identity TEXT NOT NULL,
                        companies TEXT NOT NULL,
                        vendor_group TEXT,
                        fetched_at TEXT NOT NULL,
                        reference TEXT NOT NULL
                    );
                    """)
        }
    }

    /// The cache key of a read: the target installation, the companies (lower-case, sorted, each once) and the
    /// vendor group.
    public static func masterDataKey(identity: String, companies: [String], vendorGroup: String?) -> String {
        identity + "|" + Set(companies.map { $0.lowercased() }).sorted().joined(separator: ",") + "|" + (vendorGroup ?? "")
    }

    /// Stores what one master-data read returned, replacing the row of the same key; the refresh is audited with
    /// what it holds.
    public func storeMasterData(
        _ reference: ReferenceData, identity: String, companies: [String], vendorGroup: String?, fetchedAt: Date = Date(),
        audit: AuditContext
    ) throws {
        let key = Ledger.masterDataKey(identity: identity, companies: companies, vendorGroup: vendorGroup)
        let sortedCompanies = Set(companies.map { $0.lowercased() }).sorted()
        let json = String(decoding: try Ledger.sortedJSON(reference), as: UTF8.self)
        let at = fetchedAt.formatted(Ledger.masterDataTimestamp)
        let vendors = reference.companies.reduce(0) { $0 + $1.vendors.count }
        let values = reference.companies.reduce(0) { $0 + $1.dimensionValues.count }
        let accounts = reference.mainAccounts.count + reference.companies.reduce(0) { $0 + ($1.mainAccounts?.count ?? 0) }
        try write { db in
            try db.execute(
                sql: """
                    INSERT INTO master_data_cache (cache_key, identity, companies, vendor_group, fetched_at, reference)
                    VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT(cache_key) DO UPDATE SET fetched_at = excluded.fetched_at, reference = excluded.reference
                    """,
                arguments: [key, identity, sortedCompanies.joined(separator: ","), vendorGroup, at, json])
            try Ledger.insertAudit(
                db, audit, entityType: "master_data", entityID: key, event: "master_data.refreshed",
                detail:
                    "read from \(identity) for \(sortedCompanies.joined(separator: ", ")): \(accounts) main account(s), \(values) dimension value(s), \(vendors) vendor(s)"
            )
        }
    }

    /// The cached master data of a read, or nil when there is none (or it cannot be read back: it is then read again).
    public func cachedMasterData(identity: String, companies: [String], vendorGroup: String?) throws -> CachedMasterData? {
        let key = Ledger.masterDataKey(identity: identity, companies: companies, vendorGroup: vendorGroup)
        let row = try read { db in try Row.fetchOne(db, sql: "SELECT * FROM master_data_cache WHERE cache_key = ?", arguments: [key]) }
        guard let row, let json = row["reference"] as String?, let at = row["fetched_at"] as String?,
            let fetchedAt = try? Date(at, strategy: Ledger.masterDataTimestamp),
            let reference = try? JSONDecoder().decode(ReferenceData.self, from: Data(json.utf8))
        else { return nil }
        let companiesText: String = row["companies"]
        return CachedMasterData(
            key: key, identity: row["identity"], companies: companiesText.split(separator: ",").map(String.init),
            vendorGroup: row["vendor_group"], fetchedAt: fetchedAt, reference: reference)
    }

    /// Held reports an operator has not dropped: they wait for data to be fixed, so extract reads the ERP afresh.
    public func heldReportCount() throws -> Int {
        try read { db in
            try Int.fetchOne(
                db, sql: "SELECT COUNT(*) FROM report WHERE state = ? AND report_id NOT IN (SELECT report_id FROM report_drop)",
                arguments: [ReportState.held.rawValue]) ?? 0
        }
    }

    static let masterDataTimestamp = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
}
