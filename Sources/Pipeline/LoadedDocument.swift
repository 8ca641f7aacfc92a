import ConnectorCore
import ConnectorLedger
import ConnectorStaging
import Foundation
import Logging

/// One document's load result with what finance and the ledger need to know about it: which report, to whom,
/// how much, and what happened.
public struct LoadedDocument: Sendable, Codable, Equatable {
    /// The stable key.
    public var key: String
    /// The report the document comes from.
    public var reportID: String
    /// The ERP company.
    public var company: String
    /// The vendor account it is payable to.
    public var vendor: String
    /// The document currency.
    public var currency: String
    /// Its total, exact decimal text.
    public var total: String
    /// How many lines it has.
    public var lines: Int
    /// What happened to it.
    public var outcome: LoadOutcome
    /// The ERP's key for it (`HeaderReference` on F&O), when it exists there.
    public var erpReference: String?
    /// Lines this run wrote.
    public var linesWritten: Int
    /// The stable code of what went wrong, if anything.
    public var errorCode: String?
    /// What went wrong, in words finance can act on.
    public var errorMessage: String?

    /// The target's answer for `document`; `outcome` overrides the one read from the answer.
    init(_ document: InvoiceDocument, _ result: DocumentLoadResult, outcome: LoadOutcome? = nil) {
        key = document.key
        reportID = document.reportID
        company = document.company
        vendor = document.vendorAccount
        currency = document.currency
        total = document.total
        lines = document.lines.count
        erpReference = result.erpReference
        linesWritten = result.linesWritten
        errorCode = result.errorCode
        errorMessage = result.errorMessage
        self.outcome =
            outcome
            ?? {
                switch result.status {
                case .created: return .created
                case .completed: return .completed
                case .alreadyPresent: return .alreadyPresent
                case .locked: return .locked
                case .failed: return .failed
                }
            }()
    }

    /// Whether the ERP holds the whole document, so its report may be labelled exported.
    public var isConfirmed: Bool { [.created, .completed, .alreadyPresent, .changedAfterLoad].contains(outcome) }

    /// The ledger state this outcome leaves the document in.
    var documentState: DocumentState {
        switch outcome {
        case .created, .completed, .alreadyPresent, .changedAfterLoad: return .loaded
        case .locked: return .locked
        case .failed: return .failed
        }
    }
}
