import ConnectorCore
import Foundation
import XCTest

@testable import Pipeline

/// The cron parser and the interval of `ml-connector schedule`: next times across month ends, leap days, both day
/// fields, names, steps, daylight saving time in Europe/Berlin, and invalid expressions with messages naming the field.
final class CronScheduleTests: XCTestCase {
    /// An ISO 8601 instant (`Z` or an offset).
    func at(_ text: String) -> Date {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        guard let d = f.date(from: text) else {
            XCTFail("bad date \(text)")
            return Date()
        }
        return d
    }

    /// The next `count` times after `after`, as UTC text.
    func times(_ expression: String, zone: String? = nil, after: String, count: Int = 1) throws -> [String] {
        let cron = try CronSchedule(expression, timeZone: zone)
        var out: [String] = []
        var t = at(after)
        for _ in 0..<count {
            t = cron.next(after: t)
            let f = ISO8601DateFormatter()
            f.formatOptions = [.withInternetDateTime]
            out.append(f.string(from: t))
        }
        return out
    }

    func testFieldsListsRangesStepsAndNames() throws {
        XCTAssertEqual(
            try times("*/15 * * * *", after: "2026-12-05T10:07:00Z", count: 3),
            ["2026-12-05T10:15:00Z", "2026-12-05T10:30:00Z", "2026-12-05T10:45:00Z"])
        XCTAssertEqual(try times("15 2 * * *", after: "2026-12-05T07:43:31Z", count: 2), ["2026-12-06T02:15:00Z", "2026-12-07T02:15:00Z"])
        // Strictly after: a time that matches is not returned again.
        XCTAssertEqual(try times("15 2 * * *", after: "2026-12-06T02:15:00Z"), ["2026-12-07T02:15:00Z"])
        XCTAssertEqual(try times("15 2 * * *", after: "2026-12-06T02:14:59Z"), ["2026-12-06T02:15:00Z"])
        // `5/20` is 5-59/20; a list of a range with a step and a value.
        XCTAssertEqual(
            try times("5/20 * * * *", after: "2026-12-05T10:00:00Z", count: 4),
            ["2026-12-05T10:05:00Z", "2026-12-05T10:25:00Z", "2026-12-05T10:45:00Z", "2026-12-05T11:05:00Z"])
        XCTAssertEqual(
            try times("0 8-12/2,23 * * *", after: "2026-12-05T09:00:00Z", count: 4),
            ["2026-12-05T10:00:00Z", "2026-12-05T12:00:00Z", "2026-12-05T23:00:00Z", "2026-12-06T08:00:00Z"])
        // Weekdays by name, any case: Friday 5 December 18:00 → Monday 09:00.
        XCTAssertEqual(try times("0 9 * * mon-FRI", after: "2026-12-04T18:00:00Z"), ["2026-12-07T09:00:00Z"])
        // 7 and 0 are Sunday.
        XCTAssertEqual(try times("0 6 * * 7", after: "2026-12-05T00:00:00Z"), try times("0 6 * * SUN", after: "2026-12-05T00:00:00Z"))
        XCTAssertEqual(try times("0 6 * * 0", after: "2026-12-05T00:00:00Z"), ["2026-12-06T06:00:00Z"])
        // Months by name.
        XCTAssertEqual(try times("0 0 1 jan,Jul *", after: "2026-02-10T00:00:00Z", count: 2), ["2026-07-01T00:00:00Z", "2027-01-01T00:00:00Z"])
        XCTAssertEqual(try times("@daily", after: "2026-12-05T07:00:00Z"), ["2026-12-06T00:00:00Z"])
        XCTAssertEqual(try times("@hourly", after: "2026-12-05T07:00:00Z"), ["2026-12-05T08:00:00Z"])
    }

