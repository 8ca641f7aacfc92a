import Foundation

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// One parsed XML element with its namespace resolved (the prefix is gone: callers match by namespace URI and
/// local name, never by prefix).
struct SOAPNode: Sendable {
    var namespace: String
    var name: String
    var children: [SOAPNode] = []
    /// The character data directly inside this element (CDATA included), concatenated.
    var text = ""
    /// True when the element carries `xsi:nil="true"`.
    var isNil = false

    init(namespace: String, name: String) {
        self.namespace = namespace
        self.name = name
    }

    /// The first child with this local name in `namespace` (nil: any namespace).
    func child(_ name: String, namespace: String? = nil) -> SOAPNode? {
        children.first { $0.name == name && (namespace == nil || $0.namespace == namespace) }
    }

    func children(_ name: String) -> [SOAPNode] { children.filter { $0.name == name } }
}

/// Why a body could not be read as XML (each becomes a SOAP fault; nothing is ever expanded or fetched).
enum SOAPXMLError: Error, Sendable, Equatable {
    case empty
    case tooLarge(limit: Int)
    /// A `<!DOCTYPE …>` (and with it any entity declaration) is refused before parsing.
    case doctype
    case encoding(String)
    case tooDeep(limit: Int)
    case tooManyElements(limit: Int)
    case malformed(line: Int, column: Int, detail: String)

    var message: String {
        switch self {
        case .empty: return "The request body is empty; a SOAP envelope is required."
        case .tooLarge(let limit): return "The message is larger than the maximum message size of \(limit) bytes."
        case .doctype: return "DTD is prohibited in this XML document."
        case .encoding(let e): return "The XML encoding '\(e)' is not supported; send UTF-8."
        case .tooDeep(let limit): return "The XML is nested deeper than \(limit) elements."
        case .tooManyElements(let limit): return "The XML holds more than \(limit) elements."
        case .malformed(let line, let column, let detail):
            return "The XML is not well-formed (line \(line), position \(column)): \(detail)"
        }
    }
}

/// Reads a SOAP request body safely with FoundationXML's `XMLParser`:
/// - any `<!DOCTYPE` or `<!ENTITY` is refused before the parser sees a byte (so there is no internal subset, no
///   entity declaration and nothing to expand: "billion laughs" and external entities die here), and
///   `shouldResolveExternalEntities` is off anyway;
/// - only UTF-8 (or ASCII) text is read, so the DOCTYPE check cannot be dodged with another encoding;
/// - size, depth and element count are bounded.
enum SOAPXMLReader {
    static let defaultMaxBytes = 65_536 * 1024
    static let maxDepth = 64
    static let maxElements = 500_000

