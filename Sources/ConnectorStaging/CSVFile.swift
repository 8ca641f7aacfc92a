import Foundation

/// CSV straight to a `StreamingFile`.
public final class CSVFile {
    private let file: StreamingFile
    private let columns: [String]

    /// Starts the file with the header row, in the given style.
    public init(_ url: URL, columns: [String], style: CSVStyle = CSVStyle()) throws {
        file = try StreamingFile(url)
        self.columns = columns
        file.write(CSVWriter(columns: columns, style: style).data)
    }

    /// Appends a row; values are matched to columns by name, missing ones are blank.
    public func append(_ row: [String: String]) {
        file.write(CSVWriter.line(columns.map { row[$0] ?? "" }))
    }

    /// Moves the file into place; returns its SHA-256 for the ledger.
    @discardableResult
    public func finish() throws -> String { try file.finish() }
}
