import ConnectorCore
import Foundation

/// Client-credentials tokens from Microsoft Entra ID's v2 endpoint, `{authority}/{tenant}/oauth2/v2.0/token`
/// (d365-fo-odata.md §1.2).
///
/// The token is cached until about 5 minutes before it expires (half its lifetime for very short-lived
/// tokens); concurrent callers share one in-flight request. `expires_in` is read as a number or a numeric
/// string (v1-style responses). Entra error bodies become `entra.<error>` with the AADSTS description minus
/// the trace, correlation and timestamp noise; the client secret never appears in an error.
public actor EntraTokenProvider: TokenProvider {
    struct Issued: Sendable {
        var token: Secret
        var refreshAt: Date
    }

    private let tokenURL: URL
    private let clientID: String
    private let clientSecret: Secret
    private let scope: String
    private let http: HTTPClient
    private let now: @Sendable () -> Date
    private var cached: Issued?
    private var inFlight: Task<Issued, any Error>?
    /// Token requests sent (for tests and diagnostics).
    public private(set) var fetchCount = 0

    /// Seconds before expiry at which a cached token is replaced.
    public static let refreshMargin: TimeInterval = 300

    /// A provider for one app registration; `now` is injectable so tests can age the cached token.
    public init(
        authorityURL: URL, tenant: String, clientID: String, clientSecret: Secret, scope: String,
        http: HTTPClient, now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.tokenURL = authorityURL.appendingPathComponent(tenant).appendingPathComponent("oauth2/v2.0/token")
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.scope = scope
        self.http = http
        self.now = now
    }

    /// The cached token while it is fresh, else one new request shared by every concurrent caller.
    public func token(forceRefresh: Bool) async throws -> Secret {
        if !forceRefresh, let cached, now() < cached.refreshAt { return cached.token }
        if let inFlight { return try await inFlight.value.token }
        let task = Task { try await self.fetch() }
        inFlight = task
        defer { inFlight = nil }
        let issued = try await task.value
        cached = issued
        return issued.token
    }

    private func fetch() async throws -> Issued {
        fetchCount += 1
        let body = FormEncoding.body([
            ("grant_type", "client_credentials"),
            ("client_id", clientID),
            ("client_secret", clientSecret.reveal()),
            ("scope", scope),
        ])
        let request = HTTPRequest(
            method: "POST", url: tokenURL,
            headers: ["Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"],
            body: body, timeout: 60)
        let started = now()
        let response = try await http.send(request, idempotent: true)
        return try Self.parse(response, issuedAt: started, secret: clientSecret)
    }

    /// Reads a token response; internal for tests.
    static func parse(_ response: HTTPResponse, issuedAt: Date, secret: Secret) throws -> Issued {
        let json = try? JSONValue.parse(response.body)
        guard response.isSuccess else {
            if let error = json?["error"]?.stringValue, !error.isEmpty {
                let description = json?["error_description"]?.stringValue ?? ""
                var message = Self.cleanDescription(description)
                if !secret.isEmpty { message = message.replacingOccurrences(of: secret.reveal(), with: "<redacted>") }
                if message.isEmpty { message = "Entra ID refused the token request (\(error))." }
                var context = ["http.status": String(response.status)]
                if let codes = json?["error_codes"]?.arrayValue?.compactMap(\.stringValue), !codes.isEmpty {
                    context["entra.error_codes"] = codes.joined(separator: ",")
                }
                let safeCode = error.lowercased().filter { $0.isLetter || $0.isNumber || $0 == "_" }
                throw ConnectorError(
                    "entra.\(safeCode)", message, context: context,
                    isTransient: response.status >= 500 || response.status == 429)
            }
            throw ConnectorError(
                "entra.http_\(response.status)", "Entra ID answered HTTP \(response.status) without an error body.",
                context: ["http.status": String(response.status)],
                isTransient: response.status >= 500 || response.status == 429)
        }
        guard let token = json?["access_token"]?.stringValue, !token.isEmpty else {
            throw ConnectorError(
                "entra.invalid_response", "Entra ID's token response has no access_token.",
                context: ["http.status": String(response.status)])
        }
        let lifetime = json?["expires_in"]?.decimalValue.map { NSDecimalNumber(decimal: $0).doubleValue } ?? 3599
        let margin = min(refreshMargin, max(0, lifetime) / 2)
        return Issued(token: Secret(token), refreshAt: issuedAt.addingTimeInterval(max(0, lifetime - margin)))
    }

    /// `AADSTS7000215: Invalid client secret provided. ...\r\nTrace ID: …\r\nCorrelation ID: …\r\nTimestamp: …`
    /// → `AADSTS7000215: Invalid client secret provided. ...`
    static func cleanDescription(_ description: String) -> String {
        var text = description
        for marker in ["Trace ID:", "Correlation ID:", "Timestamp:"] {
            if let r = text.range(of: marker) { text = String(text[..<r.lowerBound]) }
        }
        return text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }.joined(separator: " ")
    }
}
