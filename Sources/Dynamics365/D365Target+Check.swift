import ConnectorCore
import ConnectorHTTP
import Foundation
import OData

/// `ml-connector check` for F&O: an Entra token with the configured client credentials, then one one-row read per
/// configured company (`VendorsV2?cross-company=true&$filter=dataAreaId eq '…'&$top=1`, the vendors the invoices go
/// to). Each failure is explained in the words an operator needs:
///
/// - Entra refuses the secret (`invalid_client`, AADSTS7000215) → wrong secret; AADSTS7000222 → expired secret;
///   AADSTS700016 / 90002 → the application or tenant is unknown; AADSTS errors about time → clock skew;
/// - a token, but D365 answers 401 even with a fresh one → the application is not registered in F&O (System
///   administration > Microsoft Entra ID applications) or its user is disabled; 403 → its user lacks permissions;
/// - no row for a company → the company does not exist (`LegalEntities` is asked), or the user cannot see it;
/// - this machine's clock more than five minutes from the server's (the `Date` header of D365's answers, the token's
///   `nbf`/`exp` claims) → clock skew;
/// - no answer at all → host unreachable.
extension D365Target {
    /// The entity read once per company: every company the connector posts to has vendors.
    static let checkEntitySet = "VendorsV2"

    /// A token, then a one-row read per company: proves the secret, the app's access to F&O and each company, writing nothing.
    public func check(companies: [String]) async -> [CheckResult] {
        var results: [CheckResult] = []
        let tokens = EntraTokenProvider(
            authorityURL: settings.authorityURL, tenant: settings.tenant, clientID: settings.clientID,
            clientSecret: settings.clientSecret, scope: settings.resolvedScope, http: http)
        let entraHost = settings.authorityURL.host ?? settings.authorityURL.absoluteString
        var clock = D365ClockEvidence()

        let token: Secret
        do {
            token = try await tokens.token(forceRefresh: false)
            clock.token(token, receivedAt: Date())
            results.append(
                .pass("entra", "token", "Entra ID (\(entraHost)) issued a token to client \(settings.clientID) for \(settings.resolvedScope)."))
        } catch {
            results.append(Self.tokenFailure(error, settings: settings, host: entraHost))
            if let skew = clock.finding() { results.append(skew) }
            return results
        }

        let envHost = settings.environmentURL.host ?? settings.environmentBase
        var current = token
        let ordered = companies.map { $0.lowercased() }.filter { !$0.isEmpty }.sorted()
        reads: for (n, company) in ordered.enumerated() {
            let item = "company \(company)"
            let read = await readOne(
                Self.checkEntitySet, filter: ODataFilter.eq("dataAreaId", company),
                select: ["dataAreaId", "VendorAccountNumber"], token: &current, tokens: tokens, clock: &clock)
            switch read {
            case .rows(let count) where count > 0:
                results.append(.pass("d365", item, "\(envHost) answered a one-row read of \(Self.checkEntitySet) in company \(company)."))
            case .rows:
                results.append(await missingCompany(company, token: &current, tokens: tokens, clock: &clock))
            case .failed(var r):
                r.item = item
                // A refused token, missing rights or a dead host are the same for every company: say it once.
                let everywhere = [CheckResult.Problem.appNotRegistered, .unreachable, .accessDenied].contains(r.problem)
                let rest = ordered.dropFirst(n + 1)
                if everywhere && !rest.isEmpty { r.detail += " (Not tried for \(rest.joined(separator: ", ")).)" }
                results.append(r)
                if everywhere { break reads }
            }
        }
        if companies.isEmpty {
            results.append(.fail("d365", "companies", .notFound, "No company is configured (the companies map is empty), so nothing was read."))
        }
        results.append(clock.finding() ?? clock.passed(host: envHost))
        return results
    }

    enum CheckRead {
        case rows(Int)
        case failed(CheckResult)
    }

