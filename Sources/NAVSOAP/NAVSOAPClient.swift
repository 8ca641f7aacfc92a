import ConnectorCore
import ConnectorHTTP
import Foundation
import Logging

/// The client side of NAV's SOAP page and codeunit web services (the XML path, nav-bc-api.md §5), for NAV 2013–2018
/// on premises where OData writes are missing or limited.
///
/// Every call is a `POST` of an envelope from `SOAPEnvelope` to `{soapRoot}/WS/{Company}/Page|Codeunit/{Service}`
/// with Basic auth (user + web service access key) from `HTTPAuthorization`, through `HTTPClient` for retries:
/// 429/503 are retried for every call (honouring `Retry-After`); reads (`Read`, `ReadMultiple`) are idempotent and
/// also retried after a lost answer or a 5xx; writes (`Create`, `CreateMultiple`, `Update`, `Delete`, codeunit
/// methods) are not, so a lost answer surfaces as a transient `http.network`/`http.ambiguous` error and the caller
/// settles it by reading back. A SOAP fault (HTTP 500 with `s:Fault`) is NAV's final answer (the call was rolled
/// back) and becomes `nav.soap.fault.<ExceptionType>` at once. Never logs bodies, the company's data or credentials.
public struct NAVSOAPClient: Sendable {
    /// The server instance root, e.g. `http://navsrv:7047/DynamicsNAV110`, no trailing slash.
    public let soapRoot: String
    /// The company name as NAV spells it (`Northwind Traders & Sons Ltd.`); path-encoded in URLs.
    public let company: String
    /// Short name for logs and errors.
    public let system: String
    private let authorization: any HTTPAuthorization
    private let http: HTTPClient
    private let logger: Logger
    private let timeout: TimeInterval
    private let limits: SafeXMLLimits
    private let counter = RequestCounter()

    /// - Parameters:
    ///   - soapRoot: scheme, host, port and server instance (`http://navsrv:7047/DynamicsNAV110`).
    ///   - company: the company name, unencoded.
    ///   - authorization: the `Authorization` source (`BasicAuthorization(user:key:)` on premises).
    ///   - http: the retrying HTTP client.
    ///   - limits: bounds on answers (size, depth).
    public init(
        soapRoot: URL, company: String, authorization: any HTTPAuthorization, http: HTTPClient, logger: Logger,
        system: String = "nav-soap", timeout: TimeInterval = 120, limits: SafeXMLLimits = .standard
    ) {
        var text = soapRoot.absoluteString
        while text.hasSuffix("/") { text.removeLast() }
        self.soapRoot = text
        self.company = company
        self.system = system
        self.authorization = authorization
        self.http = http
        self.logger = logger
        self.timeout = timeout
        self.limits = limits
    }

    /// SOAP calls this client has put on the wire (a repeat after a 401 counts; `HTTPClient.requestCount` adds retries).
    public var requestCount: Int { counter.value }

    /// `{soapRoot}/WS/{Company}/Page/{Service}` with both names path-encoded (`Northwind%20Traders%20%26%20Sons%20Ltd.`).
    public func pageURL(_ service: String) -> URL? {
        URL(string: soapRoot + "/WS/" + Self.pathSegment(company) + "/Page/" + Self.pathSegment(service))
    }

    /// `{soapRoot}/WS/{Company}/Codeunit/{Service}`.
    public func codeunitURL(_ service: String) -> URL? {
        URL(string: soapRoot + "/WS/" + Self.pathSegment(company) + "/Codeunit/" + Self.pathSegment(service))
    }

