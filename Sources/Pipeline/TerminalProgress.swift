import Foundation
import Logging

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The progress line on a terminal: redrawn in place (`\r`, cleared to the end of the line) at most four times a
/// second, and erased when the phase ends, so nothing of it stays in the scrollback or reaches a file.
///
/// Only for a terminal: `standardError(quiet:json:)` gives nil unless standard error is a TTY (a pipe, a file or
/// journald get nothing) and the operator asked for neither `--quiet` nor `--json`.
public final class TerminalProgress: ProgressSink, @unchecked Sendable {
    private let fd: Int32
    private let interval: TimeInterval
    private let now: @Sendable () -> TimeInterval
    private let lock = NSLock()
    private var phase = ""
    private var unit = ""
    private var total: Int?
    private var done = 0
    private var started: TimeInterval = 0
    private var lastDrawn: TimeInterval = -.infinity
    private var shown = false

    /// A progress line written to `fd` (tests give a pipe and a clock; the CLI uses `standardError`).
    public init(
        fd: Int32, interval: TimeInterval = 0.25, now: @escaping @Sendable () -> TimeInterval = { ProcessInfo.processInfo.systemUptime }
    ) {
        self.fd = fd
        self.interval = interval
        self.now = now
    }

    /// The progress line on standard error when it is a terminal (and `TERM` is not `dumb`), else nil.
    public static func standardError(quiet: Bool, json: Bool, environment: [String: String] = ProcessInfo.processInfo.environment)
        -> TerminalProgress?
    {
        guard !quiet, !json, isatty(STDERR_FILENO) == 1, environment["TERM"] != "dumb" else { return nil }
        return TerminalProgress(fd: STDERR_FILENO)
    }

    public func start(_ phase: String, unit: String, total: Int?) {
        lock.lock()
        defer { lock.unlock() }
        (self.phase, self.unit, self.total, done, started) = (phase, unit, total, 0, now())
        draw(force: true)
    }

    public func advance(_ count: Int) {
        lock.lock()
        defer { lock.unlock() }
        guard !phase.isEmpty else { return }
        done += count
        draw(force: false)
    }

    public func finish() {
        lock.lock()
        defer { lock.unlock() }
        clear()
        phase = ""
    }

    /// Runs `body` (a log line being written to the same terminal) with the progress line out of its way: erased
    /// before, drawn again after.
    func aside(_ body: () -> Void) {
        lock.lock()
        defer { lock.unlock() }
        let wasShown = shown
        clear()
        body()
        if wasShown { draw(force: true) }
    }

    /// The line as it stands now (for tests and the redraw).
    var line: String {
        ProgressLine.format(phase: phase, unit: unit, done: done, total: total, elapsed: now() - started)
    }

    private func draw(force: Bool) {
        let t = now()
        guard force || t - lastDrawn >= interval else { return }
        lastDrawn = t
        write("\r" + line + "\u{1B}[K")
        shown = true
    }

    private func clear() {
        guard shown else { return }
        write("\r\u{1B}[K")
        shown = false
    }

    private func write(_ text: String) {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let n = bytes.withUnsafeBytes { rawWrite(fd, $0.baseAddress, $0.count) }
            guard n > 0 else { return }
            bytes = bytes.dropFirst(n)
        }
    }
}

/// write(2), named apart from the class's own `write`.
private func rawWrite(_ fd: Int32, _ p: UnsafeRawPointer?, _ n: Int) -> Int { write(fd, p, n) }

/// A log handler that moves the progress line out of the way of each log line on the same terminal.
public struct ProgressAwareLogHandler: LogHandler {
    private var inner: any LogHandler
    private let progress: TerminalProgress?

    /// `inner` writes the lines; `progress` (when there is one) is erased before each and redrawn after.
    public init(_ inner: any LogHandler, progress: TerminalProgress?) {
        self.inner = inner
        self.progress = progress
    }

    public func log(event: LogEvent) {
        if let progress {
            progress.aside { inner.log(event: event) }
        } else {
            inner.log(event: event)
        }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { inner[metadataKey: key] }
        set { inner[metadataKey: key] = newValue }
    }

    public var metadata: Logger.Metadata {
        get { inner.metadata }
        set { inner.metadata = newValue }
    }

    public var logLevel: Logger.Level {
        get { inner.logLevel }
        set { inner.logLevel = newValue }
    }

    public var metadataProvider: Logger.MetadataProvider? {
        get { inner.metadataProvider }
        set { inner.metadataProvider = newValue }
    }
}