    static func parse(_ data: Data, maxBytes: Int = defaultMaxBytes) -> Result<SOAPNode, SOAPXMLError> {
        if data.count > maxBytes { return .failure(.tooLarge(limit: maxBytes)) }
        var bytes = data
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = Data(bytes.dropFirst(3)) }
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }) { return .failure(.empty) }
        if bytes.starts(with: [0xFE, 0xFF]) || bytes.starts(with: [0xFF, 0xFE]) || bytes.first == 0 || bytes.contains(0) {
            return .failure(.encoding("UTF-16"))
        }
        if containsMarkup(bytes, "<!DOCTYPE") || containsMarkup(bytes, "<!ENTITY") { return .failure(.doctype) }
        if let declared = declaredEncoding(bytes) {
            let e = declared.lowercased()
            if e != "utf-8" && e != "utf8" && e != "us-ascii" && e != "ascii" { return .failure(.encoding(declared)) }
        }
        let delegate = TreeBuilder()
        let parser = XMLParser(data: bytes)
        parser.shouldProcessNamespaces = true
        parser.shouldReportNamespacePrefixes = false
        parser.shouldResolveExternalEntities = false
        parser.delegate = delegate
        let ok = parser.parse()
        if let limit = delegate.limitError { return .failure(limit) }
        if delegate.sawDeclaration { return .failure(.doctype) }
        if let name = delegate.undeclaredEntity {
            return .failure(
                .malformed(line: parser.lineNumber, column: parser.columnNumber, detail: "Reference to undeclared entity '\(name)'."))
        }
        guard ok, let root = delegate.root else {
            let detail = parser.parserError.map { ($0 as NSError).localizedDescription } ?? "unexpected end of document"
            return .failure(.malformed(line: parser.lineNumber, column: parser.columnNumber, detail: detail))
        }
        return .success(root)
    }

    /// Case-insensitive search for an ASCII markup opener anywhere in the bytes.
    static func containsMarkup(_ bytes: Data, _ needle: String) -> Bool {
        let n = Array(needle.utf8).map { $0 | 0x20 }
        guard bytes.count >= n.count else { return false }
        return bytes.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> Bool in
            let b = raw.bindMemory(to: UInt8.self)
            var i = 0
            let last = b.count - n.count
            while i <= last {
                if b[i] == 0x3C {
                    var j = 1
                    while j < n.count && (b[i + j] | 0x20) == n[j] { j += 1 }
                    if j == n.count { return true }
                }
                i += 1
            }
            return false
        }
    }

    /// The `encoding="…"` of a leading `<?xml …?>` declaration.
    static func declaredEncoding(_ bytes: Data) -> String? {
        guard bytes.starts(with: Array("<?xml".utf8)) else { return nil }
        let head = bytes.prefix(200)
        guard let end = head.firstRange(of: Array("?>".utf8)) else { return nil }
        let decl = String(decoding: head[head.startIndex..<end.lowerBound], as: UTF8.self)
        guard let r = decl.range(of: "encoding") else { return nil }
        let rest = decl[r.upperBound...].drop { $0 == " " || $0 == "=" }
        guard let quote = rest.first, quote == "\"" || quote == "'" else { return nil }
        return String(rest.dropFirst().prefix { $0 != quote })
    }

    private final class TreeBuilder: NSObject, XMLParserDelegate {
        var stack: [SOAPNode] = []
        var root: SOAPNode?
        var count = 0
        var limitError: SOAPXMLError?
        var sawDeclaration = false
        var undeclaredEntity: String?

        func parser(
            _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName qName: String?,
            attributes attributeDict: [String: String] = [:]
        ) {
            count += 1
            if stack.count >= SOAPXMLReader.maxDepth {
                limitError = .tooDeep(limit: SOAPXMLReader.maxDepth)
                parser.abortParsing()
                return
            }
            if count > SOAPXMLReader.maxElements {
                limitError = .tooManyElements(limit: SOAPXMLReader.maxElements)
                parser.abortParsing()
                return
            }
            let local = elementName.split(separator: ":").last.map(String.init) ?? elementName
            var node = SOAPNode(namespace: namespaceURI ?? "", name: local)
            for (k, v) in attributeDict where k == "nil" || k.hasSuffix(":nil") {
                node.isNil = v == "true" || v == "1"
            }
            stack.append(node)
        }

        func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?) {
            guard let node = stack.popLast() else { return }
            if stack.isEmpty {
                root = node
            } else {
                stack[stack.count - 1].children.append(node)
            }
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            guard !stack.isEmpty else { return }
            stack[stack.count - 1].text += string
        }

        func parser(_ parser: XMLParser, foundCDATA cdataBlock: Data) {
            guard !stack.isEmpty else { return }
            stack[stack.count - 1].text += String(decoding: cdataBlock, as: UTF8.self)
        }

        // Belt and braces: the DOCTYPE check runs before parsing, but any declaration reaching the parser aborts it.
        func parser(_ parser: XMLParser, foundInternalEntityDeclarationWithName name: String, value: String?) { refuse(parser) }
        func parser(_ parser: XMLParser, foundExternalEntityDeclarationWithName name: String, publicID: String?, systemID: String?) {
            refuse(parser)
        }
        func parser(_ parser: XMLParser, foundElementDeclarationWithName elementName: String, model: String) { refuse(parser) }
        /// An entity reference with no declaration (there can be none): refused, never looked up.
        func parser(_ parser: XMLParser, resolveExternalEntityName name: String, systemID: String?) -> Data? {
            undeclaredEntity = name
            parser.abortParsing()
            return nil
        }

        private func refuse(_ parser: XMLParser) {
            sawDeclaration = true
            parser.abortParsing()
        }
    }
}

/// Builds XML text. Text and attribute values are escaped; characters XML 1.0 cannot carry are replaced by U+FFFD.
struct SOAPXMLWriter {
    var out = ""

    static func escape(_ s: String, attribute: Bool = false) -> String {
        var r = ""
        r.reserveCapacity(s.utf8.count)
        for u in s.unicodeScalars {
            switch u {
            case "&": r += "&amp;"
            case "<": r += "&lt;"
            case ">": r += "&gt;"
            case "\"" where attribute: r += "&quot;"
            case "'" where attribute: r += "&apos;"
            case "\r": r += "&#xD;"
            case "\t" where attribute: r += "&#x9;"
            case "\n" where attribute: r += "&#xA;"
            default:
                let v = u.value
                if (v < 0x20 && v != 0x09 && v != 0x0A) || v == 0xFFFE || v == 0xFFFF {
                    r += "\u{FFFD}"
                } else {
                    r.unicodeScalars.append(u)
                }
            }
        }
        return r
    }

    mutating func open(_ name: String, _ attributes: [(String, String)] = []) {
        out += "<" + name
        for (k, v) in attributes { out += " \(k)=\"\(SOAPXMLWriter.escape(v, attribute: true))\"" }
        out += ">"
    }

    mutating func close(_ name: String) { out += "</\(name)>" }

    mutating func empty(_ name: String, _ attributes: [(String, String)] = []) {
        out += "<" + name
        for (k, v) in attributes { out += " \(k)=\"\(SOAPXMLWriter.escape(v, attribute: true))\"" }
        out += "/>"
    }

    /// `<name>text</name>`.
    mutating func element(_ name: String, _ text: String, _ attributes: [(String, String)] = []) {
        open(name, attributes)
        out += SOAPXMLWriter.escape(text)
        close(name)
    }

    mutating func raw(_ s: String) { out += s }
}
