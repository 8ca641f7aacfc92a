import ConnectorCore
import Foundation

/// Streams the elements of a top-level JSON array from a file without loading the whole file.
///
/// Each element is handed over as its own bytes, so one malformed report does not take the batch down:
/// the caller parses elements one by one and turns a bad one into an exception row.
public struct JSONArrayReader {
    private let handle: FileHandle
    private var buffer: [UInt8] = []
    private var position = 0
    private var eof = false
    private var started = false
    private var finished = false
    /// How many elements were handed out, to name the one a problem is in.
    public private(set) var elementIndex = 0
    let path: String

    /// Opens the file; `staging.missing` when it cannot be read.
    public init(url: URL) throws {
        guard let h = FileHandle(forReadingAtPath: url.path) else {
            throw ConnectorError("staging.missing", "Cannot read \(url.path).", context: ["file": url.path])
        }
        self.handle = h
        self.path = url.path
    }

    /// Releases the file handle once the caller is done.
    public func close() { try? handle.close() }

    private mutating func byte(at i: Int) -> UInt8? {
        while i >= buffer.count && !eof {
            let chunk = handle.readData(ofLength: 1 << 16)
            if chunk.isEmpty { eof = true } else { buffer.append(contentsOf: chunk) }
        }
        return i < buffer.count ? buffer[i] : nil
    }

    private mutating func skipWhitespace() {
        while let b = byte(at: position), b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 { position += 1 }
    }

    /// The next element's bytes, or nil after the closing `]`. Throws when the file is not a JSON array
    /// or ends inside an element (truncated download).
    public mutating func next() throws -> Data? {
        if finished { return nil }
        if position > 1 << 20 {  // keep memory flat: drop what was already handed out
            buffer.removeFirst(position)
            position = 0
        }
        skipWhitespace()
        if !started {
            guard byte(at: position) == UInt8(ascii: "[") else {
                throw ConnectorError("extract.malformed", "\(path) is not a JSON array of reports.", context: ["file": path])
            }
            position += 1
            started = true
            skipWhitespace()
            if byte(at: position) == UInt8(ascii: "]") {
                finished = true
                return nil
            }
        } else {
            guard let b = byte(at: position) else {
                throw ConnectorError("extract.malformed", "\(path) ends before the closing ']' (truncated?).", context: ["file": path])
            }
            if b == UInt8(ascii: "]") {
                finished = true
                return nil
            }
            guard b == UInt8(ascii: ",") else {
                throw ConnectorError("extract.malformed", "\(path): expected ',' or ']' after element \(elementIndex).", context: ["file": path])
            }
            position += 1
            skipWhitespace()
        }
        // Scan one element, tracking strings and nesting.
        let start = position
        var depth = 0
        var inString = false
        var escaped = false
        var i = position
        while true {
            guard let b = byte(at: i) else {
                throw ConnectorError("extract.malformed", "\(path) ends inside element \(elementIndex) (truncated?).", context: ["file": path])
            }
            if inString {
                if escaped { escaped = false } else if b == UInt8(ascii: "\\") { escaped = true } else if b == UInt8(ascii: "\"") { inString = false }
            } else if b == UInt8(ascii: "\"") {
                inString = true
            } else if b == UInt8(ascii: "{") || b == UInt8(ascii: "[") {
                depth += 1
            } else if b == UInt8(ascii: "}") || b == UInt8(ascii: "]") {
                if depth == 0 { break }  // closing bracket of the outer array
                depth -= 1
                if depth == 0 {
                    i += 1
                    break
                }
            } else if depth == 0 && b == UInt8(ascii: ",") {
                break
            }
            i += 1
        }
        let element = Data(buffer[start..<i])
        position = i
        elementIndex += 1
        return element
    }
}
