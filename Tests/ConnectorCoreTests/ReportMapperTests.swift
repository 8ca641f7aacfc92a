import Dynamics365
import Expensify
import Foundation
import XCTest

@testable import ConnectorCore

final class ReportMapperTests: XCTestCase {
    static let configJSON = """
        {"expensify":{"endpoint":"https://integrations.expensify.com/Integration-Server/ExpensifyIntegrations","exportLabel":"L","startDate":"2026-11-01"},
         "target":{"type":"d365fo","environmentURL":"https://x.operations.dynamics.com","authorityURL":"https://login.microsoftonline.com","tenant":"t","clientID":"c"},
         "companies":{"P1":"usmf","PJ":"jpmf"},
         "vendors":{"employeeVendorGroup":"EMP","byEmail":{"Ivan@X.example":"V-IVAN"}},
         "companyCards":{"mode":"omit","issuerVendors":{"usmf":"AMEX"}},
         "accounts":{"6010":"600100","6012":"600120"},
         "dimensions":{"format":["Department","CostCenter","BusinessUnit"],"delimiter":"-","tagLevels":[{"level":1,"dimension":"Department"},{"level":2,"dimension":"CostCenter"}]}}
        """

    func config(_ edit: (inout ConnectorConfig) -> Void = { _ in }) throws -> ConnectorConfig {
        try Self.config(edit)
    }

    static func config(_ edit: (inout ConnectorConfig) -> Void = { _ in }) throws -> ConnectorConfig {
        var c = try ConnectorConfig.load(Data(Self.configJSON.utf8), source: "test")
        edit(&c)
        return c
    }

    var reference: ReferenceData { Self.reference }

    static let reference = ReferenceData(
        target: "d365fo",
        companies: [
            CompanyReference(
                id: "usmf", currency: "USD",
                vendors: [
                    VendorReference(account: "EMP-1", name: "Ann", group: "EMP", email: "Ann@X.example", onHold: "No", currency: "USD"),
                    VendorReference(account: "EMP-2", name: "Bo", group: "EMP", email: "bo@x.example", onHold: "Invoice", currency: "USD"),
                    VendorReference(account: "EMP-3", name: "Cy", group: "EMP", email: "cy@x.example", onHold: "No", currency: "USD"),
                    VendorReference(account: "EMP-4", name: "Cy2", group: "EMP", email: "CY@x.example", onHold: "No", currency: "USD"),
                    VendorReference(account: "V-IVAN", name: "Ivan", group: "CONS", email: "ivan@other.example", onHold: "No", currency: "USD"),
                    VendorReference(account: "AMEX", name: "Amex", group: "CARD", email: "", onHold: "No", currency: "USD"),
                ],
                dimensionValues: [
                    DimensionValueReference(
                        dimension: "Department", value: "010", isSuspended: false, isBlocked: false, activeFrom: nil, activeTo: nil),
                    DimensionValueReference(
                        dimension: "CostCenter", value: "PL-01", isSuspended: false, isBlocked: false, activeFrom: nil, activeTo: nil),
                    DimensionValueReference(
                        dimension: "CostCenter", value: "OLD", isSuspended: true, isBlocked: false, activeFrom: nil, activeTo: nil),
                ]),
            CompanyReference(
                id: "jpmf", currency: "JPY",
                vendors: [
                    VendorReference(account: "EMP-J", name: "Hana", group: "EMP", email: "hana@x.example", onHold: "No", currency: "JPY")
                ],
                dimensionValues: [
                    DimensionValueReference(
                        dimension: "Department", value: "010", isSuspended: false, isBlocked: false, activeFrom: nil, activeTo: "2026-12-31")
                ]),
        ],
        mainAccounts: [
            MainAccountReference(id: "600100", name: "Air", isSuspended: false, doNotAllowManualEntry: false, activeFrom: nil, activeTo: nil),
            MainAccountReference(
                id: "600120", name: "Meals", isSuspended: false, doNotAllowManualEntry: false, activeFrom: nil, activeTo: "2026-01-31"),
        ],
        dimensionFormat: ["Department", "CostCenter", "BusinessUnit"], dimensionDelimiter: "-")

