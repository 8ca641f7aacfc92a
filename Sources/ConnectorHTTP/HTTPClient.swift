import ConnectorCore
import Foundation
import Logging

/// The one place for HTTP policy: attempt counting, retries, backoff and `Retry-After`, request logging.
///
/// Retry rules:
/// - 429 and 503 mean the server did not do the work, so any request is retried, honouring `Retry-After`
///   (seconds or HTTP-date, capped at `retry.maxDelay`), else exponential backoff with jitter.
/// - 500, 502, 504 and network failures are retried only for `idempotent` requests. A non-idempotent request
///   (a POST that creates something) may have been applied before the failure, so it is never repeated
///   blindly: a 500/502/504 surfaces as a transient `http.ambiguous` error and a network failure as a
///   transient `http.network` error, and the caller looks the record up before deciding what to do.
/// - When retries run out, the last response is returned (or the last network error thrown); mapping
///   statuses to domain errors is the caller's job.
///
/// Logging uses metadata only (`http.method`, `http.status`, `http.attempt`, `system`, `http.path`), at debug
/// for each attempt and info for retries; never query strings, bodies, tokens or `Authorization`.
public actor HTTPClient {
    /// Short name of the system (`expensify`, `d365`, `entra`) attached to logs, errors and audit events.
    public nonisolated let system: String
    /// The retry policy, shared with callers that retry answers of their own (Expensify's `responseCode` 429).
    public nonisolated let retry: RetryPolicy
    private let transport: any HTTPTransport
    private let logger: Logger
    private let onFailure: (@Sendable (HTTPFailureEvent) async -> Void)?
    /// Every attempt sent, retries included.
    public private(set) var requestCount = 0

    /// - Parameters:
    ///   - transport: what puts requests on the wire (`CurlTransport` in production).
    ///   - retry: the retry policy.
    ///   - logger: where attempts and retries are logged.
    ///   - system: a short name (`expensify`, `d365`, `entra`) attached to logs and errors.
    ///   - onFailure: called for every failed attempt (the pipeline writes them to the audit trail).
    public init(
        transport: any HTTPTransport, retry: RetryPolicy = .standard, logger: Logger, system: String,
        onFailure: (@Sendable (HTTPFailureEvent) async -> Void)? = nil
    ) {
        self.onFailure = onFailure
        self.transport = transport
        self.retry = retry
        self.logger = logger
        self.system = system
    }

    /// Sends `request` under the retry rules above.
    /// - Parameter idempotent: true when sending the request twice has the same effect as once.
    /// - Returns: the final response, whatever its status (except the ambiguous cases above).
    /// - Throws: `http.network` (transient) when no answer came; `http.ambiguous` (transient) when a
    ///   non-idempotent request failed in a way that may have committed; `CancellationError`.
    public func send(_ request: HTTPRequest, idempotent: Bool) async throws -> HTTPResponse {
        var request = request
        request.isIdempotent = idempotent
        let transport = self.transport
        return try await perform(request, idempotent: idempotent, isFinal: nil) { try await transport.send($0) }
    }

    /// Like `send(_:idempotent:)`, for protocols whose 5xx can be a definite answer: a 500/502/504 for which
    /// `isFinal` returns true (NAV's SOAP fault: the call ran and was rolled back) is returned at once, neither
    /// retried nor reported as ambiguous. Other 5xx follow the rules above.
    public func send(
        _ request: HTTPRequest, idempotent: Bool, isFinal: @escaping @Sendable (HTTPResponse) -> Bool
    ) async throws -> HTTPResponse {
        var request = request
        request.isIdempotent = idempotent
        let transport = self.transport
        return try await perform(request, idempotent: idempotent, isFinal: isFinal) { try await transport.send($0) }
    }

    /// Like `send`, under the same retry rules, but the response body is streamed to `file` (created, or
    /// truncated at every attempt) instead of memory; the returned response has an empty body. The file holds the
    /// body of the final response, whatever its status.
    public func download(_ request: HTTPRequest, to file: URL, idempotent: Bool) async throws -> HTTPResponse {
        var request = request
        request.isIdempotent = idempotent
        let transport = self.transport
        return try await perform(request, idempotent: idempotent, isFinal: nil) { try await transport.download($0, to: file) }
    }

    private func perform(
        _ request: HTTPRequest, idempotent: Bool, isFinal: (@Sendable (HTTPResponse) -> Bool)?,
        attempt send: (HTTPRequest) async throws -> HTTPResponse
    ) async throws -> HTTPResponse {
        var attempt = 0
        while true {
            try Task.checkCancellation()
            attempt += 1
            requestCount += 1
            let metadata: Logger.Metadata = [
                "system": "\(system)", "http.method": "\(request.method)", "http.path": "\(request.url.path)",
                "http.attempt": "\(attempt)",
            ]
            logger.debug("HTTP request", metadata: metadata)

            let response: HTTPResponse
            do {
                response = try await send(request)
            } catch let error as ConnectorError where error.code == ErrorCode.httpNetwork {
                var failure = error
                failure.context["system"] = system
                await report(request, status: nil, attempt: attempt, willRetry: idempotent && attempt < retry.maxAttempts)
                guard idempotent else {
                    failure.context["ambiguous"] = "true"
                    logger.debug("HTTP network failure on a non-idempotent request", metadata: metadata)
                    throw failure
                }
                guard attempt < retry.maxAttempts else { throw failure }
                let wait = retry.delay(afterAttempt: attempt, retryAfter: nil)
                logger.info(
                    "HTTP retry after network failure",
                    metadata: metadata.merging(["http.retry_in": "\(Self.rounded(wait))"]) { $1 })
                try await Self.sleep(wait)
                continue
            }

            var statusMetadata = metadata
            statusMetadata["http.status"] = "\(response.status)"
            logger.debug("HTTP response", metadata: statusMetadata)

            let throttled = response.status == 429 || response.status == 503
            var serverError = [500, 502, 504].contains(response.status)
            if serverError, let isFinal, isFinal(response) { serverError = false }
            if response.status >= 400 {
                await report(
                    request, status: response.status, attempt: attempt,
                    willRetry: (throttled || (serverError && idempotent)) && attempt < retry.maxAttempts)
            }
            if serverError && !idempotent {
                throw ConnectorError(
                    ErrorCode.httpAmbiguous,
                    "\(system) answered \(response.status) to a \(request.method) that is not safe to repeat; it may or may not have been applied.",
                    context: ["system": system, "http.status": String(response.status), "http.method": request.method],
                    isTransient: true)
            }
            guard throttled || serverError, attempt < retry.maxAttempts else { return response }

            let retryAfter = response.header("Retry-After").flatMap { RetryAfter.seconds($0) }
            let wait = retry.delay(afterAttempt: attempt, retryAfter: (throttled || serverError) ? retryAfter : nil)
            var retryMetadata = statusMetadata
            retryMetadata["http.retry_in"] = "\(Self.rounded(wait))"
            logger.info("HTTP retry", metadata: retryMetadata)
            try await Self.sleep(wait)
        }
    }

    private func report(_ request: HTTPRequest, status: Int?, attempt: Int, willRetry: Bool) async {
        guard let onFailure else { return }
        await onFailure(
            HTTPFailureEvent(
                system: system, method: request.method, path: request.url.path, status: status,
                attempt: attempt, willRetry: willRetry))
    }

    private static func sleep(_ seconds: TimeInterval) async throws {
        guard seconds > 0 else { return }
        try await Task.sleep(nanoseconds: UInt64(seconds * 1_000_000_000))
    }

    private static func rounded(_ seconds: TimeInterval) -> String { String(format: "%.2f", seconds) }
}
