import ConnectorCore
import Crypto
import Foundation

/// Secrets at run time: an environment variable of the same name wins (containers, CI), else the encrypted store.
public struct StoredSecrets: SecretSource {
    /// The environment, consulted first so a deployment can override a stored secret.
    public let environment: EnvironmentSecrets
    /// The opened store, or nil when the deployment uses environment variables only.
    public let store: CredentialStore?

    /// Secrets from `environment`, falling back to `store` when there is one.
    public init(environment: [String: String], store: CredentialStore?) {
        self.environment = EnvironmentSecrets(environment)
        self.store = store
    }

    /// The variable if set, else the stored entry; `config.secret_missing` naming both ways to supply it.
    public func secret(_ name: String) throws -> Secret {
        if environment.has(name) { return try environment.secret(name) }
        if let store, store.contains(name) { return try store.secret(name) }
        throw ConnectorError(
            "config.secret_missing",
            "No secret \(name): set the environment variable \(name) or store it with 'ml-connector credentials set \(name)'.",
            context: ["variable": name])
    }

    /// Whether either source has the secret, for `check-config`.
    public func has(_ name: String) -> Bool {
        environment.has(name) || (store?.contains(name) ?? false)
    }

    /// Where the store and its key live for a configuration, and how to open it.
    public struct Location: Sendable, Equatable {
        /// The sealed store (`credentials.store`).
        public var storePath: String
        /// The key file (`credentials.keyFile`), used when the environment has no key.
        public var keyFilePath: String

        /// Memberwise, from the configuration's derived paths.
        public init(storePath: String, keyFilePath: String) {
            self.storePath = storePath
            self.keyFilePath = keyFilePath
        }

        /// The key: `ML_CONNECTOR_CREDENTIALS_KEY` when set, else the key file; nil when neither exists.
        public func key(environment: [String: String]) throws -> SymmetricKey? {
            if let text = environment[KeyFile.environmentVariable], !text.trimmingCharacters(in: .whitespaces).isEmpty {
                return try KeyFile.parse(text, source: KeyFile.environmentVariable)
            }
            return try KeyFile.read(keyFilePath)
        }

        /// The store, or nil when there is none (no file); `credentials.no_key` when a store exists without its key.
        public func open(environment: [String: String]) throws -> CredentialStore? {
            let exists = FileManager.default.fileExists(atPath: storePath)
            guard let key = try key(environment: environment) else {
                if exists {
                    throw ConnectorError(
                        "credentials.no_key",
                        "The credential store \(storePath) exists but no key was found: set \(KeyFile.environmentVariable) or restore \(keyFilePath).",
                        context: ["path": storePath])
                }
                return nil
            }
            return try CredentialStore(path: storePath, key: key)
        }
    }
}
