import Foundation

/// How loading one document ended.
public struct DocumentLoadResult: Sendable, Hashable, Codable {
    /// What the run did to the document, which decides whether its report may be labelled.
    public enum Status: String, Sendable, Codable, Hashable {
        /// Header and all lines created by this run.
        case created
        /// Found under its stable key with lines missing; the missing lines were added.
        case completed
        /// Found complete under its stable key; nothing written.
        case alreadyPresent
        /// Found but posted (or otherwise locked); nothing written, needs a person.
        case locked
        /// The ERP refused it or could not be reached; nothing is labelled, retried next run.
        case failed
    }

    /// The document's stable key, to find it in the ledger and `load/results.csv`.
    public var key: String
    /// How it ended.
    public var status: Status
    /// The ERP's own reference when known, so finance can find the document there.
    public var erpReference: String?
    /// Lines created by this run (0 when nothing was missing).
    public var linesWritten: Int
    /// The stable code of the failure, for the ledger and the exit status.
    public var errorCode: String?
    /// The failure in words, for `results.csv` and the run summary.
    public var errorMessage: String?
    /// The document number the ERP gave (BC/NAV draft or posted number), when it differs from the reference.
    public var erpNumber: String?
    /// Draft or posted after this run (nil: the target does not say).
    public var erpStatus: ERPDocumentStatus?

    /// Memberwise; the error is left out for the outcomes that have none.
    public init(
        key: String, status: Status, erpReference: String?, linesWritten: Int, errorCode: String? = nil, errorMessage: String? = nil,
        erpNumber: String? = nil, erpStatus: ERPDocumentStatus? = nil
    ) {
        self.erpNumber = erpNumber
        self.erpStatus = erpStatus
        self.key = key
        self.status = status
        self.erpReference = erpReference
        self.linesWritten = linesWritten
        self.errorCode = errorCode
        self.errorMessage = errorMessage
    }

    /// True when the ERP holds the whole document (so the report may be labelled exported).
    public var isConfirmed: Bool { status == .created || status == .completed || status == .alreadyPresent }
}
