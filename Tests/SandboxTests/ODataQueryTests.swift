import Foundation
import XCTest

@testable import Sandbox

final class ODataQueryTests: XCTestCase {
    private func accounts(_ h: D365Harness, _ r: SimResponse, file: StaticString = #filePath, line: UInt = #line) -> [String] {
        XCTAssertEqual(r.status, 200, String(decoding: r.body, as: UTF8.self), file: file, line: line)
        return h.values(r).compactMap { $0["VendorAccountNumber"] as? String }
    }

    /// Reads every page, following `@odata.nextLink`.
    private func readAll(_ h: D365Harness, _ path: String, query: [(String, String)], token: String) async throws -> ([[String: Any]], Int) {
        var r = await h.send("GET", path, query: query, token: token)
        var rows: [[String: Any]] = []
        var pages = 0
        while true {
            XCTAssertEqual(r.status, 200)
            pages += 1
            rows += h.values(r)
            guard let next = h.json(r)["@odata.nextLink"] as? String else { break }
            XCTAssertTrue(next.hasPrefix("\(D365Harness.base)/data/"), next)
            XCTAssertTrue(next.contains("$skiptoken="), next)
            r = await h.follow(next, token: token)
            if pages > 50 {
                XCTFail("too many pages")
                break
            }
        }
        return (rows, pages)
    }

    func testDefaultCompanyOnlyWithoutCrossCompany() async throws {
        let h = try D365Harness()
        let token = try await h.token()
        let (rows, pages) = try await readAll(h, "/data/VendorsV2", query: [("$select", "dataAreaId,VendorAccountNumber")], token: token)
        XCTAssertEqual(Set(rows.compactMap { $0["dataAreaId"] as? String }), ["usmf"])
        XCTAssertEqual(rows.count, 17)
        XCTAssertEqual(pages, 4, "page size 5 → 5+5+5+2")
        let gb = await h.send("GET", "/data/VendorsV2", query: [("$filter", "dataAreaId eq 'gbsi'")], token: token)
        XCTAssertEqual(accounts(h, gb), [], "another company needs cross-company=true")
    }

    func testCrossCompanyFilteredByDataAreaId() async throws {
        let h = try D365Harness()
        let token = try await h.token()
        let r = await h.send(
            "GET", "/data/VendorsV2",
            query: [
                ("cross-company", "true"), ("$filter", "dataAreaId eq 'gbsi' and VendorGroupId eq 'EMP'"),
                ("$select", "VendorAccountNumber,CurrencyCode,OnHoldStatus,PrimaryEmailAddress"),
            ], token: token)
        XCTAssertEqual(accounts(h, r), ["EMP-1001", "EMP-1002", "EMP-1003"])
        XCTAssertEqual(h.values(r).first?.count, 5, "@odata.etag plus the four selected properties")
        XCTAssertEqual(
            h.json(r)["@odata.context"] as? String,
            "\(D365Harness.base)/data/$metadata#VendorsV2(VendorAccountNumber,CurrencyCode,OnHoldStatus,PrimaryEmailAddress)")
        let all = try await readAll(h, "/data/VendorsV2", query: [("cross-company", "true")], token: token).0
        XCTAssertEqual(Set(all.compactMap { $0["dataAreaId"] as? String }), ["usmf", "gbsi", "jpmf"])
        XCTAssertEqual(all.count, 23)
    }

    func testCrossCompanyOnlyShowsCompaniesTheUserMayAccess() async throws {
        let h = try D365Harness { root in
            var users = root["users"] as? [[String: Any]] ?? []
            users[0]["companies"] = ["usmf", "gbsi"]
            root["users"] = users
        }
        let token = try await h.token()
        let r = await h.send("GET", "/data/VendorsV2", query: [("cross-company", "true"), ("$filter", "dataAreaId eq 'jpmf'")], token: token)
        XCTAssertEqual(accounts(h, r), [])
    }

