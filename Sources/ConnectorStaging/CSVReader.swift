import Foundation

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

    /// All records as cell lists, header included, for callers that need the raw rows.
    public static func parse(_ text: String) -> [[String]] {
        var records: [[String]] = []
        var field = ""
        var record: [String] = []
        var inQuotes = false
        var it = Array(text.unicodeScalars)[...]
        while let c = it.popFirst() {
            if inQuotes {
                if c == "\"" {
                    if it.first == "\"" {
                        field.unicodeScalars.append("\"")
                        it.removeFirst()
                    } else {
                        inQuotes = false
                    }
                } else {
                    field.unicodeScalars.append(c)
                }
            } else {
                switch c {
                case "\"": inQuotes = true
                case ",":
                    record.append(field)
                    field = ""
                case "\r": break
                case "\n":
                    record.append(field)
                    records.append(record)
                    record = []
                    field = ""
                default: field.unicodeScalars.append(c)
                }
            }
        }
        if !field.isEmpty || !record.isEmpty {
            record.append(field)
            records.append(record)
        }
        return records
    }
}
