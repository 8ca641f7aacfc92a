import ConnectorCore
import Foundation

/// `field` equals one of `values` (an OData `or` chain, a SOAP `A|B|C` criteria); conditions are AND-ed.
public struct NAVCondition: Sendable, Hashable {
    /// The page field.
    public var field: String
    /// The values, at least one.
    public var values: [String]

    /// Memberwise.
    public init(_ field: String, _ values: [String]) {
        self.field = field
        self.values = values
    }
}

/// The page web service operations the NAV target needs, written once per API (OData v4 pages, SOAP pages). Both
/// write the same page fields; each backend keeps its API's atomicity: OData deletes again what it made when a later
/// request is refused, SOAP sends a document in one call.
protocol NAVPageBackend: Sendable {
    /// `nav-odata` or `nav-soap`, for codes, logs and messages.
    var system: String { get }

    /// Every row of `service` in `company` matching `conditions`, following every page. `journalBatch` is the
    /// batch a journal page opens (SOAP page 39's `CurrentJnlBatchName`), nil for other pages.
    func read(company: String, service: String, conditions: [NAVCondition], journalBatch: String?) async throws -> [NAVPageRow]

    /// Purchase invoice drafts with `Vendor_Invoice_No` among `keys`, each with its lines.
    func readInvoices(company: String, keys: [String]) async throws -> [NAVPageRow]

    /// The same drafts with their lines in one read per call (OData `$expand` of the lines part, SOAP `ReadMultiple`
    /// returns the part anyway), for reconciliation's bounded read-back.
    func readInvoicesWithLines(company: String, keys: [String]) async throws -> [NAVPageRow]

    /// Creates a purchase invoice with its lines; all or nothing. - Returns: the header as stored (with `No`).
    /// - Throws: a transient `http.*` error when the answer was lost (the caller settles by lookup).
    func createInvoice(company: String, header: NAVPageRecord, lines: [NAVPageRecord]) async throws -> NAVPageRow

    /// Adds `lines` to the draft `invoice` (completing a draft left short); stops at the first refusal.
    func addInvoiceLines(company: String, invoice: NAVPageRow, lines: [NAVPageRecord]) async throws

    /// Creates one document's journal lines in the configured template/batch; all or nothing.
    /// - Returns: the number of lines written.
    func createJournalLines(company: String, journal: NAVJournalSettings, lines: [NAVPageRecord]) async throws -> Int

    /// HTTP requests sent so far.
    func requestCount() async -> Int
}

extension ConnectorError {
    /// The answer was lost (connection dropped, 5xx to a write): the write may or may not have been applied.
    var isLostAnswer: Bool { code == ErrorCode.httpNetwork || code == ErrorCode.httpAmbiguous }
}
