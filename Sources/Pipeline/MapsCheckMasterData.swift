import ConnectorCore
import ConnectorLedger
import Foundation
import Logging

/// Where the master data of a run came from: the ledger's cache (still fresh) or a read of the ERP.
public struct MasterDataOrigin: Sendable, Codable, Equatable {
    /// `cache` or `erp`.
    public var source: String
    /// When it was read from the ERP (ISO 8601 UTC).
    public var fetchedAt: String
    /// Its age in whole seconds when used.
    public var ageSeconds: Int
    /// `masterData.maxAgeMinutes` at the time.
    public var maxAgeMinutes: Int

    /// Whether it came from the cache.
    public var fromCache: Bool { source == "cache" }
}

extension PipelineContext {
    /// The target's master data for the configured companies: the ledger's cached copy when it is younger than
    /// `masterData.maxAgeMinutes` (and `refresh` is false), else one read of the ERP, which then replaces the cached
    /// copy (audited). `extract` and `maps check` share the cache, so either one's read serves the other. `why` says
    /// in the log why a read was forced.
    func masterData(
        target: any TargetSystem, companies: [String], refresh: Bool, audit: AuditContext, why: String? = nil
    ) async throws -> (reference: ReferenceData, origin: MasterDataOrigin) {
        let maxAge = config.masterDataMaxAgeMinutes
        let identity = target.identity
        let now = Date()
        if !refresh, maxAge > 0, let cached = try ledger.cachedMasterData(identity: identity, companies: companies, vendorGroup: nil) {
            let age = cached.age(at: now)
            if age >= 0, age < Double(maxAge * 60) {
                let origin = MasterDataOrigin(
                    source: "cache", fetchedAt: cached.fetchedAt.formatted(.iso8601), ageSeconds: Int(age), maxAgeMinutes: maxAge)
                logger.info(
                    "master data from the ledger's cache",
                    metadata: [
                        "target.identity": "\(identity)", "master_data.fetched_at": "\(origin.fetchedAt)",
                        "master_data.age_seconds": "\(origin.ageSeconds)", "master_data.max_age_minutes": "\(maxAge)",
                    ])
                return (cached.reference, origin)
            }
        }
        let reference = try await target.fetchReferenceData(companies: companies, vendorGroup: nil)
        try ledger.storeMasterData(reference, identity: identity, companies: companies, vendorGroup: nil, fetchedAt: now, audit: audit)
        logger.info(
            "master data read from the target",
            metadata: [
                "target.identity": "\(identity)", "master_data.refresh": "\(why ?? (refresh ? "asked" : "cache stale or empty"))",
                "master_data.main_accounts": "\(reference.mainAccounts.count)",
            ])
        return (reference, MasterDataOrigin(source: "erp", fetchedAt: now.formatted(.iso8601), ageSeconds: 0, maxAgeMinutes: maxAge))
    }
}
