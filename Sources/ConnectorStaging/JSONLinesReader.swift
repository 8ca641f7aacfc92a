import ConnectorCore
import Foundation

/// Reads a JSON Lines file one value at a time (flat memory); a line that does not decode is an error naming the
/// file and line, because these files are written by the connector and a bad line means damage.
public struct JSONLinesReader<Value: Decodable> {
    private let handle: FileHandle
    private let path: String
    private var buffer = Data()
    private var eof = false
    /// The line last read (1-based), to name it in errors.
    public private(set) var line = 0
    private let decoder = JSONDecoder()

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
            if let nl = buffer.firstIndex(of: 0x0A) {
                let bytes = buffer[buffer.startIndex..<nl]
                buffer.removeSubrange(buffer.startIndex...nl)
                line += 1
                if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0D || $0 == 0x09 }) { continue }
                return try decode(Data(bytes))
            }
            if eof {
                guard !buffer.isEmpty else { return nil }
                let rest = buffer
                buffer.removeAll()
                line += 1
                return try decode(rest)
            }
            let chunk = handle.readData(ofLength: 1 << 16)
            if chunk.isEmpty { eof = true } else { buffer.append(chunk) }
        }
    }

    private func decode(_ bytes: Data) throws -> Value {
        do { return try decoder.decode(Value.self, from: bytes) } catch {
            throw ConnectorError(
                "staging.malformed", "\(path) line \(line) cannot be read (\(error)); the staged file is damaged, rerun the stage that wrote it.",
                context: ["file": path, "line": String(line)])
        }
    }
}
