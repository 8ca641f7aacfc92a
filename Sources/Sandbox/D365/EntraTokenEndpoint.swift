import Foundation

/// An access token the simulated Entra ID issued.
struct EntraIssuedToken: Sendable {
    var clientId: String
    var tenantId: String
    var resource: String
    var issuedAt: Double
    var expiresAt: Double
}

/// Simulated Microsoft Entra ID client-credentials token endpoint (reference §1.2, §1.3).
struct EntraTokenEndpoint {
    enum Version { case v1, v2 }

    var tenants: [EntraTenant]
    var applications: [EntraApplication]
    /// Extra accepted resources besides the sandbox's own base URL.
    var resources: [String]
    var baseURL: String
    var lifetimeSeconds: Int
    /// Seconds since 1970 on the simulator's clock.
    var now: Double

    /// `/{tenant}/oauth2/v2.0/token` → (tenant, v2); `/{tenant}/oauth2/token` → (tenant, v1).
    static func match(_ path: String) -> (String, Version)? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        if parts.count == 4, parts[1] == "oauth2", parts[2] == "v2.0", parts[3] == "token" {
            return (parts[0].removingPercentEncoding ?? parts[0], .v2)
        }
        if parts.count == 3, parts[1] == "oauth2", parts[2] == "token" {
            return (parts[0].removingPercentEncoding ?? parts[0], .v1)
        }
        return nil
    }

    private func timestamp() -> String {
        let iso = D365Date(seconds: Int64(now)).iso
        return iso.replacingOccurrences(of: "T", with: " ")
    }

    /// `{error, error_description: "AADSTS…: …\r\nTrace ID: …\r\nCorrelation ID: …\r\nTimestamp: …", error_codes, …}`.
    func failure(_ status: Int, _ error: String, _ code: Int, _ text: String, correlationId: String?) -> SimResponse {
        let trace = UUID().uuidString.lowercased()
        let correlation = correlationId ?? UUID().uuidString.lowercased()
        let ts = timestamp()
        let description = "AADSTS\(code): \(text)\r\nTrace ID: \(trace)\r\nCorrelation ID: \(correlation)\r\nTimestamp: \(ts)"
        let body = D365Responses.obj([
            ("error", .string(error)), ("error_description", .string(description)), ("error_codes", .array([.int(code)])),
            ("timestamp", .string(ts)), ("trace_id", .string(trace)), ("correlation_id", .string(correlation)),
            ("error_uri", .string("https://login.microsoftonline.com/error?code=\(code)")),
        ])
        return SimResponse(
            status: status,
            headers: [
                ("Content-Type", "application/json; charset=utf-8"), ("Cache-Control", "no-store, no-cache"),
                ("Pragma", "no-cache"),
            ], body: D365JSONWriter.data(body))
    }

    private func sameResource(_ a: String, _ b: String) -> Bool { a.caseInsensitiveCompare(b) == .orderedSame }

    private func knownResource(_ r: String) -> Bool {
        sameResource(r, baseURL) || resources.contains { sameResource(r, $0) }
    }

    /// Answers a token request; on success also returns the issued token to remember.
    func handle(_ request: SimRequest, tenant: String, version: Version) -> (SimResponse, (String, EntraIssuedToken)?) {
        let correlation = request.headers["client-request-id"]
        guard request.method == "POST" else {
            return (
                failure(
                    400, "invalid_request", 900_561,
                    "The endpoint only accepts POST, OPTIONS requests. Received a \(request.method) request.", correlationId: correlation), nil
            )
        }
        guard
            let t = tenants.first(where: {
                $0.name.caseInsensitiveCompare(tenant) == .orderedSame || $0.id.caseInsensitiveCompare(tenant) == .orderedSame
            })
        else {
            return (
                failure(
                    400, "invalid_request", 90002,
                    "Tenant '\(tenant)' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.",
                    correlationId: correlation), nil
            )
        }
        var form: [String: String] = [:]
        let contentType = (request.headers["content-type"] ?? "").lowercased()
        if contentType.isEmpty || contentType.hasPrefix("application/x-www-form-urlencoded") {
            for (k, v) in request.formFields where form[k] == nil { form[k] = v }
        }
        func missing(_ name: String) -> SimResponse {
            failure(400, "invalid_request", 900_144, "The request body must contain the following parameter: '\(name)'.", correlationId: correlation)
        }
        guard let grant = form["grant_type"], !grant.isEmpty else { return (missing("grant_type"), nil) }
        guard grant == "client_credentials" else {
            return (
                failure(
                    400, "unsupported_grant_type", 70003,
                    "The app requested an unsupported grant type '\(grant)'.", correlationId: correlation), nil
            )
        }
        // Client authentication: body parameters or HTTP Basic (RFC 6749 §2.3.1).
        var clientId = form["client_id"]
        var secret = form["client_secret"]
        if let auth = request.headers["authorization"], auth.lowercased().hasPrefix("basic ") {
            let encoded = auth.dropFirst(6).trimmingCharacters(in: .whitespaces)
            if let data = Data(base64Encoded: encoded), let text = String(data: data, encoding: .utf8), let colon = text.firstIndex(of: ":") {
                let user = String(text[..<colon])
                let pass = String(text[text.index(after: colon)...])
                let decode = { (s: String) in s.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? s }
                if clientId == nil { clientId = decode(user) }
                if secret == nil { secret = decode(pass) }
            } else {
                return (
                    failure(
                        401, "invalid_client", 7_000_216,
                        "'client_assertion', 'client_secret' or 'request' is required for the 'client_credentials' grant type.",
                        correlationId: correlation), nil
                )
            }
        }
        guard let clientId, !clientId.isEmpty else { return (missing("client_id"), nil) }
        guard let app = applications.first(where: { $0.clientId.caseInsensitiveCompare(clientId) == .orderedSame }) else {
            return (
                failure(
                    400, "unauthorized_client", 700_016,
                    "Application with identifier '\(clientId)' was not found in the directory '\(t.name)'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.",
                    correlationId: correlation), nil
            )
        }
        guard let secret, !secret.isEmpty else {
            return (
                failure(
                    401, "invalid_client", 7_000_216,
                    "'client_assertion', 'client_secret' or 'request' is required for the 'client_credentials' grant type.",
                    correlationId: correlation), nil
            )
        }
        guard let matched = app.secrets.first(where: { $0.value == secret }) else {
            return (
                failure(
                    401, "invalid_client", 7_000_215,
                    "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '\(app.clientId)'.",
                    correlationId: correlation), nil
            )
        }
        if let exp = matched.expiresAt, Double(exp.seconds) <= now {
            return (
                failure(
                    401, "invalid_client", 7_000_222,
                    "The provided client secret keys for app '\(app.clientId)' are expired. Visit the Azure portal to create new keys for your app.",
                    correlationId: correlation), nil
            )
        }
        // Resource: v2 `scope=<resource>/.default`, v1 `resource=<resource>` without a trailing slash.
        let resource: String
        switch version {
        case .v2:
            guard let scope = form["scope"], !scope.isEmpty else { return (missing("scope"), nil) }
            let scopes = scope.split(separator: " ").map(String.init)
            guard scopes.count == 1, let only = scopes.first else {
                return (
                    failure(
                        400, "invalid_scope", 70011,
                        "The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid. The scope \(scope) is not valid. All scopes must belong to a single resource.",
                        correlationId: correlation), nil
                )
            }
            guard only.hasSuffix("/.default") else {
                return (
                    failure(
                        400, "invalid_scope", 1_002_012,
                        "The provided value for scope \(only) is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).",
                        correlationId: correlation), nil
                )
            }
            resource = String(only.dropLast("/.default".count))
            guard knownResource(resource) else {
                return (
                    failure(
                        400, "invalid_scope", 70011,
                        "The provided value for the input parameter 'scope' is not valid. The scope \(only) is not valid. The resource '\(resource)' is not a Dynamics 365 environment of this tenant.",
                        correlationId: correlation), nil
                )
            }
        case .v1:
            guard let r = form["resource"], !r.isEmpty else { return (missing("resource"), nil) }
            guard !r.hasSuffix("/"), knownResource(r) else {
                return (
                    failure(
                        400, "invalid_resource", 70011,
                        "The provided value for the input parameter 'resource' is not valid. The resource '\(r)' is not a Dynamics 365 environment of this tenant (the resource must be the environment URL without a trailing slash).",
                        correlationId: correlation), nil
                )
            }
            resource = r
        }
        let issued = Int64(now)
        let expires = issued + Int64(lifetimeSeconds)
        let token = makeToken(clientId: app.clientId, tenantId: t.id, resource: resource, issued: issued, expires: expires)
        let info = EntraIssuedToken(
            clientId: app.clientId, tenantId: t.id, resource: resource, issuedAt: now, expiresAt: now + Double(lifetimeSeconds))
        let body: D365JSON
        switch version {
        case .v2:
            body = D365Responses.obj([
                ("token_type", .string("Bearer")), ("expires_in", .int(lifetimeSeconds)), ("ext_expires_in", .int(lifetimeSeconds)),
                ("access_token", .string(token)),
            ])
        case .v1:
            body = D365Responses.obj([
                ("token_type", .string("Bearer")), ("expires_in", .string(String(lifetimeSeconds))),
                ("ext_expires_in", .string(String(lifetimeSeconds))), ("expires_on", .string(String(expires))),
                ("not_before", .string(String(issued))), ("resource", .string(resource)), ("access_token", .string(token)),
            ])
        }
        let response = SimResponse(
            status: 200,
            headers: [
                ("Content-Type", "application/json; charset=utf-8"), ("Cache-Control", "no-store, no-cache"),
                ("Pragma", "no-cache"),
            ], body: D365JSONWriter.data(body))
        return (response, (token, info))
    }

    private static func base64url(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// A JWT-shaped opaque token (the signature is random; only the simulator can validate it).
    private func makeToken(clientId: String, tenantId: String, resource: String, issued: Int64, expires: Int64) -> String {
        let header = D365Responses.obj([("typ", .string("JWT")), ("alg", .string("RS256")), ("kid", .string("ml-sandbox"))])
        let payload = D365Responses.obj([
            ("aud", .string(resource)), ("iss", .string("https://sts.windows.net/\(tenantId)/")),
            ("iat", .number(String(issued))), ("nbf", .number(String(issued))), ("exp", .number(String(expires))),
            ("appid", .string(clientId)), ("tid", .string(tenantId)), ("jti", .string(UUID().uuidString.lowercased())),
        ])
        var sig = Data()
        for _ in 0..<2 { sig.append(contentsOf: withUnsafeBytes(of: UUID().uuid) { Array($0) }) }
        return [
            EntraTokenEndpoint.base64url(D365JSONWriter.data(header)), EntraTokenEndpoint.base64url(D365JSONWriter.data(payload)),
            EntraTokenEndpoint.base64url(sig),
        ].joined(separator: ".")
    }
}
