import Foundation

/// The connector's configuration file (JSON), documented in the README.
///
/// Secrets are never in the file: it names the environment variables that hold them.
public struct ConnectorConfig: Sendable, Codable, Equatable {
    public var expensify: ExpensifySettings
    public var target: TargetSettings
    /// Expensify policy ID → target company (`dataAreaId`). A report from a policy not listed here is an exception.
    public var companies: [String: String]
    public var vendors: VendorSettings
    public var companyCards: CompanyCardSettings
    /// Expensify category GL code → main account. Optional per-company overrides in `accountOverrides`.
    public var accounts: [String: String]
    public var accountOverrides: [String: [String: String]]?
    public var dimensions: DimensionSettings
    public var invoice: InvoiceSettings?
    public var staging: StagingSettings?
    public var ledger: LedgerSettings?

    public struct ExpensifySettings: Sendable, Codable, Equatable {
        /// The Integration Server endpoint (the real one is https://integrations.expensify.com/Integration-Server/ExpensifyIntegrations).
        public var endpoint: String
        public var partnerUserIDEnv: String?
        public var partnerUserSecretEnv: String?
        /// Label written with `markAsExported` once the ERP confirmed a report, and used as the `markedAsExported` filter.
        public var exportLabel: String
        public var reportStates: [String]?
        /// Restrict the export to these policies (`policyIDList`); empty = every policy the account sees.
        public var policyIDs: [String]?
        /// First approval date to pick up (`yyyy-MM-dd`) when the ledger has no watermark yet.
        public var startDate: String
        public var limit: Int?
    }

    public struct TargetSettings: Sendable, Codable, Equatable {
        /// `d365fo` (Business Central and NAV come later).
        public var type: String
        /// D365 environment base URL, e.g. https://contoso.operations.dynamics.com (`/data` is appended).
        public var environmentURL: String
        /// Entra authority host, e.g. https://login.microsoftonline.com.
        public var authorityURL: String
        public var tenant: String
        public var clientID: String
        public var clientSecretEnv: String?
        /// Token scope; default `<environmentURL>/.default`.
        public var scope: String?
        /// Documents written at the same time (lines of one document always go in order).
        public var concurrency: Int?
        /// Invoices per OData `$batch` request and phase (absent: 50); 0 = one request per header and per line,
        /// which every D365 implementation accepts.
        public var batchSize: Int?
        /// Who assigns a new invoice's `HeaderReference`: `server` (default; the number sequence, read back from
        /// each 201) or `client` (derived from the stable key; the number sequence must allow manual numbers).
        public var keyAssignment: String?
        /// With server keys: `twoPhase` (default; headers in one `$batch`, their lines in a later one) or
        /// `references` (header and lines in one changeset through `$n` Content-ID references).
        public var batchStrategy: String?
    }

    public struct VendorSettings: Sendable, Codable, Equatable {
        /// Vendors of this group are matched by primary e-mail to the report submitter (case-insensitive).
        public var employeeVendorGroup: String?
        /// Explicit employee e-mail → vendor account, overriding the lookup (applies in the report's company).
        public var byEmail: [String: String]?
        /// Company → vendor used when an employee has no vendor of their own (off unless set).
        public var defaultVendor: [String: String]?
    }

    public struct CompanyCardSettings: Sendable, Codable, Equatable {
        /// `omit` (default): card expenses are listed in the staged CSV but not posted.
        /// `separateInvoice`: one extra invoice per report to the card issuer's vendor of the company.
        public var mode: String
        /// Company → card issuer vendor account (required for `separateInvoice`).
        public var issuerVendors: [String: String]?
    }

    public struct DimensionSettings: Sendable, Codable, Equatable {
        /// Default-dimension integration format, in order (D365 "Financial dimension configuration for integrating applications").
        public var format: [String]
        /// Segment delimiter (D365 `DimensionParameters.DimensionSegmentDelimiter`), usually `-`.
        public var delimiter: String
        /// Which tag level feeds which dimension.
        public var tagLevels: [TagLevel]
    }

