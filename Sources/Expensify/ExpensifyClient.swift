import ConnectorCore
import ConnectorHTTP
import Foundation
import Logging

/// Client of the Expensify Integration Server (one endpoint, jobs chosen by `requestJobDescription`).
///
/// Error rules (expensify-api.md §1.3, §1.4, §10.7):
/// - any JSON object with `responseCode` ≠ 200, even under HTTP 200, is an error `expensify.<code>` carrying
///   `responseMessage`; 401 and 407 (as HTTP status or `responseCode`) are `expensify.auth`;
/// - 429 is retried with backoff (HTTP 429 by `HTTPClient`, `responseCode` 429 here), then
///   `expensify.rate_limited` (transient);
/// - a downloaded JSON **array** is data, never an error.
/// The partner secret goes only into the request body; bodies are never logged and messages are scrubbed.
public struct ExpensifyClient: Sendable {
    /// The Integration Server URL every job is posted to.
    public let endpoint: URL
    let credentials: ExpensifyCredentials
    let http: HTTPClient
    private let logger: Logger
    /// Export jobs are synchronous and may take minutes (expensify-api.md §1.5).
    private let exportTimeout: TimeInterval = 900
    let timeout: TimeInterval = 120

    /// A client for one partner account; `http` carries the retry policy and the failure audit.
    public init(endpoint: URL, credentials: ExpensifyCredentials, http: HTTPClient, logger: Logger) {
        self.endpoint = endpoint
        self.credentials = credentials
        self.http = http
        self.logger = logger
    }

    /// HTTP requests this client has sent so far, retries included (for the stage's counts and the batch report).
    public func requestCount() async -> Int { await http.requestCount }

    /// The FreeMarker export template shipped with the connector (`Resources/export-template.json.ftl`).
    /// - Throws: `expensify.template_missing` when the resource bundle lacks it.
    public static func bundledTemplate() throws -> String {
        guard let url = Bundle.module.url(forResource: "export-template.json", withExtension: "ftl") else {
            throw ConnectorError(
                "expensify.template_missing", "The bundled export template export-template.json.ftl is missing from the Expensify resource bundle.")
        }
        do {
            return try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw ConnectorError(
                "expensify.template_missing", "The bundled export template could not be read.",
                context: ["path": url.path])
        }
    }

    /// Runs the report exporter and returns the generated file's name (download it with `download`).
    /// No `onFinish`: labels are written by `markExported` once the ERP has confirmed.
    /// - Throws: `expensify.*` errors; `http.network` when Expensify cannot be reached.
    public func exportReports(_ filter: ExportFilter, template: String, fileBasename: String) async throws -> String {
        let job = ExpensifyJobs.export(filter, fileBasename: fileBasename, credentials: credentials)
        let response = try await perform(job: job, template: template, operation: "export", timeout: exportTimeout)
        return try Self.fileName(from: response, operation: "export")
    }

    /// Downloads a file produced by an export job.
    /// - Returns: the file's bytes exactly as served.
    public func download(fileName: String) async throws -> Data {
        let job = ExpensifyJobs.download(fileName: fileName, credentials: credentials)
        let response = try await perform(job: job, template: nil, operation: "download", timeout: exportTimeout)
        return response.body
    }

    /// Downloads a file produced by an export job straight to `file`, streamed (memory stays flat however large
    /// the export is). The bytes land in a hidden `.<name>.partial` beside `file` and are renamed into place only
    /// once the answer is known to be the file and not an error (Expensify answers errors with HTTP 200 and a
    /// `responseCode` object), so `file` is never left half-written or holding an error.
    /// - Throws: the same errors as `download(fileName:)`; `http.file_write` when the file cannot be written.
    public func download(fileName: String, to file: URL) async throws {
        let job = ExpensifyJobs.download(fileName: fileName, credentials: credentials)
        let partial = file.deletingLastPathComponent().appendingPathComponent(".\(file.lastPathComponent).partial")
        let request = jobRequest(job: job, template: nil, timeout: exportTimeout)
        let http = self.http
        do {
            _ = try await perform(operation: "download") {
                let response = try await http.download(request, to: partial, idempotent: true)
                // Only a small JSON object can be an error envelope; an export (a JSON array) is never read back here.
                return HTTPResponse(
                    status: response.status, headers: response.headers,
                    body: try Self.envelopeCandidate(partial))
            }
            if FileManager.default.fileExists(atPath: file.path) { try FileManager.default.removeItem(at: file) }
            try FileManager.default.moveItem(at: partial, to: file)
        } catch {
            try? FileManager.default.removeItem(at: partial)
            if error is ConnectorError || error is CancellationError { throw error }
            throw ConnectorError(
                "http.file_write", "The downloaded export could not be moved to \(file.lastPathComponent).",
                context: ["file": file.path])
        }
    }

