import Foundation

/// Document date: invoice and posting date come from the report's approval (default), submission or last
/// expense date (`invoice.dateFrom`), so finance can choose the period a report lands in.
public struct DocumentDateRule: Sendable {
    /// `approved`, `submitted` or `lastExpense`.
    public let dateFrom: String

    /// The rule for the configured `invoice.dateFrom`.
    public init(dateFrom: String) { self.dateFrom = dateFrom }

    /// The document date (`yyyy-MM-dd`), or why there is none.
    public func date(of r: ExpenseReport) -> (date: String?, issue: RecordIssue?) {
        let approved = ReportMapper.day(r.approved)
        let date: String?
        switch dateFrom {
        case "submitted": date = ReportMapper.day(r.submitted)
        case "lastExpense": date = r.expenses.compactMap { ReportMapper.day($0.modifiedCreated) ?? ReportMapper.day($0.created) }.max() ?? approved
        default: date = approved
        }
        guard date == nil else { return (date, nil) }
        let field = dateFrom == "submitted" ? "submitted" : "approved"
        return (nil, RecordIssue(record: r.reportID, field: field, reason: "'\(dateFrom == "submitted" ? r.submitted : r.approved)' is not a date"))
    }
}
