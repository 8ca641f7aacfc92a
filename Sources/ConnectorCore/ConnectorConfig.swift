import Foundation

/// The connector's configuration file (JSON), documented in the README.
///
/// Secrets are never in the file: it names the environment variables that hold them.
public struct ConnectorConfig: Sendable, Codable, Equatable {
    /// The source: where to export from and which reports to ask for.
    public var expensify: ExpensifySettings
    /// Which target and its own settings (decoded by that target, see `TargetConfig`).
    public var target: TargetConfig
    /// Expensify policy ID → target company (`dataAreaId`). A report from a policy not listed here is an exception.
    public var companies: [String: String]
    /// How an employee's payable finds its vendor in the target.
    public var vendors: VendorSettings
    /// What happens to company card (non-reimbursable) spend.
    public var companyCards: CompanyCardSettings
    /// Expensify category GL code → main account. Optional per-company overrides in `accountOverrides`.
    public var accounts: [String: String]
    /// Company → GL code → main account, for a company whose chart differs from `accounts`; wins over `accounts`.
    public var accountOverrides: [String: [String: String]]?
    /// Which tag levels feed which dimensions, and in what order the target writes them.
    public var dimensions: DimensionSettings
    /// Invoice numbering and dating; nil takes the defaults.
    public var invoice: InvoiceSettings?
    /// Where staged files go and how review CSVs are written; nil takes the defaults.
    public var staging: StagingSettings?
    /// Where the ledger lives; nil puts it in the staging root.
    public var ledger: LedgerSettings?
    /// Where the sealed credential store and its key live; nil puts them beside the ledger.
    public var credentials: CredentialSettings?
    /// `review`: `required` (run stops after transform until finance signs the batch off) or `optional` (default).
    public var review: String?
    /// The `schedule` object: how `ml-connector schedule` repeats the pipeline.
    public var schedule: ScheduleSettings?
    /// The `reconcile` object: reconciliation against the ERP after load.
    public var reconcile: ReconcileSettings?
    /// The `employees` object: `employees sync` (EmployeeSettings.swift).
    public var employees: EmployeeSettings?
    /// The `masterData` object: how long the ERP's master data cached in the ledger is used before it is read again.
    public var masterData: MasterDataSettings?
    /// The `align` object: which accounts and dimension values `ml-connector align` pushes into Expensify.
    public var align: AlignSettings?

    /// The `expensify` object: the Integration Server and what the export jobs select.
    public struct ExpensifySettings: Sendable, Codable, Equatable {
        /// The Integration Server endpoint (the real one is https://integrations.expensify.com/Integration-Server/ExpensifyIntegrations).
        public var endpoint: String
        /// Name of the secret holding the partner user ID (default `EXPENSIFY_PARTNER_USER_ID`), so the file never holds it.
        public var partnerUserIDEnv: String?
        /// Name of the secret holding the partner user secret (default `EXPENSIFY_PARTNER_USER_SECRET`).
        public var partnerUserSecretEnv: String?
        /// Label written with `markAsExported` once the ERP confirmed a report, and used as the `markedAsExported` filter.
        public var exportLabel: String
        /// The export's `reportState` list; nil for `APPROVED`, `REIMBURSED`. Only postable states are accepted.
        public var reportStates: [String]?
        /// Restrict the export to these policies (`policyIDList`); empty = every policy the account sees.
        public var policyIDs: [String]?
        /// First approval date to pick up (`yyyy-MM-dd`) when the ledger has no watermark yet.
        public var startDate: String
        /// Most reports one export job may return; a window that reaches it keeps the watermark where it is.
        public var limit: Int?
        /// Longest `approvedAfter` → `endDate` range of one export job, in days (default 364: under a year, since
        /// Expensify refuses a range over a year with 410 "Date range exceeds one year"). A longer range (first
        /// run, or no run for a year) is split into consecutive windows of at most this many days.
        public var maxRangeDays: Int?
        /// Report IDs per `reportIDList` job when the held and failed reports are re-fetched (default 100).
        public var refetchChunkSize: Int?
    }

