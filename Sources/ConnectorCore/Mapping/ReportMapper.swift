import Foundation

/// Turns one exported report into target documents, or holds it with issues that name record and field.
///
/// Pure: no I/O. A report's mapping is the list of named rules, applied in the order a finance team would check
/// them: report state, company by policy, currency, document date, then per expense its currency and amount, main account and
/// dimensions; the report total; then vendor and company-card routing, and the documents. A report with any problem in what it would
/// post is held whole, never half-posted.
public struct ReportMapper: Sendable {
    /// The configuration every rule reads.
    public let config: ConnectorConfig
    /// The policies' categories and tags from extract.
    public let catalog: PolicyCatalog
    /// The target's master data from extract.
    public let reference: ReferenceData
    let formatter: any DimensionFormatter
    let stateRule: ReportStateRule
    let companyRule: CompanyRule
    let dateRule: DocumentDateRule
    let accountRule: MainAccountRule
    let dimensionRule: DimensionRule
    let vendorRule: VendorRule
    let cardRule: CompanyCardRule
    let documentRules: (any DocumentRules)?
    /// Finance's accepted edits by `editKey(reportID:transactionID:)`.
    let edits: [String: LineEdit]

    /// Finance's accepted edits of one expense line (`review import`), applied over what the rules map: the main
    /// account and the dimension values it sets replace the ones its GL code and tag give, and are checked against the
    /// target's master data like those.
    public struct LineEdit: Sendable, Hashable {
        /// The main account set in review, nil when not edited.
        public var mainAccount: String?
        /// The dimension values set in review, in `dimensions.format` order (blank where none), nil when not edited.
        public var segments: [String]?

        /// Memberwise.
        public init(mainAccount: String? = nil, segments: [String]? = nil) {
            self.mainAccount = mainAccount
            self.segments = segments
        }
    }

    /// The key of an edit: the report and the Expensify expense (transaction) of the line.
    public static func editKey(reportID: String, transactionID: String) -> String { reportID + "\u{1F}" + transactionID }

    /// - Parameter dimensionFormatter: how the target writes a line's dimensions as one text.
    /// - Parameter documentRules: what the target cannot take on its configured path (nil: anything mapped).
    /// - Parameter edits: finance's accepted edits by `editKey(reportID:transactionID:)` (none by default).
    public init(
        config: ConnectorConfig, catalog: PolicyCatalog, reference: ReferenceData, dimensionFormatter: any DimensionFormatter,
        documentRules: (any DocumentRules)? = nil, edits: [String: LineEdit] = [:]
    ) {
        self.edits = edits
        self.documentRules = documentRules
        self.config = config
        self.catalog = catalog
        self.reference = reference
        self.formatter = dimensionFormatter
        stateRule = ReportStateRule(states: config.reportStates)
        companyRule = CompanyRule(companies: config.companies, reference: reference)
        dateRule = DocumentDateRule(dateFrom: config.invoiceDateFrom)
        accountRule = MainAccountRule(config: config, catalog: catalog, reference: reference)
        dimensionRule = DimensionRule(dimensions: config.dimensions, catalog: catalog, reference: reference)
        vendorRule = VendorRule(vendors: config.vendors, reference: reference)
        cardRule = CompanyCardRule(cards: config.companyCards, vendorRule: vendorRule)
    }

    /// One expense after the line rules: its review row, amount, routing and dimension segments.
    struct MappedExpense {
        var line: ReviewLine
        var money: Money?
        var card: Bool
        var posts: Bool
        var segments: [String]
        var issues: [RecordIssue]
    }

    /// What the report-level rules decided, shared by the line rules.
    struct ReportFacts {
        var reportID: String
        var policyID: String
        var company: String
        var employee: String
        var currency: Currency?
        var date: String
    }

