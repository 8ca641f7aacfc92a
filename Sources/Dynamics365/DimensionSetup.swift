import ConnectorCore
import Foundation
import OData

/// Reading F&O's financial-dimension setup (d365-fo-odata.md §5.2, §5.3). The one place that knows how the
/// delimiter enum and the `FinancialDimensionFormat` text are written.
public enum DimensionSetup {
    /// `DimensionParameters.DimensionSegmentDelimiter` → the delimiter text: `Hyphen` → `-`, `Period` → `.`,
    /// `Underscore` → `_`, `Bar` → `|`, `Tilde` → `~`, and each `Double…` → the character doubled. A value that
    /// is already the delimiter text (`-`, `--`, …) is returned as is. Nil for anything else.
    public static func delimiter(fromEnum value: String) -> String? {
        let singles: [String: String] = ["hyphen": "-", "period": ".", "underscore": "_", "bar": "|", "tilde": "~"]
        let name = value.trimmingCharacters(in: .whitespaces)
        let lower = name.lowercased()
        if let single = singles[lower] { return single }
        if lower.hasPrefix("double"), let single = singles[String(lower.dropFirst("double".count))] { return single + single }
        if !name.isEmpty, name.count <= 2, Set(name).count == 1, let c = name.first, singles.values.contains(String(c)) {
            return name
        }
        return nil
    }

    /// `DimensionIntegrationFormats.FinancialDimensionFormat` → ordered dimension names.
    ///
    /// The exact text format is not pinned down by the reference ("the ordered list, as a string"), so this
    /// accepts the shapes seen in practice: `Department;CostCenter;BusinessUnit`, `Department,CostCenter`,
    /// or the names joined by the segment delimiter (`Department-CostCenter-BusinessUnit`). `;` and `,` win
    /// over the delimiter because they can never be part of a dimension name. Blank entries are dropped.
    public static func parseFormat(_ text: String, delimiter: String?) -> [String] {
        let separator: String
        if text.contains(";") {
            separator = ";"
        } else if text.contains(",") {
            separator = ","
        } else if let delimiter, !delimiter.isEmpty, text.contains(delimiter) {
            separator = delimiter
        } else {
            let single = text.trimmingCharacters(in: .whitespaces)
            return single.isEmpty ? [] : [single]
        }
        return text.components(separatedBy: separator)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
    }

    /// True for the `DimensionFormatType` of the default-dimension format (`DataEntityDefaultDimensionFormat`).
    static func isDefaultFormatType(_ type: String) -> Bool {
        let lower = type.lowercased()
        return lower.contains("default") && !lower.contains("ledger") && !lower.contains("budget")
    }
}
