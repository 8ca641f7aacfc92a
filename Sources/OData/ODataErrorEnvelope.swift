import ConnectorCore
import Foundation

/// The error body every OData v4 service answers with, `{"error":{"code","message","innererror":{…}}}`, plus the
/// `{"Message": …}` shape of ASP.NET routing errors; each system reads the part that carries its real reason.
public struct ODataErrorEnvelope: Sendable, Equatable {
    /// The service's own error code, when it sends one.
    public var code: String?
    /// The top-level message, the reason on most services.
    public var message: String?
    /// `error.innererror.message`, where F&O puts its Infolog.
    public var innerMessage: String?

    /// Memberwise, for parsers and tests.
    public init(code: String? = nil, message: String? = nil, innerMessage: String? = nil) {
        self.code = code
        self.message = message
        self.innerMessage = innerMessage
    }

    /// The envelope of an error body; nil when the body is not JSON or names no error at all.
    public static func parse(_ body: Data) -> ODataErrorEnvelope? {
        guard let json = try? JSONValue.parse(body) else { return nil }
        func text(_ v: JSONValue?) -> String? {
            guard let s = v?.stringValue, !s.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return nil }
            return s
        }
        if let error = json["error"] {
            let e = ODataErrorEnvelope(
                code: text(error["code"]), message: text(error["message"]),
                innerMessage: text(error["innererror"]?["message"]))
            if e.message != nil || e.innerMessage != nil || e.code != nil { return e }
        }
        if let m = text(json["Message"]) ?? text(json["message"]) { return ODataErrorEnvelope(message: m) }
        return nil
    }
}
