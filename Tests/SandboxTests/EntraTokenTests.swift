import Foundation
import XCTest

@testable import Sandbox

final class EntraTokenTests: XCTestCase {
    private let okForm: [(String, String)] = [
        ("grant_type", "client_credentials"), ("client_id", D365Harness.clientId), ("client_secret", D365Harness.secret),
        ("scope", "\(D365Harness.base)/.default"),
    ]

    private func form(replacing name: String, with value: String?) -> [(String, String)] {
        okForm.compactMap { $0.0 == name ? value.map { v in (name, v) } : $0 }
    }

    private func assertAADError(
        _ h: D365Harness, _ r: SimResponse, status: Int, error: String, code: Int,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertEqual(r.status, status, file: file, line: line)
        let j = h.json(r)
        XCTAssertEqual(j["error"] as? String, error, file: file, line: line)
        XCTAssertEqual(j["error_codes"] as? [Int], [code], file: file, line: line)
        let description = j["error_description"] as? String ?? ""
        XCTAssertTrue(description.hasPrefix("AADSTS\(code): "), description, file: file, line: line)
        XCTAssertTrue(description.contains("\r\nTrace ID: "), file: file, line: line)
        XCTAssertTrue(description.contains("\r\nCorrelation ID: "), file: file, line: line)
        XCTAssertTrue(description.contains("\r\nTimestamp: "), file: file, line: line)
        XCTAssertNotNil(j["trace_id"] as? String, file: file, line: line)
        XCTAssertNotNil(j["correlation_id"] as? String, file: file, line: line)
        XCTAssertNotNil(j["timestamp"] as? String, file: file, line: line)
    }

    func testV2TokenHasNumericExpiryAndWorksOnData() async throws {
        let h = try D365Harness()
        let r = await h.tokenResponse(form: okForm)
        XCTAssertEqual(r.status, 200)
        let j = h.json(r)
        XCTAssertEqual(j["token_type"] as? String, "Bearer")
        XCTAssertEqual(try h.exact(r)["expires_in"], .number("3599"))
        let token = try XCTUnwrap(j["access_token"] as? String)
        XCTAssertEqual(token.split(separator: ".").count, 3)
        let data = await h.send("GET", "/data/Currencies", token: token)
        XCTAssertEqual(data.status, 200)
    }

    func testV1TokenHasStringExpiryAndExtras() async throws {
        let h = try D365Harness()
        let r = await h.tokenResponse(
            v1: true,
            form: [
                ("grant_type", "client_credentials"), ("client_id", D365Harness.clientId), ("client_secret", D365Harness.secret),
                ("resource", "https://northwind.operations.dynamics.com"),
            ])
        XCTAssertEqual(r.status, 200)
        let j = try h.exact(r)
        XCTAssertEqual(j["expires_in"], .string("3599"))
        XCTAssertEqual(j["ext_expires_in"], .string("3599"))
        XCTAssertEqual(j["resource"], .string("https://northwind.operations.dynamics.com"))
        let on = try XCTUnwrap(j["expires_on"]?.stringValue.flatMap { Int($0) })
        let before = try XCTUnwrap(j["not_before"]?.stringValue.flatMap { Int($0) })
        XCTAssertEqual(on - before, 3599)
        XCTAssertNotNil(j["access_token"]?.stringValue)
    }

    func testV1ResourceWithTrailingSlashIsRejected() async throws {
        let h = try D365Harness()
        let r = await h.tokenResponse(
            v1: true,
            form: [
                ("grant_type", "client_credentials"), ("client_id", D365Harness.clientId), ("client_secret", D365Harness.secret),
                ("resource", "\(D365Harness.base)/"),
            ])
        assertAADError(h, r, status: 400, error: "invalid_resource", code: 70011)
    }

    func testHTTPBasicClientAuthentication() async throws {
        let h = try D365Harness()
        let basic = Data("\(D365Harness.clientId):\(D365Harness.secret)".utf8).base64EncodedString()
        let r = await h.tokenResponse(
            form: [("grant_type", "client_credentials"), ("scope", "\(D365Harness.base)/.default")],
            headers: ["authorization": "Basic \(basic)"])
        XCTAssertEqual(r.status, 200)
        let wrong = Data("\(D365Harness.clientId):nope".utf8).base64EncodedString()
        let bad = await h.tokenResponse(
            form: [("grant_type", "client_credentials"), ("scope", "\(D365Harness.base)/.default")],
            headers: ["authorization": "Basic \(wrong)"])
        assertAADError(h, bad, status: 401, error: "invalid_client", code: 7_000_215)
    }