    func expense(
        _ id: String, _ amount: Int64, currency: String = "USD", converted: Int64? = nil, gl: String = "6010",
        tag: [(String, String)] = [("Sales", "010"), ("Core", "PL-01")], reimbursable: Bool = true
    ) -> Expense {
        Self.expense(id, amount, currency: currency, converted: converted, gl: gl, tag: tag, reimbursable: reimbursable)
    }

    static func expense(
        _ id: String, _ amount: Int64, currency: String = "USD", converted: Int64? = nil, gl: String = "6010",
        tag: [(String, String)] = [("Sales", "010"), ("Core", "PL-01")], reimbursable: Bool = true
    ) -> Expense {
        Expense(
            transactionID: id, amount: amount, currency: currency, convertedAmount: converted, modifiedAmount: nil,
            merchant: "M \(id)", modifiedMerchant: "", created: "2026-11-01", modifiedCreated: "", category: "Cat",
            categoryGlCode: gl, tag: tag.map(\.0).joined(separator: ":"), tagGlCode: tag.last?.1 ?? "",
            tagLevels: tag.map { ExpenseTag(name: $0.0, glCode: $0.1) }, comment: "", reimbursable: reimbursable, billable: false, receiptURL: "")
    }

    func report(_ id: String, policy: String = "P1", currency: String = "USD", email: String = "ann@x.example", _ expenses: [Expense])
        -> ExpenseReport
    {
        Self.report(id, policy: policy, currency: currency, email: email, expenses)
    }

    static func report(_ id: String, policy: String = "P1", currency: String = "USD", email: String = "ann@x.example", _ expenses: [Expense])
        -> ExpenseReport
    {
        ExpenseReport(
            reportID: id, reportName: "Trip", policyID: policy, policyName: "", status: "Approved", currency: currency, total: nil,
            created: "2026-11-01", submitted: "2026-11-02 10:00:00", approved: "2026-11-03 09:00:00", accountEmail: email,
            managerEmail: "", submitterFullName: "", expenses: expenses)
    }

    func mapper(_ c: ConnectorConfig? = nil) throws -> ReportMapper {
        ReportMapper(
            config: try c ?? config(), catalog: PolicyCatalog(), reference: reference,
            dimensionFormatter: D365DimensionDisplayValue(delimiter: "-"))
    }

    func testReadyReportBuildsOneInvoiceWithEscapedDimensionsAndExactTotal() throws {
        let out = try mapper().map(report("1", [expense("a", 45230), expense("b", -1250)]))
        XCTAssertEqual(out.status, .ready, "\(out.issues)")
        let d = try XCTUnwrap(out.documents.first)
        XCTAssertEqual(d.key, "EXP1")
        XCTAssertEqual(d.vendorAccount, "EMP-1", "e-mail matched case-insensitively")
        XCTAssertEqual(d.total, "439.80")
        XCTAssertEqual(d.lines.map(\.amount), ["452.30", "-12.50"])
        XCTAssertEqual(d.lines[0].dimensionDisplayValue, "010-PL\\-01-")
        XCTAssertEqual(d.dimensionDisplayValue, "010-PL\\-01-", "common dimensions go on the header")
        XCTAssertEqual(d.invoiceDate, "2026-11-03")
        XCTAssertEqual(d.lines[0].mainAccount, "600100")
    }

    func testJapaneseYenUsesNoDecimals() throws {
        let out = try mapper().map(
            report(
                "2", policy: "PJ", currency: "JPY", email: "hana@x.example",
                [expense("a", 150000, currency: "JPY", tag: [("Sales", "010")]), expense("b", 1_980_000, currency: "JPY", tag: [("Sales", "010")])]))
        XCTAssertEqual(out.status, .ready, "\(out.issues)")
        XCTAssertEqual(out.documents.first?.total, "21300")
        XCTAssertEqual(out.documents.first?.lines.map(\.amount), ["1500", "19800"])
    }

