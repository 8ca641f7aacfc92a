import ConnectorCore
import XCTest

@testable import BusinessCentral

/// The pieces Business Central and NAV share: the target configuration's checks, journal lines and their balancing,
/// what transform holds for a NAV or BC path, the review text of dimensions, company names in page paths.
final class NAVSharedRulesTests: XCTestCase {
    func config(_ json: String) throws -> JSONValue { try JSONValue.parse(Data(json.utf8)) }

    func testConfigurationProblemsNameTheirPath() throws {
        let bc = try config(
            #"{"type":"bc","document":"generalJournal","tenant":"t","environment":"production","clientID":"c","batchSize":150,"serviceURL":"http://x"}"#
        )
        let p = NAVTargetConfiguration.problems(bc, options: ConfigCheckOptions())
        XCTAssertTrue(p.contains { $0.hasPrefix("target.journal is required") }, "\(p)")
        XCTAssertTrue(p.contains { $0.hasPrefix("target.batchSize must be between 1 and 100") }, "\(p)")
        XCTAssertTrue(p.contains { $0.hasPrefix("target.serviceURL applies to NAV") }, "\(p)")

        let nav = try config(
            #"{"type":"nav-soap","document":"purchaseInvoce","serviceURL":"http://navsrv:7047/DynamicsNAV110","userName":"EXPENSEAPI","shortcutDimensions":{"AREA":9},"post":true,"tenant":"t"}"#
        )
        let q = NAVTargetConfiguration.problems(nav, options: ConfigCheckOptions())
        XCTAssertTrue(q.contains("target.document: 'purchaseInvoce' must be 'purchaseInvoice' or 'generalJournal'"), "\(q)")
        XCTAssertTrue(q.contains("target.shortcutDimensions.AREA: slot 9 must be between 1 and 8"), "\(q)")
        XCTAssertTrue(q.contains { $0.hasPrefix("target.post: NAV pages have no standard post action") }, "\(q)")
        XCTAssertTrue(q.contains("target.tenant applies to Business Central (bc), not to nav-soap"), "\(q)")

        let good = try config(
            #"{"type":"nav-odata","document":"purchaseInvoice","serviceURL":"https://navsrv:7048/DynamicsNAV110","userName":"EXPENSEAPI","concurrency":2}"#
        )
        XCTAssertEqual(NAVTargetConfiguration.problems(good, options: ConfigCheckOptions()), [])
        XCTAssertEqual(try NAVTargetConfiguration.decode(good).secretVariable, "NAV_ACCESS_KEY")
    }

    func document(currency: String = "USD", lines: [(String, String, [String: String]?)]) -> InvoiceDocument {
        let l = lines.enumerated().map { n, x in
            InvoiceLine(
                lineNumber: n + 1, transactionID: "T\(n + 1)", description: "Taxi - Ground", amount: x.1, mainAccount: x.0,
                dimensionDisplayValue: "", category: "Ground", merchant: "Taxi", expenseDate: "2026-11-02", dimensions: x.2)
        }
        return InvoiceDocument(
            key: "EXP1", kind: .employee, reportID: "1", reportName: "Trip", policyID: "P", company: "Smith & Sons Ltd.", vendorAccount: "",
            employeeEmail: "a@b.example", currency: currency, invoiceDate: "2026-11-02", postingDate: "2026-11-02",
            description: "Expensify 1: Trip", dimensionDisplayValue: "", total: "32.49", lines: l, dimensions: ["DEPARTMENT": "010"])
    }

