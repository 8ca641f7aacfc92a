import Foundation

/// One expense as finance reviews it in `invoice-lines.csv`, whether it is posted or not.
public struct ReviewLine: Sendable, Hashable {
    public var company: String
    public var currency: String
    public var reportID: String
    public var invoiceNumber: String
    public var document: String
    public var vendor: String
    public var employee: String
    public var line: String
    public var transactionID: String
    public var expenseDate: String
    public var merchant: String
    public var category: String
    public var glCode: String
    public var mainAccount: String
    public var dimensions: String
    public var amount: String
    public var originalAmount: String
    public var originalCurrency: String
    public var reimbursable: Bool
    public var status: String
}

/// What transform decided for one report.
public struct ReportOutcome: Sendable {
    public enum Status: String, Sendable { case ready, held, empty }

    public var reportID: String
    public var status: Status
    public var documents: [InvoiceDocument]
    public var lines: [ReviewLine]
    public var issues: [RecordIssue]
    /// Summary for `reports.csv` and the ledger.
    public var company: String
    public var employee: String
    public var policyID: String
    public var approved: String
    public var currency: String
    public var expensifyTotal: String
    public var reason: String
}

/// Turns one exported report into target documents, or holds it with issues that name record and field.
///
/// Pure: no I/O. Every rule a finance team would check is here, in order: company by policy, currency,
/// amounts (exact, with the currency's exponent), category → main account, tags → dimensions, vendor,
/// company-card split. A report with any problem in what it would post is held whole, never half-posted.
public struct ReportMapper: Sendable {
    public let config: ConnectorConfig
    public let catalog: PolicyCatalog
    public let reference: ReferenceData

    public init(config: ConnectorConfig, catalog: PolicyCatalog, reference: ReferenceData) {
        self.config = config
        self.catalog = catalog
        self.reference = reference
    }

    static let cardNotPosted = "company card, not posted"

