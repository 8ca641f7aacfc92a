import ConnectorCore
import ConnectorSecrets
import Foundation

/// `credentials set|list|remove|rotate-key`: the operator's side of the encrypted credential store. Values go in
/// through standard input or an environment variable, never on the command line, and never come out.
public struct CredentialsAdmin: Sendable {
    /// Where the store and its key file are for this configuration.
    public let location: StoredSecrets.Location
    /// Where `ML_CONNECTOR_CREDENTIALS_KEY` is looked for.
    public let environment: [String: String]

    /// The store of the configuration at `configPath` (only its `ledger` and `credentials` settings matter here).
    public init(
        configPath: String, environment: [String: String] = ProcessInfo.processInfo.environment,
        options: ConfigCheckOptions = ConfigCheckOptions()
    ) throws {
        let config = try ConnectorConfig.load(
            try ConfigurationCheck.read(configPath), source: configPath, options: options,
            validateTarget: TargetRegistry.problems)
        location = StoredSecrets.Location(storePath: config.credentialStorePath, keyFilePath: config.credentialKeyPath)
        self.environment = environment
    }

    /// Stores `value` as `name`. Creates the store, and an owner-only key file when no key exists yet.
    /// - Returns: what happened, for the operator (never the value).
    public func set(_ name: String, value: Secret) throws -> String {
        var note = ""
        var key = try location.key(environment: environment)
        if key == nil {
            let fresh = KeyFile.generate()
            try KeyFile.write(fresh, to: location.keyFilePath)
            key = fresh
            note = "Created the key file \(location.keyFilePath) (owner-only); keep a copy apart from the store.\n"
        }
        var store = try CredentialStore(path: location.storePath, key: key!)
        let replaced = store.contains(name)
        try store.set(name, value)
        try store.save()
        return note + "\(replaced ? "Replaced" : "Stored") \(name) in \(location.storePath).\n"
    }

    /// Names and update times; never values.
    public func list() throws -> [CredentialStore.Entry] {
        try location.open(environment: environment)?.entries ?? []
    }

    /// Removes `name`.
    public func remove(_ name: String) throws -> String {
        guard var store = try location.open(environment: environment) else {
            throw ConnectorError(
                "credentials.missing", "There is no credential store at \(location.storePath).", context: ["path": location.storePath])
        }
        try store.remove(name)
        try store.save()
        return "Removed \(name) from \(location.storePath).\n"
    }

    /// Reseals the store under a new random key. With a key file, the file is replaced; with the key in
    /// `ML_CONNECTOR_CREDENTIALS_KEY`, the new key is written to `newKeyFile` for the operator to move into place.
    public func rotateKey(newKeyFile: String?) throws -> String {
        guard let store = try location.open(environment: environment) else {
            throw ConnectorError(
                "credentials.missing", "There is no credential store at \(location.storePath) to rotate.", context: ["path": location.storePath])
        }
        let fresh = KeyFile.generate()
        let fromEnvironment = !(environment[KeyFile.environmentVariable]?.trimmingCharacters(in: .whitespaces).isEmpty ?? true)
        if fromEnvironment {
            guard let newKeyFile else {
                throw ConnectorError(
                    "credentials.rotate_needs_file",
                    "The key comes from \(KeyFile.environmentVariable); pass --new-key-file PATH to receive the new key, then update the variable.")
            }
            try KeyFile.write(fresh, to: newKeyFile)
            _ = try store.resealed(with: fresh)
            return
                "Resealed \(location.storePath) under a new key, written to \(newKeyFile) (owner-only). Set \(KeyFile.environmentVariable) to its contents now: the old key no longer opens the store.\n"
        }
        // New key beside the old one first, so a crash leaves both keys on disk.
        let staged = location.keyFilePath + ".new"
        try KeyFile.write(fresh, to: staged)
        _ = try store.resealed(with: fresh)
        guard rename(staged, location.keyFilePath) == 0 else {
            throw ConnectorError(
                "credentials.write_failed",
                "The store is sealed under the key in \(staged), but it could not replace \(location.keyFilePath): \(String(cString: strerror(errno))). Move it into place by hand."
            )
        }
        return "Resealed \(location.storePath) under a new key; \(location.keyFilePath) replaced.\n"
    }
}
