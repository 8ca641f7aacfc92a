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

    private var scratch: [UInt8] = []

    /// Appends a row; values are matched to columns by name, missing ones are blank.
    public func append(_ row: [String: String]) {
        append(cells: columns.map { row[$0] ?? "" })
    }

    /// A row given in column order (as many cells as columns).
    public func append(cells: [String]) {
        precondition(cells.count == columns.count, "a CSV row needs one cell per column")
        scratch.removeAll(keepingCapacity: true)
        CSVWriter.appendLine(cells, to: &scratch)
        file.write(scratch)
    }

    /// Moves the file into place; returns its SHA-256 for the ledger.
    @discardableResult
    public func finish() throws -> String { try file.finish() }
}