    public struct TagLevel: Sendable, Codable, Equatable {
        /// 1-based level of a multi-level tag (`Department:CostCenter` → 1, 2).
        public var level: Int
        public var dimension: String
        /// `glCode` (the tag's GL code is the dimension value, default) or `name`.
        public var valueFrom: String?
        /// Explicit tag value → dimension value, checked before `valueFrom`.
        public var values: [String: String]?
        /// Whether every expense must carry this level.
        public var required: Bool?
    }

    public struct InvoiceSettings: Sendable, Codable, Equatable {
        /// Prefix of the stable invoice number (`EXP` → `EXP90000001`).
        public var keyPrefix: String?
        /// Date used for InvoiceDate and posting Date: `approved` (default), `submitted`, `lastExpense`.
        public var dateFrom: String?
    }

    public struct StagingSettings: Sendable, Codable, Equatable {
        public var root: String?
    }

    public struct LedgerSettings: Sendable, Codable, Equatable {
        public var path: String?
    }

    // MARK: Derived values with defaults

    public var stagingRoot: String { staging?.root ?? "staging" }
    public var ledgerPath: String { ledger?.path ?? stagingRoot + "/ledger.sqlite" }
    public var keyPrefix: String { invoice?.keyPrefix ?? "EXP" }
    public var invoiceDateFrom: String { invoice?.dateFrom ?? "approved" }
    public var reportStates: [String] { expensify.reportStates ?? ["APPROVED", "REIMBURSED"] }
    public var concurrency: Int { target.concurrency ?? 4 }
    public var cardsSeparate: Bool { companyCards.mode == "separateInvoice" }

    /// The main account for a GL code in a company: the company override, then the global map.
    public func mainAccount(glCode: String, company: String) -> String? {
        accountOverrides?[company]?[glCode] ?? accounts[glCode]
    }

    // MARK: Loading and validation

    /// Decodes and validates; every problem is reported at once, each naming its JSON path.
    public static func load(_ data: Data, source: String) throws -> ConnectorConfig {
        let config: ConnectorConfig
        do {
            config = try JSONDecoder().decode(ConnectorConfig.self, from: data)
        } catch let e as DecodingError {
            throw ConnectorError("config.invalid", "\(source): \(describe(e))", context: ["file": source])
        } catch {
            throw ConnectorError("config.invalid", "\(source): not valid JSON (\(error.localizedDescription))", context: ["file": source])
        }
        let problems = config.validate()
        if !problems.isEmpty {
            throw ConnectorError("config.invalid", "\(source) has \(problems.count) problem(s):\n  - " + problems.joined(separator: "\n  - "), context: ["file": source])
        }
        return config
    }

    static func describe(_ e: DecodingError) -> String {
        func path(_ p: [any CodingKey]) -> String {
            p.isEmpty ? "(top level)" : p.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().trimmingCharacters(in: CharacterSet(charactersIn: "."))
        }
        switch e {
        case .keyNotFound(let k, let c): return "missing required key '\(path(c.codingPath + [k]))'"
        case .typeMismatch(let t, let c): return "'\(path(c.codingPath))' has the wrong type (expected \(t))"
        case .valueNotFound(let t, let c): return "'\(path(c.codingPath))' is null (expected \(t))"
        case .dataCorrupted(let c): return "'\(path(c.codingPath))': \(c.debugDescription)"
        @unknown default: return "\(e)"
        }
    }

