import Foundation

/// One operation inside a `$batch` body.
struct D365BatchOperation: Sendable {
    var contentId: String?
    var method: String
    var url: String
    var headers: [String: String]
    var body: Data
}

enum D365BatchItem: Sendable {
    case single(D365BatchOperation)
    case changeset([D365BatchOperation])
}

/// What the request log records about one part of a `$batch`.
struct D365BatchLogPart: Sendable {
    var contentId: String?
    var method: String
    var url: String
    var status: Int
}

/// OData v4 multipart/mixed `$batch` (reference §2.7).
enum D365Batch {
    struct ParseError: Error { var message: String }

    /// `multipart/mixed; boundary=batch_x` → `batch_x`.
    static func boundary(_ contentType: String?) -> String? {
        guard let contentType, contentType.lowercased().hasPrefix("multipart/mixed") else { return nil }
        for param in contentType.split(separator: ";").dropFirst() {
            let kv = param.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if kv.count == 2, kv[0].lowercased() == "boundary" {
                var b = kv[1]
                if b.hasPrefix("\""), b.hasSuffix("\""), b.count >= 2 { b = String(b.dropFirst().dropLast()) }
                return b.isEmpty ? nil : b
            }
        }
        return nil
    }

    /// The body's lines (CR LF or LF), split once; parts are ranges of line indices, so nested parts are never
    /// copied or split again.
    private struct Lines {
        let lines: [Substring]

        init(_ text: String) {
            // CR LF is one Character in Swift, so it is a separator of its own.
            lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
        }

        static func isBlank(_ line: Substring) -> Bool { line.allSatisfy { $0 == " " || $0 == "\t" } }

        /// The line without trailing spaces and tabs (transport padding after a delimiter).
        static func trimmed(_ line: Substring) -> Substring {
            var end = line.endIndex
            while end > line.startIndex, line[line.index(before: end)] == " " || line[line.index(before: end)] == "\t" {
                end = line.index(before: end)
            }
            return line[line.startIndex..<end]
        }

        /// Ranges of the body parts of `range` between `--boundary` delimiters (up to `--boundary--`).
        func parts(_ range: Range<Int>, boundary: String) -> [Range<Int>] {
            let open = "--" + boundary
            let close = "--" + boundary + "--"
            var parts: [Range<Int>] = []
            var start: Int?
            for i in range where lines[i].hasPrefix("--") {
                let line = Lines.trimmed(lines[i])
                if line == open {
                    if let s = start { parts.append(s..<i) }
                    start = i + 1
                } else if line == close {
                    if let s = start { parts.append(s..<i) }
                    return parts
                }
            }
            if let s = start { parts.append(s..<range.upperBound) }
            return parts
        }

        /// Header fields up to the first blank line, and the index of the line after it.
        func headers(_ range: Range<Int>) -> ([String: String], Int) {
            var headers: [String: String] = [:]
            var i = range.lowerBound
            while i < range.upperBound {
                let line = lines[i]
                i += 1
                if Lines.isBlank(line) { break }
                if let colon = line.firstIndex(of: ":") {
                    headers[line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()] =
                        line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                }
            }
            return (headers, i)
        }
    }

    private static func operation(_ lines: Lines, _ range: Range<Int>) throws -> D365BatchOperation {
        let (mime, contentStart) = lines.headers(range)
        guard (mime["content-type"] ?? "").lowercased().hasPrefix("application/http") else {
            throw ParseError(message: "A batch part must have Content-Type application/http.")
        }
        var i = contentStart
        while i < range.upperBound, Lines.isBlank(lines.lines[i]) { i += 1 }
        guard i < range.upperBound else { throw ParseError(message: "A batch part has no request line.") }
        let requestLine = lines.lines[i]
        let words = requestLine.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard words.count >= 2 else { throw ParseError(message: "Invalid request line '\(requestLine)'.") }
        let (headers, bodyStart) = lines.headers((i + 1)..<range.upperBound)
        var body = bodyStart < range.upperBound ? lines.lines[bodyStart..<range.upperBound].joined(separator: "\n") : ""
        while body.hasSuffix("\n") { body.removeLast() }
        return D365BatchOperation(
            contentId: mime["content-id"] ?? headers["content-id"], method: words[0].uppercased(),
            url: words[1], headers: headers, body: Data(body.utf8))
    }