    /// The `vendors` object: how the vendor of an employee's payable is found.
    public struct VendorSettings: Sendable, Codable, Equatable {
        /// Vendors of this group are matched by primary e-mail to the report submitter (case-insensitive).
        public var employeeVendorGroup: String?
        /// Explicit employee e-mail → vendor account, overriding the lookup (applies in the report's company).
        public var byEmail: [String: String]?
        /// Company → vendor used when an employee has no vendor of their own (off unless set).
        public var defaultVendor: [String: String]?
    }

    /// The `companyCards` object: whether card spend is posted, and to whom.
    public struct CompanyCardSettings: Sendable, Codable, Equatable {
        /// `omit` (default): card expenses are listed in the staged CSV but not posted.
        /// `separateInvoice`: one extra invoice per report to the card issuer's vendor of the company.
        public var mode: String
        /// Company → card issuer vendor account (required for `separateInvoice`).
        public var issuerVendors: [String: String]?
    }

    /// The `dimensions` object: the dimensions the connector fills from expense tags.
    public struct DimensionSettings: Sendable, Codable, Equatable {
        /// The dimensions the connector sets, in the order the target lists them (on F&O, the default-dimension
        /// integration format, checked against the ERP at extract).
        public var format: [String]
        /// Segment delimiter for targets that write dimensions as one text (F&O's `DimensionSegmentDelimiter`, usually `-`).
        public var delimiter: String
        /// Which tag level feeds which dimension.
        public var tagLevels: [TagLevel]
    }

    /// One entry of `dimensions.tagLevels`: where one dimension's value comes from.
    public struct TagLevel: Sendable, Codable, Equatable {
        /// 1-based level of a multi-level tag (`Department:CostCenter` → 1, 2).
        public var level: Int
        /// The dimension this level fills; it must be listed in `dimensions.format`.
        public var dimension: String
        /// `glCode` (the tag's GL code is the dimension value, default) or `name`.
        public var valueFrom: String?
        /// Explicit tag value → dimension value, checked before `valueFrom`.
        public var values: [String: String]?
        /// Whether every expense must carry this level.
        public var required: Bool?
    }

    /// The `invoice` object: how documents are numbered and dated.
    public struct InvoiceSettings: Sendable, Codable, Equatable {
        /// Prefix of the stable invoice number (`EXP` → `EXP90000001`).
        public var keyPrefix: String?
        /// Date used for InvoiceDate and posting Date: `approved` (default), `submitted`, `lastExpense`.
        public var dateFrom: String?
    }

    /// The `staging` object: where batches are staged for review.
    public struct StagingSettings: Sendable, Codable, Equatable {
        /// Folder of the batch folders (default `staging`, relative to the working directory).
        public var root: String?
        /// Start review CSVs with a UTF-8 byte order mark (default true) so Excel on Windows reads them as UTF-8.
        public var csvByteOrderMark: Bool?
    }

    /// The `ledger` object: where the record of every batch, report and document is kept.
    public struct LedgerSettings: Sendable, Codable, Equatable {
        /// The SQLite ledger file (default `<staging root>/ledger.sqlite`).
        public var path: String?
    }

    /// The `credentials` object: where the encrypted credential store lives.
    public struct CredentialSettings: Sendable, Codable, Equatable {
        /// The sealed credential store; default `credentials.sealed` beside the ledger.
        public var store: String?
        /// The key file (base64, owner-only); default `credentials.key` beside the ledger. `ML_CONNECTOR_CREDENTIALS_KEY` wins.
        public var keyFile: String?
    }

    /// The `schedule` object: either `every` (an interval: `90s`, `15m`, `1h`, `1d`) or `cron` (five fields, UTC by
    /// default), not both.
    public struct ScheduleSettings: Sendable, Codable, Equatable {
        /// Interval between run starts, e.g. `15m`.
        public var every: String?
        /// Cron expression, e.g. `15 2 * * *`.
        public var cron: String?
        /// Time zone the cron expression is read in (IANA name, default `UTC`).
        public var timeZone: String?
    }

