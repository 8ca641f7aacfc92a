import ConnectorCore
import Foundation

/// OData v4 multipart/mixed `$batch` bodies (OData v4 Part 1 §11.7, RFC 2046 §5.1), built and read without
/// relying on any one server's formatting.
///
/// Requests are written with CRLF line ends, one nested `multipart/mixed` body part per changeset, each operation
/// an `application/http` part with `Content-Transfer-Encoding: binary` and a `Content-ID`. Responses are read with a
/// real multipart parser: the boundary comes from the `Content-Type`, CRLF and bare LF line ends are both accepted,
/// preamble, epilogue, transport padding and quoted boundaries are tolerated, and nested changeset responses are
/// recognised by their own `multipart/mixed` content type and boundary, whatever it is called.
public enum ODataBatch {
    /// The content type of every JSON part, with minimal metadata to keep answers small.
    public static let jsonContentType = "application/json;odata.metadata=minimal"

    /// A fresh boundary: `<prefix>_<uuid>`.
    public static func boundary(_ prefix: String) -> String { prefix + "_" + UUID().uuidString.lowercased() }

    /// The request body for `changesets`, one nested multipart per changeset.
    /// - Parameters:
    ///   - boundary: the batch boundary (sent in the request's `Content-Type`).
    ///   - changesetBoundary: the boundary of changeset number *i* (0-based); fresh UUIDs by default.
    public static func requestBody(
        _ changesets: [ODataChangeset], boundary: String,
        changesetBoundary: (Int) -> String = { _ in ODataBatch.boundary("changeset") }
    ) -> Data {
        requestBody(items: changesets.map { .changeset($0) }, boundary: boundary, changesetBoundary: changesetBoundary)
    }

    /// The request body for `items`: changesets as nested multiparts, single requests (reads) as plain parts.
    /// Only POST, PUT and PATCH carry a body; GET and DELETE parts end after their request line and headers.
    /// - Parameter changesetBoundary: the boundary of the item number *i* (0-based) when it is a changeset.
    public static func requestBody(
        items: [ODataBatchRequestItem], boundary: String,
        changesetBoundary: (Int) -> String = { _ in ODataBatch.boundary("changeset") }
    ) -> Data {
        var out = Data()
        func line(_ text: String = "") { out.append(Data((text + "\r\n").utf8)) }
        func operationPart(_ operation: ODataBatchOperation) {
            line("Content-Type: application/http")
            line("Content-Transfer-Encoding: binary")
            line("Content-ID: " + operation.contentID)
            line()
            line("\(operation.method) \(operation.url) HTTP/1.1")
            if ["POST", "PUT", "PATCH"].contains(operation.method) {
                line("Content-Type: " + jsonContentType)
                line()
                out.append(JSONValue.object(operation.body).serialized())
                line()
            } else {
                line("Accept: " + jsonContentType)
                line()
            }
        }
        for (index, item) in items.enumerated() {
            line("--" + boundary)
            switch item {
            case .single(let operation):
                operationPart(operation)
            case .changeset(let changeset):
                let inner = changesetBoundary(index)
                line("Content-Type: multipart/mixed; boundary=" + inner)
                line()
                for operation in changeset.operations {
                    line("--" + inner)
                    operationPart(operation)
                }
                line("--" + inner + "--")
            }
        }
        line("--" + boundary + "--")
        return out
    }

    /// Why a `$batch` answer could not be read.
    public struct ParseError: Error, Sendable, CustomStringConvertible {
        /// What was wrong with the answer, for the error the caller raises.
        public var description: String
        /// Takes the sentence, so callers can raise their own parse failures in the same shape.
        public init(description: String) { self.description = description }
    }

