import ConnectorCore
import ConnectorStaging
import Expensify
import Foundation
import Logging

/// Splits the range after `approvedAfter` up to `until` into consecutive export windows of at most `maxDays`
/// days each (`approvedAfter` is exclusive, `endDate` inclusive). A range that fits is one window without an
/// `endDate`; otherwise every window carries one, the last ending on `until`.
///
/// `endDate` filters on the later of created and submitted, `approvedAfter` on approval, so a report submitted
/// in one window and approved in a later one appears in both: the batch keeps it once.
public enum ExportWindows {
    /// One export job's date range.
    public struct Window: Sendable, Equatable, Codable {
        /// The watermark the export started from (reports approved strictly after it).
        public var approvedAfter: String
        /// The window's end (inclusive), when the range was split.
        public var endDate: String?

        /// A window from its two bounds.
        public init(approvedAfter: String, endDate: String?) {
            self.approvedAfter = approvedAfter
            self.endDate = endDate
        }
    }

    /// The windows for a range: one without `endDate` when it fits, else consecutive ones ending on `until`.
    public static func split(approvedAfter: String, until: String, maxDays: Int) -> [Window] {
        guard maxDays > 0, let total = Day.between(approvedAfter, until), total > maxDays else {
            return [Window(approvedAfter: approvedAfter, endDate: nil)]
        }
        var windows: [Window] = []
        var from = approvedAfter
        while let left = Day.between(from, until), left > maxDays, let end = Day.adding(maxDays, to: from) {
            windows.append(Window(approvedAfter: from, endDate: end))
            from = end
        }
        windows.append(Window(approvedAfter: from, endDate: until))
        return windows
    }
}