    /// The bytes of a downloaded file if it could be an error envelope (it starts with `{` and is at most 1 MiB),
    /// else nothing. Internal for tests.
    static func envelopeCandidate(_ file: URL) throws -> Data {
        guard let handle = FileHandle(forReadingAtPath: file.path) else {
            throw ConnectorError("http.file_write", "The download \(file.lastPathComponent) cannot be read back.", context: ["file": file.path])
        }
        defer { try? handle.close() }
        let limit = 1 << 20
        let head = handle.readData(ofLength: 4096)
        guard let first = head.first(where: { ![0x20, 0x09, 0x0A, 0x0D, 0xEF, 0xBB, 0xBF].contains($0) }),
            first == UInt8(ascii: "{")
        else { return Data() }
        var data = head
        while data.count <= limit {
            let chunk = handle.readData(ofLength: 64 * 1024)
            if chunk.isEmpty { return data }
            data.append(chunk)
        }
        return Data()
    }

    /// The policy getter for `ids` with fields categories, tags and reportFields (and employees when `withEmployees`).
    /// - Returns: the `policyInfo` object (`{"<policyID>": {...}}`); an empty object for no ids.
    public func getPolicies(_ ids: [String], withEmployees: Bool = false) async throws -> JSONValue {
        guard !ids.isEmpty else { return .object([:]) }
        let fields = ExpensifyJobs.policyFields + (withEmployees ? ["employees"] : [])
        let job = ExpensifyJobs.policies(ids, fields: fields, credentials: credentials)
        let response = try await perform(job: job, template: nil, operation: "policies", timeout: timeout)
        guard let json = try? JSONValue.parse(response.body), let info = json["policyInfo"], info.objectValue != nil else {
            throw ConnectorError(
                "expensify.unexpected_response", "The policy getter's answer has no policyInfo object.",
                context: ["expensify.operation": "policies", "http.status": String(response.status)])
        }
        return info
    }

    /// Labels reports as exported (`onFinish` `markAsExported`) so later exports filtered on the same label skip
    /// them. Labelling twice is harmless. Does nothing for an empty list.
    public func markExported(reportIDs: [String], label: String) async throws {
        guard !reportIDs.isEmpty else { return }
        let job = ExpensifyJobs.markExported(reportIDs: reportIDs, label: label, credentials: credentials)
        let response = try await perform(
            job: job, template: ExpensifyJobs.labelTemplate, operation: "markExported",
            timeout: exportTimeout)
        _ = try Self.fileName(from: response, operation: "markExported")
    }

    // MARK: - Transport and errors

    private func jobRequest(job: JSONValue, template: String?, timeout: TimeInterval) -> HTTPRequest {
        HTTPRequest(
            method: "POST", url: endpoint,
            headers: ["Content-Type": "application/x-www-form-urlencoded", "Accept": "*/*"],
            body: ExpensifyJobs.formBody(job: job, template: template), timeout: timeout)
    }

    /// Sends one job; retries a `responseCode` 429 with backoff; throws for every error shape.
    func perform(job: JSONValue, template: String?, operation: String, timeout: TimeInterval) async throws -> HTTPResponse {
        let request = jobRequest(job: job, template: template, timeout: timeout)
        let http = self.http
        // Every job here is safe to repeat: exports without onFinish only make a file, labelling twice
        // is harmless, downloads and getters read.
        return try await perform(operation: operation) { try await http.send(request, idempotent: true) }
    }

