import ConnectorCore
import Foundation
import GRDB

/// Ledger writes collected by a stage that decides about many reports in a row (transform), applied in order in one
/// transaction per `flush`, with prepared statements. The rows are exactly what the single-row calls write
/// (`setReportState`, `audit`); only the transaction boundaries differ: a stage that fails before its last flush
/// leaves the reports of the unflushed part in their previous state, and rerunning it decides them again.
public struct LedgerWrites: Sendable {
    enum Entry: Sendable {
        case reportState(reportID: String, state: ReportState, reason: String?, currency: String?, total: String?)
        case audit(entityType: String, entityID: String, event: String, detail: String)
    }

    var entries: [Entry] = []

    public init() {}

    public var count: Int { entries.count }
    public var isEmpty: Bool { entries.isEmpty }

    /// As `Ledger.setReportState`, except that a report the ledger does not know is skipped (not an error).
    public mutating func setReportStateIfKnown(_ reportID: String, state: ReportState, reason: String?, currency: String? = nil, total: String? = nil)
    {
        entries.append(.reportState(reportID: reportID, state: state, reason: reason, currency: currency, total: total))
    }

    /// As `Ledger.audit`.
    public mutating func audit(entityType: String, entityID: String, event: String, detail: String) {
        entries.append(.audit(entityType: entityType, entityID: entityID, event: event, detail: detail))
    }
}

extension Ledger {
    /// Applies `writes` in order in one transaction and empties it. Every row of the transaction carries the same
    /// timestamp (the moment it is written).
    public func flush(_ writes: inout LedgerWrites, audit ctx: AuditContext) throws {
        guard !writes.isEmpty else { return }
        let entries = writes.entries
        try write { db in
            let at = Ledger.now()
            // `setReportState`'s rules in the statement itself: a committed report stays committed, a loaded one only
            // moves to committed, and an unchanged decision writes nothing (no row, no audit event).
            let update = try db.cachedStatement(
                sql: """
                    UPDATE report SET state = ?1, reason = ?2, currency = COALESCE(?3, currency), total = COALESCE(?4, total), updated_at = ?5
                    WHERE report_id = ?6
                      AND NOT (state = 'committed' AND ?1 <> 'committed')
                      AND NOT (state = 'loaded' AND ?1 NOT IN ('loaded', 'committed'))
                      AND NOT (state = ?1 AND reason IS ?2 AND (?3 IS NULL OR currency IS ?3) AND (?4 IS NULL OR total IS ?4))
                    """)
            for entry in entries {
                switch entry {
                case .reportState(let reportID, let state, let reason, let currency, let total):
                    try update.execute(arguments: [state.rawValue, reason, currency, total, at, reportID])
                    guard db.changesCount > 0 else { continue }
                    try Ledger.insertAudit(
                        db, ctx, entityType: "report", entityID: reportID, event: "report.\(state.rawValue)",
                        detail: reason ?? "", at: at)
                case .audit(let entityType, let entityID, let event, let detail):
                    try Ledger.insertAudit(db, ctx, entityType: entityType, entityID: entityID, event: event, detail: detail, at: at)
                }
            }
        }
        writes.entries.removeAll(keepingCapacity: true)
    }
}
