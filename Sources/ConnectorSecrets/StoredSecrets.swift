import ConnectorCore
import Crypto
import Foundation

/// Secrets at run time: an environment variable of the same name wins (containers, CI), else the encrypted store.
public struct StoredSecrets: SecretSource {
    public let environment: EnvironmentSecrets
    public let store: CredentialStore?

    public init(environment: [String: String], store: CredentialStore?) {
        self.environment = EnvironmentSecrets(environment)
        self.store = store
    }

    public func secret(_ name: String) throws -> Secret {
        if environment.has(name) { return try environment.secret(name) }
        if let store, store.contains(name) { return try store.secret(name) }
        throw ConnectorError("config.secret_missing",
                             "No secret \(name): set the environment variable \(name) or store it with 'ml-connector credentials set \(name)'.",
                             context: ["variable": name])
    }

    public func has(_ name: String) -> Bool {
        environment.has(name) || (store?.contains(name) ?? false)
    }

    /// Where the store and its key live for a configuration, and how to open it.
    public struct Location: Sendable, Equatable {
        public var storePath: String
        public var keyFilePath: String

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
                    throw ConnectorError("credentials.no_key", "The credential store \(storePath) exists but no key was found: set \(KeyFile.environmentVariable) or restore \(keyFilePath).",
                                         context: ["path": storePath])
                }
                return nil
            }
            return try CredentialStore(path: storePath, key: key)
        }
    }
}