    static func parse(_ data: Data, boundary: String) throws -> [D365BatchItem] {
        let lines = Lines(String(decoding: data, as: UTF8.self))
        var items: [D365BatchItem] = []
        for part in lines.parts(0..<lines.lines.count, boundary: boundary) {
            let (mime, contentStart) = lines.headers(part)
            if let inner = D365Batch.boundary(mime["content-type"]) {
                let ops = try lines.parts(contentStart..<part.upperBound, boundary: inner).map { try operation(lines, $0) }
                items.append(.changeset(ops))
            } else {
                items.append(.single(try operation(lines, part)))
            }
        }
        guard !items.isEmpty else { throw ParseError(message: "The batch request contains no parts for boundary '\(boundary)'.") }
        return items
    }

    /// Turns a part URL (absolute, service-root-relative, or `$<ContentID>/…`) into a path and query.
    static func resolve(_ url: String, contentIds: [String: String]) -> (path: String, query: String?)? {
        var target = url
        if target.hasPrefix("$") {
            let idEnd = target.firstIndex { $0 == "/" || $0 == "?" } ?? target.endIndex
            let id = String(target[target.index(after: target.startIndex)..<idEnd])
            guard let base = contentIds[id] else { return nil }
            target = base + target[idEnd...]
        } else if let schemeEnd = target.range(of: "://") {
            let afterScheme = target[schemeEnd.upperBound...]
            target = afterScheme.firstIndex(of: "/").map { String(afterScheme[$0...]) } ?? "/"
        } else if !target.hasPrefix("/") {
            target = "/data/" + target
        }
        if let q = target.firstIndex(of: "?") {
            return (String(target[..<q]), String(target[target.index(after: q)...]))
        }
        return (target, nil)
    }

    private static func httpPart(_ response: SimResponse, contentId: String?) -> String {
        var s = "Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n"
        if let contentId { s += "Content-ID: \(contentId)\r\n" }
        s += "\r\nHTTP/1.1 \(response.status) \(D365Responses.reason(response.status))\r\n"
        for (n, v) in response.headers where n.lowercased() != "content-length" { s += "\(n): \(v)\r\n" }
        s += "\r\n"
        if !response.body.isEmpty { s += String(decoding: response.body, as: UTF8.self) + "\r\n" }
        return s
    }

    enum ResponseItem {
        case single(SimResponse, String?)
        case changeset([(SimResponse, String?)])
    }

    static func write(_ items: [ResponseItem]) -> SimResponse {
        let batchBoundary = "batchresponse_\(UUID().uuidString.lowercased())"
        var s = ""
        for item in items {
            s += "--\(batchBoundary)\r\n"
            switch item {
            case .single(let r, let id):
                s += httpPart(r, contentId: id)
            case .changeset(let parts):
                let cs = "changesetresponse_\(UUID().uuidString.lowercased())"
                s += "Content-Type: multipart/mixed; boundary=\(cs)\r\n\r\n"
                for (r, id) in parts { s += "--\(cs)\r\n" + httpPart(r, contentId: id) }
                s += "--\(cs)--\r\n"
            }
        }
        s += "--\(batchBoundary)--\r\n"
        return SimResponse(
            status: 200, headers: [("Content-Type", "multipart/mixed; boundary=\(batchBoundary)"), ("OData-Version", "4.0")],
            body: Data(s.utf8))
    }
}

