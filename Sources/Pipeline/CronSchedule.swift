import ConnectorCore
import Foundation

/// A five-field cron expression (`minute hour day-of-month month day-of-week`) read in one time zone.
///
/// Each field takes `*`, numbers, lists (`1,15`), ranges (`1-5`), steps (`*/15`, `0-30/10`, `5/15` = `5-59/15`) and,
/// for months and weekdays, the English three-letter names (`JAN`–`DEC`, `SUN`–`SAT`, any case); day-of-week 0 and 7
/// are both Sunday. `@hourly`, `@daily` (`@midnight`), `@weekly`, `@monthly` and `@yearly` (`@annually`) stand for
/// their usual expressions.
///
/// As POSIX says, when both day fields are restricted (neither is a plain `*`), a day matches when **either** does:
/// `0 2 13 * FRI` runs on every 13th and on every Friday.
///
/// Times are wall-clock times in `timeZone`. Where the clocks go forward, a time that does not exist that day fires
/// as much later as the clocks jumped (`30 2 * * *` in Europe/Berlin fires at 03:30 CEST on the last Sunday of March:
/// late rather than not at all); where they go back, a time that occurs twice fires once, at its first occurrence.
public struct CronSchedule: Sendable, Equatable, CustomStringConvertible {
    /// The expression as written.
    public let expression: String
    /// The zone the fields are read in.
    public let timeZone: TimeZone
    /// Its name as given (`UTC` by default; Foundation may call it `GMT`).
    public let timeZoneName: String
    let minutes: Set<Int>
    let hours: Set<Int>
    let daysOfMonth: Set<Int>
    let months: Set<Int>
    /// 0 = Sunday … 6 = Saturday (7 is read as 0).
    let daysOfWeek: Set<Int>
    let dayOfMonthRestricted: Bool
    let dayOfWeekRestricted: Bool

    public var description: String { "cron '\(expression)' (\(timeZoneName))" }