    /// Runs `send` (one job, already under `HTTPClient`'s retry rules); retries a `responseCode` 429 with backoff;
    /// throws for every error shape.
    func perform(operation: String, _ send: () async throws -> HTTPResponse) async throws -> HTTPResponse {
        var attempt = 0
        while true {
            attempt += 1
            logger.debug(
                "Expensify job",
                metadata: [
                    "system": "expensify", "expensify.operation": "\(operation)",
                    "http.attempt": "\(attempt)",
                ])
            let response = try await send()
            switch Self.classify(response, operation: operation, secret: credentials.partnerUserSecret) {
            case .success:
                return response
            case .failure(let error):
                let retryable = error.code == ExpensifyErrors.rateLimited && response.status != 429
                guard retryable, attempt < http.retry.maxAttempts else { throw error }
                let wait = http.retry.delay(afterAttempt: attempt, retryAfter: nil)
                logger.info(
                    "Expensify rate limit, retrying",
                    metadata: [
                        "system": "expensify", "expensify.operation": "\(operation)", "http.attempt": "\(attempt)",
                        "http.retry_in": "\(String(format: "%.2f", wait))",
                    ])
                if wait > 0 { try await Task.sleep(nanoseconds: UInt64(wait * 1_000_000_000)) }
            }
        }
    }

    /// Maps a response to success or the connector error it stands for. Internal for tests.
    static func classify(_ response: HTTPResponse, operation: String, secret: Secret) -> Result<Void, ConnectorError> {
        var context = ["expensify.operation": operation, "http.status": String(response.status)]
        if response.status == 401 || response.status == 407 {
            return .failure(
                ConnectorError(
                    "expensify.auth", "Expensify refused the partner credentials (HTTP \(response.status)).",
                    context: context))
        }
        if let envelope = errorEnvelope(response.body) {
            context["expensify.response_code"] = String(envelope.code)
            let message = scrub(envelope.message, secret: secret)
            switch envelope.code {
            case 401, 407:
                return .failure(
                    ConnectorError(
                        "expensify.auth", message.isEmpty ? "Expensify refused the partner credentials." : message,
                        context: context))
            case 429:
                return .failure(
                    ConnectorError(
                        ExpensifyErrors.rateLimited,
                        message.isEmpty ? "Expensify rate-limited the connector." : message,
                        context: context, isTransient: true))
            default:
                return .failure(
                    ConnectorError(
                        "expensify.\(envelope.code)",
                        message.isEmpty ? "Expensify answered responseCode \(envelope.code)." : message,
                        context: context, isTransient: [502, 503, 504].contains(envelope.code)))
            }
        }
        if response.status == 429 {
            return .failure(
                ConnectorError(
                    ExpensifyErrors.rateLimited, "Expensify kept rate-limiting the connector (HTTP 429).",
                    context: context, isTransient: true))
        }
        guard response.isSuccess else {
            return .failure(
                ConnectorError(
                    "expensify.http_\(response.status)", "Expensify answered HTTP \(response.status).",
                    context: context, isTransient: response.status >= 500))
        }
        return .success(())
    }

    /// `{"responseCode": N, "responseMessage": "…"}` with N ≠ 200, or nil. Anything that is not a JSON object
    /// (plain text, a JSON array, binary data) is not an error envelope.
    static func errorEnvelope(_ body: Data) -> (code: Int, message: String)? {
        guard let first = body.first(where: { ![0x20, 0x09, 0x0A, 0x0D, 0xEF, 0xBB, 0xBF].contains($0) }),
            first == UInt8(ascii: "{"),
            let json = try? JSONValue.parse(body), json.objectValue != nil,
            let raw = json["responseCode"], let code = raw.int64Value
        else { return nil }
        guard code != 200 else { return nil }
        return (Int(code), json["responseMessage"]?.stringValue ?? "")
    }

    /// The export job's plain-text answer: one file name.
    static func fileName(from response: HTTPResponse, operation: String) throws -> String {
        let name = response.text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !name.isEmpty, !name.hasPrefix("{"), !name.contains(where: { $0.isNewline }) else {
            throw ConnectorError(
                "expensify.unexpected_response", "Expensify's export answer is not a file name.",
                context: ["expensify.operation": operation, "http.status": String(response.status)])
        }
        return name
    }

    static func scrub(_ text: String, secret: Secret) -> String {
        guard !secret.isEmpty else { return text }
        return text.replacingOccurrences(of: secret.reveal(), with: "<redacted>")
    }
}
