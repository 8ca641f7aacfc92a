import Foundation

/// Path pieces of NAV and BC page web services, encoded in one place.
enum NAVPath {
    /// `'Smith%20%26%20Sons%20Ltd.'`: the company name as an OData string literal, quotes doubled, percent-encoded
    /// for a path segment (`&`, space, `'`, `/`, `?`, `#`, `%` encoded; `.` kept).
    static func companyLiteral(_ name: String) -> String {
        "'" + segment(name.replacingOccurrences(of: "'", with: "''")) + "'"
    }

    /// A path segment with everything but unreserved characters and `'` percent-encoded.
    static func segment(_ text: String) -> String {
        let allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~'()")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}