    func testBadSecretUnknownAppUnknownTenantAndScopeErrors() async throws {
        let h = try D365Harness()
        assertAADError(
            h, await h.tokenResponse(form: form(replacing: "client_secret", with: "wrong")),
            status: 401, error: "invalid_client", code: 7_000_215)
        assertAADError(
            h, await h.tokenResponse(form: form(replacing: "client_id", with: "00000000-0000-0000-0000-000000000000")),
            status: 400, error: "unauthorized_client", code: 700_016)
        assertAADError(
            h, await h.tokenResponse(form: form(replacing: "scope", with: D365Harness.base)),
            status: 400, error: "invalid_scope", code: 1_002_012)
        assertAADError(
            h, await h.tokenResponse(form: form(replacing: "scope", with: "https://other.example/.default")),
            status: 400, error: "invalid_scope", code: 70011)
        assertAADError(
            h, await h.tokenResponse(form: form(replacing: "grant_type", with: nil)),
            status: 400, error: "invalid_request", code: 900_144)
        let tenant = await h.send(
            "POST", "/contoso.onmicrosoft.com/oauth2/v2.0/token",
            body: okForm.map { "\($0.0)=\(D365Harness.encode($0.1))" }.joined(separator: "&"),
            headers: ["content-type": "application/x-www-form-urlencoded"])
        assertAADError(h, tenant, status: 400, error: "invalid_request", code: 90002)
    }

    func testTenantIdWorksAsWellAsDomainAndSeedResourceIsAccepted() async throws {
        let h = try D365Harness()
        let body = form(replacing: "scope", with: "https://northwind.operations.dynamics.com/.default")
            .map { "\($0.0)=\(D365Harness.encode($0.1))" }.joined(separator: "&")
        let r = await h.send(
            "POST", "/5f0c2b7e-8d41-4a6f-b3e9-71c2d4a8e905/oauth2/v2.0/token", body: body,
            headers: ["content-type": "application/x-www-form-urlencoded"])
        XCTAssertEqual(r.status, 200)
    }

    func testTokenExpiresAfterConfiguredLifetime() async throws {
        let h = try D365Harness()
        let set = await h.control("POST", "/_sandbox/entra/settings", query: [("tokenLifetime", "2")])
        XCTAssertEqual(set.status, 200)
        let r = await h.tokenResponse(form: okForm)
        XCTAssertEqual(try h.exact(r)["expires_in"], .number("2"))
        let token = try XCTUnwrap(h.json(r)["access_token"] as? String)
        let fresh = await h.send("GET", "/data/Currencies", token: token)
        XCTAssertEqual(fresh.status, 200)
        _ = await h.control("POST", "/_sandbox/d365/clock", query: [("advanceSeconds", "3")])
        let expired = await h.send("GET", "/data/Currencies", token: token)
        XCTAssertEqual(expired.status, 401)
        XCTAssertEqual(h.header(expired, "WWW-Authenticate"), "Bearer")
        XCTAssertTrue(expired.body.isEmpty)
        // A new token works again.
        let again = await h.send("GET", "/data/Currencies", token: try await h.token())
        XCTAssertEqual(again.status, 200)
    }

    func testRevokeInvalidatesIssuedTokens() async throws {
        let h = try D365Harness()
        let token = try await h.token()
        let revoke = await h.control("POST", "/_sandbox/entra/revoke")
        XCTAssertEqual(h.json(revoke)["revoked"] as? Int, 1)
        let r = await h.send("GET", "/data/VendorsV2", token: token)
        XCTAssertEqual(r.status, 401)
    }

    func testTokenEndpointOnlyAcceptsPost() async throws {
        let h = try D365Harness()
        let r = await h.send("GET", "/\(D365Harness.tenant)/oauth2/v2.0/token")
        assertAADError(h, r, status: 400, error: "invalid_request", code: 900_561)
    }

    func testExpiredClientSecret() async throws {
        let h = try D365Harness { root in
            var entra = root["entra"] as? [String: Any] ?? [:]
            var apps = entra["applications"] as? [[String: Any]] ?? []
            apps[0]["secrets"] = [["value": "old-secret", "expiresAt": "2020-01-01T00:00:00Z"]]
            entra["applications"] = apps
            root["entra"] = entra
        }
        let r = await h.tokenResponse(form: form(replacing: "client_secret", with: "old-secret"))
        assertAADError(h, r, status: 401, error: "invalid_client", code: 7_000_222)
    }
}