    static let macros = [
        "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
        "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
    ]
    static let monthNames = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
    static let dayNames = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]

    /// Parses `expression`, read in the IANA zone `timeZone` (default UTC).
    /// - Throws: `config.schedule` naming the field and the part that is wrong, an unknown time zone, or an expression
    ///   that can never fire (`0 0 31 2 *`).
    public init(_ expression: String, timeZone zoneName: String? = nil, source: String = "schedule.cron") throws {
        func fail(_ why: String) -> ConnectorError {
            ConnectorError("config.schedule", "\(source) '\(expression)': \(why)", context: ["cron": expression])
        }
        let zoneID = zoneName ?? "UTC"
        guard let zone = TimeZone(identifier: zoneID) else {
            throw ConnectorError(
                "config.schedule", "schedule.timeZone '\(zoneID)' is not an IANA time zone name (e.g. \"Europe/Berlin\", \"UTC\")",
                context: ["timeZone": zoneID])
        }
        let trimmed = expression.trimmingCharacters(in: .whitespaces)
        let text = Self.macros[trimmed.lowercased()] ?? trimmed
        if trimmed.hasPrefix("@") && Self.macros[trimmed.lowercased()] == nil {
            throw fail("unknown shorthand \(trimmed); use @hourly, @daily, @weekly, @monthly or @yearly, or five fields")
        }
        let fields = text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard fields.count == 5 else {
            throw fail("expected five fields (minute hour day-of-month month day-of-week), found \(fields.count)")
        }
        do {
            minutes = try Self.field(fields[0], name: "minute", range: 0...59, names: [])
            hours = try Self.field(fields[1], name: "hour", range: 0...23, names: [])
            daysOfMonth = try Self.field(fields[2], name: "day-of-month", range: 1...31, names: [])
            months = try Self.field(fields[3], name: "month", range: 1...12, names: Self.monthNames, firstName: 1)
            let weekdays = try Self.field(fields[4], name: "day-of-week", range: 0...7, names: Self.dayNames, firstName: 0)
            daysOfWeek = Set(weekdays.map { $0 % 7 })
        } catch let why as FieldError {
            throw fail(why.text)
        }
        dayOfMonthRestricted = fields[2] != "*"
        dayOfWeekRestricted = fields[4] != "*"
        self.expression = expression
        timeZone = zone
        timeZoneName = zoneID
        // With only the day of the month restricted, a day that no chosen month has never comes.
        if !dayOfWeekRestricted {
            let longest = [1: 31, 2: 29, 3: 31, 4: 30, 5: 31, 6: 30, 7: 31, 8: 31, 9: 30, 10: 31, 11: 30, 12: 31]
            if !months.contains(where: { m in daysOfMonth.contains { $0 <= longest[m, default: 31] } }) {
                throw fail(
                    "never fires: day \(daysOfMonth.sorted().map(String.init).joined(separator: ",")) does not occur in \(months.sorted().map { Self.monthNames[$0 - 1] }.joined(separator: ","))"
                )
            }
        }
    }

    struct FieldError: Error {
        var text: String
    }

    /// The values one field selects.
    static func field(_ text: String, name: String, range: ClosedRange<Int>, names: [String], firstName: Int = 0) throws -> Set<Int> {
        func value(_ s: Substring) throws -> Int {
            if let n = Int(s) {
                guard range.contains(n) else {
                    throw FieldError(text: "\(name) field '\(text)': \(n) is out of range \(range.lowerBound)-\(range.upperBound)")
                }
                return n
            }
            if let i = names.firstIndex(of: s.uppercased()) { return i + firstName }
            let allowed = names.isEmpty ? "a number \(range.lowerBound)-\(range.upperBound)" : "a number or a name (\(names.first!)-\(names.last!))"
            throw FieldError(text: "\(name) field '\(text)': '\(s)' is not \(allowed)")
        }
        guard !text.isEmpty else { throw FieldError(text: "\(name) field is empty") }
        var out = Set<Int>()
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard !item.isEmpty else { throw FieldError(text: "\(name) field '\(text)': an empty list item") }
            let parts = item.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count <= 2 else { throw FieldError(text: "\(name) field '\(text)': more than one '/' in '\(item)'") }
            var step = 1
            if parts.count == 2 {
                guard let s = Int(parts[1]), s > 0 else {
                    throw FieldError(text: "\(name) field '\(text)': the step '\(parts[1])' is not a positive number")
                }
                step = s
            }
            let base = parts[0]
            var low: Int
            var high: Int
            if base == "*" {
                (low, high) = (range.lowerBound, range.upperBound)
            } else if let dash = base.firstIndex(of: "-") {
                low = try value(base[..<dash])
                high = try value(base[base.index(after: dash)...])
                guard low <= high else {
                    throw FieldError(text: "\(name) field '\(text)': the range \(base) goes backwards; write \(high)-\(low) or a list")
                }
            } else {
                low = try value(base)
                // `5/15`: from 5 to the end of the field, every 15.
                high = parts.count == 2 ? range.upperBound : low
            }
            out.formUnion(stride(from: low, through: high, by: step))
        }
        return out
    }

    /// Whether a day (of the month, and 0 = Sunday of the week) is chosen: with both day fields restricted, either.
    func dayMatches(day: Int, weekday: Int) -> Bool {
        switch (dayOfMonthRestricted, dayOfWeekRestricted) {
        case (true, true): return daysOfMonth.contains(day) || daysOfWeek.contains(weekday)
        case (true, false): return daysOfMonth.contains(day)
        case (false, true): return daysOfWeek.contains(weekday)
        case (false, false): return true
        }
    }

    /// The first time strictly after `date` that the expression selects.
    public func next(after date: Date) -> Date {
        // Candidates are walked as wall-clock times (held as if UTC, so the arithmetic knows no DST), and each match is
        // turned into an instant in the zone.
        var utc = Calendar(identifier: .gregorian)
        utc.timeZone = TimeZone(identifier: "UTC")!
        let offset = TimeInterval(timeZone.secondsFromGMT(for: date))
        let startWall = date.addingTimeInterval(offset)
        var wall = utc.dateInterval(of: .minute, for: startWall)!.start.addingTimeInterval(60)
        let limit = startWall.addingTimeInterval(9 * 366 * 86_400)  // the rarest match, 29 February, can be 8 years away (2096 → 2104)
        while wall < limit {
            let c = utc.dateComponents([.year, .month, .day, .hour, .minute, .weekday], from: wall)
            let (month, day, hour, minute) = (c.month!, c.day!, c.hour!, c.minute!)
            if !months.contains(month) {
                wall = utc.date(from: DateComponents(year: c.year!, month: month + 1, day: 1))!
                continue
            }
            if !dayMatches(day: day, weekday: c.weekday! - 1) {
                wall = utc.date(from: DateComponents(year: c.year!, month: month, day: day + 1))!
                continue
            }
            if !hours.contains(hour) {
                wall = utc.date(from: DateComponents(year: c.year!, month: month, day: day, hour: hour + 1))!
                continue
            }
            if !minutes.contains(minute) {
                wall = wall.addingTimeInterval(60)
                continue
            }
            if let instant = instant(ofWall: wall, after: date) { return instant }
            wall = wall.addingTimeInterval(60)
        }
        return .distantFuture
    }

    /// The first instant after `after` at which the zone's clocks show `wall` (held as if UTC): the first of two
    /// where the clocks went back; where they went forward and skipped it, the same time by the clocks of before the
    /// jump (so as much later as they jumped). Nil when every such instant is not after `after`.
    func instant(ofWall wall: Date, after: Date) -> Date? {
        let before = TimeInterval(timeZone.secondsFromGMT(for: wall.addingTimeInterval(-86_400)))
        let here = TimeInterval(timeZone.secondsFromGMT(for: wall))
        let later = TimeInterval(timeZone.secondsFromGMT(for: wall.addingTimeInterval(86_400)))
        let exact = Set([before, here, later]).map { wall.addingTimeInterval(-$0) }
            .filter { TimeInterval(timeZone.secondsFromGMT(for: $0)) == wall.timeIntervalSince($0) }.sorted()
        if exact.isEmpty {
            let shifted = wall.addingTimeInterval(-before)
            return shifted > after ? shifted : nil
        }
        return exact.first { $0 > after }
    }
}
