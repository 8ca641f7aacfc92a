import ConnectorCore
import Crypto
import Foundation

/// Atomic writes and content hashes for staged files.
public enum StagedFile {
    /// Writes `data` atomically (temporary file, then rename) and returns its SHA-256 (hex).
    @discardableResult
    public static func write(_ data: Data, to url: URL) throws -> String {
        try OwnerOnly.directory(url.deletingLastPathComponent())
        do {
            try data.write(to: url, options: .atomic)
        } catch {
            throw OwnerOnly.failure("write", url, error)
        }
        try OwnerOnly.restrict(url)
        return sha256(data)
    }

    /// SHA-256 (hex) of bytes in memory, as the ledger records it.
    public static func sha256(_ data: Data) -> String {
        SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }

    /// SHA-256 of a file, read in chunks (flat memory).
    public static func sha256(of url: URL) throws -> String {
        guard let h = FileHandle(forReadingAtPath: url.path) else {
            throw ConnectorError("staging.missing", "Cannot read \(url.path).", context: ["file": url.path])
        }
        defer { try? h.close() }
        var hasher = SHA256()
        while true {
            let chunk = h.readData(ofLength: 1 << 20)
            if chunk.isEmpty { break }
            hasher.update(data: chunk)
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}
