import Foundation

/// JSON Lines (one compact JSON value per line), the format of normalised staged records: streamable both ways,
/// diffable line by line, and byte-identical from the same input (sorted keys).
public final class JSONLinesWriter<Value: Encodable> {
    private let file: StreamingFile
    private let encoder: JSONEncoder

    /// Starts the file under a temporary name (see `StreamingFile`).
    public init(_ url: URL) throws {
        file = try StreamingFile(url)
        encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    }

    /// Writes one value as one compact line with sorted keys.
    public func append(_ value: Value) throws {
        file.write(try encoder.encode(value))
        file.write(Data([0x0A]))
    }

    /// Moves the file into place; returns its SHA-256.
    @discardableResult
    public func finish() throws -> String { try file.finish() }
}
