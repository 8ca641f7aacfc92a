import Foundation

/// Strict `application/x-www-form-urlencoded` and query-string encoding.
///
/// Everything except the RFC 3986 unreserved characters (`A-Z a-z 0-9 - . _ ~`) is percent-encoded as
/// UTF-8, including `+`, `&`, `=`, `'`, `/`, `:` and space (as `%20`, never `+`), so a decoder that turns
/// `+` into a space cannot corrupt a JSON job description, a FreeMarker template or a secret.
public enum FormEncoding {
    /// Percent-encodes one name or value.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += "%"
                out += String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return out
    }

    /// `a=1&b=2`, fields in the given order.
    public static func encode(_ fields: [(String, String)]) -> String {
        fields.map { escape($0.0) + "=" + escape($0.1) }.joined(separator: "&")
    }

    /// The encoded fields as a request body.
    public static func body(_ fields: [(String, String)]) -> Data { Data(encode(fields).utf8) }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
