import ConnectorHTTP
import Foundation

/// URLs under a service root (`<environment>/data` on F&O, `…/api/v2.0/companies(id)` on Business Central), built in
/// one place so percent-encoding of filters and keys is never done by hand.
public enum ODataURL {
    /// `<root>/<EntitySet>?cross-company=true&$filter=…&$select=…`, values strictly percent-encoded.
    public static func collection(
        root: String, entitySet: String, filter: String?, select: [String], crossCompany: Bool, expand: String? = nil
    ) -> URL? {
        var query: [String] = []
        if crossCompany { query.append("cross-company=true") }
        if let filter, !filter.isEmpty { query.append("$filter=" + FormEncoding.escape(filter)) }
        if !select.isEmpty { query.append("$select=" + FormEncoding.escape(select.joined(separator: ","))) }
        if let expand, !expand.isEmpty { query.append("$expand=" + FormEncoding.escape(expand)) }
        let path = root + "/" + entitySet
        return URL(string: query.isEmpty ? path : path + "?" + query.joined(separator: "&"))
    }

    /// `<root>/<EntitySet>(k1='v',k2=1)`. Key values are percent-encoded like query values.
    public static func entity(root: String, entitySet: String, key: [(String, ODataLiteral)]) -> URL? {
        let predicate = key.map { "\($0.0)=\(FormEncoding.escape($0.1.text))" }.joined(separator: ",")
        return URL(string: root + "/" + entitySet + "(" + predicate + ")")
    }
}
