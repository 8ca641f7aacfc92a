import ConnectorCore
import ConnectorHTTP
import Expensify
import Foundation
import Logging

/// What `ml-connector check` found: one row per system and item, and whether all passed.
public struct ConnectionReport: Sendable, Codable {
    /// True only when every check passed.
    public var ok: Bool
    /// Every check, in the order they ran.
    public var checks: [CheckResult]

    /// The report of a set of checks.
    public init(checks: [CheckResult]) {
        self.checks = checks
        self.ok = !checks.isEmpty && checks.allSatisfy(\.ok)
    }

    /// A table for a terminal: system, check, result, then the explanation.
    public var text: String {
        let headers = ["SYSTEM", "CHECK", "RESULT"]
        let rows = checks.map { [$0.system, $0.item, $0.ok ? "ok" : "FAILED: \($0.problem?.rawValue ?? "other")"] }
        var widths = headers.map(\.count)
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        func line(_ cells: [String], _ detail: String) -> String {
            cells.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ") + "  " + detail
        }
        var out = line(headers, "DETAILS") + "\n"
        for (row, check) in zip(rows, checks) { out += line(row, check.detail) + "\n" }
        let failed = checks.filter { !$0.ok }.count
        out += failed == 0 ? "All \(checks.count) checks passed.\n" : "\(failed) of \(checks.count) checks FAILED.\n"
        return out
    }
}
