import ConnectorCore
import Crypto
import Foundation

/// The store's key: 32 random bytes, base64, from `ML_CONNECTOR_CREDENTIALS_KEY` or an owner-only key file.
public enum KeyFile {
    /// The variable that supplies the key (base64) instead of a file, for containers and CI.
    public static let environmentVariable = "ML_CONNECTOR_CREDENTIALS_KEY"

    /// A new random key.
    public static func generate() -> SymmetricKey { SymmetricKey(size: .bits256) }

    /// The key text to store or export.
    public static func text(_ key: SymmetricKey) -> String { key.withUnsafeBytes { Data($0).base64EncodedString() } }

    /// Parses key text; `credentials.bad_key` when it is not 32 bytes of base64.
    public static func parse(_ text: String, source: String) throws -> SymmetricKey {
        guard let data = Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)), data.count == 32 else {
            throw ConnectorError("credentials.bad_key", "The credential key from \(source) is not 32 bytes of base64.", context: ["source": source])
        }
        return SymmetricKey(data: data)
    }

    /// Reads a key file; refuses one that others can read (it would protect nothing).
    public static func read(_ path: String) throws -> SymmetricKey? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        let mode = (attributes?[.posixPermissions] as? NSNumber)?.intValue ?? 0
        guard mode & 0o077 == 0 else {
            throw ConnectorError(
                "credentials.key_exposed",
                String(format: "The key file %@ is readable by others (mode %o); make it owner-only: chmod 600 %@", path, mode, path),
                context: ["path": path])
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConnectorError("credentials.bad_key", "The key file \(path) cannot be read.", context: ["path": path])
        }
        return try parse(String(decoding: data, as: UTF8.self), source: path)
    }

    /// Writes `data` to `path` atomically with mode 0600 (folder 0700 when created).
    static func writeOwnerOnly(_ data: Data, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let dir = url.deletingLastPathComponent()
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let temp = dir.appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
        guard FileManager.default.createFile(atPath: temp.path, contents: data, attributes: [.posixPermissions: 0o600]) else {
            throw ConnectorError("credentials.write_failed", "Cannot write \(temp.path).", context: ["path": path])
        }
        guard rename(temp.path, path) == 0 else {
            try? FileManager.default.removeItem(at: temp)
            throw ConnectorError("credentials.write_failed", "Cannot replace \(path): \(String(cString: strerror(errno))).", context: ["path": path])
        }
    }

    /// Writes a new key file (0600).
    public static func write(_ key: SymmetricKey, to path: String) throws { try writeOwnerOnly(Data((text(key) + "\n").utf8), to: path) }
}