    /// Percent-encodes everything but `A–Z a–z 0–9 - . _ ~` (space → `%20`, `&` → `%26`, `.` kept).
    public static func pathSegment(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += String(format: "%%%02X", byte)
            }
        }
        return out
    }

    // MARK: - Page operations

    /// Every record of `service` matching `filters`, paging with the last record's Key as `bookmarkKey` until NAV
    /// answers an empty page (`setSize` 0 asks for everything in one answer).
    /// - Throws: `nav.soap.paging_loop` when a page repeats a Key already read; the errors of `call`.
    public func readMultiple(
        service: String, filters: [NAVFilter] = [], setSize: Int = 500, unbound: [(String, String)] = []
    ) async throws -> [NAVRecord] {
        var records: [NAVRecord] = []
        var seen = Set<String>()
        var bookmark: String?
        var pages = 0
        while true {
            let message = try SOAPEnvelope.readMultiple(
                service: service, filters: filters, bookmarkKey: bookmark, setSize: setSize, unbound: unbound)
            let result = try await call(message, url: pageURL(service), service: service, idempotent: true)
            let page = SOAPResponseDecoder.readMultipleRecords(result, service: service)
            pages += 1
            if page.isEmpty || setSize == 0 {
                records += page
                break
            }
            for record in page {
                guard let key = record.key, !key.isEmpty else {
                    throw SOAPResponseDecoder.unexpected(
                        "NAV's ReadMultiple on \(service) returned a record without a Key, so the next page cannot be asked for.",
                        operation: "ReadMultiple", service: service)
                }
                guard seen.insert(key).inserted else {
                    throw ConnectorError(
                        NAVSOAPErrorCode.pagingLoop,
                        "NAV's ReadMultiple on \(service) returned a record already read on an earlier page (page \(pages)); stopping instead of looping.",
                        context: ["nav.soap.service": service, "nav.soap.operation": "ReadMultiple", "nav.soap.pages": String(pages)])
                }
            }
            records += page
            bookmark = page.last?.key
        }
        logger.debug(
            "NAV SOAP read",
            metadata: [
                "system": "\(system)", "nav.soap.service": "\(service)", "nav.soap.records": "\(records.count)",
                "nav.soap.pages": "\(pages)",
            ])
        return records
    }

    /// The record with primary key `key` (e.g. `[("No", "600100")]`); nil when NAV answers an empty `Read_Result`.
    public func read(service: String, key: [(String, String)], unbound: [(String, String)] = []) async throws -> NAVRecord? {
        let message = try SOAPEnvelope.read(service: service, key: key, unbound: unbound)
        let result = try await call(message, url: pageURL(service), service: service, idempotent: true)
        return SOAPResponseDecoder.readRecord(result, service: service)
    }

    /// Creates one record (with its part lines). Not idempotent: after a transient error, look the record up.
    /// - Returns: the record as NAV stored it: `Key`, assigned `No`, defaulted fields, lines with their Keys.
    public func create(service: String, record: NAVRecord, unbound: [(String, String)] = []) async throws -> NAVRecord {
        let message = try SOAPEnvelope.create(service: service, record: record, unbound: unbound)
        let result = try await call(message, url: pageURL(service), service: service, idempotent: false)
        return try SOAPResponseDecoder.singleRecord(result, operation: "Create", service: service)
    }

    /// Creates several records in one call (one NAV transaction unless its code commits). Not idempotent.
    /// - Returns: the stored records in request order.
    public func createMultiple(service: String, records: [NAVRecord], unbound: [(String, String)] = []) async throws -> [NAVRecord] {
        let message = try SOAPEnvelope.createMultiple(service: service, records: records, unbound: unbound)
        let result = try await call(message, url: pageURL(service), service: service, idempotent: false)
        return try SOAPResponseDecoder.listRecords(result, operation: "CreateMultiple", service: service)
    }

    /// Updates a record; `record` carries its current `Key` and the changed fields. Not idempotent (the Key changes).
    /// - Throws: `nav.soap.fault.*` with "Other user has modified…" when the Key is stale.
    public func update(service: String, record: NAVRecord, unbound: [(String, String)] = []) async throws -> NAVRecord {
        let message = try SOAPEnvelope.update(service: service, record: record, unbound: unbound)
        let result = try await call(message, url: pageURL(service), service: service, idempotent: false)
        return try SOAPResponseDecoder.singleRecord(result, operation: "Update", service: service)
    }

    /// Deletes the record with `key`. Not resent blindly: a repeat would fault with "does not exist".
    /// - Returns: NAV's `Delete_Result` (true when deleted).
    public func delete(service: String, key: String, unbound: [(String, String)] = []) async throws -> Bool {
        let message = try SOAPEnvelope.delete(service: service, key: key, unbound: unbound)
        let result = try await call(message, url: pageURL(service), service: service, idempotent: false)
        return try SOAPResponseDecoder.boolean(result, operation: "Delete", service: service)
    }

    /// Calls codeunit method `method` of `service` with `parameters` in order (e.g. `PostPurchaseInvoice` with
    /// `documentNo`). Not idempotent: posting twice must never happen, so a lost answer is the caller's to settle.
    public func callCodeunit(service: String, method: String, parameters: [(String, String)]) async throws -> NAVCodeunitResult {
        let message = try SOAPEnvelope.codeunit(service: service, method: method, parameters: parameters)
        let result = try await call(message, url: codeunitURL(service), service: service, idempotent: false)
        return SOAPResponseDecoder.codeunitResult(result)
    }

    /// `IsUpdated`: whether the record changed since `key` was read (a read: safe to repeat).
    public func isUpdated(service: String, key: String, unbound: [(String, String)] = []) async throws -> Bool {
        let message = try SOAPEnvelope.page(
            service: service, operation: "IsUpdated", content: unbound.map { .leaf($0.0, $0.1) } + [.leaf("Key", key)])
        let result = try await call(message, url: pageURL(service), service: service, idempotent: true)
        return try SOAPResponseDecoder.boolean(result, operation: "IsUpdated", service: service)
    }

    /// Any other page operation (`UpdateMultiple`, `Delete_PurchLines`, `GetRecIdFromKey`, `ReadByRecId`) with content
    /// in the caller's order; returns its `{operation}_Result` element for `SOAPResponseDecoder`.
    /// - Parameter idempotent: true only for reads; a write is never resent after a lost answer.
    public func pageOperation(service: String, operation: String, content: [SOAPNode], idempotent: Bool) async throws -> SafeXMLElement {
        let message = try SOAPEnvelope.page(service: service, operation: operation, content: content)
        return try await call(message, url: pageURL(service), service: service, idempotent: idempotent)
    }

    // MARK: - Plumbing

    /// Sends `message`, repeats it once with refreshed credentials after a 401, and returns its `_Result` element.
    /// - Throws: `nav.soap.fault.*`, `nav.soap.unauthorized` (with a hint about the user and the access key),
    ///   `nav.soap.forbidden`, `nav.soap.not_found`, `nav.soap.throttled`, `nav.soap.server_error`,
    ///   `nav.soap.unexpected_response`, `nav.soap.xml_*`, and `HTTPClient`'s `http.network`/`http.ambiguous`
    ///   (with the service and operation added to their context).
    private func call(_ message: SOAPRequestMessage, url: URL?, service: String, idempotent: Bool) async throws -> SafeXMLElement {
        let operation = message.operation
        guard let url else {
            throw ConnectorError(
                NAVSOAPErrorCode.requestInvalid, "Could not build the SOAP URL for \(service) from \(soapRoot).",
                context: ["nav.soap.service": service])
        }
        var response = try await send(message, url: url, service: service, idempotent: idempotent, refresh: false)
        if response.status == 401 {
            logger.debug(
                "NAV SOAP 401, asking for fresh credentials once",
                metadata: ["system": "\(system)", "nav.soap.service": "\(service)", "nav.soap.operation": "\(operation)"])
            response = try await send(message, url: url, service: service, idempotent: idempotent, refresh: true)
        }
        logger.debug(
            "NAV SOAP call",
            metadata: [
                "system": "\(system)", "nav.soap.service": "\(service)", "nav.soap.operation": "\(operation)",
                "http.status": "\(response.status)",
            ])
        let context = ["nav.soap.service": service, "nav.soap.operation": operation, "http.status": String(response.status)]
        switch response.status {
        case 200..<300, 500:
            do {
                return try SOAPResponseDecoder.result(
                    response.body, operation: operation, namespace: message.namespace, service: service, limits: limits)
            } catch let error as ConnectorError where response.status == 500 && !error.code.hasPrefix(NAVSOAPErrorCode.faultPrefix) {
                throw ConnectorError(
                    NAVSOAPErrorCode.serverError, "NAV failed with HTTP 500 without a SOAP fault on \(operation) for \(service).",
                    context: context, isTransient: true)
            }
        case 401:
            throw ConnectorError(
                NAVSOAPErrorCode.unauthorized,
                "NAV refused the credentials for \(operation) on \(service) (HTTP 401): check the user name and its web service access key, and that the user may use web services on this server instance.",
                context: context)
        case 403:
            throw ConnectorError(
                NAVSOAPErrorCode.forbidden, "NAV denied the user access to \(service) (HTTP 403): check the user's permissions.",
                context: context)
        case 404:
            throw ConnectorError(
                NAVSOAPErrorCode.notFound,
                "NAV has no SOAP service \(service) for company \(company) at \(url.path) (HTTP 404): check that the page or codeunit is published under that name and the company name.",
                context: context)
        case 429, 503:
            throw ConnectorError(
                NAVSOAPErrorCode.throttled, "NAV kept throttling \(operation) on \(service) (HTTP \(response.status)).",
                context: context, isTransient: true)
        default:
            throw ConnectorError(
                response.status >= 500 ? NAVSOAPErrorCode.serverError : "nav.soap.http_\(response.status)",
                "NAV answered HTTP \(response.status) to \(operation) on \(service).", context: context,
                isTransient: response.status >= 500)
        }
    }

    private func send(_ message: SOAPRequestMessage, url: URL, service: String, idempotent: Bool, refresh: Bool) async throws -> HTTPResponse {
        let request = HTTPRequest(
            method: "POST", url: url,
            headers: [
                "Content-Type": "text/xml; charset=utf-8",
                "Accept": "text/xml",
                "SOAPAction": message.soapAction,
                "Authorization": try await authorization.headerValue(refresh: refresh).reveal(),
            ],
            body: message.body, timeout: timeout)
        counter.increment()
        do {
            return try await http.send(request, idempotent: idempotent) { response in
                response.status == 500 && SOAPResponseDecoder.isFault(response.body)
            }
        } catch var error as ConnectorError {
            error.context["nav.soap.service"] = service
            error.context["nav.soap.operation"] = message.operation
            throw error
        }
    }
}
