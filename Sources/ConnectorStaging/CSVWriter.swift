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
        cells.map { escape(defuse($0)) }.joined(separator: ",") + "\n"
    }

    static func defuse(_ s: String) -> String {
        guard let f = s.unicodeScalars.first else { return s }
        if f == "=" || f == "+" || f == "@" || f == "\t" || f == "\r" { return "'" + s }
        if f == "-" && !isPlainNumber(s) { return "'" + s }
        return s
    }

    /// `-12.50`, `1500`: a number a spreadsheet shows as a number, never a formula.
    static func isPlainNumber(_ s: String) -> Bool {
        var digits = s.hasPrefix("-") ? Substring(s.dropFirst()) : Substring(s)
        guard let first = digits.first, first.isASCII, first.isNumber else { return false }
        if let dot = digits.firstIndex(of: ".") {
            let fraction = digits[digits.index(after: dot)...]
            guard !fraction.isEmpty, fraction.allSatisfy({ $0.isASCII && $0.isNumber }) else { return false }
            digits = digits[..<dot]
        }
        return digits.allSatisfy { $0.isASCII && $0.isNumber }
    }

    static func escape(_ s: String) -> String {
        if s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) {
            return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        return s
    }
}