    public func map(_ r: ExportedReport, decodeIssues: [RecordIssue] = []) -> ReportOutcome {
        var issues = decodeIssues
        let rid = r.reportID
        let employee = r.accountEmail.trimmingCharacters(in: .whitespaces)

        // Company by policy.
        let company = config.companies[r.policyID]?.lowercased() ?? ""
        if r.policyID.isEmpty {
            issues.append(RecordIssue(record: rid, field: "policyID", reason: "is missing"))
        } else if company.isEmpty {
            let name = r.policyName.isEmpty ? "" : " (\(r.policyName))"
            issues.append(RecordIssue(record: rid, field: "policyID", reason: "policy \(r.policyID)\(name) is not mapped to a company in the configuration"))
        } else if !reference.companies.isEmpty && reference.company(company) == nil {
            issues.append(RecordIssue(record: rid, field: "policyID", reason: "policy \(r.policyID) maps to company '\(company)', which the target does not have"))
        }

        // Currency of the report (= the invoice currency).
        let currency = Currency(code: r.currency)
        if r.currency.trimmingCharacters(in: .whitespaces).isEmpty {
            issues.append(RecordIssue(record: rid, field: "currency", reason: "report currency is missing"))
        } else if currency == nil {
            issues.append(RecordIssue(record: rid, field: "currency", reason: "'\(r.currency)' is not an ISO 4217 currency code"))
        }

        // Document date.
        let approvedDay = Self.day(r.approved)
        let submittedDay = Self.day(r.submitted)
        var docDate: String?
        switch config.invoiceDateFrom {
        case "submitted": docDate = submittedDay
        case "lastExpense": docDate = r.expenses.compactMap { Self.day($0.modifiedCreated) ?? Self.day($0.created) }.max() ?? approvedDay
        default: docDate = approvedDay
        }
        if docDate == nil {
            issues.append(RecordIssue(record: rid, field: config.invoiceDateFrom == "submitted" ? "submitted" : "approved",
                                      reason: "'\(config.invoiceDateFrom == "submitted" ? r.submitted : r.approved)' is not a date"))
        }
        let date = docDate ?? ""

        // Lines.
        struct Pending { var line: ReviewLine; var money: Money?; var card: Bool; var segments: [String] }
        var pending: [Pending] = []
        var employeeLines = 0, cardLines = 0
        let exportTotal: String = {
            guard let t = r.total, let c = currency else { return "" }
            return Money.fromExpensifyHundredths(t, currency: c).money.amountText
        }()
        let policy = catalog.policies[r.policyID]

        for (i, e) in r.expenses.enumerated() {
            let rec = "\(rid)/" + (e.transactionID.isEmpty ? "expense[\(i)]" : e.transactionID)
            let card = !e.reimbursable
            let posts = !card || config.cardsSeparate
            let merchant = e.modifiedMerchant.isEmpty ? e.merchant : e.modifiedMerchant
            let created = e.modifiedCreated.isEmpty ? e.created : e.modifiedCreated
            var line = ReviewLine(company: company, currency: currency?.code ?? r.currency, reportID: rid, invoiceNumber: "", document: "",
                                  vendor: "", employee: employee, line: "", transactionID: e.transactionID,
                                  expenseDate: Self.day(created) ?? created, merchant: merchant, category: e.category,
                                  glCode: e.categoryGlCode, mainAccount: "", dimensions: "", amount: "",
                                  originalAmount: "", originalCurrency: e.currency, reimbursable: e.reimbursable, status: "")
            let expenseCurrency = Currency(code: e.currency)
            if let oc = expenseCurrency, let a = e.modifiedAmount ?? e.amount {
                line.originalAmount = Money.fromExpensifyHundredths(a, currency: oc).money.amountText
            }
            var lineIssues: [RecordIssue] = []

            // Amount in the report currency.
            var money: Money?
            if e.currency.trimmingCharacters(in: .whitespaces).isEmpty {
                lineIssues.append(RecordIssue(record: rec, field: "currency", reason: "expense currency is missing"))
            } else if expenseCurrency == nil {
                lineIssues.append(RecordIssue(record: rec, field: "currency", reason: "'\(e.currency)' is not an ISO 4217 currency code"))
            }
            if let rc = currency, let ec = expenseCurrency {
                let hundredths: Int64?
                if let c = e.convertedAmount {
                    hundredths = c
                } else if ec == rc {
                    hundredths = (e.modifiedAmount.map { $0 != 0 } ?? false) ? e.modifiedAmount : e.amount
                } else {
                    hundredths = nil
                    lineIssues.append(RecordIssue(record: rec, field: "convertedAmount",
                                                  reason: "is missing for an expense in \(ec.code) on a \(rc.code) report"))
                }
                if let h = hundredths {
                    if h == 0 {
                        lineIssues.append(RecordIssue(record: rec, field: "amount", reason: "is zero"))
                    } else {
                        money = Money.fromExpensifyHundredths(h, currency: rc).money
                        line.amount = money!.amountText
                    }
                } else if e.convertedAmount == nil && ec == rc {
                    lineIssues.append(RecordIssue(record: rec, field: "amount", reason: "is missing"))
                }
            }
            if Self.day(created) == nil {
                lineIssues.append(RecordIssue(record: rec, field: e.modifiedCreated.isEmpty ? "created" : "modifiedCreated", reason: "'\(created)' is not a yyyy-MM-dd date"))
            }

            var segments = Array(repeating: "", count: config.dimensions.format.count)
            if posts {
                // Category → main account.
                if e.category.isEmpty {
                    lineIssues.append(RecordIssue(record: rec, field: "category", reason: "is missing"))
                } else if let p = policy, !p.categories.isEmpty, p.categories[e.category] == nil {
                    lineIssues.append(RecordIssue(record: rec, field: "category", reason: "'\(e.category)' is not a category of policy \(r.policyID)"))
                } else if e.categoryGlCode.isEmpty {
                    lineIssues.append(RecordIssue(record: rec, field: "categoryGlCode", reason: "category '\(e.category)' has no GL code"))
                } else if let acct = config.mainAccount(glCode: e.categoryGlCode, company: company) {
                    line.mainAccount = acct
                    if !reference.mainAccounts.isEmpty {
                        if let ma = reference.mainAccounts.first(where: { $0.id == acct }) {
                            if let why = inactivityReason(suspended: ma.isSuspended, blocked: ma.doNotAllowManualEntry,
                                                          activeFrom: ma.activeFrom, activeTo: ma.activeTo, on: date) {
                                lineIssues.append(RecordIssue(record: rec, field: "categoryGlCode", reason: "main account \(acct) (GL code \(e.categoryGlCode), category '\(e.category)') \(why)"))
                            }
                        } else {
                            lineIssues.append(RecordIssue(record: rec, field: "categoryGlCode", reason: "main account \(acct) (GL code \(e.categoryGlCode)) does not exist in the target"))
                        }
                    }
                } else {
                    lineIssues.append(RecordIssue(record: rec, field: "categoryGlCode", reason: "GL code '\(e.categoryGlCode)' (category '\(e.category)') is not mapped to a main account"))
                }

                // Tags → dimensions.
                let (segs, tagIssues) = dimensionSegments(e, record: rec, policyID: r.policyID, company: company, date: date)
                segments = segs
                lineIssues += tagIssues
                line.dimensions = DimensionDisplayValue.build(segments, delimiter: config.dimensions.delimiter)
            }

            if !posts {
                line.status = Self.cardNotPosted
            } else if !lineIssues.isEmpty {
                line.status = "held: " + lineIssues.map { "\($0.field) \($0.reason)" }.joined(separator: "; ")
            }
            if posts { issues += lineIssues }
            if posts { if card { cardLines += 1 } else { employeeLines += 1 } }
            pending.append(Pending(line: line, money: money, card: card, segments: segments))
        }

        // Vendors.
        var employeeVendor = ""
        if employeeLines > 0 && !company.isEmpty {
            switch resolveEmployeeVendor(email: employee, company: company) {
            case .success(let v): employeeVendor = v
            case .failure(let reason): issues.append(RecordIssue(record: rid, field: "accountEmail", reason: reason))
            }
        }
        var cardVendor = ""
        if cardLines > 0 && !company.isEmpty {
            let account = config.companyCards.issuerVendors?[company] ?? ""
            if account.isEmpty {
                issues.append(RecordIssue(record: rid, field: "reimbursable", reason: "company '\(company)' has no card issuer vendor configured"))
            } else if let why = vendorProblem(account: account, company: company) {
                issues.append(RecordIssue(record: rid, field: "reimbursable", reason: "card issuer vendor \(why)"))
            } else {
                cardVendor = account
            }
        }

        // Documents.
        var documents: [InvoiceDocument] = []
        if let rc = currency {
            for kind in [DocumentKind.employee, .companyCard] {
                let members = pending.enumerated().filter { $0.element.card == (kind == .companyCard) && (kind == .employee || config.cardsSeparate) }
                guard !members.isEmpty else { continue }
                let key = config.keyPrefix + rid + (kind == .companyCard ? "-CC" : "")
                var total = Money.zero(rc)
                for m in members { if let mm = m.element.money { total = total + mm } }
                if total.minorUnits <= 0 && !members.contains(where: { $0.element.money == nil }) {
                    issues.append(RecordIssue(record: rid, field: "total",
                                              reason: "the \(kind == .employee ? "reimbursable" : "company card") total is \(total.amountText) \(rc.code); a zero or negative invoice (credit note) is not posted automatically"))
                }
                var docLines: [InvoiceLine] = []
                for (n, m) in members.enumerated() {
                    let p = m.element
                    let desc = Self.clip([p.line.merchant, p.line.category].filter { !$0.isEmpty }.joined(separator: " - "), 60)
                    docLines.append(InvoiceLine(lineNumber: n + 1, transactionID: p.line.transactionID, description: desc,
                                                amount: p.line.amount, mainAccount: p.line.mainAccount,
                                                dimensionDisplayValue: p.line.dimensions, category: p.line.category,
                                                merchant: p.line.merchant, expenseDate: p.line.expenseDate))
                    pending[m.offset].line.invoiceNumber = key
                    pending[m.offset].line.document = kind == .employee ? "employee" : "company card"
                    pending[m.offset].line.vendor = kind == .employee ? employeeVendor : cardVendor
                    pending[m.offset].line.line = String(n + 1)
                }
                let common = (0..<config.dimensions.format.count).map { idx -> String in
                    let values = Set(members.map { $0.element.segments[idx] })
                    return values.count == 1 ? (values.first ?? "") : ""
                }
                let name = r.reportName.isEmpty ? "" : ": " + r.reportName
                documents.append(InvoiceDocument(
                    key: key, kind: kind, reportID: rid, reportName: r.reportName, policyID: r.policyID, company: company,
                    vendorAccount: kind == .employee ? employeeVendor : cardVendor, employeeEmail: employee,
                    currency: rc.code, invoiceDate: date, postingDate: date,
                    description: Self.clip("Expensify \(rid)\(kind == .companyCard ? " card" : "")\(name)", 60),
                    dimensionDisplayValue: DimensionDisplayValue.build(common, delimiter: config.dimensions.delimiter),
                    total: total.amountText, lines: docLines))
            }
        }

        let status: ReportOutcome.Status
        if !issues.isEmpty {
            status = .held
            documents = []
            for i in pending.indices where pending[i].line.status.isEmpty { pending[i].line.status = "held (report has exceptions)" }
        } else if documents.isEmpty {
            status = .empty
        } else {
            status = .ready
            for i in pending.indices where pending[i].line.status.isEmpty { pending[i].line.status = "to post" }
        }
        let reason = issues.first.map { "\($0.field): \($0.reason)" + (issues.count > 1 ? " (+\(issues.count - 1) more)" : "") }
            ?? (status == .empty ? (r.expenses.isEmpty ? "no expenses" : "only company card expenses, not posted") : "")
        return ReportOutcome(reportID: rid, status: status, documents: documents, lines: pending.map(\.line), issues: issues,
                             company: company, employee: employee, policyID: r.policyID, approved: approvedDay ?? "",
                             currency: currency?.code ?? r.currency, expensifyTotal: exportTotal, reason: reason)
    }

