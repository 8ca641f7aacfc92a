import ConnectorCore
import Foundation
import Logging
import XCTest

@testable import ConnectorHTTP

final class HTTPEntraTokenProviderTests: XCTestCase {
    private let authority = URL(string: "https://login.example")!
    private let secret = Secret("cl!ent+secret&=")

    private final class Clock: @unchecked Sendable {
        private let lock = NSLock()
        private var value = Date(timeIntervalSince1970: 1_700_000_000)
        var now: Date { lock.withLock { value } }
        func advance(_ seconds: TimeInterval) { lock.withLock { value += seconds } }
    }

    private func provider(_ transport: ScriptedTransport, clock: Clock = Clock(), capture: LogCapture = LogCapture()) -> EntraTokenProvider {
        let http = HTTPClient(transport: transport, retry: noRetryDelays, logger: capture.logger, system: "entra")
        return EntraTokenProvider(
            authorityURL: authority, tenant: "contoso.example", clientID: "app-id", clientSecret: secret,
            scope: "https://erp.example/.default", http: http, now: { clock.now })
    }

    private func tokenResponse(_ token: String, expiresIn: String = "3599") -> ScriptedTransport.Step {
        .respond(.json(200, "{\"token_type\":\"Bearer\",\"expires_in\":\(expiresIn),\"access_token\":\"\(token)\"}"))
    }

    func testRequestsTheV2EndpointWithAFormBody() async throws {
        let transport = ScriptedTransport([tokenResponse("tok-1")])
        let token = try await provider(transport).token(forceRefresh: false)
        XCTAssertEqual(token.reveal(), "tok-1")
        let request = try XCTUnwrap(transport.requests.first)
        XCTAssertEqual(request.method, "POST")
        XCTAssertEqual(request.url.absoluteString, "https://login.example/contoso.example/oauth2/v2.0/token")
        XCTAssertEqual(request.headers["Content-Type"], "application/x-www-form-urlencoded")
        XCTAssertEqual(
            decodeForm(request.body),
            [
                "grant_type": "client_credentials", "client_id": "app-id", "client_secret": "cl!ent+secret&=",
                "scope": "https://erp.example/.default",
            ])
    }

    func testCachesUntilFiveMinutesBeforeExpiry() async throws {
        let clock = Clock()
        let transport = ScriptedTransport([tokenResponse("tok-1"), tokenResponse("tok-2")])
        let p = provider(transport, clock: clock)
        let t1 = try await p.token(forceRefresh: false)
        clock.advance(3599 - 301)
        let t2 = try await p.token(forceRefresh: false)
        XCTAssertEqual([t1.reveal(), t2.reveal()], ["tok-1", "tok-1"])
        clock.advance(2)
        let t3 = try await p.token(forceRefresh: false)
        XCTAssertEqual(t3.reveal(), "tok-2")
        XCTAssertEqual(transport.requests.count, 2)
    }

    func testForceRefreshFetchesANewToken() async throws {
        let transport = ScriptedTransport([tokenResponse("tok-1"), tokenResponse("tok-2")])
        let p = provider(transport)
        _ = try await p.token(forceRefresh: false)
        let refreshed = try await p.token(forceRefresh: true)
        XCTAssertEqual(refreshed.reveal(), "tok-2")
        let again = try await p.token(forceRefresh: false)
        XCTAssertEqual(again.reveal(), "tok-2")
    }

    func testExpiresInAsANumericStringAndShortLifetimes() async throws {
        let clock = Clock()
        let transport = ScriptedTransport([tokenResponse("tok-1", expiresIn: "\"60\""), tokenResponse("tok-2", expiresIn: "\"60\"")])
        let p = provider(transport, clock: clock)
        _ = try await p.token(forceRefresh: false)
        clock.advance(29)
        let cached = try await p.token(forceRefresh: false)
        XCTAssertEqual(cached.reveal(), "tok-1", "a 60 s token is kept for half its life")
        clock.advance(2)
        let fresh = try await p.token(forceRefresh: false)
        XCTAssertEqual(fresh.reveal(), "tok-2")
    }

    func testConcurrentCallersShareOneRequest() async throws {
        let transport = ScriptedTransport([tokenResponse("tok-1"), tokenResponse("tok-2")], delayNanoseconds: 100_000_000)
        let p = provider(transport)
        let tokens = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<10 { group.addTask { try await p.token(forceRefresh: false).reveal() } }
            var all: [String] = []
            for try await t in group { all.append(t) }
            return all
        }
        XCTAssertEqual(Set(tokens), ["tok-1"])
        XCTAssertEqual(transport.requests.count, 1)
        let fetches = await p.fetchCount
        XCTAssertEqual(fetches, 1)
    }

    func testEntraErrorBecomesACodedErrorWithoutTraceNoiseOrSecret() async throws {
        let body = """
            {"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided. Ensure the secret being sent is the client secret value, not cl!ent+secret&=.\\r\\nTrace ID: 255d1aef-8c98-452f-ac51-23d051240864\\r\\nCorrelation ID: fb3d2015-bc17-4bb9-bb85-30c5cf1aaaa7\\r\\nTimestamp: 2016-01-09 02:02:12Z","error_codes":[7000215],"timestamp":"2016-01-09 02:02:12Z","trace_id":"255d1aef","correlation_id":"fb3d2015"}
            """
        let capture = LogCapture()
        let transport = ScriptedTransport([.respond(.json(401, body))])
        do {
            _ = try await provider(transport, capture: capture).token(forceRefresh: false)
            XCTFail("expected an Entra error")
        } catch let error as ConnectorError {
            XCTAssertEqual(error.code, "entra.invalid_client")
            XCTAssertEqual(
                error.message,
                "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent is the client secret value, not <redacted>.")
            XCTAssertEqual(error.context["entra.error_codes"], "7000215")
            XCTAssertFalse(error.description.contains("cl!ent+secret"))
            XCTAssertFalse(error.message.contains("Trace ID"))
            XCTAssertFalse(error.isTransient)
        }
        XCTAssertFalse(capture.allText.contains("cl!ent"))
    }

    func testResponseWithoutAccessTokenIsAnError() async throws {
        let transport = ScriptedTransport([.respond(.json(200, "{\"token_type\":\"Bearer\"}"))])
        do {
            _ = try await provider(transport).token(forceRefresh: false)
            XCTFail("expected an error")
        } catch let error as ConnectorError {
            XCTAssertEqual(error.code, "entra.invalid_response")
        }
    }

    func testCleanDescription() {
        XCTAssertEqual(
            EntraTokenProvider.cleanDescription("AADSTS90002: Tenant 'x' not found.\r\nTrace ID: a\r\nCorrelation ID: b\r\nTimestamp: c"),
            "AADSTS90002: Tenant 'x' not found.")
        XCTAssertEqual(EntraTokenProvider.cleanDescription("plain"), "plain")
    }
}