    /// The `boundary` parameter of a `multipart/mixed` content type, unquoted; nil for any other type.
    public static func boundary(ofContentType contentType: String?) -> String? {
        guard let contentType else { return nil }
        let fields = contentType.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        guard let type = fields.first, type.lowercased() == "multipart/mixed" else { return nil }
        for field in fields.dropFirst() {
            guard let eq = field.firstIndex(of: "=") else { continue }
            guard field[..<eq].trimmingCharacters(in: .whitespaces).lowercased() == "boundary" else { continue }
            var value = field[field.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
            return value.isEmpty ? nil : value
        }
        return nil
    }

    /// Reads a `$batch` answer.
    /// - Parameters:
    ///   - body: the response body.
    ///   - contentType: the response's `Content-Type` (it carries the boundary).
    /// - Returns: the top-level items in the order the server wrote them.
    /// - Throws: `ParseError` when the body is not multipart/mixed or a part cannot be read.
    public static func parseResponse(_ body: Data, contentType: String?) throws -> [ODataBatchResponseItem] {
        guard let boundary = boundary(ofContentType: contentType) else {
            throw ParseError(description: "The $batch answer is not multipart/mixed with a boundary (Content-Type '\(contentType ?? "")').")
        }
        let bytes = [UInt8](body)
        var items: [ODataBatchResponseItem] = []
        for range in try bodyParts(bytes, boundary: boundary) {
            let (mime, contentStart) = headerBlock(bytes, from: range.lowerBound, to: range.upperBound)
            if let inner = ODataBatch.boundary(ofContentType: mime["content-type"]) {
                let parts = try bodyParts(bytes, in: contentStart..<range.upperBound, boundary: inner).map { sub in
                    try httpPart(bytes, sub)
                }
                items.append(.changeset(parts))
            } else {
                items.append(.single(try httpPart(bytes, range, mime: mime, contentStart: contentStart)))
            }
        }
        return items
    }

    // MARK: - Multipart plumbing (byte offsets, so bodies are kept exactly)

    /// One line of `bytes`: where it starts, where its text ends (before CR LF / LF) and where the next begins.
    private struct Line {
        var start: Int
        var end: Int
        var next: Int
    }

    private static func lines(_ bytes: [UInt8], in range: Range<Int>) -> [Line] {
        var out: [Line] = []
        var start = range.lowerBound
        while let line = line(bytes, from: start, to: range.upperBound) {
            out.append(line)
            start = line.next
        }
        return out
    }

    /// The line starting at `from`, or nil at `to`.
    private static func line(_ bytes: [UInt8], from start: Int, to limit: Int) -> Line? {
        guard start < limit else { return nil }
        var i = start
        while i < limit {
            if bytes[i] == 0x0A {
                let end = (i > start && bytes[i - 1] == 0x0D) ? i - 1 : i
                return Line(start: start, end: end, next: i + 1)
            }
            i += 1
        }
        return Line(start: start, end: limit, next: limit)
    }

    /// The bytes as UTF-8 text without leading and trailing spaces and tabs.
    private static func trimmed(_ bytes: [UInt8], _ range: Range<Int>) -> String {
        var lower = range.lowerBound
        var upper = range.upperBound
        while lower < upper, bytes[lower] == 0x20 || bytes[lower] == 0x09 { lower += 1 }
        while upper > lower, bytes[upper - 1] == 0x20 || bytes[upper - 1] == 0x09 { upper -= 1 }
        return String(decoding: bytes[lower..<upper], as: UTF8.self)
    }

    private static func isBlank(_ bytes: [UInt8], _ line: Line) -> Bool {
        bytes[line.start..<line.end].allSatisfy { $0 == 0x20 || $0 == 0x09 }
    }

    /// Whether the line is `--boundary` (then `false`) or `--boundary--` (then `true`), allowing trailing
    /// transport padding (spaces and tabs); nil when it is neither.
    private static func delimiter(_ bytes: [UInt8], _ line: Line, _ marker: [UInt8]) -> Bool? {
        var end = line.end
        while end > line.start, bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09 { end -= 1 }
        let length = end - line.start
        guard length >= marker.count, bytes[line.start..<(line.start + marker.count)].elementsEqual(marker) else { return nil }
        if length == marker.count { return false }
        if length == marker.count + 2, bytes[end - 2] == 0x2D, bytes[end - 1] == 0x2D { return true }
        return nil
    }

    /// The byte ranges of the body parts between the delimiters of `boundary` (the line break before a
    /// delimiter belongs to the delimiter, RFC 2046 §5.1.1). Preamble and epilogue are skipped.
    private static func bodyParts(_ bytes: [UInt8], in range: Range<Int>? = nil, boundary: String) throws -> [Range<Int>] {
        let marker = Array(("--" + boundary).utf8)
        let all = range ?? 0..<bytes.count
        var parts: [Range<Int>] = []
        var partStart: Int?
        var closed = false
        for line in lines(bytes, in: all) {
            if let isClose = delimiter(bytes, line, marker) {
                if let start = partStart {
                    // The part ends before the line break that precedes this delimiter.
                    var end = line.start
                    if end > start, bytes[end - 1] == 0x0A { end -= 1 }
                    if end > start, bytes[end - 1] == 0x0D { end -= 1 }
                    parts.append(start..<max(start, end))
                }
                if isClose {
                    closed = true
                    partStart = nil
                    break
                }
                partStart = line.next
            }
        }
        if let start = partStart, !closed {
            // No closing delimiter: accept what came, but only if something did.
            parts.append(start..<all.upperBound)
        }
        guard !parts.isEmpty else {
            throw ParseError(description: "The multipart body has no part for boundary '\(boundary)'.")
        }
        return parts
    }

    /// Header fields from `from` up to the first empty line (names lower-cased, folded lines joined), and where the
    /// content after that empty line starts.
    private static func headerBlock(_ bytes: [UInt8], from: Int, to: Int) -> ([String: String], Int) {
        var headers: [String: String] = [:]
        var lastName: String?
        var position = from
        while let line = line(bytes, from: position, to: to) {
            position = line.next
            if isBlank(bytes, line) { return (headers, line.next) }
            if bytes[line.start] == 0x20 || bytes[line.start] == 0x09, let name = lastName {
                headers[name, default: ""] += " " + trimmed(bytes, line.start..<line.end)
                continue
            }
            guard let colon = bytes[line.start..<line.end].firstIndex(of: 0x3A) else { continue }
            let name = trimmed(bytes, line.start..<colon).lowercased()
            headers[name] = trimmed(bytes, (colon + 1)..<line.end)
            lastName = name
        }
        return (headers, to)
    }

    private static func httpPart(_ bytes: [UInt8], _ range: Range<Int>) throws -> ODataBatchPart {
        let (mime, contentStart) = headerBlock(bytes, from: range.lowerBound, to: range.upperBound)
        return try httpPart(bytes, range, mime: mime, contentStart: contentStart)
    }

    /// An `application/http` part: status line, header fields, body.
    private static func httpPart(_ bytes: [UInt8], _ range: Range<Int>, mime: [String: String], contentStart: Int) throws -> ODataBatchPart {
        let type = (mime["content-type"] ?? "").lowercased()
        guard type.hasPrefix("application/http") else {
            throw ParseError(description: "A $batch answer part has Content-Type '\(mime["content-type"] ?? "")', not application/http.")
        }
        // Blank lines before the status line are skipped.
        var position = contentStart
        var found: Line?
        while let candidate = line(bytes, from: position, to: range.upperBound) {
            if !isBlank(bytes, candidate) {
                found = candidate
                break
            }
            position = candidate.next
        }
        guard let statusLine = found else { throw ParseError(description: "A $batch answer part has no status line.") }
        let words = String(decoding: bytes[statusLine.start..<statusLine.end], as: UTF8.self).split(separator: " ")
        guard words.count >= 2, words[0].uppercased().hasPrefix("HTTP/"), let status = Int(words[1]), (100...599).contains(status) else {
            throw ParseError(description: "A $batch answer part has an invalid status line.")
        }
        let (headers, bodyStart) = headerBlock(bytes, from: statusLine.next, to: range.upperBound)
        let body = bodyStart < range.upperBound ? Data(bytes[bodyStart..<range.upperBound]) : Data()
        let contentID = mime["content-id"] ?? headers["content-id"]
        return ODataBatchPart(contentID: contentID?.trimmingCharacters(in: .whitespaces), status: status, headers: headers, body: body)
    }
}
