import ConnectorCore
import Foundation
import Logging
import XCTest

@testable import ConnectorHTTP

final class HTTPClientTests: XCTestCase {
    private let url = URL(string: "https://erp.example/data/VendorsV2?$filter=x")!

    func testRetries429HonouringRetryAfterThenReturnsSuccess() async throws {
        let transport = ScriptedTransport([
            .respond(.json(429, "{}", headers: ["Retry-After": "0"])),
            .respond(.json(200, "{\"ok\":true}")),
        ])
        let client = HTTPClient(transport: transport, retry: noRetryDelays, logger: LogCapture().logger, system: "d365")
        let response = try await client.send(HTTPRequest(method: "POST", url: url), idempotent: false)
        XCTAssertEqual(response.status, 200)
        let count = await client.requestCount
        XCTAssertEqual(count, 2)
    }

    func testThrottlingThatNeverEndsReturnsTheLastResponseAfterMaxAttempts() async throws {
        let transport = ScriptedTransport(Array(repeating: .respond(.json(503, "{}")), count: 5))
        let client = HTTPClient(transport: transport, retry: noRetryDelays, logger: LogCapture().logger, system: "d365")
        let response = try await client.send(HTTPRequest(method: "GET", url: url), idempotent: true)
        XCTAssertEqual(response.status, 503)
        XCTAssertEqual(transport.requests.count, 3)
        let count = await client.requestCount
        XCTAssertEqual(count, 3)
    }

    func testServerErrorIsRetriedForIdempotentRequests() async throws {
        let transport = ScriptedTransport([.respond(.json(502, "")), .respond(.json(504, "")), .respond(.json(200, "[]"))])
        let client = HTTPClient(transport: transport, retry: noRetryDelays, logger: LogCapture().logger, system: "d365")
        let response = try await client.send(HTTPRequest(method: "GET", url: url), idempotent: true)
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(transport.requests.count, 3)
    }

    /// Business Central sends `Retry-After` on 502 and 503 (nav-bc-api.md §2): a retried read waits at least that long.
    func testRetryAfterOn502IsHonouredForARetriedRead() async throws {
        let transport = ScriptedTransport([.respond(.json(502, "", headers: ["Retry-After": "1"])), .respond(.json(200, "[]"))])
        let policy = RetryPolicy(maxAttempts: 3, baseDelay: 0, maxDelay: 5, jitter: 0)
        let client = HTTPClient(transport: transport, retry: policy, logger: LogCapture().logger, system: "bc")
        let started = Date()
        let response = try await client.send(HTTPRequest(method: "GET", url: url), idempotent: true)
        XCTAssertEqual(response.status, 200)
        XCTAssertGreaterThanOrEqual(Date().timeIntervalSince(started), 0.95, "waited for Retry-After")
        XCTAssertEqual(transport.requests.count, 2)
    }

    func testServerErrorOnNonIdempotentRequestIsAmbiguousAndNotRepeated() async throws {
        let transport = ScriptedTransport([.respond(.json(502, "")), .respond(.json(201, "{}"))])
        let client = HTTPClient(transport: transport, retry: noRetryDelays, logger: LogCapture().logger, system: "d365")
        do {
            _ = try await client.send(HTTPRequest(method: "POST", url: url), idempotent: false)
            XCTFail("expected an ambiguous failure")
        } catch let error as ConnectorError {
            XCTAssertEqual(error.code, "http.ambiguous")
            XCTAssertTrue(error.isTransient)
            XCTAssertEqual(error.context["http.status"], "502")
        }
        XCTAssertEqual(transport.requests.count, 1)
    }

    func testAServerErrorTheCallerCallsFinalIsReturnedAtOnceNeitherRetriedNorAmbiguous() async throws {
        let transport = ScriptedTransport([.respond(.json(500, "fault")), .respond(.json(500, "proxy")), .respond(.json(201, "{}"))])
        let client = HTTPClient(transport: transport, retry: noRetryDelays, logger: LogCapture().logger, system: "nav-soap")
        let isFault: @Sendable (HTTPResponse) -> Bool = { $0.text == "fault" }
        let fault = try await client.send(HTTPRequest(method: "POST", url: url), idempotent: false, isFinal: isFault)
        XCTAssertEqual(fault.status, 500)
        XCTAssertEqual(transport.requests.count, 1)
        do {
            _ = try await client.send(HTTPRequest(method: "POST", url: url), idempotent: false, isFinal: isFault)
            XCTFail("a 500 that is not final stays ambiguous")
        } catch let error as ConnectorError {
            XCTAssertEqual(error.code, "http.ambiguous")
        }
        XCTAssertEqual(transport.requests.count, 2)
    }

