import ConnectorCore
import Foundation

/// Reads a JSON Lines file one value at a time (flat memory); a line that does not decode is an error naming the
/// file and line, because these files are written by the connector and a bad line means damage. A `JSONLineDecodable`
/// value is read from the line's bytes directly, anything else through `JSONDecoder`.
public struct JSONLinesReader<Value: Decodable> {
    private let handle: FileHandle
    private let path: String
    /// Bytes read and not yet returned start at `start`.
    private var buffer: [UInt8] = []
    private var start = 0
    private var eof = false
    /// The line last read (1-based), to name it in errors.
    public private(set) var line = 0
    private let decoder = JSONDecoder()
    private let direct = Value.self as? any JSONLineDecodable.Type

    /// Opens the file; `staging.missing` when it cannot be read.
    public init(_ url: URL) throws {
        guard let h = FileHandle(forReadingAtPath: url.path) else {
            throw ConnectorError("staging.missing", "Cannot read \(url.path).", context: ["file": url.path])
        }
        handle = h
        path = url.path
    }

    /// Releases the file handle once the caller is done.
    public func close() { try? handle.close() }

    /// The next value, or nil at the end.
    public mutating func next() throws -> Value? {
        while true {
            let count = buffer.count
            let found: Int? = buffer.withUnsafeBytes { all in
                guard start < count, let p = memchr(all.baseAddress! + start, 0x0A, count - start) else { return nil }
                return all.baseAddress!.distance(to: UnsafeRawPointer(p))
            }
            if let nl = found {
                let from = start
                start = nl + 1
                line += 1
                if let value = try decodeLine(from, nl) { return value }
                continue
            }
            if eof {
                guard start < count else { return nil }
                let from = start
                start = count
                line += 1
                if let value = try decodeLine(from, count) { return value }
                return nil
            }
            // Keep the unread part, then read the next chunk after it.
            if start > 0 {
                buffer.removeSubrange(0..<start)
                start = 0
            }
            let chunk = handle.readData(ofLength: 1 << 16)
            if chunk.isEmpty { eof = true } else { buffer.append(contentsOf: chunk) }
        }
    }

    /// The value of `buffer[from..<to]`, or nil for a blank line.
    private func decodeLine(_ from: Int, _ to: Int) throws -> Value? {
        try buffer.withUnsafeBytes { all -> Value? in
            let bytes = UnsafeRawBufferPointer(rebasing: all[from..<to])
            if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0D || $0 == 0x09 }) { return nil }
            do {
                if let direct { return try direct.init(jsonLine: bytes) as? Value }
                return try decoder.decode(Value.self, from: Data(bytes))
            } catch {
                throw ConnectorError(
                    "staging.malformed", "\(path) line \(line) cannot be read (\(error)); the staged file is damaged, rerun the stage that wrote it.",
                    context: ["file": path, "line": String(line)])
            }
        }
    }
}
