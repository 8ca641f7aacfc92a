import ConnectorCore
import Foundation

/// The `target` object for Business Central and NAV (`target.type` `bc`, `nav-odata` or `nav-soap`), as the operator
/// writes it. Secrets are never in it: it names the variables that hold the client secret or the access key.
public struct NAVTargetConfiguration: Sendable, Codable, Equatable {
    /// Business Central online over API v2.0 (Entra client credentials).
    public static let bc = "bc"
    /// NAV (or BC on premises) over OData v4 page web services (Basic with a web service access key).
    public static let navOData = "nav-odata"
    /// NAV over SOAP page web services, the legacy XML path (Basic with a web service access key).
    public static let navSOAP = "nav-soap"
    /// Every `target.type` this configuration answers to.
    public static let types = [bc, navOData, navSOAP]

    /// `bc`, `nav-odata` or `nav-soap`.
    public var type: String
    /// `purchaseInvoice` or `generalJournal`.
    public var document: String
    /// BC: the API host (default `https://api.businesscentral.dynamics.com`).
    public var apiURL: String?
    /// BC: the Entra tenant (GUID or domain) of the environment.
    public var tenant: String?
    /// BC: the environment name (e.g. `production`).
    public var environment: String?
    /// BC: the Entra authority host (default `https://login.microsoftonline.com`).
    public var authorityURL: String?
    /// BC: the application (client) ID, with API.ReadWrite.All.
    public var clientID: String?
    /// BC: name of the secret holding the client secret (default `BC_CLIENT_SECRET`).
    public var clientSecretEnv: String?
    /// BC: token scope (default `https://api.businesscentral.dynamics.com/.default`).
    public var scope: String?
    /// BC: the ODataV4 page with dimension values' `Blocked` (API v2.0 does not expose it); default
    /// `DimensionValues`, `""` to skip (blocked values then surface only when posting).
    public var dimensionValuesPage: String?
    /// NAV: the server instance URL, e.g. `http://navsrv:7048/DynamicsNAV110` (OData) or `:7047` (SOAP).
    public var serviceURL: String?
    /// NAV: the user the web service access key belongs to.
    public var userName: String?
    /// NAV: name of the secret holding the web service access key (default `NAV_ACCESS_KEY`).
    public var accessKeyEnv: String?
    /// NAV: the published page service names.
    public var services: NAVServiceNames?
    /// NAV: dimension code → shortcut dimension slot 1...8 (pages set only those); a tag mapped to any other dimension
    /// holds its report.
    public var shortcutDimensions: [String: Int]?
    /// NAV: company → its local currency code, written blank on documents as NAV expects.
    public var localCurrencies: [String: String]?
    /// The journal to write to (required for `generalJournal`).
    public var journal: NAVJournalSettings?
    /// BC: post each document after it is complete (`Microsoft.NAV.post`); default false, drafts stay for AP.
    public var post: Bool?
    /// BC: operations per JSON `$batch` (1...100, default 100; BC's limit is 100).
    public var batchSize: Int?

    /// The document type (`purchaseInvoice` when unreadable; `problems` reports it).
    public var documentType: NAVDocumentType { NAVDocumentType(rawValue: document) ?? .purchaseInvoice }
    /// The variable holding the client secret or access key.
    public var secretVariable: String {
        type == Self.bc ? (clientSecretEnv ?? "BC_CLIENT_SECRET") : (accessKeyEnv ?? "NAV_ACCESS_KEY")
    }

    /// Decodes the `target` object; a problem names its JSON path.
    public static func decode(_ settings: JSONValue) throws -> NAVTargetConfiguration {
        do {
            return try JSONDecoder().decode(NAVTargetConfiguration.self, from: settings.serialized())
        } catch let e as DecodingError {
            throw ConnectorError("config.invalid", "target: " + ConnectorConfig.describe(e, under: "target"))
        }
    }

    /// Every problem of the `target` object, each naming its JSON path (none when it can be used).
    public static func problems(_ settings: JSONValue, options: ConfigCheckOptions) -> [String] {
        let c: NAVTargetConfiguration
        do { c = try decode(settings) } catch let e as ConnectorError { return [e.message] } catch { return ["target: \(error)"] }
        var p = UnknownKeys.problems(settings, decoded: c, path: "target", skip: ["concurrency"])
        if NAVDocumentType(rawValue: c.document) == nil {
            p.append("target.document: '\(c.document)' must be 'purchaseInvoice' or 'generalJournal'")
        }
        if c.documentType == .generalJournal {
            if let j = c.journal {
                if j.batch.isEmpty { p.append("target.journal.batch must not be empty") }
                if j.balancingAccount.isEmpty { p.append("target.journal.balancingAccount must not be empty") }
                if let b = j.balancing, NAVBalancing(rawValue: b) == nil {
                    p.append("target.journal.balancing: '\(b)' must be 'perReport' or 'perLine'")
                }
            } else {
                p.append("target.journal is required for document 'generalJournal' (template, batch, balancingAccount)")
            }
        }
        if c.type == bc {
            for (name, value) in [("tenant", c.tenant), ("environment", c.environment), ("clientID", c.clientID)] where (value ?? "").isEmpty {
                p.append("target.\(name) must be set for Business Central")
            }
            for (name, value) in [("apiURL", c.apiURL), ("authorityURL", c.authorityURL)] {
                if let v = value, let problem = ConnectorConfig.urlProblem(v, path: "target.\(name)", options: options) { p.append(problem) }
            }
            if let b = c.batchSize, !(1...100).contains(b) { p.append("target.batchSize must be between 1 and 100 (BC's $batch limit)") }
            for key in ["serviceURL", "userName", "accessKeyEnv", "shortcutDimensions", "services", "localCurrencies"] where settings[key] != nil {
                p.append("target.\(key) applies to NAV (nav-odata, nav-soap), not to bc")
            }
        } else {
            if let url = c.serviceURL {
                if let problem = ConnectorConfig.urlProblem(url, path: "target.serviceURL", options: options) { p.append(problem) }
            } else {
                p.append("target.serviceURL must be set for NAV (e.g. http://navsrv:7048/DynamicsNAV110)")
            }
            if (c.userName ?? "").isEmpty { p.append("target.userName must be set for NAV (the web service access key's user)") }
            for (code, slot) in (c.shortcutDimensions ?? [:]).sorted(by: { $0.key < $1.key }) where !(1...8).contains(slot) {
                p.append("target.shortcutDimensions.\(code): slot \(slot) must be between 1 and 8")
            }
            if c.post == true {
                p.append("target.post: NAV pages have no standard post action; leave documents for AP to post (post applies to bc)")
            }
            for key in [
                "tenant", "environment", "clientID", "clientSecretEnv", "scope", "apiURL", "authorityURL", "batchSize", "dimensionValuesPage",
            ]
            where settings[key] != nil {
                p.append("target.\(key) applies to Business Central (bc), not to \(c.type)")
            }
        }
        return p
    }

    /// One line for `check-config`, without the secret.
    public var summary: String {
        if type == Self.bc {
            return
                "bc \(apiURL ?? NAVSettings.defaultAPI) tenant \(tenant ?? "-") environment \(environment ?? "-") \(document) client \(clientID ?? "-") secret <redacted>"
        }
        return "\(type) \(serviceURL ?? "-") user \(userName ?? "-") \(document) key <redacted>"
    }

    /// The runtime settings, with the secret from the secret sources.
    public func settings(secrets: any SecretSource) throws -> NAVSettings {
        let secret = try secrets.secret(secretVariable)
        return NAVSettings(configuration: self, secret: secret)
    }
}
