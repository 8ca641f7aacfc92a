import ConnectorCore
import Foundation
import GRDB

extension Ledger {
    /// Documents whose newest state is one of `states` (e.g. failed and locked: what did not load), oldest batch first.
    public func documents(inStates states: [DocumentState], limit: Int = 1000) throws -> [DocumentRecord] {
        guard !states.isEmpty else { return [] }
        return try read { db in
            try DocumentRecord.fetchAll(
                db,
                sql: "SELECT * FROM document WHERE state IN (\(databaseQuestionMarks(count: states.count))) ORDER BY batch_id, key LIMIT ?",
                arguments: StatementArguments(states.map { $0.rawValue as any DatabaseValueConvertible } + [limit]))
        }
    }

    /// Loaded documents the ERP no longer holds (deleted there by someone), for `status`.
    public func documentsDeletedInERP(limit: Int = 1000) throws -> [DocumentRecord] {
        try read { db in
            try DocumentRecord.fetchAll(
                db, sql: "SELECT * FROM document WHERE state = 'loaded' AND erp_status = 'deleted' ORDER BY batch_id, key LIMIT ?",
                arguments: [limit])
        }
    }
}
