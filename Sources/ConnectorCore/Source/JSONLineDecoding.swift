import Foundation

/// A value that can be read straight from the UTF-8 bytes of one JSON document (one line of a JSON Lines file)
/// without Foundation's `JSONDecoder`, which cost most of `transform`'s reading time. The result must be exactly what
/// `JSONDecoder` gives for every document `JSONEncoder` writes for the type; anything else it refuses with an error
/// naming the byte offset (tests compare both decoders on the staged files).
public protocol JSONLineDecodable: Decodable {
    init(jsonLine bytes: UnsafeRawBufferPointer) throws
}

/// Why a JSON line could not be read.
public struct JSONLineError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var offset: Int
    public var description: String { "\(message) at byte \(offset)" }
}

/// A strict JSON (RFC 8259) reader over UTF-8 bytes, for hand-written decoders of known shapes: objects are walked key
/// by key, values read by the type the decoder expects, unknown keys skipped. Strings are validated UTF-8 with every
/// escape (`\uXXXX` surrogate pairs included); integers are plain decimal digits within `Int64`.
struct JSONByteReader {
    let bytes: UnsafeRawBufferPointer
    var pos = 0
    /// The current key when it was written with escapes (then compared decoded).
    private var escapedKey: [UInt8] = []
    private var keyStart = 0
    private var keyEnd = 0
    private var keyIsEscaped = false

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    func fail(_ message: String) -> JSONLineError { JSONLineError(message: message, offset: pos) }

    @inline(__always) mutating func skipWhitespace() {
        while pos < bytes.count {
            let c = bytes[pos]
            guard c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 else { return }
            pos += 1
        }
    }

    @inline(__always) mutating func peek() throws -> UInt8 {
        skipWhitespace()
        guard pos < bytes.count else { throw fail("unexpected end of the document") }
        return bytes[pos]
    }

    mutating func expect(_ c: UInt8) throws {
        guard try peek() == c else { throw fail("expected '\(Character(Unicode.Scalar(c)))'") }
        pos += 1
    }

    /// After the top-level value: only whitespace may follow.
    mutating func end() throws {
        skipWhitespace()
        guard pos == bytes.count else { throw fail("unexpected data after the JSON value") }
    }

    /// Consumes `null` when it comes next.
    mutating func null() throws -> Bool {
        guard try peek() == UInt8(ascii: "n") else { return false }
        try literal("null")
        return true
    }

    private mutating func literal(_ word: StaticString) throws {
        let n = word.utf8CodeUnitCount
        guard pos + n <= bytes.count, memcmp(bytes.baseAddress! + pos, word.utf8Start, n) == 0 else { throw fail("invalid literal") }
        pos += n
    }

    // MARK: Objects and arrays

    mutating func beginObject() throws { try expect(UInt8(ascii: "{")) }

    /// The next key of the object (true), or the end of the object (false). `first` tracks the commas.
    mutating func nextKey(_ first: inout Bool) throws -> Bool {
        let c = try peek()
        if c == UInt8(ascii: "}") {
            pos += 1
            return false
        }
        if !first {
            guard c == UInt8(ascii: ",") else { throw fail("expected ',' or '}'") }
            pos += 1
            // A trailing comma, which JSONDecoder accepts too.
            if try peek() == UInt8(ascii: "}") {
                pos += 1
                return false
            }
        }
        first = false
        guard try peek() == UInt8(ascii: "\"") else { throw fail("expected a key") }
        pos += 1
        keyStart = pos
        keyIsEscaped = false
        while pos < bytes.count {
            let b = bytes[pos]
            if b == UInt8(ascii: "\"") { break }
            if b == UInt8(ascii: "\\") || b < 0x20 {
                pos = keyStart - 1
                escapedKey = Array(try string().utf8)
                keyIsEscaped = true
                try expect(UInt8(ascii: ":"))
                return true
            }
            pos += 1
        }
        guard pos < bytes.count else { throw fail("unterminated key") }
        keyEnd = pos
        pos += 1
        try expect(UInt8(ascii: ":"))
        return true
    }

    /// Whether the current key is `name`.
    @inline(__always) func key(_ name: StaticString) -> Bool {
        let n = name.utf8CodeUnitCount
        if keyIsEscaped {
            return escapedKey.count == n && escapedKey.withUnsafeBytes { memcmp($0.baseAddress!, name.utf8Start, n) == 0 }
        }
        return keyEnd - keyStart == n && memcmp(bytes.baseAddress! + keyStart, name.utf8Start, n) == 0
    }

    mutating func beginArray() throws { try expect(UInt8(ascii: "[")) }

