import ConnectorCore
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One run at a time per ledger: an exclusive `flock` on `<ledger>.lock`, held by `run` and by every stage until the
/// process exits.
///
/// The kernel drops the lock when its holder dies, however it dies (SIGKILL included), so a crash never leaves the
/// ledger locked; the file's last contents (pid, command, batch, since) then tell the next holder that it takes over
/// from a dead run, and tell a refused one who holds the ledger now.
public final class LedgerLock: @unchecked Sendable {
    /// Who holds (or last held) the lock, as written in the lock file.
    public struct Holder: Sendable, Codable, Equatable {
        /// The process that holds (or last held) the ledger.
        public var pid: Int32
        /// What it was running (`run`, `load`, …).
        public var command: String
        /// The batch it was working on, once known.
        public var batch: String?
        /// When it took the lock.
        public var since: String

        /// "pid N, batch B, since T".
        public var summary: String { "pid \(pid)\(batch.map { ", batch \($0)" } ?? ""), since \(since)" }
    }

    /// The lock file, `<ledger>.lock`.
    public let path: String
    private let fd: Int32
    private let lock = NSLock()
    private var holder: Holder
    /// The holder this lock took over from, when the previous one died while holding it.
    public let tookOverFrom: Holder?

    private init(path: String, fd: Int32, holder: Holder, tookOverFrom: Holder?) {
        self.path = path
        self.fd = fd
        self.holder = holder
        self.tookOverFrom = tookOverFrom
    }

    deinit { close(fd) }

    /// The lock file of a ledger.
    public static func path(forLedger ledgerPath: String) -> String { ledgerPath + ".lock" }

    /// Takes the ledger's lock or refuses at once.
    /// - Throws: `ledger.locked` naming the holder when another live process holds it; `ledger.lock_failed` when the
    ///   lock file cannot be opened.
    public static func acquire(ledgerPath: String, command: String, now: Date = Date()) throws -> LedgerLock {
        let path = Self.path(forLedger: ledgerPath)
        try? FileManager.default.createDirectory(
            at: URL(fileURLWithPath: path).deletingLastPathComponent(),
            withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw ConnectorError(
                "ledger.lock_failed", "Cannot open the ledger lock \(path): \(String(cString: strerror(errno))).", context: ["path": path])
        }
        let previous = readHolder(fd)
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let busy = errno == EWOULDBLOCK
            close(fd)
            if busy {
                let who = previous?.summary ?? "unknown holder"
                throw ConnectorError(
                    ErrorCode.ledgerLocked, "another run (\(who)) holds the ledger \(ledgerPath); wait for it to finish, or check that process.",
                    context: ["path": path])
            }
            throw ConnectorError("ledger.lock_failed", "Cannot lock \(path): \(String(cString: strerror(errno))).", context: ["path": path])
        }
        // Locked. A pid still written in the file belonged to a run that died holding it (a clean exit clears it).
        let stale = previous.flatMap { $0.pid != getpid() ? $0 : nil }
        let me = Holder(pid: getpid(), command: command, batch: nil, since: Self.timestamp(now))
        let lock = LedgerLock(path: path, fd: fd, holder: me, tookOverFrom: stale)
        lock.write()
        return lock
    }

    /// Who holds the ledger now, or nil when nobody does (for `status`: a stage is `running` only while its holder lives).
    public static func currentHolder(ledgerPath: String) -> Holder? {
        let path = Self.path(forLedger: ledgerPath)
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        if flock(fd, LOCK_SH | LOCK_NB) == 0 {
            flock(fd, LOCK_UN)
            return nil
        }
        return readHolder(fd)
    }

    /// Records the batch being worked on, so a refused run can name it.
    public func update(batch: String) {
        lock.lock()
        holder.batch = batch
        lock.unlock()
        write()
    }

    /// Clears the holder and releases the lock (a clean exit; a crash leaves the holder for the next run to report).
    public func release() {
        _ = ftruncate(fd, 0)
        flock(fd, LOCK_UN)
    }

    private func write() {
        lock.lock()
        let data = (try? JSONEncoder().encode(holder)) ?? Data()
        lock.unlock()
        _ = ftruncate(fd, 0)
        _ = data.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        _ = fsync(fd)
    }

    private static func readHolder(_ fd: Int32) -> Holder? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = pread(fd, &buffer, buffer.count, 0)
        guard n > 0 else { return nil }
        return try? JSONDecoder().decode(Holder.self, from: Data(buffer[0..<n]))
    }

    static func timestamp(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f.string(from: date)
    }
}
