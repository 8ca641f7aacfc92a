import ConnectorCore
import Crypto
import Foundation

#if canImport(Glibc)
    import Glibc
    private let posixWrite = Glibc.write
#elseif canImport(Darwin)
    import Darwin
    private let posixWrite = Darwin.write
#endif

/// Writes a staged file incrementally (flat memory), hashing as it goes, and moves it into place only
/// on `finish()`, so a crashed stage never leaves a half-written file under the final name.
public final class StreamingFile {
    /// The final name, where the file appears only on `finish()`.
    public let url: URL
    private let temp: URL
    private let handle: FileHandle
    private var hasher = SHA256()
    private var buffer: [UInt8] = []
    /// The first failed write (`errno`), thrown by `finish()`.
    private var failure: Int32?

    /// Creates the hidden `.<name>.partial` beside `url` (owner-only) and its folders.
    public init(_ url: URL) throws {
        self.url = url
        try OwnerOnly.directory(url.deletingLastPathComponent())
        temp = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).partial")
        guard FileManager.default.createFile(atPath: temp.path, contents: nil, attributes: [.posixPermissions: 0o600]),
            let h = FileHandle(forWritingAtPath: temp.path)
        else {
            throw ConnectorError("staging.io_failed", "Cannot write \(temp.path): permission denied or no such folder.", context: ["file": url.path])
        }
        handle = h
    }

    /// Appends bytes; they go to disk in 64 KiB chunks.
    public func write(_ data: Data) {
        buffer.append(contentsOf: data)
        if buffer.count >= 1 << 18 { flush() }
    }

    public func write(_ text: String) { write(Array(text.utf8)) }

    public func write(_ bytes: [UInt8]) {
        buffer.append(contentsOf: bytes)
        if buffer.count >= 1 << 18 { flush() }
    }

    /// Hashes and writes the buffer (write(2) on the descriptor; a failure is kept for `finish()`).
    private func flush() {
        guard !buffer.isEmpty else { return }
        buffer.withUnsafeBytes { bytes in
            hasher.update(bufferPointer: bytes)
            var offset = 0
            while offset < bytes.count, failure == nil {
                let n = posixWrite(handle.fileDescriptor, bytes.baseAddress! + offset, bytes.count - offset)
                if n > 0 { offset += n } else if n < 0 && errno != EINTR { failure = errno }
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Closes, renames into place and returns the SHA-256 (hex).
    @discardableResult
    public func finish() throws -> String {
        flush()
        if let failure {
            try? handle.close()
            throw ConnectorError(
                "staging.io_failed", "Cannot write \(temp.path): \(String(cString: strerror(failure))).", context: ["file": url.path])
        }
        do {
            try handle.close()
            if FileManager.default.fileExists(atPath: url.path) { try FileManager.default.removeItem(at: url) }
            try FileManager.default.moveItem(at: temp, to: url)
        } catch {
            throw OwnerOnly.failure("write", url, error)
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}
