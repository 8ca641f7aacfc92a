import Dynamics365
import Foundation
import XCTest

@testable import ConnectorCore

/// Each mapping rule on its own, with the fixtures of `ReportMapperTests` (the whole mapping is tested there).
final class MappingRuleTests: XCTestCase {
    typealias F = ReportMapperTests
    let reference = ReportMapperTests.reference

    func testCompanyRuleMapsPolicyAndNamesWhatIsMissing() throws {
        let rule = CompanyRule(companies: ["P1": "USMF", "PX": "nowhere"], reference: reference)
        XCTAssertEqual(rule.company(of: F.report("1", [])).company, "usmf", "lower-cased dataAreaId")
        XCTAssertNil(rule.company(of: F.report("1", [])).issue)
        var noPolicy = F.report("2", policy: "", [])
        noPolicy.policyName = ""
        XCTAssertEqual(rule.company(of: noPolicy).issue, RecordIssue(record: "2", field: "policyID", reason: "is missing"))
        var unmapped = F.report("3", policy: "P9", [])
        unmapped.policyName = "Sales EU"
        XCTAssertEqual(rule.company(of: unmapped).issue?.reason, "policy P9 (Sales EU) is not mapped to a company in the configuration")
        XCTAssertEqual(
            rule.company(of: F.report("4", policy: "PX", [])).issue?.reason,
            "policy PX maps to company 'nowhere', which the target does not have")
    }

    func testCurrencyRuleRequiresISOCodes() {
        XCTAssertEqual(CurrencyRule.reportCurrency(F.report("1", currency: "JPY", [])).currency?.exponent, 0)
        XCTAssertEqual(CurrencyRule.reportCurrency(F.report("1", currency: " ", [])).issue?.reason, "report currency is missing")
        XCTAssertEqual(CurrencyRule.reportCurrency(F.report("1", currency: "US$", [])).issue?.reason, "'US$' is not an ISO 4217 currency code")
        XCTAssertEqual(
            CurrencyRule.expenseCurrency(F.expense("a", 1, currency: ""), record: "1/a").issue,
            RecordIssue(record: "1/a", field: "currency", reason: "expense currency is missing"))
    }

    func testDocumentDateRuleFollowsTheConfiguredSource() {
        var r = F.report("1", [F.expense("a", 1)])
        r.expenses[0].created = "2026-11-07"
        XCTAssertEqual(DocumentDateRule(dateFrom: "approved").date(of: r).date, "2026-11-03")
        XCTAssertEqual(DocumentDateRule(dateFrom: "submitted").date(of: r).date, "2026-11-02")
        XCTAssertEqual(DocumentDateRule(dateFrom: "lastExpense").date(of: r).date, "2026-11-07")
        r.approved = "soon"
        XCTAssertEqual(
            DocumentDateRule(dateFrom: "approved").date(of: r).issue,
            RecordIssue(record: "1", field: "approved", reason: "'soon' is not a date"))
    }

    func testAmountRulePrefersConvertedThenModifiedThenAmount() throws {
        let usd = try XCTUnwrap(Currency(code: "USD"))
        let eur = try XCTUnwrap(Currency(code: "EUR"))
        var e = F.expense("a", 10000, currency: "EUR", converted: 10873)
        XCTAssertEqual(AmountRule.lineAmount(e, expenseCurrency: eur, reportCurrency: usd, record: "r").money?.amountText, "108.73")
        e = F.expense("b", 10000)
        e.modifiedAmount = 9950
        XCTAssertEqual(AmountRule.lineAmount(e, expenseCurrency: usd, reportCurrency: usd, record: "r").money?.amountText, "99.50")
        e.modifiedAmount = 0
        XCTAssertEqual(
            AmountRule.lineAmount(e, expenseCurrency: usd, reportCurrency: usd, record: "r").money?.amountText, "100.00",
            "a modified amount of 0 means not modified")
        XCTAssertEqual(
            AmountRule.lineAmount(F.expense("c", 0), expenseCurrency: usd, reportCurrency: usd, record: "r/c").issues,
            [RecordIssue(record: "r/c", field: "amount", reason: "is zero")])
        XCTAssertEqual(
            AmountRule.lineAmount(F.expense("d", -1250), expenseCurrency: usd, reportCurrency: usd, record: "r").money?.amountText,
            "-12.50", "refunds stay negative")
        XCTAssertEqual(
            AmountRule.lineAmount(F.expense("e", 500, currency: "EUR"), expenseCurrency: eur, reportCurrency: usd, record: "r/e")
                .issues.first?.field, "convertedAmount")
        XCTAssertEqual(AmountRule.originalAmount(F.expense("f", 150000, currency: "JPY"), expenseCurrency: Currency(code: "JPY")), "1500")
    }