    /// The `reconcile` object.
    public struct ReconcileSettings: Sendable, Codable, Equatable {
        /// Reconcile right after every load (default true; the target must support reading documents back).
        public var afterLoad: Bool?
    }

    /// The `masterData` object.
    public struct MasterDataSettings: Sendable, Codable, Equatable {
        /// Minutes the cached master data stays fresh (default 60; 0 reads the ERP every time).
        public var maxAgeMinutes: Int?
    }

    // MARK: Derived values with defaults

    /// `review` with its default: true when finance must sign a batch off before load.
    public var reviewRequired: Bool { review == "required" }
    /// `reconcile.afterLoad` with its default.
    public var reconcileAfterLoad: Bool { reconcile?.afterLoad ?? true }
    /// `masterData.maxAgeMinutes` with its default of 60 minutes.
    public var masterDataMaxAgeMinutes: Int { masterData?.maxAgeMinutes ?? 60 }

    /// `staging.root` with its default, so no caller repeats the default.
    public var stagingRoot: String { staging?.root ?? "staging" }
    /// `ledger.path` with its default, next to the staged batches.
    public var ledgerPath: String { ledger?.path ?? stagingRoot + "/ledger.sqlite" }
    /// `invoice.keyPrefix` with its default `EXP`; the stable document keys start with it.
    public var keyPrefix: String { invoice?.keyPrefix ?? "EXP" }
    /// The folder of the ledger, where the credential store lives unless configured elsewhere.
    var ledgerFolder: String { URL(fileURLWithPath: ledgerPath).deletingLastPathComponent().path }
    /// `credentials.store` with its default beside the ledger.
    public var credentialStorePath: String { credentials?.store ?? ledgerFolder + "/credentials.sealed" }
    /// `credentials.keyFile` with its default beside the ledger.
    public var credentialKeyPath: String { credentials?.keyFile ?? ledgerFolder + "/credentials.key" }
    /// `invoice.dateFrom` with its default `approved`.
    public var invoiceDateFrom: String { invoice?.dateFrom ?? "approved" }
    /// `expensify.reportStates` with its default: approved and reimbursed reports.
    public var reportStates: [String] { expensify.reportStates ?? ["APPROVED", "REIMBURSED"] }
    /// `expensify.maxRangeDays` with its default of 364 days (Expensify refuses a range over a year).
    public var exportMaxRangeDays: Int { expensify.maxRangeDays ?? 364 }
    /// `expensify.refetchChunkSize` with its default of 100 report IDs per job.
    public var refetchChunkSize: Int { expensify.refetchChunkSize ?? 100 }
    /// `target.concurrency` with its default of 4 documents at once.
    public var concurrency: Int { target.concurrency ?? 4 }
    /// Whether card spend is posted as its own invoice (`separateInvoice`) rather than only listed.
    public var cardsSeparate: Bool { companyCards.mode == "separateInvoice" }

    /// The main account for a GL code in a company: the company override, then the global map.
    public func mainAccount(glCode: String, company: String) -> String? {
        accountOverrides?[company]?[glCode] ?? accounts[glCode]
    }

    // MARK: Loading and validation

    /// Decodes and validates; every problem is reported at once, each naming its JSON path.
    /// - Parameters:
    ///   - validateTarget: the target's own checks of `target` (the registry supplies them; Core knows no ERP).
    ///   - options: checks the operator loosened on the command line.
    public static func load(
        _ data: Data, source: String, options: ConfigCheckOptions = ConfigCheckOptions(),
        validateTarget: (TargetConfig, ConfigCheckOptions) -> [String] = { _, _ in [] }
    ) throws -> ConnectorConfig {
        let (config, problems) = check(data, source: source, options: options, validateTarget: validateTarget)
        if let config, problems.isEmpty { return config }
        throw ConnectorError(
            "config.invalid", "\(source) has \(problems.count) problem(s):\n  - " + problems.joined(separator: "\n  - "),
            context: ["file": source])
    }