    func testMonthEndsAndLeapDays() throws {
        // The 31st: February, April (30 days) are skipped.
        XCTAssertEqual(
            try times("0 0 31 * *", after: "2026-01-31T00:00:00Z", count: 3),
            ["2026-03-31T00:00:00Z", "2026-05-31T00:00:00Z", "2026-07-31T00:00:00Z"])
        // The 30th: no February.
        XCTAssertEqual(try times("30 23 30 * *", after: "2026-01-30T23:30:00Z"), ["2026-03-30T23:30:00Z"])
        // 29 February: the next leap year; 2100 is not one.
        XCTAssertEqual(try times("0 12 29 2 *", after: "2026-03-01T00:00:00Z"), ["2028-02-29T12:00:00Z"])
        XCTAssertEqual(try times("0 12 29 2 *", after: "2096-03-01T00:00:00Z"), ["2104-02-29T12:00:00Z"])
        // The last minute of a year rolls into the next.
        XCTAssertEqual(try times("59 23 31 12 *", after: "2026-12-31T23:59:00Z"), ["2027-12-31T23:59:00Z"])
        XCTAssertEqual(try times("* * * * *", after: "2026-12-31T23:59:30Z"), ["2027-01-01T00:00:00Z"])
    }

    func testBothDayFieldsRestrictedMatchEither() throws {
        // POSIX: the 13th (a Tuesday in January 2026) or a Friday.
        XCTAssertEqual(
            try times("0 0 13 * FRI", after: "2026-01-10T00:00:00Z", count: 3),
            ["2026-01-13T00:00:00Z", "2026-01-16T00:00:00Z", "2026-01-23T00:00:00Z"])
        // Only the day of the week restricted: the day of the month does not count.
        XCTAssertEqual(try times("0 0 * * FRI", after: "2026-01-10T00:00:00Z"), ["2026-01-16T00:00:00Z"])
        // Only the day of the month restricted.
        XCTAssertEqual(try times("0 0 13 * *", after: "2026-01-10T00:00:00Z"), ["2026-01-13T00:00:00Z"])
        // 31 February never comes, but with a weekday restricted too, the Mondays of February do.
        XCTAssertEqual(try times("0 0 31 2 MON", after: "2026-01-10T00:00:00Z"), ["2026-02-02T00:00:00Z"])
    }

    func testDaylightSavingTimeInEuropeBerlin() throws {
        let zone = "Europe/Berlin"
        // Winter: 02:30 CET is 01:30Z; summer: 02:30 CEST is 00:30Z.
        XCTAssertEqual(try times("30 2 * * *", zone: zone, after: "2026-01-10T00:00:00Z"), ["2026-01-10T01:30:00Z"])
        XCTAssertEqual(try times("30 2 * * *", zone: zone, after: "2026-07-10T00:00:00Z"), ["2026-07-10T00:30:00Z"])
        // 29 March 2026: 02:00 CET becomes 03:00 CEST, so 02:30 does not exist; it fires an hour late, at 03:30 CEST
        // (01:30Z), once, and the next day at 02:30 CEST again.
        XCTAssertEqual(
            try times("30 2 * * *", zone: zone, after: "2026-03-28T02:00:00Z", count: 2), ["2026-03-29T01:30:00Z", "2026-03-30T00:30:00Z"])
        // Every 30 minutes across the jump: 01:30 CET, then 03:00 CEST (the skipped hour's first time, late), 03:30.
        XCTAssertEqual(
            try times("*/30 * * * *", zone: zone, after: "2026-03-29T00:15:00Z", count: 3),
            ["2026-03-29T00:30:00Z", "2026-03-29T01:00:00Z", "2026-03-29T01:30:00Z"])
        // 25 October 2026: 03:00 CEST becomes 02:00 CET, so 02:30 happens twice; it fires once, at the first (00:30Z),
        // and the next day at 02:30 CET (01:30Z).
        XCTAssertEqual(
            try times("30 2 * * *", zone: zone, after: "2026-10-24T12:00:00Z", count: 2), ["2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"])
        // Every 30 minutes: the repeated hour is not run twice (02:30 CEST, then 03:00 CET).
        XCTAssertEqual(
            try times("*/30 * * * *", zone: zone, after: "2026-10-24T23:45:00Z", count: 3),
            ["2026-10-25T00:00:00Z", "2026-10-25T00:30:00Z", "2026-10-25T02:00:00Z"])
        // Started during the second pass of the repeated hour, the next time is still in the future.
        XCTAssertEqual(try times("45 2 * * *", zone: zone, after: "2026-10-25T01:10:00Z"), ["2026-10-25T01:45:00Z"])
        // The default zone is UTC.
        XCTAssertEqual(try CronSchedule("0 0 * * *").description, "cron '0 0 * * *' (UTC)")
    }