    func testMainAccountRuleChecksMapAndMasterData() throws {
        let rule = MainAccountRule(
            config: try F.config { $0.accountOverrides = ["jpmf": ["6010": "600120"]] },
            catalog: PolicyCatalog(), reference: reference)
        XCTAssertEqual(rule.account(for: F.expense("a", 1), record: "r", policyID: "P1", company: "usmf", date: "2026-11-03").account, "600100")
        let overridden = rule.account(for: F.expense("a", 1), record: "r", policyID: "PJ", company: "jpmf", date: "2026-11-03")
        XCTAssertEqual(overridden.account, "600120", "per-company override")
        XCTAssertTrue(overridden.issues.first?.reason.contains("2026-01-31") ?? false, "\(overridden.issues)")
        XCTAssertEqual(
            rule.account(for: F.expense("a", 1, gl: "7777"), record: "r", policyID: "P1", company: "usmf", date: "2026-11-03").issues.first?.reason,
            "GL code '7777' (category 'Cat') is not mapped to a main account")
        var noCategory = F.expense("a", 1)
        noCategory.category = ""
        XCTAssertEqual(
            rule.account(for: noCategory, record: "r", policyID: "P1", company: "usmf", date: "2026-11-03").issues.first?.field, "category")
    }

    func testDimensionRuleBuildsPositionalSegmentsAndChecksValues() throws {
        let rule = DimensionRule(dimensions: try F.config().dimensions, catalog: PolicyCatalog(), reference: reference)
        let ok = rule.segments(for: F.expense("a", 1), record: "r", policyID: "P1", company: "usmf", date: "2026-11-03")
        XCTAssertEqual(ok.segments, ["010", "PL-01", ""])
        XCTAssertEqual(D365DimensionDisplayValue(delimiter: "-").text(ok.segments), "010-PL\\-01-")
        let suspended = rule.segments(
            for: F.expense("a", 1, tag: [("Sales", "010"), ("Old", "OLD")]), record: "r", policyID: "P1",
            company: "usmf", date: "2026-11-03")
        XCTAssertTrue(suspended.issues.first?.reason.contains("CostCenter value 'OLD'") ?? false, "\(suspended.issues)")
        let unknown = rule.segments(for: F.expense("a", 1, tag: [("Ops", "099")]), record: "r", policyID: "P1", company: "usmf", date: "2026-11-03")
        XCTAssertEqual(unknown.issues.first?.reason, "Department value '099' (tag 'Ops') does not exist in company usmf")
        let noCode = rule.segments(for: F.expense("a", 1, tag: [("Sales", "")]), record: "r", policyID: "P1", company: "usmf", date: "2026-11-03")
        XCTAssertEqual(noCode.issues.first?.reason, "tag level 1 'Sales' has no GL code, so no Department value")
    }

    func testVendorRuleMatchesOneVendorByEmail() throws {
        let rule = VendorRule(vendors: try F.config().vendors, reference: reference)
        XCTAssertEqual(rule.employeeVendor(email: "ANN@x.example", company: "usmf"), .vendor("EMP-1"))
        XCTAssertEqual(rule.employeeVendor(email: "ivan@x.example", company: "usmf"), .vendor("V-IVAN"), "configured override")
        XCTAssertEqual(
            rule.employeeVendor(email: "bo@x.example", company: "usmf"),
            .problem("vendor EMP-2 of bo@x.example is on hold for invoices (OnHoldStatus Invoice)"))
        XCTAssertEqual(rule.employeeVendor(email: "", company: "usmf"), .problem("submitter e-mail is missing"))
        XCTAssertEqual(rule.problem(account: "NOPE", company: "usmf"), "NOPE does not exist in company usmf")
    }