    func testForeignCurrencyUsesConvertedAmountAndKeepsTheOriginal() throws {
        let out = try mapper().map(report("3", [expense("a", 20000, currency: "EUR", converted: 21734)]))
        XCTAssertEqual(out.documents.first?.total, "217.34")
        XCTAssertEqual(out.lines.first?.originalAmount, "200.00")
        XCTAssertEqual(out.lines.first?.originalCurrency, "EUR")
        let missing = try mapper().map(report("4", [expense("a", 20000, currency: "EUR")]))
        XCTAssertEqual(missing.status, .held)
        XCTAssertEqual(missing.issues.first?.field, "convertedAmount")
    }

    func testVendorProblemsHoldTheWholeReport() throws {
        let onHold = try mapper().map(report("5", email: "bo@x.example", [expense("a", 100)]))
        XCTAssertEqual(onHold.status, .held)
        XCTAssertTrue(onHold.issues.contains { $0.field == "accountEmail" && $0.reason.contains("on hold") })
        XCTAssertTrue(onHold.documents.isEmpty)
        let ambiguous = try mapper().map(report("6", email: "cy@x.example", [expense("a", 100)]))
        XCTAssertTrue(ambiguous.issues.contains { $0.reason.contains("EMP-3, EMP-4") }, "\(ambiguous.issues)")
        let none = try mapper().map(report("7", email: "nobody@x.example", [expense("a", 100)]))
        XCTAssertTrue(none.issues.contains { $0.reason.contains("no vendor in group EMP") })
        let override = try mapper().map(report("8", email: "ivan@x.example", [expense("a", 100)]))
        XCTAssertEqual(override.documents.first?.vendorAccount, "V-IVAN")
    }

    func testCardSpendIsOmittedOrGoesToTheIssuer() throws {
        let mixed = report("9", [expense("a", 2400), expense("b", 38000, reimbursable: false)])
        let omit = try mapper().map(mixed)
        XCTAssertEqual(omit.documents.map(\.key), ["EXP9"])
        XCTAssertEqual(omit.documents.first?.total, "24.00")
        XCTAssertEqual(omit.lines.last?.status, "company card, not posted")
        let separate = try mapper(config { $0.companyCards.mode = "separateInvoice" }).map(mixed)
        XCTAssertEqual(separate.documents.map(\.key), ["EXP9", "EXP9-CC"])
        XCTAssertEqual(separate.documents.map(\.vendorAccount), ["EMP-1", "AMEX"])
        XCTAssertEqual(separate.documents.map(\.total), ["24.00", "380.00"])
        let cardOnly = try mapper().map(report("10", [expense("b", 38000, reimbursable: false)]))
        XCTAssertEqual(cardOnly.status, .empty)
        XCTAssertTrue(try mapper().map(report("11", [])).status == .empty)
    }

    func testAccountsAndDimensionsMustExistAndBeActive() throws {
        let unmappedGL = try mapper().map(report("12", [expense("a", 100, gl: "7777")]))
        XCTAssertTrue(unmappedGL.issues.contains { $0.field == "categoryGlCode" && $0.reason.contains("7777") })
        let expired = try mapper().map(report("13", [expense("a", 100, gl: "6012")]))
        XCTAssertTrue(expired.issues.contains { $0.reason.contains("expired on 2026-01-31") }, "\(expired.issues)")
        let suspended = try mapper().map(report("14", [expense("a", 100, tag: [("Sales", "010"), ("Old", "OLD")])]))
        XCTAssertTrue(suspended.issues.contains { $0.field == "tag" && $0.reason.contains("suspended") })
        let unknown = try mapper().map(report("15", [expense("a", 100, tag: [("Sales", "999")])]))
        XCTAssertTrue(unknown.issues.contains { $0.reason.contains("does not exist in company usmf") })
    }

