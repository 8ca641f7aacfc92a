import ConnectorCore
import Foundation

/// One thing `maps check` found: a stable `kind` word, where (policy, company), the item, what is wrong and what to do.
public struct MapsFinding: Sendable, Codable, Hashable {
    /// Stable word, e.g. `tag.unmapped`, `map.account_inactive`, `employee.no_vendor` (README, "Checking the maps").
    public var kind: String
    /// Whether it would hold a report tonight (false: informational).
    public var blocking: Bool
    /// The Expensify policy it belongs to, when it is about a policy's category, tag or member.
    public var policy: String?
    /// The ERP company (or companies, comma-separated) it concerns.
    public var company: String?
    /// The item: a category, tag, configuration entry (`accounts.6099 → 600199`), ERP value or e-mail.
    public var item: String
    /// What is wrong, in words.
    public var problem: String
    /// The last day the ERP value may be used (`yyyy-MM-dd`), when the ERP says.
    public var validUntil: String?
    /// What to do about it.
    public var action: String

    /// Memberwise.
    public init(
        kind: String, blocking: Bool, policy: String? = nil, company: String? = nil, item: String, problem: String,
        validUntil: String? = nil, action: String
    ) {
        self.kind = kind
        self.blocking = blocking
        self.policy = policy
        self.company = company
        self.item = item
        self.problem = problem
        self.validUntil = validUntil
        self.action = action
    }

    /// Blocking first, then by kind, policy, company and item, so the report reads the same from the same state.
    static func ordered(_ a: MapsFinding, _ b: MapsFinding) -> Bool {
        if a.blocking != b.blocking { return a.blocking }
        return (a.kind, a.policy ?? "", a.company ?? "", a.item, a.problem) < (b.kind, b.policy ?? "", b.company ?? "", b.item, b.problem)
    }
}

/// What `maps check` found, as a table (`text`) and as JSON.
public struct MapsCheckReport: Sendable, Codable {
    /// The day the ERP values were checked for (`yyyy-MM-dd`, `ML_CONNECTOR_TODAY` when set).
    public var checkedOn: String
    /// The target's name.
    public var target: String
    /// Where the ERP master data came from (the ledger's cache or a read now) and how old it was.
    public var masterData: MasterDataOrigin
    /// The Expensify policies read.
    public var policies: [String]
    /// The ERP companies checked.
    public var companies: [String]
    /// True when something would hold a report tonight (exit code 1).
    public var wouldHold: Bool
    /// Findings that would hold a report.
    public var blocking: Int
    /// Findings that hold nothing.
    public var informational: Int
    /// Every finding, blocking first.
    public var findings: [MapsFinding]
    /// `<staging root>/maps/<UTC timestamp>/findings.csv`: the findings in the same order.
    public var file: String?

    init(checkedOn: String, target: String, masterData: MasterDataOrigin, policies: [String], companies: [String], findings: [MapsFinding]) {
        self.checkedOn = checkedOn
        self.target = target
        self.masterData = masterData
        self.policies = policies
        self.companies = companies
        self.findings = findings.sorted(by: MapsFinding.ordered)
        blocking = findings.filter(\.blocking).count
        informational = findings.count - blocking
        wouldHold = blocking > 0
    }

    /// Informational findings of one kind shown in the table; the rest are counted (every one is in `--json`).
    static let tableLimitPerKind = 20

    /// The table for the operator.
    public var text: String {
        var s = "Maps check of \(policies.count) policy(ies) against \(target) (\(companies.joined(separator: ", "))) for \(checkedOn)\n"
        let age = masterData.ageSeconds >= 120 ? "\(masterData.ageSeconds / 60) min" : "\(masterData.ageSeconds) s"
        s +=
            masterData.fromCache
            ? "  Master data: from the ledger's cache, read \(masterData.fetchedAt) (\(age) old, fresh for \(masterData.maxAgeMinutes) min; --refresh reads it again)\n"
            : "  Master data: read from the target now (\(masterData.fetchedAt))\n"
        if wouldHold {
            s += "  Would hold reports tonight: \(blocking) finding(s)\n"
        } else {
            s += "  Nothing would hold a report tonight.\n"
        }
        let rows = findings.filter(\.blocking)
        if !rows.isEmpty {
            s += "\nWould hold a report:\n" + Self.table(rows)
        }
        var info: [MapsFinding] = []
        var hidden: [String: Int] = [:]
        for f in findings where !f.blocking {
            if info.filter({ $0.kind == f.kind }).count < Self.tableLimitPerKind { info.append(f) } else { hidden[f.kind, default: 0] += 1 }
        }
        if !info.isEmpty {
            s += "\nFor information (holds nothing):\n" + Self.table(info)
            for (kind, n) in hidden.sorted(by: { $0.key < $1.key }) { s += "  … and \(n) more \(kind) (see --json)\n" }
        }
        if let file { s += "\nwrote \(file)\n" }
        return s
    }

    static func table(_ rows: [MapsFinding]) -> String {
        let header = ["KIND", "POLICY", "COMPANY", "ITEM", "PROBLEM"]
        let cells = rows.map { f in
            [f.kind, f.policy ?? "-", f.company ?? "-", f.item, f.problem + (f.validUntil.map { " (valid until \($0))" } ?? "")]
        }
        var widths = header.map(\.count)
        for r in cells { for (i, c) in r.enumerated().dropLast() { widths[i] = max(widths[i], c.count) } }
        func line(_ r: [String]) -> String {
            "  "
                + r.enumerated().map { i, c in i == r.count - 1 ? c : c.padding(toLength: widths[i], withPad: " ", startingAt: 0) }
                .joined(separator: "  ") + "\n"
        }
        var s = line(header)
        for (r, f) in zip(cells, rows) { s += line(r) + "      → \(f.action)\n" }
        return s
    }
}