    /// Whether another element follows (its value comes next), or the array ended.
    mutating func nextElement(_ first: inout Bool) throws -> Bool {
        let c = try peek()
        if c == UInt8(ascii: "]") {
            pos += 1
            return false
        }
        if !first {
            guard c == UInt8(ascii: ",") else { throw fail("expected ',' or ']'") }
            pos += 1
            if try peek() == UInt8(ascii: "]") {
                pos += 1
                return false
            }
        }
        first = false
        return true
    }

    // MARK: Values

    mutating func string() throws -> String {
        guard try peek() == UInt8(ascii: "\"") else { throw fail("expected a string") }
        pos += 1
        let start = pos
        var high: UInt8 = 0
        while pos < bytes.count {
            let b = bytes[pos]
            high |= b
            if b == UInt8(ascii: "\"") {
                let raw = UnsafeRawBufferPointer(rebasing: bytes[start..<pos])
                pos += 1
                // ASCII needs no validation (and takes String's fastest path); anything else must be valid UTF-8.
                if high < 0x80 { return String(decoding: raw.assumingMemoryBound(to: UInt8.self), as: UTF8.self) }
                guard let text = String(validating: raw, as: UTF8.self) else {
                    pos -= 1
                    throw fail("invalid UTF-8 in a string")
                }
                return text
            }
            if b == UInt8(ascii: "\\") { break }
            if b < 0x20 { throw fail("control character in a string") }
            pos += 1
        }
        guard pos < bytes.count else { throw fail("unterminated string") }
        // With escapes: the part before, then byte by byte.
        var out = [UInt8](UnsafeRawBufferPointer(rebasing: bytes[start..<pos]))
        while pos < bytes.count {
            let b = bytes[pos]
            pos += 1
            switch b {
            case UInt8(ascii: "\""):
                guard let text = String(validating: out, as: UTF8.self) else { throw fail("invalid UTF-8 in a string") }
                return text
            case UInt8(ascii: "\\"):
                guard pos < bytes.count else { throw fail("unterminated escape") }
                let e = bytes[pos]
                pos += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if (0xD800...0xDBFF).contains(scalar) {
                        guard pos + 1 < bytes.count, bytes[pos] == UInt8(ascii: "\\"), bytes[pos + 1] == UInt8(ascii: "u") else {
                            throw fail("unpaired surrogate in a \\u escape")
                        }
                        pos += 2
                        let low = try hex4()
                        guard (0xDC00...0xDFFF).contains(low) else { throw fail("unpaired surrogate in a \\u escape") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00...0xDFFF).contains(scalar) {
                        throw fail("unpaired surrogate in a \\u escape")
                    }
                    guard let u = Unicode.Scalar(scalar) else { throw fail("invalid \\u escape") }
                    out.append(contentsOf: UTF8.encode(u)!)
                default:
                    throw fail("invalid escape")
                }
            default:
                if b < 0x20 { throw fail("control character in a string") }
                out.append(b)
            }
        }
        throw fail("unterminated string")
    }

    private mutating func hex4() throws -> UInt32 {
        guard pos + 4 <= bytes.count else { throw fail("short \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[pos]
            let d: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = c - UInt8(ascii: "A") + 10
            default: throw fail("invalid \\u escape")
            }
            v = v << 4 | UInt32(d)
            pos += 1
        }
        return v
    }

