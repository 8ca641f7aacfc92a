import ConnectorCore
import Foundation
import OData

/// Reading F&O values out of OData rows.
enum ODataValue {
    /// `NoYes` enums come as `"Yes"`/`"No"`; booleans are accepted too. Absent → false.
    static func noYes(_ value: JSONValue?) -> Bool {
        guard let value else { return false }
        if case .string(let s) = value { return s.lowercased() == "yes" || s.lowercased() == "true" }
        return value.boolValue ?? false
    }

    /// A date(-time) as `yyyy-MM-dd`; nil when absent, blank or F&O's "unset" date 1900-01-01.
    static func date(_ value: JSONValue?) -> String? {
        guard let text = value?.stringValue, text.count >= 10 else { return nil }
        let day = String(text.prefix(10))
        guard isDay(day), day != "1900-01-01" else { return nil }
        return day
    }

    /// `yyyy-MM-dd` shape check.
    static func isDay(_ text: String) -> Bool {
        let chars = Array(text)
        guard chars.count == 10, chars[4] == "-", chars[7] == "-" else { return false }
        return chars.enumerated().allSatisfy { i, c in i == 4 || i == 7 || (c.isASCII && c.isNumber) }
    }

    static func string(_ value: JSONValue?) -> String { value?.stringValue ?? "" }
}