    func testNetworkFailureIsRetriedOnlyWhenIdempotent() async throws {
        let idempotent = ScriptedTransport([.fail(.network), .respond(.json(200, "{}"))])
        let c1 = HTTPClient(transport: idempotent, retry: noRetryDelays, logger: LogCapture().logger, system: "x")
        let ok = try await c1.send(HTTPRequest(method: "GET", url: url), idempotent: true)
        XCTAssertEqual(ok.status, 200)
        XCTAssertEqual(idempotent.requests.count, 2)

        let post = ScriptedTransport([.fail(.network), .respond(.json(201, "{}"))])
        let c2 = HTTPClient(transport: post, retry: noRetryDelays, logger: LogCapture().logger, system: "x")
        do {
            _ = try await c2.send(HTTPRequest(method: "POST", url: url), idempotent: false)
            XCTFail("expected a network error")
        } catch let error as ConnectorError {
            XCTAssertEqual(error.code, "http.network")
            XCTAssertTrue(error.isTransient)
            XCTAssertEqual(error.context["ambiguous"], "true")
        }
        XCTAssertEqual(post.requests.count, 1)
    }

    func testClientErrorsAreNotRetried() async throws {
        let transport = ScriptedTransport([.respond(.json(400, "{}")), .respond(.json(200, "{}"))])
        let client = HTTPClient(transport: transport, retry: noRetryDelays, logger: LogCapture().logger, system: "x")
        let response = try await client.send(HTTPRequest(method: "GET", url: url), idempotent: true)
        XCTAssertEqual(response.status, 400)
        XCTAssertEqual(transport.requests.count, 1)
    }

    func testLogsUseMetadataAndNeverCarrySecretsOrBodies() async throws {
        let capture = LogCapture()
        let transport = ScriptedTransport([.respond(.json(429, "{\"token\":\"s3cr3t-body\"}")), .respond(.json(200, "{}"))])
        let client = HTTPClient(transport: transport, retry: noRetryDelays, logger: capture.logger, system: "d365")
        let request = HTTPRequest(
            method: "POST", url: URL(string: "https://erp.example/data/X?secretquery=s3cr3t-query")!,
            headers: ["Authorization": "Bearer s3cr3t-token"], body: Data("client_secret=s3cr3t-body".utf8))
        _ = try await client.send(request, idempotent: true)
        let text = capture.allText
        XCTAssertFalse(text.contains("s3cr3t"), text)
        XCTAssertTrue(capture.entries.contains { $0.metadata["http.status"] == "429" && $0.metadata["http.attempt"] == "1" })
        XCTAssertTrue(capture.entries.allSatisfy { $0.metadata["system"] == "d365" && $0.metadata["http.method"] == "POST" })
        XCTAssertTrue(capture.entries.filter { $0.level >= .info }.allSatisfy { !$0.message.contains("429") })
    }

    func testResponseHeadersAreCaseInsensitive() {
        let response = HTTPResponse(status: 429, headers: ["Retry-After": "7", "Content-Type": "application/json"])
        XCTAssertEqual(response.header("retry-after"), "7")
        XCTAssertEqual(response.header("RETRY-AFTER"), "7")
        XCTAssertEqual(response.headers["content-type"], "application/json")
        XCTAssertNil(response.header("Location"))
    }
}

final class HTTPRetryAfterTests: XCTestCase {
    private let now = Date(timeIntervalSince1970: 784_111_777)  // Sun, 06 Nov 1994 08:49:37 GMT

    func testDelaySeconds() {
        XCTAssertEqual(RetryAfter.seconds("120", now: now), 120)
        XCTAssertEqual(RetryAfter.seconds(" 5 ", now: now), 5)
        XCTAssertEqual(RetryAfter.seconds("0", now: now), 0)
        XCTAssertEqual(RetryAfter.seconds("1.5", now: now), 1.5)
    }

