import Foundation

/// A NAV/BC business or request error, with the kind that decides the OData code, the HTTP status and the SOAP
/// exception type (reference §1.4, §5.3).
struct NAVError: Error, Sendable, CustomStringConvertible {
    enum Kind: Sendable {
        /// `… does not exist. Identification fields and values: …`
        case recordNotFound
        /// `The field X of table Y contains a value (…) that cannot be found in the related table (…).`
        case tableRelation
        /// TestField: `X must be equal to 'Y'  in …` / `X must have a value in …`
        case testField
        /// AL `Error(...)`.
        case dialog
        /// `The X already exists. Identification fields and values: …`
        case duplicateKey
        /// Option / date / decimal conversion failures.
        case evaluate
        /// The record changed since it was read (stale ETag / Key).
        case entityChanged
        /// A read-only or unknown field.
        case invalidOperation
        /// Malformed request.
        case badRequest
        /// The company in the URL does not exist.
        case companyNotFound
    }

    var kind: Kind
    var message: String

    init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    var description: String { message }

    /// The OData error code of BC / NAV OData.
    var odataCode: String {
        switch kind {
        case .recordNotFound: return "Internal_RecordNotFound"
        case .tableRelation: return "Internal_InvalidTableRelation"
        case .testField: return "Application_FieldValidationException"
        case .dialog: return "Application_DialogException"
        case .duplicateKey: return "Internal_EntityWithSameKeyExists"
        case .evaluate: return "Application_EvaluateException"
        case .entityChanged: return "Request_EntityChanged"
        case .invalidOperation: return "BadRequest_InvalidOperation"
        case .badRequest: return "BadRequest"
        case .companyNotFound: return "Internal_CompanyNotFound"
        }
    }

    /// HTTP status over OData (a stale ETag's status is a setting of the front end).
    var httpStatus: Int {
        switch kind {
        case .recordNotFound, .companyNotFound: return 404
        case .entityChanged: return 409
        default: return 400
        }
    }

    /// `Microsoft.Dynamics.Nav.Types.Exceptions.<Type>` of the SOAP fault.
    var soapException: String {
        let type: String
        switch kind {
        case .recordNotFound: type = "NavCSideRecordNotFoundException"
        case .tableRelation: type = "NavCSideValidateTableRelationException"
        case .testField: type = "NavTestFieldException"
        case .dialog: type = "NavNCLDialogException"
        case .duplicateKey: type = "NavCSideDuplicateKeyException"
        case .evaluate: type = "NavNCLEvaluateException"
        case .entityChanged: type = "NavCSideException"
        case .invalidOperation, .badRequest: type = "NavCSideException"
        case .companyNotFound: type = "NavCompanyNotFoundException"
        }
        return "Microsoft.Dynamics.Nav.Types.Exceptions." + type
    }

    // MARK: Message builders (texts of the reference, §1.2, §1.5, §5.3)

    static func notFound(_ table: String, _ fields: [(String, String)]) -> NAVError {
        let ident = fields.map { "\($0.0)='\($0.1)'" }.joined(separator: ",")
        return NAVError(.recordNotFound, "The \(table) does not exist. Identification fields and values: \(ident)")
    }

    static func mustBeEqual(_ field: String, _ expected: String, in record: String, current: String) -> NAVError {
        NAVError(.testField, "\(field) must be equal to '\(expected)'  in \(record). Current value is '\(current)'.")
    }

    static func mustHaveValue(_ field: String, in record: String) -> NAVError {
        NAVError(.testField, "\(field) must have a value in \(record). It cannot be zero or empty.")
    }

    static func otherUserModified(_ record: String) -> NAVError {
        NAVError(.entityChanged, "Other user has modified \(record) since you retrieved it. Please retrieve the record again.")
    }

    static func companyNotFound(_ name: String) -> NAVError {
        NAVError(.companyNotFound, "Cannot process the request because the company '\(name)' does not exist.")
    }

    static let nothingToPost = NAVError(.dialog, "There is nothing to post.")
}

