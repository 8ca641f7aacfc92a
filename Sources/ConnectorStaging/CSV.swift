import Foundation

/// Deterministic RFC 4180 CSV for finance: a header row, `\n` line ends, fields quoted only when needed.
///
/// Text cells that a spreadsheet would run as a formula (`=`, `+`, `@`, tab, CR at the start) are
/// prefixed with `'`, so opening a staged file in Excel cannot execute anything a merchant name carries.
/// Amount columns are written as they are (a leading `-` is a refund, not a formula).
public struct CSVWriter {
    public let columns: [String]
    private var out: String

    public init(columns: [String]) {
        self.columns = columns
        self.out = columns.map { CSVWriter.escape($0) }.joined(separator: ",") + "\n"
    }

    /// Appends a row; values are matched to columns by name, missing ones are blank.
    public mutating func append(_ row: [String: String]) {
        out += columns.map { CSVWriter.escape(CSVWriter.defuse(row[$0] ?? "")) }.joined(separator: ",") + "\n"
    }

    public var data: Data { Data(out.utf8) }

    static func defuse(_ s: String) -> String {
        guard let f = s.unicodeScalars.first else { return s }
        if f == "=" || f == "+" || f == "@" || f == "\t" || f == "\r" { return "'" + s }
        return s
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
    public static func rows(_ data: Data) -> [[String: String]] {
        let records = parse(String(decoding: data, as: UTF8.self))
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