    func testInvalidExpressionsSayWhatIsWrong() {
        func message(_ expression: String, zone: String? = nil) -> String {
            do {
                _ = try CronSchedule(expression, timeZone: zone)
                XCTFail("accepted '\(expression)'")
                return ""
            } catch let e as ConnectorError {
                XCTAssertEqual(e.code, "config.schedule")
                return e.message
            } catch {
                XCTFail("\(error)")
                return ""
            }
        }
        XCTAssertEqual(message("* * * *"), "schedule.cron '* * * *': expected five fields (minute hour day-of-month month day-of-week), found 4")
        XCTAssertEqual(
            message("* * * * * *"), "schedule.cron '* * * * * *': expected five fields (minute hour day-of-month month day-of-week), found 6")
        XCTAssertEqual(message("61 * * * *"), "schedule.cron '61 * * * *': minute field '61': 61 is out of range 0-59")
        XCTAssertEqual(message("0 24 * * *"), "schedule.cron '0 24 * * *': hour field '24': 24 is out of range 0-23")
        XCTAssertEqual(message("0 0 0 * *"), "schedule.cron '0 0 0 * *': day-of-month field '0': 0 is out of range 1-31")
        XCTAssertEqual(message("0 0 * FOO *"), "schedule.cron '0 0 * FOO *': month field 'FOO': 'FOO' is not a number or a name (JAN-DEC)")
        XCTAssertEqual(message("0 0 * * 8"), "schedule.cron '0 0 * * 8': day-of-week field '8': 8 is out of range 0-7")
        XCTAssertEqual(message("*/0 * * * *"), "schedule.cron '*/0 * * * *': minute field '*/0': the step '0' is not a positive number")
        XCTAssertEqual(message("5-2 * * * *"), "schedule.cron '5-2 * * * *': minute field '5-2': the range 5-2 goes backwards; write 2-5 or a list")
        XCTAssertEqual(message("1,,2 * * * *"), "schedule.cron '1,,2 * * * *': minute field '1,,2': an empty list item")
        XCTAssertEqual(message("x * * * *"), "schedule.cron 'x * * * *': minute field 'x': 'x' is not a number 0-59")
        XCTAssertEqual(message("0 0 31 2,4 *"), "schedule.cron '0 0 31 2,4 *': never fires: day 31 does not occur in FEB,APR")
        XCTAssertEqual(
            message("@fortnightly"),
            "schedule.cron '@fortnightly': unknown shorthand @fortnightly; use @hourly, @daily, @weekly, @monthly or @yearly, or five fields")
        XCTAssertEqual(
            message("0 2 * * *", zone: "Mars/Olympus"),
            "schedule.timeZone 'Mars/Olympus' is not an IANA time zone name (e.g. \"Europe/Berlin\", \"UTC\")")
    }

