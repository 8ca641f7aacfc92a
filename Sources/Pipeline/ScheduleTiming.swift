import ConnectorCore
import Foundation

/// When `ml-connector schedule` starts a run: every fixed interval from the moment it started, or at the times a cron
/// expression selects.
public enum ScheduleTiming: Sendable, Equatable, CustomStringConvertible {
    /// Runs at start, then every `seconds` after that (`every`: `90s`, `15m`, `1h`, `1d`).
    case every(seconds: Int, text: String)
    /// Runs at the times the expression selects (the first one after start).
    case cron(CronSchedule)

    public var description: String {
        switch self {
        case .every(_, let text): return "every \(text)"
        case .cron(let c): return c.description
        }
    }

    /// The timing the configuration's `schedule` gives, or the command line's (`every` or `cron`, which replace the
    /// configured one; `timeZone` replaces the configured zone).
    /// - Throws: `config.schedule` when there is none, both, or one that does not parse.
    public static func resolve(
        _ settings: ConnectorConfig.ScheduleSettings?, every: String? = nil, cron: String? = nil, timeZone: String? = nil
    ) throws -> ScheduleTiming {
        if every != nil && cron != nil {
            throw ConnectorError("config.schedule", "give either --every (e.g. 15m) or --cron (e.g. \"15 2 * * *\"), not both")
        }
        let zone = timeZone ?? settings?.timeZone
        if let every { return try interval(every, source: "--every") }
        if let cron { return .cron(try CronSchedule(cron, timeZone: zone, source: "--cron")) }
        switch (settings?.every, settings?.cron) {
        case (let e?, nil): return try interval(e, source: "schedule.every")
        case (nil, let c?): return .cron(try CronSchedule(c, timeZone: zone))
        case (_?, _?):
            throw ConnectorError("config.schedule", "schedule: give either 'every' (e.g. \"15m\") or 'cron' (e.g. \"15 2 * * *\"), not both")
        case (nil, nil):
            throw ConnectorError(
                "config.schedule",
                "no schedule: set \"schedule\": {\"every\": \"1h\"} or {\"cron\": \"15 2 * * *\"} in the configuration, or pass --every or --cron")
        }
    }

    /// `90s`, `15m`, `1h`, `1d` (a whole number and one unit).
    public static func interval(_ text: String, source: String = "schedule.every") throws -> ScheduleTiming {
        let units = ["s": 1, "m": 60, "h": 3_600, "d": 86_400]
        let t = text.trimmingCharacters(in: .whitespaces)
        guard let unit = t.last.map(String.init), let factor = units[unit], let n = Int(t.dropLast()), n > 0, n <= 366 * 86_400 / factor
        else {
            throw ConnectorError(
                "config.schedule",
                "\(source) '\(text)' is not an interval: a whole number and one unit, s, m, h or d (e.g. \"90s\", \"15m\", \"1h\", \"1d\"), at most a year",
                context: ["every": text])
        }
        return .every(seconds: n * factor, text: t)
    }

    /// Problems of the configuration's `schedule` for `check-config` (none without one).
    public static func problems(_ settings: ConnectorConfig.ScheduleSettings?) -> [String] {
        guard let settings, settings.every != nil || settings.cron != nil else { return [] }
        // Exactly one of both is ConnectorConfig.validate's to say; each is checked on its own here.
        var out: [String] = []
        if let e = settings.every {
            do { _ = try interval(e) } catch let error as ConnectorError { out.append(error.message) } catch {}
        }
        if let c = settings.cron {
            do { _ = try CronSchedule(c, timeZone: settings.timeZone) } catch let error as ConnectorError { out.append(error.message) } catch {}
        } else if let zone = settings.timeZone, TimeZone(identifier: zone) == nil {
            out.append("schedule.timeZone '\(zone)' is not an IANA time zone name (e.g. \"Europe/Berlin\", \"UTC\")")
        }
        return out
    }

    /// The first tick strictly after `date`; an interval counts its ticks from `start` (start, start + every, …).
    public func next(after date: Date, start: Date) -> Date {
        switch self {
        case .every(let seconds, _):
            let step = TimeInterval(seconds)
            let elapsed = date.timeIntervalSince(start)
            guard elapsed >= 0 else { return start }
            return start.addingTimeInterval((floor(elapsed / step) + 1) * step)
        case .cron(let c):
            return c.next(after: date)
        }
    }

    /// The first tick: at once for an interval, the first selected time after `start` for cron.
    public func first(start: Date) -> Date {
        switch self {
        case .every: return start
        case .cron(let c): return c.next(after: start)
        }
    }

    /// Ticks strictly after `from` up to and including `until` (those that passed while a run was going), at most `cap`.
    public func ticks(after from: Date, through until: Date, start: Date, cap: Int = 10_000) -> Int {
        var n = 0
        var t = next(after: from, start: start)
        while t <= until && n < cap {
            n += 1
            t = next(after: t, start: start)
        }
        return n
    }
}
