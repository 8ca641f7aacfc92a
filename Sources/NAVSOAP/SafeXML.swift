import ConnectorCore
import Foundation

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// Parses untrusted XML (SOAP answers) into `SafeXMLElement` values, refusing everything that makes XML dangerous.
///
/// Before the parser sees a byte, the raw prolog is scanned: a document type declaration (`<!DOCTYPE`, after a BOM,
/// whitespace, comments or the XML declaration), a non-UTF-8 encoding, or a size over the limit is refused
/// (`nav.soap.xml_refused`), so no entity is ever declared and no entity bomb can expand. The parser (libxml2 through
/// `XMLParser`) only sees valid UTF-8 without NUL bytes (FoundationXML traps on names that are not UTF-8), runs with external entities off, and its declaration callbacks refuse as a second line; element
/// depth is bounded. Anything not well-formed is `nav.soap.xml_malformed`. Nothing here crashes on any input.
public enum SafeXML {
    /// Parses `data` and returns its root element.
    /// - Parameters:
    ///   - limits: size and depth bounds.
    ///   - what: names the document in error messages, e.g. "NAV's answer to ReadMultiple on ChartOfAccounts".
    /// - Throws: `nav.soap.xml_refused` or `nav.soap.xml_malformed`.
    public static func parse(_ data: Data, limits: SafeXMLLimits = .standard, what: String = "The XML document") throws -> SafeXMLElement {
        guard data.count <= limits.maxBytes else {
            throw refused("\(what) is \(data.count) bytes, more than the limit of \(limits.maxBytes) bytes.", what: what)
        }
        let bytes = [UInt8](data)
        try scanProlog(bytes, what: what)
        // FoundationXML traps on names that are not valid UTF-8 (libxml2 hands them over in recovery), and a NUL
        // would cut C strings short: neither reaches the parser.
        guard String(validating: bytes, as: UTF8.self) != nil, !bytes.contains(0) else {
            throw ConnectorError(NAVSOAPErrorCode.xmlMalformed, "\(what) is not valid UTF-8 text.")
        }

        guard let tags = startTags(bytes) else {
            throw refused("\(what) holds a markup declaration (<!DOCTYPE or <!ENTITY); DTDs are never accepted.", what: what)
        }

        let builder = SafeXMLBuilder(maxDepth: limits.maxDepth)
        let parser = XMLParser(data: data)
        parser.shouldProcessNamespaces = true
        parser.shouldReportNamespacePrefixes = false
        parser.shouldResolveExternalEntities = false
        parser.delegate = builder
        let ok = parser.parse()
        if let refusal = builder.refusal {
            throw refused("\(what) was refused: \(refusal)", what: what)
        }
        guard ok, !builder.contentAfterRoot, let root = builder.root,
            builder.elementCount == tags, !textAfterLastTag(bytes)
        else {
            let line = parser.lineNumber
            let column = parser.columnNumber
            throw ConnectorError(
                NAVSOAPErrorCode.xmlMalformed, "\(what) is not well-formed XML (near line \(line), column \(column)).",
                context: ["xml.line": String(line), "xml.column": String(column)])
        }
        return root
    }

    private static func refused(_ message: String, what: String) -> ConnectorError {
        ConnectorError(NAVSOAPErrorCode.xmlRefused, message)
    }

    /// Walks the bytes before the root element: BOM, whitespace, the XML declaration, processing instructions and
    /// comments are allowed; any other `<!` (a DOCTYPE) is refused; UTF-16/32 and non-UTF-8 declarations are refused.
    static func scanProlog(_ b: [UInt8], what: String) throws {
        let n = b.count
        if n >= 2 && ((b[0] == 0xFE && b[1] == 0xFF) || (b[0] == 0xFF && b[1] == 0xFE)) || b.prefix(4).contains(0) {
            throw refused("\(what) is not UTF-8 (only UTF-8 is accepted).", what: what)
        }
        var i = (n >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF) ? 3 : 0
        func starts(_ s: String, at index: Int) -> Bool { matches(b, Array(s.utf8), at: index) }
        func find(_ s: String, from index: Int) -> Int? {
            let u = Array(s.utf8)
            var j = index
            while j + u.count <= n {
                if matches(b, u, at: j) { return j }
                j += 1
            }
            return nil
        }
        while i < n {
            let c = b[i]
            if c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D {
                i += 1
            } else if starts("<?", at: i) {
                guard let end = find("?>", from: i + 2) else { break }
                if starts("<?xml", at: i) {
                    try checkEncoding(String(decoding: b[i..<end], as: UTF8.self), what: what)
                }
                i = end + 2
            } else if starts("<!--", at: i) {
                guard let end = find("-->", from: i + 4) else { break }
                i = end + 3
            } else if starts("<!", at: i) {
                throw refused("\(what) declares a document type (<!DOCTYPE); DTDs and entity declarations are never accepted.", what: what)
            } else {
                return  // the root element, or text the parser will reject
            }
        }
    }

