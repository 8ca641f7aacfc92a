import Foundation

/// One element of a parsed XML document as an immutable value, so SOAP answers are read by namespace URI and local name
/// (never by prefix: NAV answers `Soap:` on success and `s:` on faults) without holding a parser or a DOM.
public struct SafeXMLElement: Sendable, Equatable {
    /// The namespace URI the element is in (empty when it is in no namespace).
    public let namespace: String
    /// The local name, without any prefix.
    public let name: String
    /// Attributes by local name (namespace declarations are not attributes here).
    public let attributes: [String: String]
    /// Child elements in document order.
    public let children: [SafeXMLElement]
    /// The character data directly inside this element, entities and character references resolved, not trimmed.
    public let text: String

    /// A finished element; the parser builds these bottom-up.
    public init(namespace: String, name: String, attributes: [String: String] = [:], children: [SafeXMLElement] = [], text: String = "") {
        self.namespace = namespace
        self.name = name
        self.attributes = attributes
        self.children = children
        self.text = text
    }

    /// Whether this element is `name` in `namespace`.
    public func `is`(_ name: String, in namespace: String) -> Bool { self.name == name && self.namespace == namespace }

    /// The first child named `name` in `namespace`; nil when there is none.
    public func child(_ name: String, in namespace: String) -> SafeXMLElement? {
        children.first { $0.name == name && $0.namespace == namespace }
    }

    /// Every child named `name` in `namespace`, in document order.
    public func children(_ name: String, in namespace: String) -> [SafeXMLElement] {
        children.filter { $0.name == name && $0.namespace == namespace }
    }

    /// The first child with local name `name` whatever its namespace (for unqualified SOAP fault parts).
    public func child(localName name: String) -> SafeXMLElement? { children.first { $0.name == name } }
}