    /// The configuration (when it decodes) and every problem found, without throwing, for `check-config`.
    public static func check(
        _ data: Data, source: String, options: ConfigCheckOptions = ConfigCheckOptions(),
        validateTarget: (TargetConfig, ConfigCheckOptions) -> [String] = { _, _ in [] }
    ) -> (ConnectorConfig?, [String]) {
        let written: JSONValue
        do {
            written = try JSONValue.parse(data, rejectingDuplicateKeys: true)
        } catch let e as ConnectorError {
            return (nil, ["not valid JSON: \(e.message)"])
        } catch {
            return (nil, ["not valid JSON"])
        }
        var config: ConnectorConfig
        do {
            config = try JSONDecoder().decode(ConnectorConfig.self, from: data)
        } catch let e as DecodingError {
            return (nil, [describe(e)] + UnknownKeys.problems(written, decoded: Self.skeleton, skip: ["target"]))
        } catch {
            return (nil, ["cannot be read (\(error.localizedDescription))"])
        }
        config.target.settings = written["target"] ?? .object([:])
        let problems =
            config.validate(options: options) + UnknownKeys.problems(written, decoded: config, skip: ["target"])
            + validateTarget(config.target, options)
        return (config, problems)
    }

    /// A value with every section present, to name the known keys when the file does not decode.
    static var skeleton: ConnectorConfig {
        ConnectorConfig(
            expensify: .init(
                endpoint: "", partnerUserIDEnv: nil, partnerUserSecretEnv: nil, exportLabel: "", reportStates: nil,
                policyIDs: nil, startDate: "", limit: nil),
            target: TargetConfig(type: ""), companies: [:], vendors: .init(employeeVendorGroup: nil, byEmail: nil, defaultVendor: nil),
            companyCards: .init(mode: "", issuerVendors: nil), accounts: [:], accountOverrides: nil,
            dimensions: .init(format: [], delimiter: "", tagLevels: []), invoice: .init(keyPrefix: nil, dateFrom: nil),
            staging: .init(root: nil, csvByteOrderMark: nil), ledger: .init(path: nil), credentials: .init(store: nil, keyFile: nil),
            review: "", schedule: .init(every: nil, cron: nil, timeZone: nil), reconcile: .init(afterLoad: nil),
            employees: .init(policyByCompany: nil, defaultManager: nil),
            masterData: .init(maxAgeMinutes: nil),
            align: .init(categories: .init(accountRanges: nil, accounts: nil, nameFrom: nil), tags: .init(dimensions: nil, nameFrom: nil)))
    }

    /// A decoding error as one sentence naming the JSON path; `under` prefixes paths of a decoded sub-object.
    public static func describe(_ e: DecodingError, under prefix: String? = nil) -> String {
        func path(_ p: [any CodingKey]) -> String {
            let inner = p.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().trimmingCharacters(
                in: CharacterSet(charactersIn: "."))
            if let prefix { return inner.isEmpty ? prefix : prefix + "." + inner }
            return p.isEmpty ? "(top level)" : inner
        }
        switch e {
        case .keyNotFound(let k, let c): return "missing required key '\(path(c.codingPath + [k]))'"
        case .typeMismatch(let t, let c): return "'\(path(c.codingPath))' has the wrong type (expected \(t))"
        case .valueNotFound(let t, let c): return "'\(path(c.codingPath))' is null (expected \(t))"
        case .dataCorrupted(let c): return "'\(path(c.codingPath))': \(c.debugDescription)"
        @unknown default: return "\(e)"
        }
    }

    /// Report states the connector may post: approved ones only. `ARCHIVED` (Expensify's "Closed") is allowed on
    /// request because a report holding only company-card spend closes on final approval.
    public static let postableStates: Set<String> = ["APPROVED", "REIMBURSED", "ARCHIVED"]

