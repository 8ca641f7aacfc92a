import Foundation

extension Array {
    /// Consecutive slices of at most `size` elements (at least one), for lookups and requests of bounded size.
    public func chunked(_ size: Int) -> [[Element]] {
        let step = Swift.max(1, size)
        return stride(from: 0, to: count, by: step).map { Array(self[$0..<Swift.min($0 + step, count)]) }
    }
}
