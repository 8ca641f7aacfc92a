import ConnectorCore
import Foundation

/// Escaping and name checks for the envelope writer, so any text NAV could hold goes out and parses back identical.
enum XMLEscaping {
    /// Element text: `&`, `<`, `>` escaped, carriage returns as `&#13;` (a parser would turn a raw CR into LF).
    /// - Throws: `nav.soap.value_invalid` for characters XML 1.0 cannot carry (control characters other than tab, LF,
    ///   CR; U+FFFE, U+FFFF), naming `field`.
    static func text(_ value: String, field: String) throws -> String {
        // Fast path: nothing to escape or refuse (no markup characters, no C0 controls, no byte that could start
        // U+FFFE/U+FFFF), which is nearly every value.
        if value.utf8.allSatisfy({ $0 >= 0x20 && $0 != UInt8(ascii: "&") && $0 != UInt8(ascii: "<") && $0 != UInt8(ascii: ">") && $0 != 0xEF }) {
            return value
        }
        var out = ""
        out.reserveCapacity(value.utf8.count)
        for scalar in value.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\r": out += "&#13;"
            case "\t", "\n": out.unicodeScalars.append(scalar)
            default:
                let v = scalar.value
                guard v >= 0x20, v != 0xFFFE, v != 0xFFFF else {
                    throw ConnectorError(
                        NAVSOAPErrorCode.valueInvalid,
                        "The value of \(field) holds a control character (U+\(String(format: "%04X", v))) that XML cannot carry.",
                        context: ["nav.field": field])
                }
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// Attribute text in double quotes.
    static func attribute(_ value: String, field: String) throws -> String {
        try text(value, field: field).replacingOccurrences(of: "\"", with: "&quot;")
            .replacingOccurrences(of: "\n", with: "&#10;").replacingOccurrences(of: "\t", with: "&#9;")
    }

    /// Checks that `name` can be an element name without a prefix: a letter or `_` first, then letters, digits, `_`, `-`, `.`.
    /// - Throws: `nav.soap.value_invalid` (a name is never escaped: a wrong one must not reach NAV as something else).
    static func checkName(_ name: String, role: String) throws {
        if let first = name.utf8.first, isASCIILetter(first) || first == UInt8(ascii: "_"),
            name.utf8.allSatisfy({ isASCIILetter($0) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5F || $0 == 0x2D || $0 == 0x2E })
        {
            return
        }
        guard let first = name.unicodeScalars.first,
            first == "_" || CharacterSet.letters.contains(first),
            name.unicodeScalars.allSatisfy({ $0 == "_" || $0 == "-" || $0 == "." || CharacterSet.alphanumerics.contains($0) })
        else {
            throw ConnectorError(
                NAVSOAPErrorCode.valueInvalid,
                "'\(name)' is not a valid SOAP element name for \(role); use the NAV field name (see NAVName.field).",
                context: ["nav.field": name])
        }
    }

    private static func isASCIILetter(_ b: UInt8) -> Bool { (b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A }
}