    func testEnumFiltersNeedQualifiedLiterals() async throws {
        let h = try D365Harness()
        let token = try await h.token()
        let held = await h.send(
            "GET", "/data/VendorsV2",
            query: [
                ("$filter", "OnHoldStatus eq Microsoft.Dynamics.DataEntities.CustVendorBlocked'Invoice'"), ("cross-company", "true"),
            ], token: token)
        XCTAssertEqual(accounts(h, held), ["EMP-0003"])
        let notHeld = await h.send(
            "GET", "/data/VendorsV2",
            query: [
                ("$filter", "OnHoldStatus ne Microsoft.Dynamics.DataEntities.CustVendorBlocked'Invoice' and VendorGroupId eq 'CARD'"),
                ("cross-company", "true"),
            ], token: token)
        XCTAssertEqual(Set(accounts(h, notHeld)), ["AMEX-US", "AMEX-UK", "JCB-JP"])
        let plain = await h.send("GET", "/data/VendorsV2", query: [("$filter", "OnHoldStatus eq 'Invoice'")], token: token)
        XCTAssertEqual(plain.status, 400)
        XCTAssertTrue(h.innerMessage(plain).contains("incompatible types"), h.innerMessage(plain))
        let suspended = await h.send(
            "GET", "/data/MainAccounts",
            query: [
                ("$filter", "IsSuspended eq Microsoft.Dynamics.DataEntities.NoYes'Yes'"), ("$select", "MainAccountId"),
            ], token: token)
        XCTAssertEqual(h.values(suspended).compactMap { $0["MainAccountId"] as? String }, ["600199"])
        let ordered = await h.send(
            "GET", "/data/VendorsV2", query: [("$filter", "OnHoldStatus gt Microsoft.Dynamics.DataEntities.CustVendorBlocked'No'")], token: token)
        XCTAssertEqual(ordered.status, 400)
    }

    func testFormatAndEnumsAsPlainStringsInJSON() async throws {
        let h = try D365Harness()
        let token = try await h.token()
        let r = await h.send(
            "GET", "/data/DimensionIntegrationFormats",
            query: [
                ("$filter", "IsActive eq Microsoft.Dynamics.DataEntities.NoYes'Yes'")
            ], token: token)
        let rows = h.values(r)
        XCTAssertEqual(rows.count, 2)
        let def = try XCTUnwrap(rows.first { $0["DimensionFormatType"] as? String == "DataEntityDefaultDimensionFormat" })
        XCTAssertEqual(def["FinancialDimensionFormat"] as? String, "Department-CostCenter-BusinessUnit")
        XCTAssertEqual(def["IsActive"] as? String, "Yes")
        let p = await h.send("GET", "/data/DimensionParameters", token: token)
        XCTAssertEqual(h.values(p).first?["DimensionSegmentDelimiter"] as? String, "Hyphen")
        let byKey = await h.send("GET", "/data/DimensionParameters(Key=0)", token: token)
        XCTAssertEqual(byKey.status, 200)
    }

    func testStringComparisonsAreCaseInsensitiveAndWildcardsWork() async throws {
        let h = try D365Harness()
        let token = try await h.token()
        let email = await h.send(
            "GET", "/data/VendorsV2", query: [("$filter", "PrimaryEmailAddress eq 'bob.martin@northwind.example'")], token: token)
        XCTAssertEqual(accounts(h, email), ["EMP-0002"])
        let contains = await h.send(
            "GET", "/data/VendorsV2", query: [("$filter", "VendorOrganizationName eq '*amex*' or VendorOrganizationName eq '*Express*'")],
            token: token)
        XCTAssertEqual(accounts(h, contains), ["AMEX-US"])
        let prefix = await h.send(
            "GET", "/data/VendorsV2",
            query: [
                ("$filter", "VendorAccountNumber eq 'EMP-000*' and not (VendorAccountNumber eq 'EMP-0001')"),
                ("$top", "3"),
            ], token: token)
        XCTAssertEqual(accounts(h, prefix), ["EMP-0002", "EMP-0003", "EMP-0004"])
        let quote = await h.send("GET", "/data/VendorsV2", query: [("$filter", "VendorOrganizationName eq 'O''Brien'")], token: token)
        XCTAssertEqual(accounts(h, quote), [])
    }