    /// Maps one report through every rule; `decodeIssues` (from reading the export) hold it like any other issue.
    public func map(_ r: ExpenseReport, decodeIssues: [RecordIssue] = []) -> ReportOutcome {
        var issues = decodeIssues + [stateRule.issue(for: r)].compactMap { $0 }
        let (company, companyIssue) = companyRule.company(of: r)
        let (currency, currencyIssue) = CurrencyRule.reportCurrency(r)
        let (date, dateIssue) = dateRule.date(of: r)
        issues += [companyIssue, currencyIssue, dateIssue].compactMap { $0 }
        let facts = ReportFacts(
            reportID: r.reportID, policyID: r.policyID, company: company,
            employee: r.accountEmail.trimmedWhitespace, currency: currency, date: date ?? "")

        var expenses = r.expenses.enumerated().map { mapExpense($1, index: $0, report: r, facts: facts) }
        for e in expenses where e.posts { issues += e.issues }
        if let currency,
            let mismatch = TotalRule.issue(
                reportID: r.reportID, total: r.total, currency: currency,
                lines: expenses.map { ($0.money, !$0.card) })
        {
            issues.append(mismatch)
        }
        let (employeeVendor, cardVendor) = vendors(for: expenses, facts: facts, issues: &issues)
        var documents =
            currency.map {
                assemble(
                    r, expenses: &expenses, currency: $0, facts: facts, employeeVendor: employeeVendor,
                    cardVendor: cardVendor, issues: &issues)
            } ?? []
        if let documentRules, issues.isEmpty {
            for d in documents { issues += documentRules.issues(for: d, reference: reference) }
        }

        let status: ReportOutcome.Status
        if !issues.isEmpty {
            status = .held
            documents = []
            for i in expenses.indices where expenses[i].line.status.isEmpty { expenses[i].line.status = "held (report has exceptions)" }
        } else if documents.isEmpty {
            status = .empty
        } else {
            status = .ready
            for i in expenses.indices where expenses[i].line.status.isEmpty { expenses[i].line.status = "to post" }
        }
        let reason =
            issues.first.map { "\($0.field): \($0.reason)" + (issues.count > 1 ? " (+\(issues.count - 1) more)" : "") }
            ?? (status == .empty ? (r.expenses.isEmpty ? "no expenses" : "only company card expenses, not posted") : "")
        var exportTotal = ""
        if let t = r.total, let c = currency { exportTotal = Money.fromExpensifyHundredths(t, currency: c).money.amountText }
        return ReportOutcome(
            reportID: r.reportID, status: status, documents: documents, lines: expenses.map(\.line), issues: issues,
            company: company, employee: facts.employee, policyID: r.policyID, approved: Self.day(r.approved) ?? "",
            currency: currency?.code ?? r.currency, expensifyTotal: exportTotal, reason: reason)
    }

    // MARK: Line rules

    /// Currency and amount, expense date, main account and dimensions of one expense; the review row says why a
    /// line is not posted.
    func mapExpense(_ e: Expense, index: Int, report r: ExpenseReport, facts: ReportFacts) -> MappedExpense {
        let record = "\(r.reportID)/" + (e.transactionID.isEmpty ? "expense[\(index)]" : e.transactionID)
        let posts = cardRule.posts(e)
        let merchant = e.modifiedMerchant.isEmpty ? e.merchant : e.modifiedMerchant
        let created = e.modifiedCreated.isEmpty ? e.created : e.modifiedCreated
        let createdDay = Self.day(created)
        let (expenseCurrency, currencyIssue) = CurrencyRule.expenseCurrency(e, record: record)
        var line = ReviewLine(
            company: facts.company, currency: facts.currency?.code ?? r.currency, reportID: r.reportID, invoiceNumber: "",
            document: "", vendor: "", employee: facts.employee, line: "", transactionID: e.transactionID,
            expenseDate: createdDay ?? created, merchant: merchant, category: e.category,
            glCode: e.categoryGlCode, mainAccount: "", dimensions: "", amount: "",
            originalAmount: AmountRule.originalAmount(e, expenseCurrency: expenseCurrency),
            originalCurrency: e.currency, reimbursable: e.reimbursable, status: "")
        var issues = [currencyIssue].compactMap { $0 }

        var money: Money?
        if let rc = facts.currency, let ec = expenseCurrency {
            let (amount, amountIssues) = AmountRule.lineAmount(e, expenseCurrency: ec, reportCurrency: rc, record: record)
            money = amount
            issues += amountIssues
            if let amount { line.amount = amount.amountText }
        }
        if createdDay == nil {
            issues.append(
                RecordIssue(
                    record: record, field: e.modifiedCreated.isEmpty ? "created" : "modifiedCreated",
                    reason: "'\(created)' is not a yyyy-MM-dd date"))
        }

        var segments = Array(repeating: "", count: config.dimensions.format.count)
        if posts {
            let edit = edits.isEmpty ? nil : edits[Self.editKey(reportID: r.reportID, transactionID: e.transactionID)]
            if let account = edit?.mainAccount {
                line.mainAccount = account
                issues += editedAccountIssues(account, record: record, facts: facts)
            } else {
                let (account, accountIssues) = accountRule.account(
                    for: e, record: record, policyID: r.policyID, company: facts.company, date: facts.date)
                line.mainAccount = account
                issues += accountIssues
            }
            if let edited = edit?.segments, edited.count == segments.count {
                segments = edited
                for (dimension, value) in zip(config.dimensions.format, edited) where !value.isEmpty {
                    if let why = dimensionRule.problem(dimension: dimension, value: value, company: facts.company, date: facts.date) {
                        issues.append(
                            RecordIssue(record: record, field: "dimensions", reason: "\(dimension) value '\(value)' (set in review) \(why)"))
                    }
                }
            } else {
                let (values, tagIssues) = dimensionRule.segments(
                    for: e, record: record, policyID: r.policyID, company: facts.company, date: facts.date)
                segments = values
                issues += tagIssues
            }
            line.dimensions = formatter.text(segments)
        }
        if !posts {
            line.status = CompanyCardRule.notPosted
        } else if !issues.isEmpty {
            line.status = "held: " + issues.map { "\($0.field) \($0.reason)" }.joined(separator: "; ")
        }
        return MappedExpense(line: line, money: money, card: !e.reimbursable, posts: posts, segments: segments, issues: issues)
    }

