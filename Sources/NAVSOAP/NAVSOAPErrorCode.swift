import Foundation

/// The stable error codes of the NAV SOAP client, named once so callers decide on constants, not string literals.
public enum NAVSOAPErrorCode {
    /// A document refused before or while parsing: a DTD or entity declaration, too large, too deep, not UTF-8.
    public static let xmlRefused = "nav.soap.xml_refused"
    /// A document that is not well-formed XML.
    public static let xmlMalformed = "nav.soap.xml_malformed"
    /// Prefix of every SOAP fault: `nav.soap.fault.<exception type>`, e.g. `nav.soap.fault.NavTestFieldException`.
    public static let faultPrefix = "nav.soap.fault."
    /// A fault without a `Microsoft.Dynamics.Nav.Types.Exceptions.*` fault code.
    public static let faultUnknown = "nav.soap.fault.unknown"
    /// 401: the user name or web service access key was refused.
    public static let unauthorized = "nav.soap.unauthorized"
    /// 403: the user may not use this service.
    public static let forbidden = "nav.soap.forbidden"
    /// 404: no such service or company at that address (not published, misspelt).
    public static let notFound = "nav.soap.not_found"
    /// 429/503 that outlasted the retries.
    public static let throttled = "nav.soap.throttled"
    /// A 5xx without a SOAP fault that outlasted the retries (reads only; writes surface as `http.ambiguous`).
    public static let serverError = "nav.soap.server_error"
    /// An answer that is well-formed XML but not the SOAP shape the operation promises.
    public static let unexpectedResponse = "nav.soap.unexpected_response"
    /// ReadMultiple paging handed back a Key already read (the server is not advancing).
    public static let pagingLoop = "nav.soap.paging_loop"
    /// A value the connector cannot put into a request (control characters, a malformed decimal or date).
    public static let valueInvalid = "nav.soap.value_invalid"
    /// A URL that cannot be built from the configured root, company and service.
    public static let requestInvalid = "nav.soap.request_invalid"
}