    // MARK: Vendors

    enum VendorResult { case success(String), failure(String) }

    func resolveEmployeeVendor(email: String, company: String) -> VendorResult {
        let key = email.lowercased()
        if let override = config.vendors.byEmail?.first(where: { $0.key.lowercased() == key })?.value {
            if let why = vendorProblem(account: override, company: company) { return .failure("configured vendor for \(email): \(why)") }
            return .success(override)
        }
        guard let companyRef = reference.company(company) else {
            return .failure("company '\(company)' has no vendor data; run extract again")
        }
        if email.isEmpty { return .failure("submitter e-mail is missing") }
        let group = config.vendors.employeeVendorGroup
        let candidates = companyRef.vendors.filter {
            $0.email.trimmingCharacters(in: .whitespaces).lowercased() == key && (group == nil || $0.group == group)
        }
        if candidates.count > 1 {
            return .failure("\(candidates.count) vendors in company \(company)\(group.map { " group \($0)" } ?? "") have e-mail \(email): \(candidates.map(\.account).sorted().joined(separator: ", "))")
        }
        if let v = candidates.first {
            if v.blocksInvoices { return .failure("vendor \(v.account) of \(email) is on hold for invoices (OnHoldStatus \(v.onHold))") }
            return .success(v.account)
        }
        if let fallback = config.vendors.defaultVendor?[company], !fallback.isEmpty {
            if let why = vendorProblem(account: fallback, company: company) { return .failure("default vendor: \(why)") }
            return .success(fallback)
        }
        return .failure("no vendor\(group.map { " in group \($0)" } ?? "") of company \(company) has e-mail \(email)")
    }

