import Foundation

/// How far apart two clocks may be before `check` calls it clock skew (tokens are checked with about five minutes of
/// tolerance, and the export windows are computed from this machine's date).
public enum ClockSkew {
    /// Five minutes, the tolerance Entra applies to token times.
    public static let tolerance: TimeInterval = 300

    /// "1 h 2 min", "7 min", "45 s".
    public static func describe(_ seconds: TimeInterval) -> String {
        let s = Int(abs(seconds).rounded())
        if s >= 3600 { return "\(s / 3600) h \((s % 3600) / 60) min" }
        if s >= 60 { return "\(s / 60) min" }
        return "\(s) s"
    }
}
