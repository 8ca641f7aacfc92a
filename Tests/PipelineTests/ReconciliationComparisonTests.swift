import ConnectorCore
import ConnectorLedger
import Foundation
import XCTest

@testable import Pipeline

/// The comparison behind `reconcile`, on documents and snapshots as the target returns them (the end-to-end path over
/// the sandbox is in ReconciliationTests): posted documents that changed, account changes, extra and missing lines, and
/// Expensify totals with company-card spend left out.
final class ReconciliationComparisonTests: XCTestCase {
    func doc(_ key: String, report: String, company: String = "usmf", currency: String = "USD", _ lines: [(String, String)]) -> InvoiceDocument {
        let invoiceLines = lines.enumerated().map { n, l in
            InvoiceLine(
                lineNumber: n + 1, transactionID: "t\(n)", description: "", amount: l.0, mainAccount: l.1, dimensionDisplayValue: "",
                category: "", merchant: "", expenseDate: "2026-11-02")
        }
        let total = lines.reduce(Decimal(0)) { $0 + dec($1.0) }
        return InvoiceDocument(
            key: key, kind: .employee, reportID: report, reportName: "", policyID: "", company: company, vendorAccount: "EMP-0001",
            employeeEmail: "", currency: currency, invoiceDate: "2026-11-02", postingDate: "2026-11-02", description: "",
            dimensionDisplayValue: "", total: "\(total)", lines: invoiceLines)
    }

    func snap(_ d: InvoiceDocument, _ status: ERPDocumentStatus, _ lines: [(Int, String, String)]) -> ERPDocumentSnapshot {
        ERPDocumentSnapshot(
            key: d.key, company: d.company, status: status, number: "N-1", currency: d.currency,
            lines: lines.map { ERPLineSnapshot(lineNumber: $0.0, account: $0.2, amount: $0.1) })
    }

    func report(_ id: String, _ total: String, company: String = "usmf", currency: String = "USD") -> ReportRow {
        ReportRow(reportID: id, company: company, currency: currency, status: "ready", expensifyTotal: total)
    }

    func testAPostedDocumentThatChangedIsOneVarianceNamingEveryDifference() {
        let d = doc("EXP1", report: "1", [("10.00", "600100"), ("5.50", "600110")])
        let r = Reconciliation(
            staged: [d], reports: ["1": report("1", "15.50")], unpostedCard: [:],
            snapshots: [d.key: snap(d, .posted, [(1, "10.000000", "600100"), (2, "5.00", "600110"), (3, "1.25", "600120")])],
            records: [:])
        XCTAssertEqual(r.variances.map(\.kind), ["postedWithChanges"])
        let detail = r.variances.first?.detail ?? ""
        XCTAssertTrue(detail.contains("N-1") && detail.contains("line 2: staged 5.50") && detail.contains("5.00"), detail)
        XCTAssertTrue(detail.contains("line 3") && detail.contains("1.25 on 600120"), detail)
        // 10.000000 equals 10.00: exact decimals, not text.
        XCTAssertFalse(detail.contains("line 1"), detail)
        let total = r.totals.first { $0.account.isEmpty }
        XCTAssertEqual(total?.erp, "16.25")
        XCTAssertEqual(total?.expensify, "15.50")
        XCTAssertEqual(total?.difference, "0.75")
    }

    func testPendingChangesAreOneVarianceEachAndTotalsAreSortedAndExact() {
        let d = doc("EXP2", report: "2", [("7.00", "600100"), ("3.00", "600110")])
        let yen = doc("EXP3", report: "3", company: "jpmf", currency: "JPY", [("21300", "600110")])
        let r = Reconciliation(
            staged: [d, yen], reports: ["2": report("2", "10.00"), "3": report("3", "21300", company: "jpmf", currency: "JPY")],
            unpostedCard: [:],
            snapshots: [d.key: snap(d, .draft, [(1, "7", "600130"), (4, "2.00", "600100")]), yen.key: snap(yen, .draft, [(1, "21300", "600110")])],
            records: [:])
        XCTAssertEqual(r.variances.map(\.kind), ["accountDiffers", "extra", "missing"])
        XCTAssertTrue(r.variances.allSatisfy { $0.reportID == "2" && $0.documentKey == "EXP2" })
        XCTAssertEqual(
            r.totals.map { "\($0.company) \($0.currency) \($0.account)" },
            ["jpmf JPY ", "jpmf JPY 600110", "usmf USD ", "usmf USD 600100", "usmf USD 600110", "usmf USD 600130"])
        let yenTotal = r.totals[0]
        XCTAssertEqual([yenTotal.expensify, yenTotal.staged, yenTotal.erp, yenTotal.difference], ["21300", "21300", "21300", "0"])
        let account = r.totals.first { $0.account == "600100" }
        XCTAssertEqual([account?.staged, account?.erp, account?.difference], ["7.00", "2.00", "-5.00"])
        XCTAssertNil(account?.expensify)
    }

    func testExpensifyTotalsWithCardSpendLeftOutReconcileAndOthersDiffer() {
        let card = doc("EXP5", report: "5", [("24.00", "600100"), ("18.75", "600110")])
        let off = doc("EXP6", report: "6", [("90.00", "600100")])
        let snapshots = [
            card.key: snap(card, .draft, [(1, "24.00", "600100"), (2, "18.75", "600110")]), off.key: snap(off, .draft, [(1, "90.00", "600100")]),
        ]
        let r = Reconciliation(
            staged: [card, off], reports: ["5": report("5", "422.75"), "6": report("6", "100.00")], unpostedCard: ["5": dec("380.00")],
            snapshots: snapshots, records: [:])
        XCTAssertEqual(r.variances.map(\.kind), ["expensifyDiffers"])
        XCTAssertEqual(r.variances.first?.reportID, "6")
        XCTAssertEqual(r.variances.first?.documentKey, "")
        let total = r.totals.first { $0.account.isEmpty }
        XCTAssertEqual(total?.expensify, "142.75")  // 42.75 of report 5 (422.75 less 380.00 card spend) + 100.00
        XCTAssertEqual(total?.staged, "132.75")
        XCTAssertEqual(total?.difference, "-10.00")
    }

    func testADocumentTheERPDoesNotHaveIsMissingWithWhatTheLedgerKnows() {
        let d = doc("EXP7", report: "7", [("1.00", "600100")])
        let r = Reconciliation(
            staged: [d], reports: ["7": report("7", "1.00")], unpostedCard: [:],
            snapshots: [d.key: snap(d, .deleted, [])], records: [:])
        XCTAssertEqual(r.variances.map(\.kind), ["missing"])
        XCTAssertTrue(r.variances[0].detail.contains("never loaded"), r.variances[0].detail)
        XCTAssertEqual(r.totals.first { $0.account.isEmpty }?.difference, "-1.00")
    }
}
