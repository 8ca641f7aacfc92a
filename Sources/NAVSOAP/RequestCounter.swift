import Foundation

/// A thread-safe count shared by copies of a `Sendable` client, so a struct client can still count what it sent.
final class RequestCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0

    func increment() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}
