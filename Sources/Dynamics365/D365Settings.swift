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
    public var clientID: String
    public var clientSecret: Secret
    /// OAuth scope; nil means `resolvedScope`'s default, `<environmentURL without trailing slash>/.default`.
    public var scope: String?
    /// Document keys (or header references) per lookup request; OData URLs grow with the `or` chain.
    public var lookupChunkSize: Int
    /// Documents per `$batch` request when loading (one atomic changeset per document); 0, the default, sends
    /// one header POST plus one POST per line instead. Config key `target.batchSize`.
    public var batchSize: Int

    public init(environmentURL: URL, authorityURL: URL, tenant: String, clientID: String, clientSecret: Secret,
                scope: String? = nil, lookupChunkSize: Int = 20, batchSize: Int = 0) {
        self.environmentURL = environmentURL
        self.authorityURL = authorityURL
        self.tenant = tenant
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.scope = scope
        self.lookupChunkSize = lookupChunkSize
        self.batchSize = max(0, batchSize)
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