extension D365DataService {
    /// Executes a `$batch`: each changeset atomically (a failed changeset is rolled back and answered by a single
    /// error part); processing stops after the first failure unless `Prefer: odata.continue-on-error`.
    func batch(_ r: ODataRequest, store: inout D365Store, faults: inout [D365FaultRule]) -> (SimResponse, [D365BatchLogPart]) {
        guard r.method == "POST" else { return (D365Responses.methodNotAllowed(r.method), []) }
        guard let boundary = D365Batch.boundary(r.headers["content-type"]) else {
            return (D365Responses.badRequest("The batch request must have a Content-Type of multipart/mixed with a boundary."), [])
        }
        let items: [D365BatchItem]
        do { items = try D365Batch.parse(r.body, boundary: boundary) } catch let e as D365Batch.ParseError {
            return (D365Responses.badRequest(e.message), [])
        } catch { return (D365Responses.badRequest("\(error)"), []) }
        let prefer = (r.headers["prefer"] ?? "").lowercased()
        let continueOnError = prefer.contains("odata.continue-on-error") || prefer.contains("continue-on-error")
        var out: [D365Batch.ResponseItem] = []
        var log: [D365BatchLogPart] = []

        func execute(_ op: D365BatchOperation, contentIds: [String: String], store: inout D365Store) -> SimResponse {
            if op.url.hasPrefix("$"), !ctx.settings.contentIdReferences {
                // A server whose OData library does not resolve Content-ID references inside changesets.
                let segment = String(op.url.prefix { $0 != "/" && $0 != "?" })
                let text = "Resource not found for the segment '\(segment)'"
                let r = D365Responses.odataError(400, message: text, inner: text, type: "Microsoft.OData.UriParser.ODataUnrecognizedPathException")
                log.append(D365BatchLogPart(contentId: op.contentId, method: op.method, url: op.url, status: r.status))
                return r
            }
            guard let (path, query) = D365Batch.resolve(op.url, contentIds: contentIds) else {
                let r = D365Responses.routingNotFound(op.url)
                log.append(D365BatchLogPart(contentId: op.contentId, method: op.method, url: op.url, status: r.status))
                return r
            }
            let inner = ODataRequest(method: op.method, rawPath: path, rawQuery: query, headers: op.headers, body: op.body)
            let response: SimResponse
            if case .batch? = D365Route.parse(path) {
                response = D365Responses.badRequest("A $batch request cannot be nested inside another $batch request.")
            } else if let fault = D365FaultRule.take(&faults, method: op.method, entitySet: D365Route.entitySetName(path), insideBatch: true) {
                response = fault.response(ctx.settings)
            } else {
                response = handle(inner, store: &store)
            }
            log.append(D365BatchLogPart(contentId: op.contentId, method: op.method, url: inner.url, status: response.status))
            return response
        }

        for item in items {
            switch item {
            case .single(let op):
                let response = execute(op, contentIds: [:], store: &store)
                out.append(.single(response, op.contentId))
                if response.status >= 400, !continueOnError { return (D365Batch.write(out), log) }
            case .changeset(let ops):
                store.beginChangeset()
                var contentIds: [String: String] = [:]
                var parts: [(SimResponse, String?)] = []
                var failure: (SimResponse, String?)?
                for op in ops {
                    if op.method == "GET" {
                        failure = (D365Responses.badRequest("A GET request is not allowed inside a changeset."), op.contentId)
                        break
                    }
                    let response = execute(op, contentIds: contentIds, store: &store)
                    if response.status >= 400 {
                        failure = (response, op.contentId)
                        break
                    }
                    if let id = op.contentId, let location = response.headers.first(where: { $0.0 == "Location" })?.1 {
                        contentIds[id] = location.hasPrefix(baseURL) ? String(location.dropFirst(baseURL.count)) : location
                    }
                    parts.append((response, op.contentId))
                }
                if let failure {
                    store.rollBackChangeset()
                    out.append(.single(failure.0, failure.1))
                    if !continueOnError { return (D365Batch.write(out), log) }
                } else {
                    store.commitChangeset()
                    out.append(.changeset(parts))
                }
            }
        }
        return (D365Batch.write(out), log)
    }
}