/// Deterministic GUIDs for seeded and new records (a reset gives the same ids; reruns are reproducible).
enum NAVGuid {
    static func make(_ seed: String) -> String {
        func fnv(_ s: String, _ basis: UInt64) -> UInt64 {
            var h = basis
            for b in s.utf8 {
                h ^= UInt64(b)
                h = h &* 0x0000_0100_0000_01B3
            }
            return h
        }
        let a = fnv(seed, 0xCBF2_9CE4_8422_2325)
        let b = fnv(seed + "#", 0x8422_2325_CBF2_9CE4)
        var bytes = [UInt8](repeating: 0, count: 16)
        for i in 0..<8 {
            bytes[i] = UInt8((a >> (8 * UInt64(i))) & 0xFF)
            bytes[8 + i] = UInt8((b >> (8 * UInt64(i))) & 0xFF)
        }
        bytes[6] = (bytes[6] & 0x0F) | 0x40
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        let hex = bytes.map { String(format: "%02x", $0) }.joined()
        let c = Array(hex)
        return String(c[0..<8]) + "-" + String(c[8..<12]) + "-" + String(c[12..<16]) + "-" + String(c[16..<20]) + "-" + String(c[20..<32])
    }

    /// True for `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` (hex, any case).
    static func isGuid(_ s: String) -> Bool {
        let parts = s.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.map(\.count) == [8, 4, 4, 4, 12] else { return false }
        return parts.allSatisfy { $0.allSatisfy(\.isHexDigit) }
    }
}

/// `yyyy-mm-dd` dates; blank is `0001-01-01`.
enum NAVDate {
    static let blank = "0001-01-01"

    /// A valid calendar date `yyyy-mm-dd` (also accepts a `T…` time part and keeps the date), nil otherwise.
    static func parse(_ text: String) -> String? {
        var t = text.trimmingCharacters(in: .whitespaces)
        if t.isEmpty { return blank }
        if let tIndex = t.firstIndex(of: "T") { t = String(t[..<tIndex]) }
        let p = t.split(separator: "-", omittingEmptySubsequences: false)
        guard p.count == 3, p[0].count == 4, p[1].count == 2, p[2].count == 2, let y = Int(p[0]), let m = Int(p[1]), let d = Int(p[2]),
            (1...12).contains(m), d >= 1
        else { return nil }
        let days = [31, (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard d <= days[m - 1] else { return nil }
        return t
    }

    /// Adds days to a `yyyy-mm-dd` date (UTC calendar).
    static func adding(days: Int, to date: String) -> String {
        guard date != blank else { return blank }
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = TimeZone(identifier: "UTC")!
        let f = DateFormatter()
        f.calendar = cal
        f.timeZone = cal.timeZone
        f.locale = Locale(identifier: "en_US_POSIX")
        f.dateFormat = "yyyy-MM-dd"
        guard let d = f.date(from: date), let n = cal.date(byAdding: .day, value: days, to: d) else { return date }
        return f.string(from: n)
    }
}

/// Exact decimals for NAV values: invariant text in, plain text out, rounding to a precision.
enum NAVDecimal {
    static func parse(_ text: String) -> Decimal? {
        let t = text.trimmingCharacters(in: .whitespaces)
        if t.isEmpty { return 0 }
        let unsigned = t.hasPrefix("+") ? String(t.dropFirst()) : t
        return D365Decimal.parse(unsigned)
    }

    static func round(_ d: Decimal, precision: Decimal) -> Decimal { D365Decimal.round(d, unit: precision) }

    static func text(_ d: Decimal) -> String { D365Decimal.format(d) }

    /// `45.50` style (two decimals at least), for messages.
    static func formatted(_ d: Decimal) -> String {
        let s = text(d < 0 ? -d : d)
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        let whole = String(parts[0])
        var frac = parts.count > 1 ? String(parts[1]) : ""
        while frac.count < 2 { frac += "0" }
        return whole + "." + frac
    }
}
