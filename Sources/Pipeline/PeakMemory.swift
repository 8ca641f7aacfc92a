import ConnectorCore
import ConnectorLedger
import Foundation
import Logging

/// Peak resident memory of this process (Linux `VmHWM`), for run summaries and benchmarks.
public enum PeakMemory {
    /// VmHWM in megabytes; nil off Linux.
    public static func megabytes() -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let kb = line.split(separator: " ").compactMap { Int($0) }.first
            return kb.map { $0 / 1024 }
        }
        return nil
    }
}
