import Foundation

/// What a target cannot take on the configured path, checked at transform on each mapped document (a dimension a NAV
/// page has no field for, a currency a journal API cannot carry), so the report is held with a reason instead of
/// being refused, or silently cut short, by the ERP.
public protocol DocumentRules: Sendable {
    /// The issues that stop `document` (each names the record and field); empty when the target can take it.
    func issues(for document: InvoiceDocument, reference: ReferenceData) -> [RecordIssue]
}
