import Foundation

/// Sliding-window rate limiter per partnerUserID (the real service allows 5 jobs per 10 s and 20 per
/// 60 s). A rejected request does not count as a started job.
struct ExpensifyRateLimiter: Sendable {
    private(set) var windows: [ExpensifyRateWindow]
    private var hits: [String: [ContinuousClock.Instant]] = [:]

    init(windows: [ExpensifyRateWindow]) {
        self.windows = windows
    }

    mutating func replaceWindows(_ windows: [ExpensifyRateWindow]) {
        self.windows = windows
        hits = [:]
    }

    /// Records a job for `key` and returns true, or returns false when a window is full.
    mutating func admit(_ key: String, at now: ContinuousClock.Instant = .now) -> Bool {
        guard !windows.isEmpty else { return true }
        let longest = Duration.milliseconds(windows.map(\.milliseconds).max() ?? 0)
        var list = hits[key, default: []].filter { now - $0 < longest }
        for window in windows {
            let span = Duration.milliseconds(window.milliseconds)
            if list.filter({ now - $0 < span }).count >= window.limit {
                hits[key] = list
                return false
            }
        }
        list.append(now)
        hits[key] = list
        return true
    }
}
