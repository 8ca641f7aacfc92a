import Foundation

/// How review CSVs are written for the spreadsheets finance opens them in.
public struct CSVStyle: Sendable, Equatable {
    /// Start with a UTF-8 byte order mark, so Excel on Windows reads `Müller` and `寿司` as UTF-8 instead of the
    /// system code page. Readers here skip it.
    public var byteOrderMark: Bool

    public init(byteOrderMark: Bool = true) { self.byteOrderMark = byteOrderMark }

    static let bom = "\u{FEFF}"
}

/// Deterministic RFC 4180 CSV for finance: a header row, `\n` (LF) line ends, fields quoted only when needed,
/// optionally after a UTF-8 byte order mark (`CSVStyle`).
///
/// Text cells that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR at the start) are
/// prefixed with `'`, so opening a staged file in Excel cannot execute anything a merchant name carries.
/// Plain numbers are written as they are (a leading `-` is a refund, not a formula), so amount columns stay numeric.
public struct CSVWriter {
    public let columns: [String]
    private var out: String

    public init(columns: [String], style: CSVStyle = CSVStyle()) {
        self.columns = columns
        self.out = (style.byteOrderMark ? CSVStyle.bom : "") + columns.map { CSVWriter.escape($0) }.joined(separator: ",") + "\n"
    }

    /// Appends a row; values are matched to columns by name, missing ones are blank.
    public mutating func append(_ row: [String: String]) {
        out += CSVWriter.line(columns.map { row[$0] ?? "" })
    }

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

/// Reads RFC 4180 CSV (quoted fields, doubled quotes, embedded newlines) into rows keyed by header.
public enum CSVReader {
    /// Rows keyed by header name; a leading byte order mark is skipped.
    public static func rows(_ data: Data) -> [[String: String]] {
        var text = String(decoding: data, as: UTF8.self)
        if text.hasPrefix(CSVStyle.bom) { text.removeFirst() }
        let records = parse(text)
        guard let header = records.first else { return [] }
        return records.dropFirst().filter { !($0.count == 1 && $0[0].isEmpty) }.map { rec in
            var row: [String: String] = [:]
            for (i, name) in header.enumerated() { row[name] = i < rec.count ? rec[i] : "" }
            return row
        }
    }

    public static func parse(_ text: String) -> [[String]] {
        var records: [[String]] = []
        var field = ""
        var record: [String] = []
        var inQuotes = false
        var it = Array(text.unicodeScalars)[...]
        while let c = it.popFirst() {
            if inQuotes {
                if c == "\"" {
                    if it.first == "\"" { field.unicodeScalars.append("\""); it.removeFirst() } else { inQuotes = false }
                } else {
                    field.unicodeScalars.append(c)
                }
            } else {
                switch c {
                case "\"": inQuotes = true
                case ",": record.append(field); field = ""
                case "\r": break
                case "\n": record.append(field); records.append(record); record = []; field = ""
                default: field.unicodeScalars.append(c)
                }
            }
        }
        if !field.isEmpty || !record.isEmpty { record.append(field); records.append(record) }
        return records
    }
}
