import Foundation

/// Namespaces of NAV's SOAP web services (nav-bc-api.md §5.1).
enum NAVSOAPNamespace {
    static let envelope = "http://schemas.xmlsoap.org/soap/envelope/"
    static let soap12Envelope = "http://www.w3.org/2003/05/soap-envelope"
    static let error = "urn:microsoft-dynamics-schemas/error"
    static let serialization = "http://schemas.microsoft.com/2003/10/Serialization/"

    /// `urn:microsoft-dynamics-schemas/page/{service lower-cased}`.
    static func page(_ service: String) -> String { "urn:microsoft-dynamics-schemas/page/" + service.lowercased() }
    /// `urn:microsoft-dynamics-schemas/codeunit/{Service}` (case kept).
    static func codeunit(_ service: String) -> String { "urn:microsoft-dynamics-schemas/codeunit/" + service }
}

/// A SOAP fault as NAV sends it (§5.3): HTTP 500 (unless told otherwise), `s:Fault` with the exception type in the
/// `urn:microsoft-dynamics-schemas/error` namespace, the message in `faultstring xml:lang="en-US"` and again in
/// `detail/string`.
struct NAVSOAPFault: Error, Sendable {
    enum Code: Sendable, Equatable {
        /// `a:Microsoft.Dynamics.Nav.Types.Exceptions.<type>` (business and request errors NAV raises).
        case nav(String)
        /// `s:Client`: the envelope itself is unreadable (malformed XML, a DTD, the wrong envelope namespace),
        /// which WCF refuses before NAV sees the call.
        case client
    }

    var code: Code
    var message: String
    var status = 500

    init(_ type: String, _ message: String, status: Int = 500) {
        self.code = .nav(type)
        self.message = message
        self.status = status
    }

    init(client message: String, status: Int = 500) {
        self.code = .client
        self.message = message
        self.status = status
    }

    // The exception types of §5.3.
    static func recordNotFound(_ m: String) -> NAVSOAPFault { NAVSOAPFault("NavCSideRecordNotFoundException", m) }
    static func tableRelation(_ m: String) -> NAVSOAPFault { NAVSOAPFault("NavCSideValidateTableRelationException", m) }
    static func testField(_ m: String) -> NAVSOAPFault { NAVSOAPFault("NavTestFieldException", m) }
    static func dialog(_ m: String) -> NAVSOAPFault { NAVSOAPFault("NavNCLDialogException", m) }
    static func duplicateKey(_ m: String) -> NAVSOAPFault { NAVSOAPFault("NavCSideDuplicateKeyException", m) }
    static func evaluate(_ m: String) -> NAVSOAPFault { NAVSOAPFault("NavNCLEvaluateException", m) }
    static func generic(_ m: String) -> NAVSOAPFault { NAVSOAPFault("NavCSideException", m) }

    var faultCodeText: String {
        switch code {
        case .nav(let type): return "a:Microsoft.Dynamics.Nav.Types.Exceptions." + type
        case .client: return "s:Client"
        }
    }

    var response: SimResponse {
        var w = SOAPXMLWriter()
        w.open("s:Envelope", [("xmlns:s", NAVSOAPNamespace.envelope)])
        w.open("s:Body")
        w.open("s:Fault")
        switch code {
        case .nav: w.element("faultcode", faultCodeText, [("xmlns:a", NAVSOAPNamespace.error)])
        case .client: w.element("faultcode", faultCodeText)
        }
        w.element("faultstring", message, [("xml:lang", "en-US")])
        w.open("detail")
        w.element("string", message, [("xmlns", NAVSOAPNamespace.serialization)])
        w.close("detail")
        w.close("s:Fault")
        w.close("s:Body")
        w.close("s:Envelope")
        return SimResponse(status: status, headers: [("Content-Type", "text/xml; charset=utf-8")], body: Data(w.out.utf8))
    }
}

/// The success envelope NAV page services answer with (`Soap:` prefix, as seen in the wild; clients parse by namespace).
enum NAVSOAPResponse {
    static func envelope(_ body: String) -> SimResponse {
        let text = "<Soap:Envelope xmlns:Soap=\"\(NAVSOAPNamespace.envelope)\"><Soap:Body>" + body + "</Soap:Body></Soap:Envelope>"
        return SimResponse(status: 200, headers: [("Content-Type", "text/xml; charset=utf-8")], body: Data(text.utf8))
    }

