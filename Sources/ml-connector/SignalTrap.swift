import Dispatch
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// SIGINT and SIGTERM while a command works: the first one asks the work to stop cleanly (`onFirst` cancels its task:
/// the request in flight is abandoned, the stage is recorded `interrupted`, the lock released, and the command exits
/// with `Exit.interrupted(by:)`); a second one exits at once with the same code (the kernel drops the lock; the next
/// run records the stage `interrupted` and looks up what was in flight).
///
/// Signals are taken from the default disposition into dispatch sources, so no code runs in a signal handler.
final class SignalTrap: @unchecked Sendable {
    private let lock = NSLock()
    private var sources: [any DispatchSourceSignal] = []
    private var received: Int32?
    private let onFirst: @Sendable (Int32) -> Void

    /// The first signal received, if any.
    var receivedSignal: Int32? {
        lock.lock()
        defer { lock.unlock() }
        return received
    }

    init(onFirst: @escaping @Sendable (Int32) -> Void) {
        self.onFirst = onFirst
        for sig in [SIGINT, SIGTERM] {
            _ = signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { [weak self, source] in
                self?.handle(sig, count: Int(source.data))
            }
            source.resume()
            sources.append(source)
        }
    }

    private func handle(_ sig: Int32, count: Int) {
        lock.lock()
        let first = received == nil
        if first { received = sig }
        lock.unlock()
        if first && count < 2 {
            onFirst(sig)
            return
        }
        let code = Exit.interrupted(by: received ?? sig)
        FileHandle.standardError.write(
            Data(
                "error: \(Self.name(sig)) again: exiting at once (\(code)); the next run records the stage as interrupted and looks up what was in flight.\n"
                    .utf8))
        _exit(code)
    }

    static func name(_ sig: Int32) -> String {
        switch sig {
        case SIGINT: return "SIGINT"
        case SIGTERM: return "SIGTERM"
        default: return "signal \(sig)"
        }
    }
}
