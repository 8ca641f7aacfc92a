import ConnectorCore
import Crypto
import Foundation

/// The encrypted credential store: named secrets (the Expensify partner pair, the Entra client secret, the NAV user
/// and web service key) in one AES-256-GCM sealed file, so no secret needs to sit in a shell profile or unit file.
///
/// The file holds a key fingerprint beside the sealed box, so a wrong key and a damaged file give different, clear
/// errors. Writes are atomic and owner-only. Values never leave this type except through `secret(_:)`.
public struct CredentialStore: Sendable {
    /// One stored credential as `list` shows it: its name and when it was set, never its value.
    public struct Entry: Sendable, Codable, Equatable {
        /// The entry's name, which configurations refer to.
        public var name: String
        /// When it was last set (ISO 8601 UTC), so an operator can tell a stale secret.
        public var updated: String
    }

    struct Payload: Codable {
        var entries: [String: StoredValue]
    }

    struct StoredValue: Codable {
        var value: String
        var updated: String
    }

    struct Envelope: Codable {
        var format: String
        var version: Int
        /// First 16 hex digits of SHA-256("ml-connector credential key" ‖ key): tells a wrong key from a damaged file.
        var keyID: String
        /// AES-GCM combined representation (nonce ‖ ciphertext ‖ tag), base64.
        var sealed: String
    }

    static let format = "ml-connector-credentials"

    /// The sealed file, for messages and for `resealed(with:)`.
    public let path: String
    /// The key's bytes (`SymmetricKey` is not `Sendable`); made into a key only to seal or open.
    private let keyBytes: Data
    private var payload: Payload
    private var key: SymmetricKey { SymmetricKey(data: keyBytes) }

    /// Opens the store at `path` with `key`; a missing file is an empty store.
    /// - Throws: `credentials.wrong_key` when the file was sealed with another key; `credentials.corrupted` when it
    ///   cannot be read or opened with the right key.
    public init(path: String, key: SymmetricKey) throws {
        self.path = path
        self.keyBytes = key.withUnsafeBytes { Data($0) }
        guard FileManager.default.fileExists(atPath: path) else {
            payload = Payload(entries: [:])
            return
        }
        guard let data = FileManager.default.contents(atPath: path),
            let envelope = try? JSONDecoder().decode(Envelope.self, from: data), envelope.format == Self.format
        else {
            throw ConnectorError(
                "credentials.corrupted", "The credential store \(path) is not a credential store (damaged or replaced).", context: ["path": path])
        }
        guard envelope.keyID == Self.keyID(key) else {
            throw ConnectorError(
                "credentials.wrong_key",
                "The credential store \(path) was sealed with another key; check ML_CONNECTOR_CREDENTIALS_KEY or credentials.keyFile.",
                context: ["path": path])
        }
        do {
            guard let combined = Data(base64Encoded: envelope.sealed) else { throw CryptoKitError.incorrectParameterSize }
            let box = try AES.GCM.SealedBox(combined: combined)
            payload = try JSONDecoder().decode(Payload.self, from: try AES.GCM.open(box, using: key))
        } catch {
            throw ConnectorError(
                "credentials.corrupted",
                "The credential store \(path) is damaged: its contents fail authentication with the right key. Restore it from a backup or set the credentials again.",
                context: ["path": path])
        }
    }

    /// Names and update times, sorted by name.
    public var entries: [Entry] {
        payload.entries.map { Entry(name: $0.key, updated: $0.value.updated) }.sorted { $0.name < $1.name }
    }

    /// Whether an entry exists, without revealing it.
    public func contains(_ name: String) -> Bool { payload.entries[name] != nil }

    /// The stored secret; `credentials.missing` naming the entry.
    public func secret(_ name: String) throws -> Secret {
        guard let v = payload.entries[name] else {
            throw ConnectorError(
                "credentials.missing", "The credential store has no entry \(name); add it with 'ml-connector credentials set \(name)'.",
                context: ["entry": name])
        }
        return Secret(v.value)
    }

    /// Sets `name` (saved by `save()`). Blank values are refused.
    public mutating func set(_ name: String, _ value: Secret, now: Date = Date()) throws {
        let trimmed = name.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty, trimmed.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0 == ".") }) else {
            throw ConnectorError("credentials.invalid_name", "'\(name)' is not a credential name (letters, digits, _ - . only).")
        }
        guard !value.reveal().trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw ConnectorError("credentials.empty_value", "The value for \(trimmed) is empty; nothing was stored.", context: ["entry": trimmed])
        }
        payload.entries[trimmed] = StoredValue(value: value.reveal(), updated: Self.timestamp(now))
    }

    /// Removes `name`; `credentials.missing` when absent.
    public mutating func remove(_ name: String) throws {
        guard payload.entries.removeValue(forKey: name) != nil else {
            throw ConnectorError("credentials.missing", "The credential store has no entry \(name).", context: ["entry": name])
        }
    }

    /// Seals and writes the store atomically, owner-only.
    public func save() throws {
        try save(with: key)
    }

    /// The same entries sealed under `newKey` (after `rotate-key`), written atomically.
    public func resealed(with newKey: SymmetricKey) throws -> CredentialStore {
        try save(with: newKey)
        return try CredentialStore(path: path, key: newKey)
    }

    private func save(with key: SymmetricKey) throws {
        let plain = try JSONEncoder().encode(payload)
        let box = try AES.GCM.seal(plain, using: key)
        guard let combined = box.combined else { throw ConnectorError("credentials.seal_failed", "Could not seal the credential store.") }
        let envelope = Envelope(format: Self.format, version: 1, keyID: Self.keyID(key), sealed: combined.base64EncodedString())
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys, .prettyPrinted]
        try KeyFile.writeOwnerOnly(try enc.encode(envelope), to: path)
    }

    static func keyID(_ key: SymmetricKey) -> String {
        var h = SHA256()
        h.update(data: Data("ml-connector credential key".utf8))
        key.withUnsafeBytes { h.update(bufferPointer: $0) }
        return h.finalize().prefix(8).map { String(format: "%02x", $0) }.joined()
    }

    static func timestamp(_ d: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f.string(from: d)
    }
}