    /// 401 with an empty body and the challenge a NavUserPassword server sends.
    static var unauthorized: SimResponse {
        SimResponse(status: 401, headers: [("WWW-Authenticate", "Basic realm=\"\"")], body: Data())
    }

    static func xml(_ status: Int, _ text: String) -> SimResponse {
        SimResponse(status: status, headers: [("Content-Type", "text/xml; charset=utf-8")], body: Data(text.utf8))
    }
}

/// A SOAP request read down to its operation: the envelope by namespace, `Body`, then its one element in the
/// service's namespace. The SOAPAction header (any form of §5.1: `"ns:Op"`, `"ns/Op"`, `"ns"`, `"Op"`, or absent)
/// only has to agree with the body element when it names an operation; dispatch is on the body element.
struct SOAPCall: Sendable {
    var operation: String
    var element: SOAPNode

    /// The operation SOAPAction names, or nil when it names none (absent, empty, bare namespace).
    static func actionOperation(_ header: String?, namespace: String) -> String? {
        guard var action = header?.trimmingCharacters(in: .whitespaces) else { return nil }
        if action.count >= 2, action.hasPrefix("\""), action.hasSuffix("\"") { action = String(action.dropFirst().dropLast()) }
        action = action.trimmingCharacters(in: .whitespaces)
        if action.isEmpty { return nil }
        let lowerNS = namespace.lowercased()
        let lower = action.lowercased()
        if lower == lowerNS || lower == lowerNS + "/" || lower == lowerNS + ":" { return nil }
        if lower.hasPrefix(lowerNS + ":") || lower.hasPrefix(lowerNS + "/") {
            return String(action.dropFirst(namespace.count + 1))
        }
        if !action.contains(":") && !action.contains("/") { return action }
        // Another service's namespace, or some other URI: take what follows the last separator.
        if let i = action.lastIndex(where: { $0 == ":" || $0 == "/" }) { return String(action[action.index(after: i)...]) }
        return action
    }

    /// Reads the envelope. `namespace` is the service's (page or codeunit).
    static func read(_ body: Data, namespace: String, soapAction: String?, maxBytes: Int) -> Result<SOAPCall, NAVSOAPFault> {
        let root: SOAPNode
        switch SOAPXMLReader.parse(body, maxBytes: maxBytes) {
        case .failure(let e):
            if case .tooLarge = e { return .failure(NAVSOAPFault(client: e.message, status: 413)) }
            return .failure(NAVSOAPFault(client: e.message))
        case .success(let r): root = r
        }
        guard root.name == "Envelope" else {
            return .failure(NAVSOAPFault(client: "The root element is '\(root.name)'; a SOAP 1.1 Envelope is required."))
        }
        guard root.namespace == NAVSOAPNamespace.envelope else {
            let got = root.namespace.isEmpty ? "no namespace" : "namespace '\(root.namespace)'"
            return .failure(
                NAVSOAPFault(client: "The Envelope is in \(got); SOAP 1.1 ('\(NAVSOAPNamespace.envelope)') is required."))
        }
        guard let soapBody = root.child("Body", namespace: NAVSOAPNamespace.envelope) else {
            return .failure(NAVSOAPFault(client: "The SOAP Envelope has no Body."))
        }
        let elements = soapBody.children
        guard let op = elements.first else { return .failure(NAVSOAPFault(client: "The SOAP Body is empty.")) }
        guard elements.count == 1 else {
            return .failure(NAVSOAPFault(client: "The SOAP Body holds \(elements.count) elements; exactly one operation is expected."))
        }
        guard op.namespace == namespace else {
            let got = op.namespace.isEmpty ? "no namespace" : "namespace '\(op.namespace)'"
            return .failure(
                NAVSOAPFault(client: "The operation element '\(op.name)' is in \(got); this service expects '\(namespace)'."))
        }
        if let named = actionOperation(soapAction, namespace: namespace), named != op.name {
            return .failure(
                NAVSOAPFault(
                    client: "The SOAPAction names the operation '\(named)' but the body holds '\(op.name)'."))
        }
        return .success(SOAPCall(operation: op.name, element: op))
    }
}