    func testIntervalsAndTheirTicks() throws {
        XCTAssertEqual(try ScheduleTiming.interval("90s"), .every(seconds: 90, text: "90s"))
        XCTAssertEqual(try ScheduleTiming.interval("15m"), .every(seconds: 900, text: "15m"))
        XCTAssertEqual(try ScheduleTiming.interval("1h"), .every(seconds: 3_600, text: "1h"))
        XCTAssertEqual(try ScheduleTiming.interval("1d"), .every(seconds: 86_400, text: "1d"))
        for bad in ["15", "1w", "0m", "-5m", "1.5h", "", "m", "400d"] {
            XCTAssertThrowsError(try ScheduleTiming.interval(bad), bad) { e in
                XCTAssertTrue((e as? ConnectorError)?.message.contains("is not an interval") ?? false, "\(e)")
            }
        }
        // Ticks count from the start: start, +2 s, +4 s, …; a run that ended at +5.5 s has the next at +6 s, and the
        // ticks at +2 and +4 were skipped while it ran (after the one at 0).
        let start = at("2026-12-05T10:00:00Z")
        let every = try ScheduleTiming.interval("2s")
        XCTAssertEqual(every.first(start: start), start)
        XCTAssertEqual(every.next(after: start.addingTimeInterval(5.5), start: start), start.addingTimeInterval(6))
        XCTAssertEqual(every.next(after: start.addingTimeInterval(4), start: start), start.addingTimeInterval(6))
        XCTAssertEqual(every.ticks(after: start, through: start.addingTimeInterval(5.5), start: start), 2)
        XCTAssertEqual(every.ticks(after: start, through: start.addingTimeInterval(1), start: start), 0)
        // A cron schedule's first run is its first time after the start.
        let cron = ScheduleTiming.cron(try CronSchedule("15 2 * * *"))
        XCTAssertEqual(cron.first(start: start), at("2026-12-06T02:15:00Z"))
    }

    /// A `schedule` object as a configuration file has it.
    func settings(_ json: String) throws -> ConnectorConfig.ScheduleSettings {
        try JSONDecoder().decode(ConnectorConfig.ScheduleSettings.self, from: Data(json.utf8))
    }

    func testTheCommandLineReplacesTheConfiguredScheduleAndExactlyOneIsNeeded() throws {
        let configured = try settings(#"{"cron": "15 2 * * *", "timeZone": "Europe/Berlin"}"#)
        XCTAssertEqual(try ScheduleTiming.resolve(configured).description, "cron '15 2 * * *' (Europe/Berlin)")
        XCTAssertEqual(try ScheduleTiming.resolve(configured, every: "2s"), .every(seconds: 2, text: "2s"))
        // --cron keeps the configured zone unless --time-zone is given.
        XCTAssertEqual(try ScheduleTiming.resolve(configured, cron: "0 3 * * *").description, "cron '0 3 * * *' (Europe/Berlin)")
        XCTAssertEqual(try ScheduleTiming.resolve(configured, cron: "0 3 * * *", timeZone: "UTC").description, "cron '0 3 * * *' (UTC)")
        XCTAssertThrowsError(try ScheduleTiming.resolve(nil)) { e in
            XCTAssertTrue((e as? ConnectorError)?.message.contains("no schedule") ?? false, "\(e)")
        }
        XCTAssertThrowsError(try ScheduleTiming.resolve(nil, every: "1m", cron: "* * * * *"))
        XCTAssertThrowsError(try ScheduleTiming.resolve(nil, every: "soon")) { e in
            XCTAssertEqual(
                (e as? ConnectorError)?.message,
                "--every 'soon' is not an interval: a whole number and one unit, s, m, h or d (e.g. \"90s\", \"15m\", \"1h\", \"1d\"), at most a year"
            )
        }
        // check-config's problems: each one named, none without a schedule.
        XCTAssertEqual(ScheduleTiming.problems(nil), [])
        XCTAssertEqual(
            ScheduleTiming.problems(try settings(#"{"cron": "61 * * * *"}"#)),
            ["schedule.cron '61 * * * *': minute field '61': 61 is out of range 0-59"])
        XCTAssertEqual(
            ScheduleTiming.problems(try settings(#"{"every": "1w", "timeZone": "Nowhere/City"}"#)),
            [
                "schedule.every '1w' is not an interval: a whole number and one unit, s, m, h or d (e.g. \"90s\", \"15m\", \"1h\", \"1d\"), at most a year",
                "schedule.timeZone 'Nowhere/City' is not an IANA time zone name (e.g. \"Europe/Berlin\", \"UTC\")",
            ])
    }
}