    /// A main account set in review, checked like a mapped one (it must exist and be active on the document date).
    func editedAccountIssues(_ account: String, record: String, facts: ReportFacts) -> [RecordIssue] {
        if account.isEmpty { return [RecordIssue(record: record, field: "main_account", reason: "is empty (set in review)")] }
        switch accountRule.check(account: account, company: facts.company, date: facts.date) {
        case .usable: return []
        case .missing(let place):
            return [RecordIssue(record: record, field: "main_account", reason: "main account \(account) (set in review) does not exist in \(place)")]
        case .unusable(let why):
            return [RecordIssue(record: record, field: "main_account", reason: "main account \(account) (set in review) \(why)")]
        }
    }

    // MARK: Report rules

    /// The employee's vendor (when reimbursable lines post) and the card issuer's (when card lines post).
    func vendors(for expenses: [MappedExpense], facts: ReportFacts, issues: inout [RecordIssue]) -> (employee: String, card: String) {
        guard !facts.company.isEmpty, reference.vendorsRequired ?? true else { return ("", "") }
        var employee = ""
        var card = ""
        if expenses.contains(where: { $0.posts && !$0.card }) {
            switch vendorRule.employeeVendor(email: facts.employee, company: facts.company) {
            case .vendor(let v): employee = v
            case .problem(let reason): issues.append(RecordIssue(record: facts.reportID, field: "accountEmail", reason: reason))
            }
        }
        if expenses.contains(where: { $0.posts && $0.card }) {
            let (vendor, issue) = cardRule.issuerVendor(company: facts.company, record: facts.reportID)
            card = vendor
            if let issue { issues.append(issue) }
        }
        return (employee, card)
    }

