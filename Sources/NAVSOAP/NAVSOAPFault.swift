import ConnectorCore
import Foundation

/// A SOAP fault as NAV sends it (HTTP 500, `s:Fault` with `faultcode` `a:Microsoft.Dynamics.Nav.Types.Exceptions.X`
/// and the message in `faultstring`), and its translation into a `ConnectorError` that names what NAV refused.
public struct NAVSOAPFault: Sendable, Equatable {
    /// The `faultcode` text as sent, prefix included.
    public let faultCode: String
    /// The exception's short type (`NavTestFieldException`); nil when the code is not a NAV exception.
    public let exceptionType: String?
    /// The `faultstring`: NAV's message.
    public let message: String
    /// The message read into field, value and table, when it follows a known pattern.
    public let details: NAVFaultDetails?

    /// The NAV namespace of exception types in fault codes.
    public static let exceptionPrefix = "Microsoft.Dynamics.Nav.Types.Exceptions."

    /// A fault from its parts; `details` are read from the message.
    public init(faultCode: String, message: String) {
        self.faultCode = faultCode
        self.message = message
        let local = faultCode.split(separator: ":").last.map(String.init) ?? faultCode
        if local.hasPrefix(Self.exceptionPrefix) {
            let type = String(local.dropFirst(Self.exceptionPrefix.count)).filter { $0.isLetter || $0.isNumber || $0 == "_" }
            exceptionType = type.isEmpty ? nil : type
        } else {
            exceptionType = nil
        }
        details = NAVFaultDetails.parse(message)
    }

    /// The fault in a parsed envelope (`Envelope/Body/Fault`, matched by namespace); nil when there is none.
    public static func find(in envelope: SafeXMLElement) -> NAVSOAPFault? {
        let ns = SOAPEnvelope.envelopeNamespace
        guard envelope.is("Envelope", in: ns), let body = envelope.child("Body", in: ns),
            let fault = body.child("Fault", in: ns)
        else { return nil }
        let code = fault.child(localName: "faultcode")?.text.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        var message = fault.child(localName: "faultstring")?.text.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        if message.isEmpty, let detail = fault.child(localName: "detail")?.children.first {
            message = detail.text.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        return NAVSOAPFault(faultCode: code, message: message)
    }

    /// Whether NAV's message says the record was locked or the transaction deadlocked: trying again later may work.
    public var isLockingConflict: Bool {
        let lower = message.lowercased()
        return (exceptionType ?? "").contains("Lock") || (exceptionType ?? "").contains("Deadlock")
            || lower.contains("locked by another user") || lower.contains("deadlock")
            || lower.contains("being updated in a transaction done by another session")
    }

    /// `nav.soap.fault.<type>` with a message naming the operation, the service and, when NAV's text names them, the
    /// field, the value and the table; context carries the same identifiers (never credentials).
    public func error(operation: String, service: String) -> ConnectorError {
        let code = exceptionType.map { NAVSOAPErrorCode.faultPrefix + $0 } ?? NAVSOAPErrorCode.faultUnknown
        var context = ["nav.soap.service": service, "nav.soap.operation": operation, "http.status": "500"]
        if let exceptionType { context["nav.exception"] = exceptionType }
        let said = message.isEmpty ? "NAV gave no message" : "NAV said: \(message)"
        var text = "NAV refused \(operation) on \(service)"
        if let details {
            text += ": \(details.summary). \(said)"
            if let field = details.field { context["nav.field"] = field }
            if let value = details.value { context["nav.value"] = value }
            if let table = details.table { context["nav.table"] = table }
        } else {
            text += ". \(said)"
        }
        return ConnectorError(code, text, context: context, isTransient: isLockingConflict)
    }
}