    /// The start tags in the raw bytes (comments, CDATA sections and processing instructions skipped; `<` cannot
    /// occur in attribute values), to notice elements after the root that FoundationXML silently drops; nil when a
    /// markup declaration (`<!DOCTYPE`, `<!ENTITY`, ...) appears anywhere outside comments and CDATA.
    static func startTags(_ b: [UInt8]) -> Int? {
        func skip(_ close: [UInt8], from start: Int) -> Int {
            var j = start
            while j + close.count <= b.count {
                if matches(b, close, at: j) { return j + close.count }
                j += 1
            }
            return b.count
        }
        func at(_ i: Int, _ s: [UInt8]) -> Bool { matches(b, s, at: i) }
        let comment = Array("<!--".utf8)
        let commentEnd = Array("-->".utf8)
        let cdata = Array("<![CDATA[".utf8)
        let cdataEnd = Array("]]>".utf8)
        let pi = Array("<?".utf8)
        let piEnd = Array("?>".utf8)
        var count = 0
        var i = 0
        while i < b.count {
            guard b[i] == UInt8(ascii: "<"), i + 1 < b.count else {
                i += 1
                continue
            }
            if at(i, comment) {
                i = skip(commentEnd, from: i + 4)
            } else if at(i, cdata) {
                i = skip(cdataEnd, from: i + 9)
            } else if at(i, pi) {
                i = skip(piEnd, from: i + 2)
            } else if b[i + 1] == UInt8(ascii: "!") {
                return nil
            } else {
                let c = b[i + 1]
                if c == UInt8(ascii: "_") || c == UInt8(ascii: ":") || c >= 0x80 || (c | 0x20 >= UInt8(ascii: "a") && c | 0x20 <= UInt8(ascii: "z")) {
                    count += 1
                }
                i += 1
            }
        }
        return count
    }

    /// Whether non-space text follows the last tag once trailing comments and processing instructions are removed.
    static func textAfterLastTag(_ b: [UInt8]) -> Bool {
        var end = b.count
        func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D }
        func endsWith(_ s: String) -> Bool {
            let u = Array(s.utf8)
            return end >= u.count && matches(b, u, at: end - u.count)
        }
        func lastIndex(of s: String) -> Int? {
            let u = Array(s.utf8)
            var j = end - u.count
            while j >= 0 {
                if matches(b, u, at: j) { return j }
                j -= 1
            }
            return nil
        }
        while true {
            while end > 0 && isSpace(b[end - 1]) { end -= 1 }
            if endsWith("-->"), let start = lastIndex(of: "<!--") {
                end = start
            } else if endsWith("?>"), let start = lastIndex(of: "<?") {
                end = start
            } else {
                break
            }
        }
        return end == 0 || b[end - 1] != UInt8(ascii: ">")
    }

    /// Whether `b` holds `s` at `index`, without copying.
    private static func matches(_ b: [UInt8], _ s: [UInt8], at index: Int) -> Bool {
        guard index >= 0, index + s.count <= b.count else { return false }
        for k in 0..<s.count where b[index + k] != s[k] { return false }
        return true
    }

    private static func checkEncoding(_ declaration: String, what: String) throws {
        guard let range = declaration.range(of: "encoding") else { return }
        let rest = declaration[range.upperBound...].drop { $0 == " " || $0 == "=" || $0 == "\t" }
        guard let quote = rest.first, quote == "\"" || quote == "'" else { return }
        let value = rest.dropFirst().prefix { $0 != quote }.lowercased()
        guard ["utf-8", "utf8", "us-ascii", "ascii"].contains(value) else {
            throw refused("\(what) declares the encoding \(value); only UTF-8 is accepted.", what: what)
        }
    }
}