    func testInvalidValuesAreIgnored() {
        XCTAssertNil(RetryAfter.seconds("", now: now))
        XCTAssertNil(RetryAfter.seconds("-3", now: now))
        XCTAssertNil(RetryAfter.seconds("soon", now: now))
        XCTAssertNil(RetryAfter.seconds("1e3", now: now))
    }

    func testHTTPDateForms() {
        XCTAssertEqual(RetryAfter.seconds("Sun, 06 Nov 1994 08:50:07 GMT", now: now), 30)
        XCTAssertEqual(RetryAfter.seconds("Sunday, 06-Nov-94 08:50:37 GMT", now: now), 60)
        XCTAssertEqual(RetryAfter.seconds("Sun Nov  6 08:49:47 1994", now: now), 10)
        XCTAssertEqual(RetryAfter.seconds("Sun, 06 Nov 1994 08:00:00 GMT", now: now), 0, "a date in the past means now")
    }

    func testExponentialBackoffIsCappedAndJitterOnlyShortensIt() {
        let policy = RetryPolicy(maxAttempts: 6, baseDelay: 2, maxDelay: 10, jitter: 0)
        var g = SeededGenerator(state: 1)
        XCTAssertEqual(policy.delay(afterAttempt: 1, retryAfter: nil, using: &g), 2)
        XCTAssertEqual(policy.delay(afterAttempt: 2, retryAfter: nil, using: &g), 4)
        XCTAssertEqual(policy.delay(afterAttempt: 3, retryAfter: nil, using: &g), 8)
        XCTAssertEqual(policy.delay(afterAttempt: 4, retryAfter: nil, using: &g), 10)
        XCTAssertEqual(policy.delay(afterAttempt: 60, retryAfter: nil, using: &g), 10)

        let jittered = RetryPolicy(maxAttempts: 6, baseDelay: 2, maxDelay: 100, jitter: 0.25)
        for attempt in 1...5 {
            let d = jittered.delay(afterAttempt: attempt, retryAfter: nil, using: &g)
            let full = 2 * pow(2, Double(attempt - 1))
            XCTAssertLessThanOrEqual(d, full)
            XCTAssertGreaterThanOrEqual(d, full * 0.75)
        }
    }

    func testRetryAfterIsHonouredNeverShortenedButCapped() {
        let policy = RetryPolicy(maxAttempts: 6, baseDelay: 1, maxDelay: 60, jitter: 0.2)
        var g = SeededGenerator(state: 42)
        for _ in 0..<20 {
            let d = policy.delay(afterAttempt: 1, retryAfter: 30, using: &g)
            XCTAssertGreaterThanOrEqual(d, 30)
            XCTAssertLessThanOrEqual(d, 36)
        }
        XCTAssertEqual(policy.delay(afterAttempt: 1, retryAfter: 3600, using: &g), 60)
        XCTAssertEqual(RetryPolicy.standard.maxAttempts, 6)
        XCTAssertEqual(RetryPolicy.none.maxAttempts, 1)
    }
}

final class HTTPFormEncodingTests: XCTestCase {
    func testEncodesEverythingButUnreservedCharacters() {
        XCTAssertEqual(FormEncoding.escape("a b+c&d=e/f?g#h'i~j.k_l-m"), "a%20b%2Bc%26d%3De%2Ff%3Fg%23h%27i~j.k_l-m")
        XCTAssertEqual(FormEncoding.escape("Müller & Söhne"), "M%C3%BCller%20%26%20S%C3%B6hne")
        XCTAssertEqual(FormEncoding.escape("{\"k\":\"v\"}"), "%7B%22k%22%3A%22v%22%7D")
        XCTAssertEqual(FormEncoding.escape("%"), "%25")
    }

    func testBodyRoundTripsThroughAFormDecoderThatTreatsPlusAsSpace() {
        let secret = "ab+c/d==&x=1 %41"
        let template = "<#list reports as r>${r.total?c}+${r.x!\"a&b=c\"}</#list>"
        let body = FormEncoding.body([("requestJobDescription", "{\"s\":\"\(secret)\"}"), ("template", template)])
        let decoded = decodeForm(body)
        XCTAssertEqual(decoded["requestJobDescription"], "{\"s\":\"\(secret)\"}")
        XCTAssertEqual(decoded["template"], template)
        XCTAssertFalse(String(decoding: body, as: UTF8.self).contains("+"))
    }
}