    /// One `$top=1` read with `token`; a 401 gets one fresh token and one more try (as every OData call does).
    func readOne(
        _ entitySet: String, filter: String, select: [String], token: inout Secret, tokens: EntraTokenProvider,
        clock: inout D365ClockEvidence
    ) async -> CheckRead {
        guard let base = odata.collectionURL(entitySet, filter: filter, select: select, crossCompany: true),
            let url = URL(string: base.absoluteString + "&%24top=1")
        else {
            return .failed(.fail("d365", entitySet, .other, "Could not build a URL for \(entitySet) under \(settings.environmentBase)."))
        }
        let host = settings.environmentURL.host ?? settings.environmentBase
        func request(_ token: Secret) -> HTTPRequest {
            HTTPRequest(
                method: "GET", url: url,
                headers: [
                    "OData-Version": "4.0", "OData-MaxVersion": "4.0", "Accept": "application/json;odata.metadata=minimal",
                    "Authorization": "Bearer " + token.reveal(),
                ], timeout: 60)
        }
        do {
            var response = try await http.send(request(token), idempotent: true)
            clock.date(response.header("Date"), receivedAt: Date())
            if response.status == 401 {
                token = try await tokens.token(forceRefresh: true)
                clock.token(token, receivedAt: Date())
                response = try await http.send(request(token), idempotent: true)
                clock.date(response.header("Date"), receivedAt: Date())
            }
            switch response.status {
            case 200..<300:
                guard let rows = try? odata.collectionPage(response.body, entitySet: entitySet, status: response.status).rows else {
                    return .failed(
                        .fail(
                            "d365", entitySet, .other,
                            "\(host) answered \(entitySet) with something that is not an OData collection; is target.environmentURL the F&O environment?"
                        ))
                }
                return .rows(rows.count)
            case 401:
                return .failed(
                    .fail(
                        "d365", entitySet, .appNotRegistered,
                        "Entra ID issued a token, but D365 (\(host)) refuses it (HTTP 401, also with a fresh token): the application \(settings.clientID) is not registered in F&O (System administration > Setup > Microsoft Entra ID applications), or the user it runs as is disabled."
                    ))
            case 403:
                return .failed(
                    .fail(
                        "d365", entitySet, .accessDenied,
                        "D365 (\(host)) knows the application but its user may not read \(entitySet) (HTTP 403): give the user mapped to client \(settings.clientID) a role that reads vendors and writes vendor invoices."
                    ))
            case 404:
                return .failed(
                    .fail(
                        "d365", entitySet, .notFound,
                        "D365 (\(host)) has no \(entitySet) under /data (HTTP 404): is target.environmentURL the F&O environment's address?"))
            case 429, 503:
                return .failed(
                    .fail(
                        "d365", entitySet, .throttled,
                        "D365 (\(host)) kept throttling the check (HTTP \(response.status)); try again in a few minutes."))
            default:
                let reason = D365ErrorMessage.parse(response.body) ?? "no reason given"
                return .failed(.fail("d365", entitySet, .other, "D365 (\(host)) answered HTTP \(response.status): \(reason)"))
            }
        } catch {
            if let e = error as? ConnectorError, e.code.hasPrefix("entra.") {
                return .failed(Self.tokenFailure(e, settings: settings, host: settings.authorityURL.host ?? ""))
            }
            return .failed(Self.networkFailure(error, system: "d365", what: "D365 (\(host))"))
        }
    }

    /// Why a company has no rows: `LegalEntities` tells a company that does not exist from one the user cannot see.
    func missingCompany(_ company: String, token: inout Secret, tokens: EntraTokenProvider, clock: inout D365ClockEvidence) async -> CheckResult {
        let item = "company \(company)"
        let legal = await readOne(
            "LegalEntities", filter: ODataFilter.eq("LegalEntityId", company), select: ["LegalEntityId"],
            token: &token, tokens: tokens, clock: &clock)
        switch legal {
        case .rows(0):
            return .fail(
                "d365", item, .notFound,
                "Company \(company) does not exist in D365 (LegalEntities has no \(company)): fix the companies map of the configuration.")
        case .rows:
            return .fail(
                "d365", item, .notFound,
                "Company \(company) exists, but the application's user sees no vendors in it: give that user access to company \(company) (or the company has no vendors yet)."
            )
        case .failed:
            return .fail(
                "d365", item, .notFound,
                "D365 returned no \(Self.checkEntitySet) row for company \(company): the company does not exist, or the application's user has no access to it."
            )
        }
    }