    func testInHasAndFunctionsAreRejected() async throws {
        let h = try D365Harness()
        let token = try await h.token()
        for f in [
            "VendorAccountNumber in ('EMP-0001','EMP-0002')",
            "OnHoldStatus has Microsoft.Dynamics.DataEntities.CustVendorBlocked'All'",
            "contains(VendorOrganizationName,'Alice')", "Nope eq 'x'", "VendorAccountNumber eq 1", "(VendorAccountNumber eq 'x'",
        ] {
            let r = await h.send("GET", "/data/VendorsV2", query: [("$filter", f)], token: token)
            XCTAssertEqual(r.status, 400, f)
            let message = (h.json(r)["error"] as? [String: Any])?["message"] as? String ?? ""
            XCTAssertTrue(message.hasPrefix("The query specified in the URI is not valid."), message)
        }
        let unknownOption = await h.send("GET", "/data/VendorsV2", query: [("$search", "x")], token: token)
        XCTAssertEqual(unknownOption.status, 400)
    }

    func testDateAndDecimalFilters() async throws {
        let h = try D365Harness()
        let token = try await h.token()
        let ref = try await h.createHeader(token: token)
        let second = D365Harness.headerBody.replacingOccurrences(of: "EXP-90000001", with: "EXP-90000006")
            .replacingOccurrences(of: "2026-11-05", with: "2026-11-20").replacingOccurrences(of: "657.14", with: "89.99")
        _ = try await h.createHeader(second, token: token)
        let after = await h.send(
            "GET", "/data/VendorInvoiceHeaders",
            query: [
                ("$filter", "InvoiceDate ge 2026-11-10T00:00:00Z"),
                ("$select", "InvoiceNumber"),
            ], token: token)
        XCTAssertEqual(h.values(after).compactMap { $0["InvoiceNumber"] as? String }, ["EXP-90000006"])
        let amount = await h.send(
            "GET", "/data/VendorInvoiceHeaders",
            query: [
                ("$filter", "ImportedAmount gt 100.5 and ImportedAmount le 657.14"),
                ("$select", "HeaderReference"),
            ], token: token)
        XCTAssertEqual(h.values(amount).compactMap { $0["HeaderReference"] as? String }, [ref])
        let arithmetic = await h.send("GET", "/data/VendorInvoiceHeaders", query: [("$filter", "ImportedAmount mul 2 eq 179.98")], token: token)
        XCTAssertEqual(h.values(arithmetic).count, 1)
        let badDate = await h.send("GET", "/data/VendorInvoiceHeaders", query: [("$filter", "InvoiceDate ge '2026-11-10'")], token: token)
        XCTAssertEqual(badDate.status, 400)
    }

    func testOrderByTopSkipAndCount() async throws {
        let h = try D365Harness()
        let token = try await h.token()
        let r = await h.send(
            "GET", "/data/VendorsV2",
            query: [
                ("$orderby", "VendorAccountNumber desc"), ("$top", "3"), ("$skip", "1"), ("$count", "true"),
                ("$filter", "VendorGroupId eq 'EMP'"),
            ], token: token)
        XCTAssertEqual(accounts(h, r), ["EMP-0014", "EMP-0013", "EMP-0012"])
        XCTAssertEqual(h.json(r)["@odata.count"] as? Int, 15)
        XCTAssertNil(h.json(r)["@odata.nextLink"])
        let count = await h.send("GET", "/data/VendorsV2/$count", query: [("$filter", "VendorGroupId eq 'EMP'")], token: token)
        XCTAssertEqual(String(decoding: count.body, as: UTF8.self), "15")
        let bad = await h.send("GET", "/data/VendorsV2", query: [("$top", "-1")], token: token)
        XCTAssertEqual(bad.status, 400)
    }