    /// The documents: one for the employee's lines, one more for card lines posted separately; the stable key
    /// derives from the report ID; the header carries the dimensions common to all its lines.
    func assemble(
        _ r: ExpenseReport, expenses: inout [MappedExpense], currency rc: Currency, facts: ReportFacts,
        employeeVendor: String, cardVendor: String, issues: inout [RecordIssue]
    ) -> [InvoiceDocument] {
        var documents: [InvoiceDocument] = []
        for kind in [DocumentKind.employee, .companyCard] {
            let members = expenses.indices.filter { expenses[$0].card == (kind == .companyCard) && (kind == .employee || cardRule.separate) }
            guard !members.isEmpty else { continue }
            let key = config.keyPrefix + r.reportID + (kind == .companyCard ? "-CC" : "")
            var total = Money.zero(rc)
            for m in members { if let mm = expenses[m].money { total = total + mm } }
            if total.minorUnits <= 0 && !members.contains(where: { expenses[$0].money == nil }) {
                issues.append(
                    RecordIssue(
                        record: r.reportID, field: "total",
                        reason:
                            "the \(kind == .employee ? "reimbursable" : "company card") total is \(total.amountText) \(rc.code); a zero or negative invoice (credit note) is not posted automatically"
                    ))
            }
            let vendor = kind == .employee ? employeeVendor : cardVendor
            var lines: [InvoiceLine] = []
            for (n, m) in members.enumerated() {
                let l = expenses[m].line
                let desc = Self.clip([l.merchant, l.category].filter { !$0.isEmpty }.joined(separator: " - "), 60)
                lines.append(
                    InvoiceLine(
                        lineNumber: n + 1, transactionID: l.transactionID, description: desc, amount: l.amount,
                        mainAccount: l.mainAccount, dimensionDisplayValue: l.dimensions, category: l.category,
                        merchant: l.merchant, expenseDate: l.expenseDate, dimensions: dimensionMap(expenses[m].segments)))
                expenses[m].line.invoiceNumber = key
                expenses[m].line.document = kind == .employee ? "employee" : "company card"
                expenses[m].line.vendor = vendor
                expenses[m].line.line = String(n + 1)
            }
            let common = (0..<config.dimensions.format.count).map { idx -> String in
                let values = Set(members.map { expenses[$0].segments[idx] })
                return values.count == 1 ? (values.first ?? "") : ""
            }
            let name = r.reportName.isEmpty ? "" : ": " + r.reportName
            documents.append(
                InvoiceDocument(
                    key: key, kind: kind, reportID: r.reportID, reportName: r.reportName, policyID: r.policyID, company: facts.company,
                    vendorAccount: vendor, employeeEmail: facts.employee, currency: rc.code, invoiceDate: facts.date, postingDate: facts.date,
                    description: Self.clip("Expensify \(r.reportID)\(kind == .companyCard ? " card" : "")\(name)", 60),
                    dimensionDisplayValue: formatter.text(common), total: total.amountText, lines: lines,
                    dimensions: dimensionMap(common)))
        }
        return documents
    }

    // MARK: Helpers

    /// Dimension → value for the values set (`dimensions.format` order gives the names); nil when none is set.
    func dimensionMap(_ segments: [String]) -> [String: String]? {
        var map: [String: String] = [:]
        for (name, value) in zip(config.dimensions.format, segments) where !value.isEmpty { map[name] = value }
        return map.isEmpty ? nil : map
    }

    /// `yyyy-MM-dd` from `yyyy-MM-dd` or `yyyy-MM-dd HH:mm:ss`; nil when not a real date.
    public static func day(_ s: String) -> String? {
        var t = s.trimmedWhitespace
        // `yyyy-MM-dd` in ASCII, then a character boundary: decided on the bytes (what the general path below decides too).
        let fast: String?? = t.withUTF8 { b in
            guard b.count >= 10, b.count == 10 || b[10] < 0x80, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-") else { return nil }
            var parts = [0, 0, 0]
            for (part, range) in [(0, 0..<4), (1, 5..<7), (2, 8..<10)] {
                for i in range {
                    guard b[i] >= UInt8(ascii: "0"), b[i] <= UInt8(ascii: "9") else { return nil }
                    parts[part] = parts[part] * 10 + Int(b[i] - UInt8(ascii: "0"))
                }
            }
            guard parts[0] > 1900, (1...12).contains(parts[1]), (1...31).contains(parts[2]) else { return .some(nil) }
            return .some(String(decoding: UnsafeBufferPointer(rebasing: b[0..<10]), as: UTF8.self))
        }
        if let fast { return fast }
        let d = String(t.prefix(10))
        return ConnectorConfig.isDate(d) ? d : nil
    }

    static func clip(_ s: String, _ n: Int) -> String {
        // Without CR or LF and with at most n bytes (so at most n characters), the text stays as it is.
        if s.utf8.count <= n && !s.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A }) { return s }
        let flat = s.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
        return flat.count <= n ? flat : String(flat.prefix(n - 1)) + "…"
    }
}
