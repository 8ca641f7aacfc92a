import ConnectorCore
import Foundation

/// Reads NAV's SOAP answers into records: finds `{Op}_Result` in `Envelope/Body` by namespace (never prefix), turns a
/// fault into its `ConnectorError`, and knows each operation's result shape (nav-bc-api.md §5.2).
public enum SOAPResponseDecoder {
    /// The `{operation}_Result` element of an answer, after turning a fault into its error.
    /// - Throws: `nav.soap.fault.*` for a fault; `nav.soap.xml_*` for refused or broken XML;
    ///   `nav.soap.unexpected_response` when the envelope holds something else.
    public static func result(
        _ data: Data, operation: String, namespace: String, service: String, limits: SafeXMLLimits = .standard
    ) throws -> SafeXMLElement {
        let envelope = try SafeXML.parse(data, limits: limits, what: "NAV's answer to \(operation) on \(service)")
        if let fault = NAVSOAPFault.find(in: envelope) { throw fault.error(operation: operation, service: service) }
        let ns = SOAPEnvelope.envelopeNamespace
        guard envelope.is("Envelope", in: ns), let body = envelope.child("Body", in: ns) else {
            throw unexpected("NAV's answer to \(operation) on \(service) is not a SOAP envelope.", operation: operation, service: service)
        }
        guard let result = body.child(operation + "_Result", in: namespace) else {
            let found = body.children.first.map { "{\($0.namespace)}\($0.name)" } ?? "nothing"
            throw unexpected(
                "NAV's answer to \(operation) on \(service) holds \(found) instead of \(operation)_Result in \(namespace).",
                operation: operation, service: service)
        }
        return result
    }

    /// An element's children as a record: elements with element children are parts (`PurchLines` with its lines),
    /// the others text fields (a blank `<Currency_Code/>` is `""`).
    public static func record(_ element: SafeXMLElement) -> NAVRecord {
        NAVRecord(
            element.children.map { child in
                if let first = child.children.first {
                    return NAVField(name: child.name, value: .part(item: first.name, records: child.children.map(record)))
                }
                return NAVField(name: child.name, value: .text(child.text))
            })
    }

    /// `Read_Result`: the record, or nil when it is empty (NAV's "not found", no fault).
    public static func readRecord(_ result: SafeXMLElement, service: String) -> NAVRecord? {
        result.child(service, in: result.namespace).map(record)
    }

    /// `ReadMultiple_Result/ReadMultiple_Result/{Svc}*`; both empty forms (no inner element, empty inner) give [].
    public static func readMultipleRecords(_ result: SafeXMLElement, service: String) -> [NAVRecord] {
        guard let inner = result.child("ReadMultiple_Result", in: result.namespace) else { return [] }
        return inner.children(service, in: result.namespace).map(record)
    }

    /// `Create_Result/{Svc}` or `Update_Result/{Svc}`: the record as NAV stored it, Key and defaulted fields included.
    /// - Throws: `nav.soap.unexpected_response` when the record is missing.
    public static func singleRecord(_ result: SafeXMLElement, operation: String, service: String) throws -> NAVRecord {
        guard let element = result.child(service, in: result.namespace) else {
            throw unexpected("NAV's \(operation)_Result for \(service) holds no \(service) record.", operation: operation, service: service)
        }
        return record(element)
    }

    /// `CreateMultiple_Result/{Svc}_List/{Svc}*`, in request order.
    /// - Throws: `nav.soap.unexpected_response` when the list is missing.
    public static func listRecords(_ result: SafeXMLElement, operation: String, service: String) throws -> [NAVRecord] {
        guard let list = result.child(service + "_List", in: result.namespace) else {
            throw unexpected("NAV's \(operation)_Result for \(service) holds no \(service)_List.", operation: operation, service: service)
        }
        return list.children(service, in: result.namespace).map(record)
    }

    /// `Delete_Result/Delete_Result` → true or false (double nesting).
    /// - Throws: `nav.soap.unexpected_response` for anything but `true`/`false`.
    public static func boolean(_ result: SafeXMLElement, operation: String, service: String) throws -> Bool {
        let text = (result.child(operation + "_Result", in: result.namespace)?.text ?? result.text)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        switch text {
        case "true": return true
        case "false": return false
        default:
            throw unexpected("NAV's \(operation)_Result for \(service) is '\(text)', not true or false.", operation: operation, service: service)
        }
    }

    /// `{Method}_Result` with `return_value` and `var` parameters.
    public static func codeunitResult(_ result: SafeXMLElement) -> NAVCodeunitResult {
        NAVCodeunitResult(values: record(result))
    }

    /// Whether `response` is a SOAP fault: NAV ran the call and rolled it back, so the answer is final.
    public static func isFault(_ body: Data) -> Bool {
        guard let envelope = try? SafeXML.parse(body, what: "NAV's answer") else { return false }
        return NAVSOAPFault.find(in: envelope) != nil
    }

    static func unexpected(_ message: String, operation: String, service: String) -> ConnectorError {
        ConnectorError(
            NAVSOAPErrorCode.unexpectedResponse, message, context: ["nav.soap.service": service, "nav.soap.operation": operation])
    }
}
