import Foundation

/// Where a long stage reports how far it is (the terminal's progress line; nothing by default).
///
/// A stage calls `start` once, `advance` per unit done (from any task: implementations are thread-safe) and `finish`
/// when it ends, however it ends.
public protocol ProgressSink: Sendable {
    /// A phase begins: `total` units (nil when not known beforehand) of `unit` (`reports`, `documents`, `export jobs`).
    func start(_ phase: String, unit: String, total: Int?)
    /// `count` more units are done.
    func advance(_ count: Int)
    /// The phase is over.
    func finish()
}

/// One progress line: `load  12/40 documents  3.1/s  ETA 9s`. Pure, so the rate and ETA are tested on their own.
public enum ProgressLine {
    /// The line for `done` of `total` units after `elapsed` seconds. The rate (and so the ETA) is shown once half a
    /// second has passed and something is done; before that, `…`.
    public static func format(phase: String, unit: String, done: Int, total: Int?, elapsed: TimeInterval) -> String {
        var parts = [phase]
        parts.append(total.map { "\(done)/\($0) \(unit)" } ?? "\(done) \(unit)")
        let rate = elapsed >= 0.5 && done > 0 ? Double(done) / elapsed : nil
        parts.append(rate.map { Self.rate($0) } ?? "…/s")
        if let total {
            if done >= total {
                parts.append("done in \(duration(elapsed, roundingUp: false))")
            } else if let rate {
                parts.append("ETA \(duration(Double(total - done) / rate))")
            } else {
                parts.append("ETA …")
            }
        }
        return parts.joined(separator: "  ")
    }

    /// Units per second: one decimal under 100/s, whole numbers above.
    static func rate(_ r: Double) -> String {
        r < 100 ? String(format: "%.1f/s", r) : "\(Int(r.rounded()))/s"
    }

    /// `9s`, `1m05s`, `2h03m`; an ETA is rounded up to the second (never 0s while work remains), a time taken to the
    /// nearest.
    public static func duration(_ seconds: TimeInterval, roundingUp: Bool = true) -> String {
        let s = Int(max(0, seconds).rounded(roundingUp ? .up : .toNearestOrAwayFromZero))
        if s < 60 { return "\(s)s" }
        if s < 3_600 { return String(format: "%dm%02ds", s / 60, s % 60) }
        return String(format: "%dh%02dm", s / 3_600, (s % 3_600) / 60)
    }
}
