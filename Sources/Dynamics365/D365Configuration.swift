import ConnectorCore
import Foundation

/// The `target` object of the configuration for F&O, as the operator writes it. Secrets are never in it: it names
/// the environment variable that holds the client secret.
public struct D365Configuration: Sendable, Codable, Equatable {
    /// The `target.type` that selects this target.
    public static let type = "d365fo"

    /// D365 environment base URL, e.g. https://contoso.operations.dynamics.com (`/data` is appended).
    public var environmentURL: String
    /// Entra authority host, e.g. https://login.microsoftonline.com.
    public var authorityURL: String
    public var tenant: String
    public var clientID: String
    public var clientSecretEnv: String?
    /// Token scope; default `<environmentURL>/.default`.
    public var scope: String?
    /// Invoices per OData `$batch` request and phase (absent: 50); 0 = one request per header and per line,
    /// which every D365 implementation accepts.
    public var batchSize: Int?
    /// Who assigns a new invoice's `HeaderReference`: `server` (default; the number sequence, read back from
    /// each 201) or `client` (derived from the stable key; the number sequence must allow manual numbers).
    public var keyAssignment: String?
    /// With server keys: `twoPhase` (default; headers in one `$batch`, their lines in a later one) or
    /// `references` (header and lines in one changeset through `$n` Content-ID references).
    public var batchStrategy: String?

    /// The variable holding the client secret.
    public var secretVariable: String { clientSecretEnv ?? "D365_CLIENT_SECRET" }

    /// Decodes the `target` object; a problem names its JSON path.
    public static func decode(_ settings: JSONValue) throws -> D365Configuration {
        do {
            return try JSONDecoder().decode(D365Configuration.self, from: settings.serialized())
        } catch let e as DecodingError {
            throw ConnectorError("config.invalid", "target: " + ConnectorConfig.describe(e, under: "target"))
        }
    }

    /// Every problem of the `target` object, each naming its JSON path (none when it can be used). `type` and
    /// `concurrency` belong to every target.
    public static func problems(_ settings: JSONValue, options: ConfigCheckOptions) -> [String] {
        let c: D365Configuration
        do { c = try decode(settings) } catch let e as ConnectorError { return [e.message] } catch { return ["target: \(error)"] }
        var p = UnknownKeys.problems(settings, decoded: c, path: "target", skip: ["type", "concurrency"])
        if let problem = ConnectorConfig.urlProblem(c.environmentURL, path: "target.environmentURL", options: options) { p.append(problem) }
        if let problem = ConnectorConfig.urlProblem(c.authorityURL, path: "target.authorityURL", options: options) { p.append(problem) }
        if c.tenant.isEmpty { p.append("target.tenant must not be empty") }
        if c.clientID.isEmpty { p.append("target.clientID must not be empty") }
        if let b = c.batchSize, !(0...200).contains(b) { p.append("target.batchSize must be between 0 (off) and 200") }
        if let k = c.keyAssignment, D365KeyAssignment(rawValue: k) == nil {
            p.append("target.keyAssignment: '\(k)' must be 'server' or 'client'")
        }
        if let s = c.batchStrategy, D365BatchStrategy(rawValue: s) == nil {
            p.append("target.batchStrategy: '\(s)' must be 'twoPhase' or 'references'")
        } else if c.batchStrategy == "references", c.keyAssignment == "client" {
            p.append("target.batchStrategy 'references' applies to server-assigned keys; with keyAssignment 'client' header and lines already share one changeset")
        }
        return p
    }

    /// The runtime settings, with the client secret from the secret sources.
    public func settings(secrets: any SecretSource) throws -> D365Settings {
        let secret = try secrets.secret(secretVariable)
        guard let env = URL(string: environmentURL), let auth = URL(string: authorityURL) else {
            throw ConnectorError("config.invalid", "target URLs are not valid")
        }
        return D365Settings(environmentURL: env, authorityURL: auth, tenant: tenant, clientID: clientID,
                            clientSecret: secret, scope: scope, batchSize: batchSize ?? D365Settings.defaultBatchSize,
                            keyAssignment: keyAssignment.flatMap(D365KeyAssignment.init(rawValue:)) ?? .server,
                            batchStrategy: batchStrategy.flatMap(D365BatchStrategy.init(rawValue:)) ?? .twoPhase)
    }

    /// One line for `check-config`, without the secret.
    public var summary: String {
        "\(Self.type) \(environmentURL) tenant \(tenant) client \(clientID) secret <redacted>"
    }
}

/// F&O dimension display values: segments in integration-format order, blanks positional, the delimiter inside a
/// value escaped with a backslash (reference §5.3).
public struct D365DimensionDisplayValue: DimensionFormatter {
    public let delimiter: String
    public init(delimiter: String) { self.delimiter = delimiter }

    public func text(_ segments: [String]) -> String {
        if segments.allSatisfy(\.isEmpty) { return "" }
        return segments.map { $0.replacingASCII(delimiter, with: "\\" + delimiter) }.joined(separator: delimiter)
    }
}