    /// Every problem found, each naming the JSON path.
    public func validate() -> [String] {
        var p: [String] = []
        func checkURL(_ s: String, _ path: String) {
            guard let u = URL(string: s), let scheme = u.scheme?.lowercased(), ["http", "https"].contains(scheme), u.host != nil else {
                p.append("\(path): '\(s)' is not an http(s) URL"); return
            }
        }
        checkURL(expensify.endpoint, "expensify.endpoint")
        checkURL(target.environmentURL, "target.environmentURL")
        checkURL(target.authorityURL, "target.authorityURL")
        if expensify.exportLabel.trimmingCharacters(in: .whitespaces).isEmpty { p.append("expensify.exportLabel must not be empty") }
        if !Self.isDate(expensify.startDate) { p.append("expensify.startDate: '\(expensify.startDate)' is not a yyyy-MM-dd date") }
        let states = Set(["OPEN", "SUBMITTED", "APPROVED", "REIMBURSED", "ARCHIVED"])
        for s in reportStates where !states.contains(s) { p.append("expensify.reportStates: '\(s)' is not one of \(states.sorted().joined(separator: ", "))") }
        if let l = expensify.limit, l <= 0 { p.append("expensify.limit must be positive") }
        if target.type != "d365fo" { p.append("target.type: '\(target.type)' is not supported (supported: d365fo)") }
        if target.tenant.isEmpty { p.append("target.tenant must not be empty") }
        if target.clientID.isEmpty { p.append("target.clientID must not be empty") }
        if let c = target.concurrency, !(1...32).contains(c) { p.append("target.concurrency must be between 1 and 32") }
        if let b = target.batchSize, !(0...200).contains(b) { p.append("target.batchSize must be between 0 (off) and 200") }
        if let k = target.keyAssignment, !["server", "client"].contains(k) {
            p.append("target.keyAssignment: '\(k)' must be 'server' or 'client'")
        }
        if let s = target.batchStrategy, !["twoPhase", "references"].contains(s) {
            p.append("target.batchStrategy: '\(s)' must be 'twoPhase' or 'references'")
        } else if target.batchStrategy == "references", target.keyAssignment == "client" {
            p.append("target.batchStrategy 'references' applies to server-assigned keys; with keyAssignment 'client' header and lines already share one changeset")
        }
        if companies.isEmpty { p.append("companies: map at least one Expensify policy ID to a company") }
        for (policy, company) in companies.sorted(by: { $0.key < $1.key }) where company.trimmingCharacters(in: .whitespaces).isEmpty {
            p.append("companies.\(policy): company must not be empty")
        }
        if accounts.isEmpty { p.append("accounts: map at least one category GL code to a main account") }
        for (gl, acct) in accounts.sorted(by: { $0.key < $1.key }) where acct.isEmpty { p.append("accounts.\(gl): main account must not be empty") }
        if !["omit", "separateInvoice"].contains(companyCards.mode) {
            p.append("companyCards.mode: '\(companyCards.mode)' must be 'omit' or 'separateInvoice'")
        } else if cardsSeparate {
            for company in Set(companies.values).sorted() where (companyCards.issuerVendors?[company] ?? "").isEmpty {
                p.append("companyCards.issuerVendors.\(company): separateInvoice needs the card issuer's vendor for every company")
            }
        }
        if dimensions.format.isEmpty { p.append("dimensions.format must list at least one dimension") }
        if Set(dimensions.format).count != dimensions.format.count { p.append("dimensions.format lists a dimension twice") }
        if dimensions.delimiter.isEmpty || dimensions.delimiter.contains("\\") { p.append("dimensions.delimiter must be a non-empty string without a backslash") }
        for (i, t) in dimensions.tagLevels.enumerated() {
            if t.level < 1 { p.append("dimensions.tagLevels[\(i)].level must be 1 or more") }
            if !dimensions.format.contains(t.dimension) { p.append("dimensions.tagLevels[\(i)].dimension '\(t.dimension)' is not in dimensions.format") }
            if let v = t.valueFrom, !["glCode", "name"].contains(v) { p.append("dimensions.tagLevels[\(i)].valueFrom must be 'glCode' or 'name'") }
        }
        if !["approved", "submitted", "lastExpense"].contains(invoiceDateFrom) { p.append("invoice.dateFrom must be approved, submitted or lastExpense") }
        if keyPrefix.isEmpty || keyPrefix.count > 10 { p.append("invoice.keyPrefix must be 1 to 10 characters") }
        return p
    }

    public static func isDate(_ s: String) -> Bool {
        let parts = s.split(separator: "-")
        guard s.count == 10, parts.count == 3, let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]) else { return false }
        return y > 1900 && (1...12).contains(m) && (1...31).contains(d)
    }
}