    func testCompanyCardRuleRoutesCardSpendAwayFromTheEmployee() throws {
        let vendors = VendorRule(vendors: try F.config().vendors, reference: reference)
        let omit = CompanyCardRule(cards: try F.config().companyCards, vendorRule: vendors)
        XCTAssertFalse(omit.posts(F.expense("a", 1, reimbursable: false)))
        XCTAssertTrue(omit.posts(F.expense("a", 1)))
        let separate = CompanyCardRule(cards: .init(mode: "separateInvoice", issuerVendors: ["usmf": "AMEX"]), vendorRule: vendors)
        XCTAssertTrue(separate.posts(F.expense("a", 1, reimbursable: false)))
        XCTAssertEqual(separate.issuerVendor(company: "usmf", record: "r").vendor, "AMEX")
        XCTAssertEqual(separate.issuerVendor(company: "jpmf", record: "r").issue?.reason, "company 'jpmf' has no card issuer vendor configured")
    }
}

extension MappingRuleTests {
    func testReportStateRulePostsApprovedReportsOnly() throws {
        let rule = ReportStateRule(states: ["APPROVED", "REIMBURSED"])
        var r = F.report("9", [])
        XCTAssertNil(rule.issue(for: r))
        r.status = "Reimbursed"
        XCTAssertNil(rule.issue(for: r))
        r.status = "Processing"
        XCTAssertEqual(rule.issue(for: r)?.reason, "report is 'Processing' (SUBMITTED); only APPROVED, REIMBURSED reports are posted")
        r.status = ""
        XCTAssertEqual(rule.issue(for: r)?.field, "status")
        XCTAssertEqual(ReportStateRule(states: ["APPROVED", "OPEN"]).allowed, ["APPROVED"], "unpostable states are never allowed")
        let mapper = ReportMapper(
            config: try F.config(), catalog: PolicyCatalog(), reference: reference,
            dimensionFormatter: D365DimensionDisplayValue(delimiter: "-"))
        r.status = "Processing"
        r.expenses = [F.expense("a", 100)]
        let held = mapper.map(r)
        XCTAssertEqual(held.status, .held)
        XCTAssertTrue(held.documents.isEmpty)
    }
}

extension MappingRuleTests {
    func testTotalRuleHoldsAReportWhoseLinesDoNotAddUpToItsExpensifyTotal() throws {
        let usd = try XCTUnwrap(Currency(code: "USD"))
        func m(_ minor: Int64) -> Money { Money(minorUnits: minor, currency: usd) }
        let lines: [(money: Money?, reimbursable: Bool)] = [(m(45230), true), (m(20484), true), (m(5000), false)]
        XCTAssertNil(TotalRule.issue(reportID: "1", total: 70714, currency: usd, lines: lines), "all expenses")
        XCTAssertNil(TotalRule.issue(reportID: "1", total: 65714, currency: usd, lines: lines), "reimbursable only")
        XCTAssertNil(TotalRule.issue(reportID: "1", total: nil, currency: usd, lines: lines), "nothing to compare")
        let edited = TotalRule.issue(reportID: "1", total: 65714, currency: usd, lines: [(m(945230), true), (m(20484), true)])
        XCTAssertEqual(edited?.field, "total")
        XCTAssertEqual(
            edited?.reason, "Expensify's report total 657.14 USD differs from the sum of its expenses 9657.14; not posted until they reconcile")

        var r = F.report("5", [F.expense("a", 45230), F.expense("b", 20484)])
        r.total = 65714
        let mapper = ReportMapper(
            config: try F.config(), catalog: PolicyCatalog(), reference: reference,
            dimensionFormatter: D365DimensionDisplayValue(delimiter: "-"))
        XCTAssertEqual(mapper.map(r).status, .ready)
        r.expenses[0].amount = 945230
        let held = mapper.map(r)
        XCTAssertEqual(held.status, .held)
        XCTAssertTrue(held.documents.isEmpty)
    }
}
