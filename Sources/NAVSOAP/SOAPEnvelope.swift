import ConnectorCore
import Foundation

/// Writes NAV SOAP request envelopes deterministically: the caller's element order, two-space indentation between
/// elements only (never inside text), escaped text, no XML library in between. Page operations follow the WSDL order
/// of nav-bc-api.md §5.2 (unbound parameters such as `CurrentJnlBatchName` first).
public enum SOAPEnvelope {
    /// The SOAP 1.1 envelope namespace.
    public static let envelopeNamespace = "http://schemas.xmlsoap.org/soap/envelope/"

    /// `urn:microsoft-dynamics-schemas/page/{service lower-cased}`.
    public static func pageNamespace(_ service: String) -> String { "urn:microsoft-dynamics-schemas/page/" + service.lowercased() }

    /// `urn:microsoft-dynamics-schemas/codeunit/{Service}`, case kept.
    public static func codeunitNamespace(_ service: String) -> String { "urn:microsoft-dynamics-schemas/codeunit/" + service }

    /// The quoted colon form NAV documents: `"urn:microsoft-dynamics-schemas/page/generaljournal:Create"`.
    public static func soapAction(namespace: String, operation: String) -> String { "\"" + namespace + ":" + operation + "\"" }

    /// `Read`: unbound parameters, then the primary-key fields by name (`No` = `6100`).
    public static func read(service: String, key: [(String, String)], unbound: [(String, String)] = []) throws -> SOAPRequestMessage {
        try page(service: service, operation: "Read", content: leaves(unbound) + leaves(key))
    }

    /// `ReadMultiple`: unbound parameters, then each filter, then `bookmarkKey` when paging, then `setSize`
    /// (0 = all). This order (filter → bookmarkKey → setSize) is the WSDL's.
    public static func readMultiple(
        service: String, filters: [NAVFilter], bookmarkKey: String? = nil, setSize: Int, unbound: [(String, String)] = []
    ) throws -> SOAPRequestMessage {
        var content = leaves(unbound)
        for filter in filters {
            content.append(.element("filter", [.leaf("Field", filter.field), .leaf("Criteria", filter.criteria)]))
        }
        if let bookmarkKey { content.append(.leaf("bookmarkKey", bookmarkKey)) }
        content.append(.leaf("setSize", String(setSize)))
        return try page(service: service, operation: "ReadMultiple", content: content)
    }

    /// `Create`: unbound parameters, then `<{Svc}>` with the record's fields (no Key; NAV assigns numbers).
    public static func create(service: String, record: NAVRecord, unbound: [(String, String)] = []) throws -> SOAPRequestMessage {
        try page(service: service, operation: "Create", content: leaves(unbound) + [node(service, record)])
    }

    /// `CreateMultiple`: unbound parameters, then `<{Svc}_List>` with one `<{Svc}>` per record.
    public static func createMultiple(service: String, records: [NAVRecord], unbound: [(String, String)] = []) throws -> SOAPRequestMessage {
        try page(
            service: service, operation: "CreateMultiple",
            content: leaves(unbound) + [.element(service + "_List", records.map { node(service, $0) })])
    }

    /// `Update`: unbound parameters, then `<{Svc}>` holding `Key` and the changed fields (lines keep their own Keys).
    public static func update(service: String, record: NAVRecord, unbound: [(String, String)] = []) throws -> SOAPRequestMessage {
        try page(service: service, operation: "Update", content: leaves(unbound) + [node(service, record)])
    }

    /// `Delete`: unbound parameters, then the record's `Key`.
    public static func delete(service: String, key: String, unbound: [(String, String)] = []) throws -> SOAPRequestMessage {
        try page(service: service, operation: "Delete", content: leaves(unbound) + [.leaf("Key", key)])
    }

    /// A codeunit method call: `<{method} xmlns="urn:…/codeunit/{Service}">` with the parameters in order.
    public static func codeunit(service: String, method: String, parameters: [(String, String)]) throws -> SOAPRequestMessage {
        try message(namespace: codeunitNamespace(service), operation: method, content: leaves(parameters))
    }

    /// Any page operation with content the caller orders (for operations without a builder above).
    public static func page(service: String, operation: String, content: [SOAPNode]) throws -> SOAPRequestMessage {
        try message(namespace: pageNamespace(service), operation: operation, content: content)
    }

    /// A record as `<{element}>` with its fields; parts become `<Part><Item>…</Item>…</Part>`.
    public static func node(_ element: String, _ record: NAVRecord) -> SOAPNode {
        .element(
            element,
            record.fields.map { field in
                switch field.value {
                case .text(let text): return .leaf(field.name, text)
                case .part(let item, let records): return .element(field.name, records.map { node(item, $0) })
                }
            })
    }

    private static func leaves(_ pairs: [(String, String)]) -> [SOAPNode] { pairs.map { .leaf($0.0, $0.1) } }

    private static func message(namespace: String, operation: String, content: [SOAPNode]) throws -> SOAPRequestMessage {
        try XMLEscaping.checkName(operation, role: "the operation")
        var out = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
        out += "<soap:Envelope xmlns:soap=\"\(envelopeNamespace)\">\n"
        out += "  <soap:Body>\n"
        let ns = try XMLEscaping.attribute(namespace, field: "the namespace")
        if content.isEmpty {
            out += "    <\(operation) xmlns=\"\(ns)\"/>\n"
        } else {
            out += "    <\(operation) xmlns=\"\(ns)\">\n"
            for child in content { try write(child, depth: 3, into: &out) }
            out += "    </\(operation)>\n"
        }
        out += "  </soap:Body>\n"
        out += "</soap:Envelope>\n"
        return SOAPRequestMessage(
            body: Data(out.utf8), soapAction: soapAction(namespace: namespace, operation: operation), namespace: namespace,
            operation: operation)
    }

    private static func write(_ node: SOAPNode, depth: Int, into out: inout String) throws {
        let indent = String(repeating: "  ", count: depth)
        switch node {
        case .leaf(let name, let text):
            try XMLEscaping.checkName(name, role: "a field")
            if text.isEmpty {
                out += "\(indent)<\(name)/>\n"
            } else {
                let escaped = try XMLEscaping.text(text, field: name)
                out += "\(indent)<\(name)>\(escaped)</\(name)>\n"
            }
        case .element(let name, let children):
            try XMLEscaping.checkName(name, role: "an element")
            if children.isEmpty {
                out += "\(indent)<\(name)/>\n"
                return
            }
            out += "\(indent)<\(name)>\n"
            for child in children { try write(child, depth: depth + 1, into: &out) }
            out += "\(indent)</\(name)>\n"
        }
    }
}
