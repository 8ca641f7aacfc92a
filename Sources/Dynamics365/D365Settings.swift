import ConnectorCore
import Foundation
import OData

/// Where and as whom the connector talks to one D365 F&O environment.
public struct D365Settings: Sendable {
    /// The environment's base URL, e.g. `https://contoso.operations.dynamics.com` (OData lives at `/data`).
    public var environmentURL: URL
    /// Entra ID authority, e.g. `https://login.microsoftonline.com`.
    public var authorityURL: URL
    /// Tenant GUID or domain.
    public var tenant: String
    /// The application (client) ID the token is requested for.
    public var clientID: String
    /// The client secret, read from the secret sources; prints as `<redacted>`.
    public var clientSecret: Secret
    /// OAuth scope; nil means `resolvedScope`'s default, `<environmentURL without trailing slash>/.default`.
    public var scope: String?
    /// Document keys (or header references) per lookup request; OData URLs grow with the `or` chain.
    public var lookupChunkSize: Int
    /// Invoices per `$batch` request and phase (config key `target.batchSize`, default 50). 0 sends one header
    /// POST plus one POST per line instead, which every implementation accepts.
    public var batchSize: Int
    /// Who assigns `HeaderReference` (config key `target.keyAssignment`, default `server`).
    public var keyAssignment: D365KeyAssignment
    /// How server-keyed documents are packed (config key `target.batchStrategy`, default `twoPhase`).
    public var batchStrategy: D365BatchStrategy

    /// Invoices per `$batch` when `target.batchSize` is absent: measured to keep a night near 0.04 requests per report.
    public static let defaultBatchSize = 50

    /// Settings with the defaults of the README's configuration table.
    public init(
        environmentURL: URL, authorityURL: URL, tenant: String, clientID: String, clientSecret: Secret,
        scope: String? = nil, lookupChunkSize: Int = 20, batchSize: Int = D365Settings.defaultBatchSize,
        keyAssignment: D365KeyAssignment = .server, batchStrategy: D365BatchStrategy = .twoPhase
    ) {
        self.environmentURL = environmentURL
        self.authorityURL = authorityURL
        self.tenant = tenant
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.scope = scope
        self.lookupChunkSize = lookupChunkSize
        self.batchSize = max(0, batchSize)
        self.keyAssignment = keyAssignment
        self.batchStrategy = batchStrategy
    }

    /// The environment URL as text without trailing slashes (the form Entra expects as a resource).
    public var environmentBase: String {
        var text = environmentURL.absoluteString
        while text.hasSuffix("/") { text.removeLast() }
        return text
    }

    /// `scope` when set and not blank, else `<environmentBase>/.default` (d365-fo-odata.md §1.2).
    public var resolvedScope: String {
        if let scope, !scope.trimmingCharacters(in: .whitespaces).isEmpty { return scope }
        return environmentBase + "/.default"
    }
}
