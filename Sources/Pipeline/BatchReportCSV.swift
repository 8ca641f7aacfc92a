import ConnectorCore
import ConnectorStaging
import Foundation

/// Reads a staged CSV (RFC 4180, as `CSVWriter` writes it: quoted fields, doubled quotes, embedded newlines, an
/// optional byte order mark) one record at a time, so the batch report reads a large batch's files in flat memory.
struct BatchReportCSV {
    private let handle: FileHandle
    private var buffer: [UInt8] = []
    private var position = 0
    private var eof = false
    /// The header's column names, in file order.
    private(set) var header: [String] = []

    /// Opens `url` and reads its header; nil when the file does not exist (the stage that writes it has not run).
    init?(_ url: URL) throws {
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        guard let h = FileHandle(forReadingAtPath: url.path) else {
            throw ConnectorError("staging.missing", "Cannot read \(url.lastPathComponent).", context: ["file": url.path])
        }
        handle = h
        if fill(), buffer.starts(with: [0xEF, 0xBB, 0xBF]) { position = 3 }
        header = nextRecord() ?? []
    }

    /// Releases the file handle.
    func close() { try? handle.close() }

    private mutating func fill() -> Bool {
        guard !eof else { return false }
        if position > 0 {
            buffer.removeFirst(position)
            position = 0
        }
        let chunk = handle.readData(ofLength: 1 << 20)
        if chunk.isEmpty {
            eof = true
            return false
        }
        buffer.append(contentsOf: chunk)
        return true
    }

    private mutating func nextByte() -> UInt8? {
        if position >= buffer.count, !fill() { return nil }
        defer { position += 1 }
        return buffer[position]
    }

    private mutating func peek() -> UInt8? {
        if position >= buffer.count, !fill() { return nil }
        return buffer[position]
    }

    /// The next record's cells; nil at the end of the file. Blank lines are skipped.
    mutating func nextRecord() -> [String]? {
        while true {
            var cells: [String] = []
            var field: [UInt8] = []
            var quoted = false
            var sawAnything = false
            while let b = nextByte() {
                sawAnything = true
                if quoted {
                    if b == 0x22 {
                        if peek() == 0x22 {
                            field.append(0x22)
                            position += 1
                        } else {
                            quoted = false
                        }
                    } else {
                        field.append(b)
                    }
                    continue
                }
                switch b {
                case 0x22: quoted = true
                case 0x2C:
                    cells.append(String(decoding: field, as: UTF8.self))
                    field.removeAll(keepingCapacity: true)
                case 0x0D: break
                case 0x0A:
                    cells.append(String(decoding: field, as: UTF8.self))
                    if cells.count == 1 && cells[0].isEmpty {
                        cells = []
                        continue
                    }
                    return cells
                default: field.append(b)
                }
            }
            guard sawAnything else { return nil }
            cells.append(String(decoding: field, as: UTF8.self))
            if cells.count == 1 && cells[0].isEmpty { return nil }
            return cells
        }
    }

    /// The next record keyed by the header's column names; nil at the end of the file.
    mutating func nextRow() -> [String: String]? {
        guard let cells = nextRecord() else { return nil }
        var row: [String: String] = [:]
        for (i, name) in header.enumerated() { row[name] = i < cells.count ? cells[i] : "" }
        return row
    }
}