    func testTopLargerThanPageSizePagesWithinTheTop() async throws {
        let h = try D365Harness()
        let token = try await h.token()
        let (rows, pages) = try await readAll(
            h, "/data/VendorsV2",
            query: [
                ("$top", "7"), ("$count", "true"),
                ("$select", "VendorAccountNumber"),
            ], token: token)
        XCTAssertEqual(rows.count, 7)
        XCTAssertEqual(pages, 2)
        let first = await h.send("GET", "/data/VendorsV2", query: [("$top", "7")], token: token)
        let next = try XCTUnwrap(h.json(first)["@odata.nextLink"] as? String)
        XCTAssertTrue(next.contains("$top=7"), "nextLink keeps the original options: \(next)")
        let tampered = await h.send("GET", "/data/VendorsV2", query: [("$skiptoken", "garbage!")], token: token)
        XCTAssertEqual(tampered.status, 400)
    }

    func testExpandLinesFirstLevelOnly() async throws {
        let h = try D365Harness()
        let token = try await h.token()
        let ref = try await h.createHeader(token: token)
        for amount in ["10.00", "20.50"] {
            let r = await h.send("POST", "/data/VendorInvoiceLines", body: h.lineBody(ref, "\"NetAmount\":\(amount)"), token: token)
            XCTAssertEqual(r.status, 201)
        }
        let r = await h.send(
            "GET", "/data/VendorInvoiceHeaders(dataAreaId='usmf',HeaderReference='\(ref)')",
            query: [("$expand", "VendorInvoiceLine")], token: token)
        XCTAssertEqual(r.status, 200)
        let lines = try XCTUnwrap(h.json(r)["VendorInvoiceLine"] as? [[String: Any]])
        XCTAssertEqual(lines.count, 2)
        XCTAssertNotNil(lines.first?["@odata.etag"])
        let collection = await h.send("GET", "/data/VendorInvoiceHeaders", query: [("$expand", "VendorInvoiceLine($select=NetAmount)")], token: token)
        let expanded = try XCTUnwrap(h.values(collection).first?["VendorInvoiceLine"] as? [[String: Any]])
        XCTAssertEqual(expanded.first?.count, 2)
        let nav = await h.send("GET", "/data/VendorInvoiceHeaders(dataAreaId='usmf',HeaderReference='\(ref)')/VendorInvoiceLine", token: token)
        XCTAssertEqual(h.values(nav).count, 2)
        let back = await h.send("GET", "/data/VendorInvoiceLines", query: [("$expand", "VendorInvoiceHeader")], token: token)
        XCTAssertEqual((h.values(back).first?["VendorInvoiceHeader"] as? [String: Any])?["HeaderReference"] as? String, ref)
        let nested = await h.send(
            "GET", "/data/VendorInvoiceHeaders", query: [("$expand", "VendorInvoiceLine($expand=VendorInvoiceHeader)")],
            token: token)
        XCTAssertEqual(nested.status, 400)
        let unknown = await h.send("GET", "/data/VendorInvoiceHeaders", query: [("$expand", "Lines")], token: token)
        XCTAssertEqual(unknown.status, 400)
    }

    func testSharedEntitiesIgnoreCompany() async throws {
        let h = try D365Harness()
        let token = try await h.token()
        let ledgers = await h.send("GET", "/data/Ledgers", token: token)
        XCTAssertEqual(h.values(ledgers).compactMap { $0["LegalEntityId"] as? String }, ["gbsi", "jpmf", "usmf"])
        XCTAssertEqual(h.values(ledgers).compactMap { $0["AccountingCurrency"] as? String }, ["GBP", "JPY", "USD"])
        let values = await h.send(
            "GET", "/data/FinancialDimensionValues", query: [("$filter", "DimensionValue eq 'OLD1'"), ("$count", "true")],
            token: token)
        XCTAssertEqual(h.json(values)["@odata.count"] as? Int, 3)
        let main = await h.send(
            "GET", "/data/MainAccounts",
            query: [
                ("$filter", "ChartOfAccounts eq 'Shared' and MainAccountType eq Microsoft.Dynamics.DataEntities.DimensionLedgerAccountType'Expense'"),
                ("$count", "true"),
            ], token: token)
        XCTAssertEqual(h.json(main)["@odata.count"] as? Int, 7)
    }
}