    func testBadInputIsNamedByRecordAndField() throws {
        var noCurrency = expense("a", 1500)
        noCurrency.currency = ""
        let held = try mapper().map(report("16", [noCurrency, expense("b", 0)]))
        XCTAssertTrue(held.issues.contains { $0.record == "16/a" && $0.field == "currency" && $0.reason.contains("missing") })
        XCTAssertTrue(held.issues.contains { $0.record == "16/b" && $0.field == "amount" && $0.reason == "is zero" })
        let unmapped = try mapper().map(report("17", policy: "P9", [expense("a", 100)]))
        XCTAssertTrue(unmapped.issues.contains { $0.field == "policyID" && $0.reason.contains("P9") })
        let refundOnly = try mapper().map(report("18", [expense("a", -500)]))
        XCTAssertTrue(refundOnly.issues.contains { $0.field == "total" })
        let broken = ExpensifyExportDecoder.decode(
            try JSONValue.parse(#"{"reportID":"19","transactionList":[{"transactionID":"t","amount":"12x","reimbursable":true}]}"#), index: 0)
        XCTAssertTrue(broken.issues.contains { $0.record == "19/t" && $0.field == "amount" && $0.reason.contains("12x") })
        let noFlag = ExpensifyExportDecoder.decode(
            try JSONValue.parse(#"{"reportID":"20","transactionList":[{"transactionID":"t","amount":100,"reimbursable":null}]}"#), index: 0)
        XCTAssertTrue(noFlag.issues.contains { $0.field == "reimbursable" })
    }

    func testConfigurationErrorsNameTheirPath() {
        XCTAssertThrowsError(try ConnectorConfig.load(Data(#"{"expensify":{}}"#.utf8), source: "c.json")) { e in
            XCTAssertTrue((e as? ConnectorError)?.message.contains("expensify.endpoint") ?? false, "\(e)")
        }
        let bad = Self.configJSON.replacingOccurrences(of: "\"mode\":\"omit\"", with: "\"mode\":\"sometimes\"")
            .replacingOccurrences(of: "\"startDate\":\"2026-11-01\"", with: "\"startDate\":\"11/01/2026\"")
        XCTAssertThrowsError(try ConnectorConfig.load(Data(bad.utf8), source: "c.json")) { e in
            let m = (e as? ConnectorError)?.message ?? ""
            XCTAssertTrue(m.contains("companyCards.mode") && m.contains("expensify.startDate"), m)
        }
    }

    func testBatchKeysAreValidatedByName() throws {
        func problems(_ target: [String: Any]) throws -> [String] {
            var t = try JSONSerialization.jsonObject(with: config().target.settings.serialized()) as! [String: Any]
            for (k, v) in target { t[k] = v }
            return D365Configuration.problems(try JSONValue.parse(JSONSerialization.data(withJSONObject: t)), options: ConfigCheckOptions())
        }
        XCTAssertEqual(try problems(["batchSize": 50, "keyAssignment": "server", "batchStrategy": "references"]), [])
        XCTAssertEqual(try problems(["batchSize": 0, "keyAssignment": "client"]), [])
        XCTAssertEqual(try problems(["keyAssignment": "manual"]), ["target.keyAssignment: 'manual' must be 'server' or 'client'"])
        XCTAssertEqual(try problems(["batchStrategy": "deep"]), ["target.batchStrategy: 'deep' must be 'twoPhase' or 'references'"])
        XCTAssertEqual(try problems(["batchStrategy": "references", "keyAssignment": "client"]).count, 1)
        XCTAssertEqual(try problems(["batchSize": 201]), ["target.batchSize must be between 0 (off) and 200"])
        XCTAssertNil(try D365Configuration.decode(config().target.settings).batchSize, "absent means the default, 50")
    }

    func testSecretsNeverPrint() {
        let s = Secret("hunter2")
        XCTAssertEqual("\(s)", "<redacted>")
        XCTAssertEqual(String(describing: [s]), "[<redacted>]")
        XCTAssertEqual(s.reveal(), "hunter2")
        XCTAssertThrowsError(try Secret.fromEnvironment("NOPE_NOT_SET", environment: [:])) { e in
            XCTAssertEqual((e as? ConnectorError)?.code, "config.secret_missing")
        }
    }
}