    /// Every problem found, each naming the JSON path.
    public func validate(options: ConfigCheckOptions = ConfigCheckOptions()) -> [String] {
        var p: [String] = []
        if let problem = Self.urlProblem(expensify.endpoint, path: "expensify.endpoint", options: options) { p.append(problem) }
        if expensify.exportLabel.trimmingCharacters(in: .whitespaces).isEmpty { p.append("expensify.exportLabel must not be empty") }
        if !Self.isDate(expensify.startDate) { p.append("expensify.startDate: '\(expensify.startDate)' is not a yyyy-MM-dd date") }
        if reportStates.isEmpty {
            p.append("expensify.reportStates must list at least one of \(Self.postableStates.sorted().joined(separator: ", "))")
        }
        for s in reportStates where !Self.postableStates.contains(s) {
            p.append(
                "expensify.reportStates: '\(s)' cannot be posted; allowed: \(Self.postableStates.sorted().joined(separator: ", ")) (unapproved reports are never posted)"
            )
        }
        if let l = expensify.limit, l <= 0 { p.append("expensify.limit must be positive") }
        if let d = expensify.maxRangeDays, !(1...364).contains(d) { p.append("expensify.maxRangeDays must be between 1 and 364 (under a year)") }
        if let c = expensify.refetchChunkSize, !(1...1000).contains(c) { p.append("expensify.refetchChunkSize must be between 1 and 1000") }
        if let c = target.concurrency, !(1...32).contains(c) { p.append("target.concurrency must be between 1 and 32") }
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
        if dimensions.delimiter.isEmpty || dimensions.delimiter.contains("\\") {
            p.append("dimensions.delimiter must be a non-empty string without a backslash")
        }
        for (i, t) in dimensions.tagLevels.enumerated() {
            if t.level < 1 { p.append("dimensions.tagLevels[\(i)].level must be 1 or more") }
            if !dimensions.format.contains(t.dimension) {
                p.append("dimensions.tagLevels[\(i)].dimension '\(t.dimension)' is not in dimensions.format")
            }
            if let v = t.valueFrom, !["glCode", "name"].contains(v) { p.append("dimensions.tagLevels[\(i)].valueFrom must be 'glCode' or 'name'") }
        }
        if !["approved", "submitted", "lastExpense"].contains(invoiceDateFrom) {
            p.append("invoice.dateFrom must be approved, submitted or lastExpense")
        }
        if keyPrefix.isEmpty || keyPrefix.count > 10 { p.append("invoice.keyPrefix must be 1 to 10 characters") }
        p += employees?.problems ?? []
        if let r = review, !["required", "optional"].contains(r) { p.append("review: '\(r)' must be 'required' or 'optional'") }
        if let s = schedule, (s.every == nil) == (s.cron == nil) {
            p.append("schedule: give either 'every' (e.g. \"15m\") or 'cron' (e.g. \"15 2 * * *\"), not both")
        }
        if let m = masterData?.maxAgeMinutes, !(0...10_080).contains(m) {
            p.append("masterData.maxAgeMinutes must be between 0 (always read the ERP) and 10080 (a week)")
        }
        p += alignProblems()
        return p
    }

    /// A problem with an endpoint URL, naming its JSON path; nil when it is usable. Plain `http://` is accepted
    /// only to loopback addresses (the sandbox), unless the operator allowed it, because secrets would travel in clear.
    public static func urlProblem(_ s: String, path: String, options: ConfigCheckOptions = ConfigCheckOptions()) -> String? {
        guard let u = URL(string: s), let scheme = u.scheme?.lowercased(), ["http", "https"].contains(scheme), let host = u.host else {
            return "\(path): '\(s)' is not an http(s) URL"
        }
        if scheme == "http" && !isLoopback(host) && !options.allowPlaintextHTTP {
            return
                "\(path): '\(s)' uses plain http:// to \(host); secrets would travel in clear text. Use https://, or pass --allow-plaintext-http if you really mean it"
        }
        return nil
    }

    /// `localhost`, 127.0.0.0/8 or ::1.
    public static func isLoopback(_ host: String) -> Bool {
        let h = host.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        if h == "localhost" || h == "::1" || h == "0:0:0:0:0:0:0:1" { return true }
        let octets = h.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }

    /// Whether `s` is a plausible `yyyy-MM-dd` day, for configured dates and exported timestamps alike.
    public static func isDate(_ s: String) -> Bool {
        let parts = s.split(separator: "-")
        guard s.count == 10, parts.count == 3, let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]) else { return false }
        return y > 1900 && (1...12).contains(m) && (1...31).contains(d)
    }
}
