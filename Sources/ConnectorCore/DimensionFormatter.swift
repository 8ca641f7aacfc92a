import Foundation

/// How a target writes the dimension values of one line as one text, for the staged files and its payloads
/// (F&O: a display value in integration-format order). Targets that take dimensions one by one still give finance
/// one readable column.
public protocol DimensionFormatter: Sendable {
    /// `segments` are the values in `dimensions.format` order, blank where a line has none.
    func text(_ segments: [String]) -> String

    /// The `count` segments a text written by `text(_:)` holds, in `dimensions.format` order (blank where none), or
    /// nil when it is not such a text. Reads back the dimensions finance edits in the review spreadsheet.
    func segments(of text: String, count: Int) -> [String]?
}

extension DimensionFormatter {
    /// Not readable back unless the target says how.
    public func segments(of text: String, count: Int) -> [String]? { nil }
}
