import ConnectorCore
import ConnectorHTTP
import Foundation
import OData

/// F&O's error codes (`d365.*`), mapped at this target's edge from the shared OData status classes.
enum D365Errors {
    static let validation = "d365.validation"
    static let notFound = "d365.not_found"
    static let forbidden = "d365.forbidden"

    static let mapping = ODataErrorMapping(
        codePrefix: "d365", displayName: "D365",
        unauthorizedHint:
            "D365 refused the access token even after a refresh; check that the Entra application is registered in F&O and its user is enabled.",
        reason: { D365ErrorMessage.parse($0) })

    /// The connector error for a non-success response (after retries and the 401 refresh).
    static func error(for response: HTTPResponse, entitySet: String, method: String) -> ConnectorError {
        mapping.error(for: response, entitySet: entitySet, method: method)
    }
}