    /// A whole number within `Int64`: plain digits (what `JSONEncoder` writes for integers), or like `JSONDecoder`, a
    /// fraction or exponent whose value is whole (`1.0`, `1e2`).
    mutating func int64() throws -> Int64 {
        _ = try peek()
        let begin = pos
        let negative = bytes[pos] == UInt8(ascii: "-")
        if negative { pos += 1 }
        let start = pos
        var value: Int64 = 0
        while pos < bytes.count, bytes[pos] >= UInt8(ascii: "0"), bytes[pos] <= UInt8(ascii: "9") {
            let digit = Int64(bytes[pos] - UInt8(ascii: "0"))
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (s, o2) = negative ? m.subtractingReportingOverflow(digit) : m.addingReportingOverflow(digit)
            guard !o1, !o2 else { throw fail("number out of range") }
            value = s
            pos += 1
        }
        guard pos > start else { throw fail("expected a number") }
        guard pos - start == 1 || bytes[start] != UInt8(ascii: "0") else { throw fail("leading zero in a number") }
        if pos < bytes.count, [UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E")].contains(bytes[pos]) {
            pos = begin
            try skipValue()
            let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[begin..<pos]), as: UTF8.self)
            guard var exact = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")) else { throw fail("invalid number") }
            var whole = Decimal()
            NSDecimalRound(&whole, &exact, 0, .plain)
            guard whole == exact, whole >= Decimal(Int64.min), whole <= Decimal(Int64.max) else { throw fail("not a whole number within range") }
            return NSDecimalNumber(decimal: whole).int64Value
        }
        return value
    }

    mutating func int() throws -> Int {
        let v = try int64()
        guard let i = Int(exactly: v) else { throw fail("number out of range") }
        return i
    }

    mutating func bool() throws -> Bool {
        switch try peek() {
        case UInt8(ascii: "t"):
            try literal("true")
            return true
        case UInt8(ascii: "f"):
            try literal("false")
            return false
        default: throw fail("expected true or false")
        }
    }

    /// Skips any value (a key the decoder does not know).
    mutating func skipValue() throws {
        switch try peek() {
        case UInt8(ascii: "\""): _ = try string()
        case UInt8(ascii: "{"):
            pos += 1
            var first = true
            while try nextKey(&first) { try skipValue() }
        case UInt8(ascii: "["):
            pos += 1
            var first = true
            while try nextElement(&first) { try skipValue() }
        case UInt8(ascii: "t"), UInt8(ascii: "f"): _ = try bool()
        case UInt8(ascii: "n"): try literal("null")
        default:
            // A number: RFC 8259 syntax.
            let start = pos
            if bytes[pos] == UInt8(ascii: "-") { pos += 1 }
            func digits() -> Int {
                let s = pos
                while pos < bytes.count, bytes[pos] >= UInt8(ascii: "0"), bytes[pos] <= UInt8(ascii: "9") { pos += 1 }
                return pos - s
            }
            guard digits() > 0 else {
                pos = start
                throw fail("invalid value")
            }
            if pos < bytes.count, bytes[pos] == UInt8(ascii: ".") {
                pos += 1
                guard digits() > 0 else { throw fail("invalid number") }
            }
            if pos < bytes.count, bytes[pos] == UInt8(ascii: "e") || bytes[pos] == UInt8(ascii: "E") {
                pos += 1
                if pos < bytes.count, bytes[pos] == UInt8(ascii: "+") || bytes[pos] == UInt8(ascii: "-") { pos += 1 }
                guard digits() > 0 else { throw fail("invalid number") }
            }
        }
    }
}

/// A required key the document did not have (as `JSONDecoder` refuses it).
@inline(__always) func required<T>(_ value: T?, _ name: String, _ reader: JSONByteReader) throws -> T {
    guard let value else { throw reader.fail("key '\(name)' is missing") }
    return value
}

extension ExtractedReport: JSONLineDecodable {
    public init(jsonLine bytes: UnsafeRawBufferPointer) throws {
        var r = JSONByteReader(bytes)
        var index: Int?
        var report: ExpenseReport?
        var issues: [RecordIssue]?
        try r.beginObject()
        var first = true
        while try r.nextKey(&first) {
            if r.key("index") {
                index = try r.int()
            } else if r.key("report") {
                report = try r.null() ? nil : ExpenseReport(&r)
            } else if r.key("issues") {
                issues = try RecordIssue.list(&r)
            } else {
                try r.skipValue()
            }
        }
        try r.end()
        self.init(index: try required(index, "index", r), report: report, issues: try required(issues, "issues", r))
    }
}

extension RecordIssue {
    static func list(_ r: inout JSONByteReader) throws -> [RecordIssue] {
        var out: [RecordIssue] = []
        try r.beginArray()
        var first = true
        while try r.nextElement(&first) {
            var record: String?
            var field: String?
            var reason: String?
            try r.beginObject()
            var k = true
            while try r.nextKey(&k) {
                if r.key("record") {
                    record = try r.string()
                } else if r.key("field") {
                    field = try r.string()
                } else if r.key("reason") {
                    reason = try r.string()
                } else {
                    try r.skipValue()
                }
            }
            out.append(
                RecordIssue(
                    record: try required(record, "record", r), field: try required(field, "field", r),
                    reason: try required(reason, "reason", r)))
        }
        return out
    }
}

