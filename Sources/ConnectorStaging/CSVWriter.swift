import Foundation

/// Deterministic RFC 4180 CSV for finance: a header row, `\n` (LF) line ends, fields quoted only when needed,
/// optionally after a UTF-8 byte order mark (`CSVStyle`).
///
/// Text cells that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR at the start) are
/// prefixed with `'`, so opening a staged file in Excel cannot execute anything a merchant name carries.
/// Plain numbers are written as they are (a leading `-` is a refund, not a formula), so amount columns stay numeric.
public struct CSVWriter {
    /// The header, in column order; rows are matched to it by name.
    public let columns: [String]
    private var out: String

    /// Starts the file with the header row (after the byte order mark when the style asks for one).
    public init(columns: [String], style: CSVStyle = CSVStyle()) {
        self.columns = columns
        self.out = (style.byteOrderMark ? CSVStyle.bom : "") + columns.map { CSVWriter.escape($0) }.joined(separator: ",") + "\n"
    }

    /// Appends a row; values are matched to columns by name, missing ones are blank.
    public mutating func append(_ row: [String: String]) {
        out += CSVWriter.line(columns.map { row[$0] ?? "" })
    }

    /// The whole file so far, as UTF-8.
    public var data: Data { Data(out.utf8) }

    /// One record's line: cells defused and escaped, `\n` at the end.
    static func line(_ cells: [String]) -> String {
        var bytes: [UInt8] = []
        appendLine(cells, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// One record's line as UTF-8, appended to `out`: each cell defused, then quoted when it holds a comma, quote, CR or
    /// LF byte (quotes doubled), `\n` at the end. Works on bytes, so a CR LF pair or a quote followed by a combining
    /// mark (one `Character` each) is quoted like any other.
    public static func appendLine(_ cells: [String], to out: inout [UInt8]) {
        for (n, cell) in cells.enumerated() {
            if n > 0 { out.append(0x2C) }
            var cell = cell
            cell.withUTF8 { appendCell($0, to: &out) }
        }
        out.append(0x0A)
    }

    private static func appendCell(_ s: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        let prefix = needsDefusing(s)
        var quote = false
        for b in s where b == 0x2C || b == 0x22 || b == 0x0A || b == 0x0D {
            quote = true
            break
        }
        if quote { out.append(0x22) }
        if prefix { out.append(0x27) }
        if quote {
            for b in s {
                out.append(b)
                if b == 0x22 { out.append(0x22) }
            }
            out.append(0x22)
        } else {
            out.append(contentsOf: s)
        }
    }

    /// Whether a cell starts like a formula (`=`, `+`, `@`, tab, CR, or `-` that is not a plain number).
    private static func needsDefusing(_ s: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let f = s.first else { return false }
        if f == UInt8(ascii: "=") || f == UInt8(ascii: "+") || f == UInt8(ascii: "@") || f == 0x09 || f == 0x0D { return true }
        return f == UInt8(ascii: "-") && !isPlainNumber(s)
    }

    static func defuse(_ s: String) -> String {
        var copy = s
        return copy.withUTF8 { needsDefusing($0) } ? "'" + s : s
    }

    /// `-12.50`, `1500`: a number a spreadsheet shows as a number, never a formula.
    static func isPlainNumber(_ s: String) -> Bool {
        var copy = s
        return copy.withUTF8 { isPlainNumber($0) }
    }

    private static func isPlainNumber(_ s: UnsafeBufferPointer<UInt8>) -> Bool {
        var i = s.first == UInt8(ascii: "-") ? 1 : 0
        func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }
        guard i < s.count, isDigit(s[i]) else { return false }
        while i < s.count, isDigit(s[i]) { i += 1 }
        if i == s.count { return true }
        guard s[i] == UInt8(ascii: ".") else { return false }
        i += 1
        guard i < s.count else { return false }
        while i < s.count, isDigit(s[i]) { i += 1 }
        return i == s.count
    }

    static func escape(_ s: String) -> String {
        guard s.utf8.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }) else { return s }
        var bytes: [UInt8] = [0x22]
        for b in s.utf8 {
            bytes.append(b)
            if b == 0x22 { bytes.append(0x22) }
        }
        bytes.append(0x22)
        return String(decoding: bytes, as: UTF8.self)
    }
}