    /// A failed token request in plain words.
    static func tokenFailure(_ error: any Error, settings: D365Settings, host: String) -> CheckResult {
        guard let e = error as? ConnectorError else {
            return .fail("entra", "token", .other, "The token request to Entra ID (\(host)) failed: \(error)")
        }
        if e.code == ErrorCode.httpNetwork { return networkFailure(e, system: "entra", what: "Entra ID (\(host))", item: "token") }
        let codes = Set((e.context["entra.error_codes"] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        let said = " Entra ID said: \(e.message)"
        let timeCodes: Set<String> = ["700024", "500133", "700025"]
        let lower = e.message.lowercased()
        if !codes.isDisjoint(with: timeCodes) || lower.contains("time range") || lower.contains("clock") || lower.contains("not yet valid") {
            return .fail(
                "entra", "token", .clockSkew,
                "Entra ID refused the request because of time: this machine's clock is probably wrong; synchronise it (NTP)." + said)
        }
        if codes.contains("7000222") {
            return .fail(
                "entra", "token", .secretExpired,
                "The client secret of application \(settings.clientID) has expired: create a new one in the Azure portal and store it (ml-connector credentials set)."
                    + said)
        }
        if e.code == "entra.invalid_client" {
            return .fail(
                "entra", "token", .wrongSecret,
                "Entra ID refused the client secret of application \(settings.clientID) (wrong secret: use the secret's value, not its ID; check the stored credential or the environment variable)."
                    + said)
        }
        if e.code == "entra.unauthorized_client" || codes.contains("700016") {
            return .fail(
                "entra", "token", .unknownApplication,
                "Entra ID has no application \(settings.clientID) in tenant \(settings.tenant): check target.clientID and target.tenant." + said)
        }
        if codes.contains("90002") {
            return .fail("entra", "token", .unknownApplication, "Entra ID does not know tenant \(settings.tenant): check target.tenant." + said)
        }
        if e.code == "entra.invalid_scope" || e.code == "entra.invalid_resource" {
            return .fail(
                "entra", "token", .other,
                "Entra ID refused the scope \(settings.resolvedScope): check target.scope and target.environmentURL." + said)
        }
        return .fail("entra", "token", .other, "Entra ID (\(host)) refused the token request [\(e.code)]." + said)
    }

    static func networkFailure(_ error: any Error, system: String, what: String, item: String = "connection") -> CheckResult {
        if let e = error as? ConnectorError, e.code == ErrorCode.httpNetwork {
            return .fail(system, item, .unreachable, "\(what) did not answer: \(e.message) Check the address, DNS, the firewall and the proxy.")
        }
        if error is CancellationError { return .fail(system, item, .other, "\(what): cancelled.") }
        let text = (error as? ConnectorError).map { "[\($0.code)] \($0.message)" } ?? "\(error)"
        return .fail(system, item, .other, "\(what): \(text)")
    }
}

/// What the check saw of the servers' clocks: the `Date` header of D365's answers and the token's `nbf`/`exp` claims,
/// each against this machine's clock when the answer arrived.
struct D365ClockEvidence: Sendable {
    /// Largest server-minus-local difference seen in a `Date` header.
    var dateSkew: TimeInterval?
    /// The token is not valid yet by this machine's clock: local is behind by at least this much.
    var behindByAtLeast: TimeInterval?
    /// The token had expired by this machine's clock when it arrived: local is ahead by at least this much.
    var aheadByAtLeast: TimeInterval?

    private static let httpDate: DateFormatter = {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "GMT")
        f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return f
    }()

    mutating func date(_ header: String?, receivedAt local: Date) {
        guard let header, let server = Self.httpDate.date(from: header.trimmingCharacters(in: .whitespaces)) else { return }
        let skew = server.timeIntervalSince(local)
        if abs(skew) > abs(dateSkew ?? 0) || dateSkew == nil { dateSkew = skew }
    }

    /// Reads `nbf` and `exp` from a JWT-shaped token (not verified: only its times are looked at).
    mutating func token(_ token: Secret, receivedAt local: Date) {
        let parts = token.reveal().split(separator: ".")
        guard parts.count == 3 else { return }
        var payload = parts[1].replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while payload.count % 4 != 0 { payload += "=" }
        guard let data = Data(base64Encoded: payload), let claims = try? JSONValue.parse(data) else { return }
        let now = local.timeIntervalSince1970
        if let nbf = claims["nbf"]?.decimalValue.map({ NSDecimalNumber(decimal: $0).doubleValue }), nbf - now > ClockSkew.tolerance {
            behindByAtLeast = max(behindByAtLeast ?? 0, nbf - now)
        }
        if let exp = claims["exp"]?.decimalValue.map({ NSDecimalNumber(decimal: $0).doubleValue }), now - exp > 0 {
            aheadByAtLeast = max(aheadByAtLeast ?? 0, now - exp)
        }
    }

    /// A failed `clock` finding when any evidence shows skew beyond the tolerance.
    func finding() -> CheckResult? {
        if let behind = behindByAtLeast {
            return .fail(
                "clock", "time", .clockSkew,
                "This machine's clock is at least \(ClockSkew.describe(behind)) behind Entra ID's (the token it issued is not valid yet by this clock): synchronise the clock (NTP); export windows and token expiry are computed from it."
            )
        }
        if let ahead = aheadByAtLeast {
            return .fail(
                "clock", "time", .clockSkew,
                "This machine's clock is at least \(ClockSkew.describe(ahead)) ahead of Entra ID's (the token had expired by this clock when it arrived): synchronise the clock (NTP)."
            )
        }
        if let skew = dateSkew, abs(skew) > ClockSkew.tolerance {
            return .fail(
                "clock", "time", .clockSkew,
                "This machine's clock is \(ClockSkew.describe(skew)) \(skew > 0 ? "behind" : "ahead of") D365's (its Date header): synchronise the clock (NTP)."
            )
        }
        return nil
    }

    func passed(host: String) -> CheckResult {
        if let skew = dateSkew {
            return .pass(
                "clock", "time",
                "This machine's clock is within \(ClockSkew.describe(ClockSkew.tolerance)) of \(host)'s (off by \(ClockSkew.describe(skew))).")
        }
        return .pass("clock", "time", "No sign of clock skew (the server sent no Date header to compare with).")
    }
}