extension ExpenseReport {
    init(_ r: inout JSONByteReader) throws {
        var reportID: String?
        var reportName: String?
        var policyID: String?
        var policyName: String?
        var status: String?
        var currency: String?
        var total: Int64?
        var created: String?
        var submitted: String?
        var approved: String?
        var accountEmail: String?
        var managerEmail: String?
        var submitterFullName: String?
        var expenses: [Expense]?
        try r.beginObject()
        var first = true
        while try r.nextKey(&first) {
            if r.key("reportID") {
                reportID = try r.string()
            } else if r.key("reportName") {
                reportName = try r.string()
            } else if r.key("policyID") {
                policyID = try r.string()
            } else if r.key("policyName") {
                policyName = try r.string()
            } else if r.key("status") {
                status = try r.string()
            } else if r.key("currency") {
                currency = try r.string()
            } else if r.key("total") {
                total = try r.null() ? nil : r.int64()
            } else if r.key("created") {
                created = try r.string()
            } else if r.key("submitted") {
                submitted = try r.string()
            } else if r.key("approved") {
                approved = try r.string()
            } else if r.key("accountEmail") {
                accountEmail = try r.string()
            } else if r.key("managerEmail") {
                managerEmail = try r.string()
            } else if r.key("submitterFullName") {
                submitterFullName = try r.string()
            } else if r.key("expenses") {
                var list: [Expense] = []
                try r.beginArray()
                var e = true
                while try r.nextElement(&e) { list.append(try Expense(&r)) }
                expenses = list
            } else {
                try r.skipValue()
            }
        }
        self.init(
            reportID: try required(reportID, "reportID", r), reportName: try required(reportName, "reportName", r),
            policyID: try required(policyID, "policyID", r), policyName: try required(policyName, "policyName", r),
            status: try required(status, "status", r), currency: try required(currency, "currency", r), total: total,
            created: try required(created, "created", r), submitted: try required(submitted, "submitted", r),
            approved: try required(approved, "approved", r), accountEmail: try required(accountEmail, "accountEmail", r),
            managerEmail: try required(managerEmail, "managerEmail", r),
            submitterFullName: try required(submitterFullName, "submitterFullName", r),
            expenses: try required(expenses, "expenses", r))
    }
}

extension Expense {
    init(_ r: inout JSONByteReader) throws {
        var transactionID: String?
        var currency: String?
        var merchant: String?
        var modifiedMerchant: String?
        var created: String?
        var modifiedCreated: String?
        var category: String?
        var categoryGlCode: String?
        var tag: String?
        var tagGlCode: String?
        var comment: String?
        var receiptURL: String?
        var currencyConversionRate: String?
        var amount: Int64?
        var convertedAmount: Int64?
        var modifiedAmount: Int64?
        var reimbursable: Bool?
        var billable: Bool?
        var tagLevels: [ExpenseTag]?
        try r.beginObject()
        var first = true
        while try r.nextKey(&first) {
            if r.key("transactionID") {
                transactionID = try r.string()
            } else if r.key("amount") {
                amount = try r.null() ? nil : r.int64()
            } else if r.key("currency") {
                currency = try r.string()
            } else if r.key("convertedAmount") {
                convertedAmount = try r.null() ? nil : r.int64()
            } else if r.key("currencyConversionRate") {
                currencyConversionRate = try r.null() ? nil : r.string()
            } else if r.key("modifiedAmount") {
                modifiedAmount = try r.null() ? nil : r.int64()
            } else if r.key("merchant") {
                merchant = try r.string()
            } else if r.key("modifiedMerchant") {
                modifiedMerchant = try r.string()
            } else if r.key("created") {
                created = try r.string()
            } else if r.key("modifiedCreated") {
                modifiedCreated = try r.string()
            } else if r.key("category") {
                category = try r.string()
            } else if r.key("categoryGlCode") {
                categoryGlCode = try r.string()
            } else if r.key("tag") {
                tag = try r.string()
            } else if r.key("tagGlCode") {
                tagGlCode = try r.string()
            } else if r.key("tagLevels") {
                var list: [ExpenseTag] = []
                try r.beginArray()
                var e = true
                while try r.nextElement(&e) {
                    var name: String?
                    var glCode: String?
                    try r.beginObject()
                    var k = true
                    while try r.nextKey(&k) {
                        if r.key("name") { name = try r.string() } else if r.key("glCode") { glCode = try r.string() } else { try r.skipValue() }
                    }
                    list.append(ExpenseTag(name: try required(name, "name", r), glCode: try required(glCode, "glCode", r)))
                }
                tagLevels = list
            } else if r.key("comment") {
                comment = try r.string()
            } else if r.key("reimbursable") {
                reimbursable = try r.bool()
            } else if r.key("billable") {
                billable = try r.bool()
            } else if r.key("receiptURL") {
                receiptURL = try r.string()
            } else {
                try r.skipValue()
            }
        }
        self.init(
            transactionID: try required(transactionID, "transactionID", r), amount: amount, currency: try required(currency, "currency", r),
            convertedAmount: convertedAmount, currencyConversionRate: currencyConversionRate, modifiedAmount: modifiedAmount,
            merchant: try required(merchant, "merchant", r), modifiedMerchant: try required(modifiedMerchant, "modifiedMerchant", r),
            created: try required(created, "created", r), modifiedCreated: try required(modifiedCreated, "modifiedCreated", r),
            category: try required(category, "category", r), categoryGlCode: try required(categoryGlCode, "categoryGlCode", r),
            tag: try required(tag, "tag", r), tagGlCode: try required(tagGlCode, "tagGlCode", r),
            tagLevels: try required(tagLevels, "tagLevels", r), comment: try required(comment, "comment", r),
            reimbursable: try required(reimbursable, "reimbursable", r), billable: try required(billable, "billable", r),
            receiptURL: try required(receiptURL, "receiptURL", r))
    }
}
