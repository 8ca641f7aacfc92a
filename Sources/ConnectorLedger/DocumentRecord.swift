import ConnectorCore
import Foundation
import GRDB

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
    /// Draft, posted or deleted inside the ERP, as load or the last read-back found it; nil when unknown.
    public var erpStatus: ERPDocumentStatus?
    /// The number the ERP gave it (draft or posted number).
    public var erpNumber: String?

    /// Reads the record from its table row.
    public init(row: Row) {
        key = row["key"]
        reportID = row["report_id"]
        kind = row["kind"]
        company = row["company"]
        vendor = row["vendor"]
        currency = row["currency"]
        total = row["total"]
        lineCount = row["line_count"]
        state = DocumentState(rawValue: row["state"]) ?? .pending
        erpReference = row["erp_reference"]
        error = row["error"]
        batchID = row["batch_id"]
        loadedAt = row["loaded_at"]
        erpStatus = (row["erp_status"] as String?).flatMap(ERPDocumentStatus.init(rawValue:))
        erpNumber = row["erp_number"]
    }
}
