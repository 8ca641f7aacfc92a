import Foundation

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// The `XMLParser` delegate behind `SafeXML`: builds elements bottom-up on an explicit stack (no recursion), counts
/// depth, and refuses (aborting the parse) on any DTD declaration or external entity the prolog scan did not see.
final class SafeXMLBuilder: NSObject, XMLParserDelegate {
    private struct Frame {
        var namespace: String
        var name: String
        var attributes: [String: String]
        var children: [SafeXMLElement] = []
        var text = ""
    }

    private let maxDepth: Int
    private var stack: [Frame] = []
    /// The document's root once its end tag has been read.
    private(set) var root: SafeXMLElement?
    /// Why the document was refused, when it was.
    private(set) var refusal: String?
    /// Set when content follows the root element (FoundationXML does not always report it).
    private(set) var contentAfterRoot = false
    /// Elements started, to compare with the start tags in the raw bytes.
    private(set) var elementCount = 0

    init(maxDepth: Int) { self.maxDepth = maxDepth }

    private func refuse(_ parser: XMLParser, _ reason: String) {
        if refusal == nil { refusal = reason }
        parser.abortParsing()
    }

    func parser(
        _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName qName: String?,
        attributes attributeDict: [String: String] = [:]
    ) {
        guard refusal == nil, !contentAfterRoot else { return }
        if stack.isEmpty && root != nil {
            contentAfterRoot = true
            parser.abortParsing()
            return
        }
        guard stack.count < maxDepth else {
            refuse(parser, "elements are nested deeper than \(maxDepth) levels.")
            return
        }
        var attributes: [String: String] = [:]
        for (key, value) in attributeDict where key != "xmlns" && !key.hasPrefix("xmlns:") {
            let local = key.split(separator: ":").last.map(String.init) ?? key
            attributes[local] = value
        }
        elementCount += 1
        let local = elementName.split(separator: ":").last.map(String.init) ?? elementName
        stack.append(Frame(namespace: namespaceURI ?? "", name: local, attributes: attributes))
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?) {
        guard refusal == nil, let frame = stack.popLast() else { return }
        let element = SafeXMLElement(
            namespace: frame.namespace, name: frame.name, attributes: frame.attributes, children: frame.children, text: frame.text)
        if stack.isEmpty {
            root = element
        } else {
            stack[stack.count - 1].children.append(element)
        }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if root != nil && stack.isEmpty && !string.allSatisfy(\.isWhitespace) {
            contentAfterRoot = true
            parser.abortParsing()
        }
        guard refusal == nil, !stack.isEmpty else { return }
        stack[stack.count - 1].text += string
    }

    func parser(_ parser: XMLParser, foundIgnorableWhitespace whitespaceString: String) {
        guard refusal == nil, !stack.isEmpty else { return }
        stack[stack.count - 1].text += whitespaceString
    }

    func parser(_ parser: XMLParser, foundCDATA cdataBlock: Data) {
        guard refusal == nil, !stack.isEmpty else { return }
        stack[stack.count - 1].text += String(decoding: cdataBlock, as: UTF8.self)
    }

    // MARK: - Everything a DTD brings is refused

    func parser(_ parser: XMLParser, foundElementDeclarationWithName elementName: String, model: String) {
        refuse(parser, "it declares an element type (a DTD).")
    }

    func parser(
        _ parser: XMLParser, foundAttributeDeclarationWithName attributeName: String, forElement elementName: String, type: String?,
        defaultValue: String?
    ) {
        refuse(parser, "it declares an attribute list (a DTD).")
    }

    func parser(_ parser: XMLParser, foundInternalEntityDeclarationWithName name: String, value: String?) {
        refuse(parser, "it declares an entity (a DTD).")
    }

    func parser(_ parser: XMLParser, foundExternalEntityDeclarationWithName name: String, publicID: String?, systemID: String?) {
        refuse(parser, "it declares an external entity.")
    }

    func parser(_ parser: XMLParser, foundUnparsedEntityDeclarationWithName name: String, publicID: String?, systemID: String?, notationName: String?)
    {
        refuse(parser, "it declares an unparsed entity.")
    }

    func parser(_ parser: XMLParser, foundNotationDeclarationWithName name: String, publicID: String?, systemID: String?) {
        refuse(parser, "it declares a notation (a DTD).")
    }

    func parser(_ parser: XMLParser, resolveExternalEntityName name: String, systemID: String?) -> Data? {
        refuse(parser, "it refers to the entity '\(name)', which is neither predefined nor allowed.")
        return nil
    }
}