    /// Why a configured vendor account cannot take invoices, or nil.
    func vendorProblem(account: String, company: String) -> String? {
        guard let companyRef = reference.company(company) else { return nil }
        guard let v = companyRef.vendors.first(where: { $0.account == account }) else {
            return "\(account) does not exist in company \(company)"
        }
        if v.blocksInvoices { return "\(account) is on hold for invoices (OnHoldStatus \(v.onHold))" }
        return nil
    }

    // MARK: Dimensions

    func dimensionSegments(_ e: ExportedExpense, record: String, policyID: String, company: String, date: String) -> ([String], [RecordIssue]) {
        let dims = config.dimensions
        var segments = Array(repeating: "", count: dims.format.count)
        var issues: [RecordIssue] = []
        let names = e.tagLevels.isEmpty ? e.tag.split(separator: ":", omittingEmptySubsequences: false).map(String.init) : e.tagLevels.map(\.name)
        let fullTag = e.tag.isEmpty ? names.joined(separator: ":") : e.tag
        if !fullTag.isEmpty, let p = catalog.policies[policyID], p.hasTagList {
            let known = p.tags.contains(fullTag) || names.allSatisfy { p.tags.contains($0) }
            if !known {
                issues.append(RecordIssue(record: record, field: "tag", reason: "'\(fullTag)' is not a tag of policy \(policyID)"))
                return (segments, issues)
            }
        }
        let companyRef = reference.company(company)
        for level in dims.tagLevels {
            let idx = level.level - 1
            let name = idx < names.count ? names[idx].trimmingCharacters(in: .whitespaces) : ""
            if name.isEmpty {
                if level.required ?? false { issues.append(RecordIssue(record: record, field: "tag", reason: "level \(level.level) (\(level.dimension)) is required")) }
                continue
            }
            var value: String
            if let mapped = level.values?[name] ?? level.values?[names.prefix(level.level).joined(separator: ":")] {
                value = mapped
            } else if (level.valueFrom ?? "glCode") == "name" {
                value = name
            } else {
                value = idx < e.tagLevels.count ? e.tagLevels[idx].glCode : (names.count == 1 && idx == 0 ? e.tagGlCode : "")
                if value.isEmpty {
                    issues.append(RecordIssue(record: record, field: "tag", reason: "tag level \(level.level) '\(name)' has no GL code, so no \(level.dimension) value"))
                    continue
                }
            }
            value = value.trimmingCharacters(in: .whitespaces)
            if let pos = dims.format.firstIndex(of: level.dimension) { segments[pos] = value }
            if let companyRef, !companyRef.dimensionValues.isEmpty {
                if let dv = companyRef.dimensionValues.first(where: { $0.dimension == level.dimension && $0.value == value }) {
                    if let why = inactivityReason(suspended: dv.isSuspended, blocked: dv.isBlocked, activeFrom: dv.activeFrom, activeTo: dv.activeTo, on: date) {
                        issues.append(RecordIssue(record: record, field: "tag", reason: "\(level.dimension) value '\(value)' (tag '\(fullTag)') \(why)"))
                    }
                } else {
                    issues.append(RecordIssue(record: record, field: "tag", reason: "\(level.dimension) value '\(value)' (tag '\(fullTag)') does not exist in company \(company)"))
                }
            }
        }
        return (segments, issues)
    }

    // MARK: Helpers

    /// `yyyy-MM-dd` from `yyyy-MM-dd` or `yyyy-MM-dd HH:mm:ss`; nil when not a real date.
    public static func day(_ s: String) -> String? {
        let d = String(s.trimmingCharacters(in: .whitespaces).prefix(10))
        return ConnectorConfig.isDate(d) ? d : nil
    }

    static func clip(_ s: String, _ n: Int) -> String {
        let flat = s.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
        return flat.count <= n ? flat : String(flat.prefix(n - 1)) + "…"
    }
}

/// Builds D365 dimension display values: segments in integration-format order, blanks positional,
/// the delimiter inside a value escaped with a backslash (reference §5.3).
public enum DimensionDisplayValue {
    public static func build(_ segments: [String], delimiter: String) -> String {
        if segments.allSatisfy(\.isEmpty) { return "" }
        return segments.map { $0.replacingOccurrences(of: delimiter, with: "\\" + delimiter) }.joined(separator: delimiter)
    }
}
