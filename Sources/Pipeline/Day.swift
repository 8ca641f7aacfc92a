import ConnectorCore
import ConnectorHTTP
import ConnectorLedger
import ConnectorSecrets
import ConnectorStaging
import Expensify
import Foundation
import Logging

/// `yyyy-MM-dd` arithmetic on calendar days (UTC, no time zones involved).
enum Day {
    static let calendar: Calendar = {
        var c = Calendar(identifier: .gregorian)
        c.timeZone = TimeZone(identifier: "UTC")!
        return c
    }()

    static func parse(_ s: String) -> Date? {
        let p = s.split(separator: "-").compactMap { Int($0) }
        guard p.count == 3 else { return nil }
        return calendar.date(from: DateComponents(year: p[0], month: p[1], day: p[2]))
    }

    static func format(_ d: Date) -> String {
        let c = calendar.dateComponents([.year, .month, .day], from: d)
        return String(format: "%04d-%02d-%02d", c.year ?? 0, c.month ?? 0, c.day ?? 0)
    }

    static func adding(_ days: Int, to s: String) -> String? {
        guard let d = parse(s), let n = calendar.date(byAdding: .day, value: days, to: d) else { return nil }
        return format(n)
    }
}