    func testJournalLinesBalanceToTheConfiguredAccountPerReportOrPerLine() {
        let d = document(lines: [("600130", "45.50", ["DEPARTMENT": "010"]), ("600130", "-13.01", ["DEPARTMENT": "010", "COSTCENTER": "W01"])])
        let perReport = NAVJournalLinePlan.lines(for: d, journal: NAVJournalSettings(template: nil, batch: "EXPENSES", balancingAccount: "200200"))
        XCTAssertEqual(perReport.map(\.account), ["600130", "600130", "200200"])
        XCTAssertEqual(perReport.map(\.amount), ["45.50", "-13.01", "-32.49"])
        XCTAssertEqual(perReport.last?.dimensions, ["DEPARTMENT": "010"])
        XCTAssertEqual(perReport.compactMap(\.balancingAccount), [])
        let perLine = NAVJournalLinePlan.lines(
            for: d, journal: NAVJournalSettings(template: "GENERAL", batch: "EXPENSES", balancingAccount: "200200", balancing: "perLine"))
        XCTAssertEqual(perLine.count, 2)
        XCTAssertEqual(perLine.map(\.balancingAccount), ["200200", "200200"])
        XCTAssertEqual(NAVJournalLinePlan.negated("0.00"), "0.00")
        XCTAssertEqual(NAVJournalLinePlan.negated("-1500"), "1500")
    }

    func testTransformHoldsWhatTheConfiguredPathCannotTake() throws {
        let reference = ReferenceData(
            target: "bc",
            companies: [
                CompanyReference(
                    id: "Smith & Sons Ltd.", currency: "GBP", vendors: [], dimensionValues: [],
                    mainAccounts: [
                        MainAccountReference(
                            id: "200200", name: "Payables", isSuspended: false, doNotAllowManualEntry: false, activeFrom: nil, activeTo: nil,
                            problem: "is blocked")
                    ])
            ], mainAccounts: [], dimensionFormat: nil, dimensionDelimiter: nil)
        let nav = try NAVTargetConfiguration.decode(
            config(#"{"type":"nav-soap","document":"purchaseInvoice","serviceURL":"http://n","userName":"u","shortcutDimensions":{"DEPARTMENT":1}}"#))
        let d = document(lines: [("600130", "45.50", ["DEPARTMENT": "010", "COSTCENTER": "W01"])])
        let navIssues = NAVDocumentRules(configuration: nav).issues(for: d, reference: reference)
        XCTAssertEqual(navIssues.map(\.record), ["1/T1"])
        XCTAssertTrue(navIssues[0].reason.hasPrefix("dimension COSTCENTER cannot be set through NAV pages"), navIssues[0].reason)

        let bcJournal = try NAVTargetConfiguration.decode(
            config(
                #"{"type":"bc","document":"generalJournal","tenant":"t","environment":"e","clientID":"c","journal":{"batch":"EXPENSES","balancingAccount":"200200"}}"#
            ))
        let bcIssues = NAVDocumentRules(configuration: bcJournal).issues(
            for: document(currency: "EUR", lines: [("600130", "1.00", nil)]), reference: reference)
        XCTAssertEqual(bcIssues.map(\.field), ["currency", "target.journal.balancingAccount"])
        XCTAssertTrue(bcIssues[0].reason.contains("company currency GBP"), bcIssues[0].reason)
        XCTAssertEqual(bcIssues[1].reason, "balancing account 200200 is blocked in company Smith & Sons Ltd.")
    }

    func testAccountProblemsAndReviewTextAndCompanyPaths() {
        XCTAssertEqual(NAVAccountCheck.problem(accountType: "Posting", directPosting: true, blocked: true), "is blocked")
        XCTAssertEqual(
            NAVAccountCheck.problem(accountType: "Heading", directPosting: false, blocked: false), "is a Heading account, not a Posting account")
        XCTAssertEqual(NAVAccountCheck.problem(accountType: "Posting", directPosting: false, blocked: false), "does not allow direct posting")
        XCTAssertNil(NAVAccountCheck.problem(accountType: "Posting", directPosting: true, blocked: false))
        XCTAssertEqual(NAVAccountCheck.vendorHold(" "), "No")
        XCTAssertEqual(NAVAccountCheck.vendorHold("All"), "All")
        XCTAssertEqual(
            NAVDimensionText(codes: ["DEPARTMENT", "COSTCENTER", "BUSINESSUNIT"]).text(["010", "", "001"]), "DEPARTMENT 010, BUSINESSUNIT 001")
        XCTAssertEqual(NAVPath.companyLiteral("Smith & Sons' Ltd."), "'Smith%20%26%20Sons''%20Ltd.'")
        XCTAssertEqual(NAVPath.companyLiteral("Müller/Co?"), "'M%C3%BCller%2FCo%3F'")
    }
}
