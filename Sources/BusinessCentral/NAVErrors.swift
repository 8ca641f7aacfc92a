import ConnectorCore
import ConnectorHTTP
import Foundation
import OData

/// Business Central's and NAV's error codes (`bc.*`, `nav.*`), mapped at this target's edge from the shared OData
/// status classes. The ERP's own message (`{"error":{"code","message"}}`) is kept, without its correlation suffix.
enum NAVErrors {
    /// Business Central API v2.0 (and its ODataV4 pages).
    static let bc = ODataErrorMapping(
        codePrefix: "bc", displayName: "Business Central",
        unauthorizedHint:
            "Business Central refused the access token even after a refresh; check that the Entra application has API.ReadWrite.All and is registered in the environment (Microsoft Entra Applications page).",
        reason: { message($0) })

    /// NAV ODataV4 page web services.
    static let nav = ODataErrorMapping(
        codePrefix: "nav", displayName: "NAV",
        unauthorizedHint:
            "NAV refused the user name and web service access key; check target.userName and the key (the user's card, Web Service Access Key).",
        reason: { message($0) })

    /// The ERP's message without `  CorrelationId:  <guid>.`, with its code.
    static func message(_ body: Data) -> String? {
        guard let envelope = ODataErrorEnvelope.parse(body), let text = envelope.message else { return nil }
        var message = text
        if let r = message.range(of: "  CorrelationId:") { message = String(message[..<r.lowerBound]) }
        message = message.trimmingCharacters(in: .whitespaces)
        return envelope.code.map { "\(message) (\($0))" } ?? message
    }
}
