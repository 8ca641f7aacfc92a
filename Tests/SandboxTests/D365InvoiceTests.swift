import Foundation
import XCTest

@testable import Sandbox

final class D365InvoiceTests: XCTestCase {
    private let headerPrefix = "Write failed for table row of type 'VendorInvoiceHeaderEntity'. Infolog: Error: "
    private let headerSuffix = ".; Warning: validateWrite failed on data source 'VendInvoiceInfoTable (VendInvoiceInfoTable)'."
    private let linePrefix = "Write failed for table row of type 'VendorInvoiceLineEntity'. Infolog: Error: "
    private let lineSuffix = ".; Warning: validateWrite failed on data source 'VendInvoiceInfoLine (VendInvoiceInfoLine)'."

    private func header(_ changes: [String: String]) -> String {
        var body = D365Harness.headerBody
        for (old, new) in changes { body = body.replacingOccurrences(of: old, with: new) }
        return body
    }

    /// Asserts the F&O write-failure envelope and returns the Infolog reason(s).
    @discardableResult
    private func assertWriteFailed(
        _ h: D365Harness, _ r: SimResponse, line: Bool = false, contains reason: String,
        file: StaticString = #filePath, lineNo: UInt = #line
    ) -> String {
        XCTAssertEqual(r.status, 400, String(decoding: r.body, as: UTF8.self), file: file, line: lineNo)
        let error = h.json(r)["error"] as? [String: Any] ?? [:]
        XCTAssertEqual(error["code"] as? String, "", file: file, line: lineNo)
        XCTAssertEqual(error["message"] as? String, "An error has occurred.", file: file, line: lineNo)
        let inner = error["innererror"] as? [String: Any] ?? [:]
        XCTAssertEqual(
            inner["type"] as? String, "Microsoft.Dynamics.Platform.Integration.Services.OData.AxODataWriteException", file: file, line: lineNo)
        let message = inner["message"] as? String ?? ""
        XCTAssertTrue(message.hasPrefix(line ? linePrefix : headerPrefix), message, file: file, line: lineNo)
        XCTAssertTrue(message.hasSuffix(line ? lineSuffix : headerSuffix), message, file: file, line: lineNo)
        XCTAssertTrue(message.contains(reason), "expected '\(reason)' in \(message)", file: file, line: lineNo)
        return message
    }

    func testCreateHeaderAssignsHeaderReferenceAndDefaultsEveryField() async throws {
        let h = try D365Harness()
        let token = try await h.token()
        let r = await h.send("POST", "/data/VendorInvoiceHeaders", body: D365Harness.headerBody, token: token)
        XCTAssertEqual(r.status, 201)
        let j = h.json(r)
        XCTAssertEqual(j["HeaderReference"] as? String, "00000001")
        XCTAssertEqual(h.header(r, "Location"), "\(D365Harness.base)/data/VendorInvoiceHeaders(dataAreaId='usmf',HeaderReference='00000001')")
        XCTAssertEqual(h.header(r, "ETag"), j["@odata.etag"] as? String)
        XCTAssertTrue((j["@odata.etag"] as? String ?? "").hasPrefix("W/\""))
        XCTAssertEqual(j["@odata.context"] as? String, "\(D365Harness.base)/data/$metadata#VendorInvoiceHeaders/$entity")
        XCTAssertEqual(j["VendorName"] as? String, "Alice Nguyen")
        XCTAssertEqual(j["DueDate"] as? String, "1900-01-01T12:00:00Z")
        XCTAssertEqual(j["IsOnHold"] as? String, "No")
        XCTAssertEqual(j["VendorInvoiceReviewStatus"] as? String, "Draft")
        XCTAssertEqual(try h.exact(r)["ImportedAmount"], .number("657.14"))
        let second = await h.send("POST", "/data/VendorInvoiceHeaders", body: header(["EXP-90000001": "EXP-90000013"]), token: token)
        XCTAssertEqual(h.json(second)["HeaderReference"] as? String, "00000002")
    }

    func testHeaderDefaultsCompanyAccountAndCurrencyAndNormalisesDates() async throws {
        let h = try D365Harness()
        let token = try await h.token()
        let r = await h.send(
            "POST", "/data/VendorInvoiceHeaders",
            body: #"{"InvoiceNumber":"EXP-1","VendorAccount":"emp-0001","InvoiceDate":"2026-11-05T00:00:00Z"}"#, token: token)
        XCTAssertEqual(r.status, 201)
        let j = h.json(r)
        XCTAssertEqual(j["dataAreaId"] as? String, "usmf")
        XCTAssertEqual(j["VendorAccount"] as? String, "EMP-0001")
        XCTAssertEqual(j["InvoiceAccount"] as? String, "EMP-0001")
        XCTAssertEqual(j["Currency"] as? String, "USD")
        XCTAssertEqual(j["InvoiceDate"] as? String, "2026-11-05T12:00:00Z")
    }

    func testSuppliedHeaderReferenceIsKeptAndDuplicatesRejected() async throws {
        let h = try D365Harness()
        let token = try await h.token()
        let ref = try await h.createHeader(
            header(["\"dataAreaId\":\"usmf\"": "\"dataAreaId\":\"usmf\",\"HeaderReference\":\"EXP-REF-1\""]), token: token)
        XCTAssertEqual(ref, "EXP-REF-1")
        let dup = await h.send(
            "POST", "/data/VendorInvoiceHeaders",
            body: header([
                "\"dataAreaId\":\"usmf\"": "\"dataAreaId\":\"usmf\",\"HeaderReference\":\"exp-ref-1\"",
                "EXP-90000001": "EXP-OTHER",
            ]), token: token)
        assertWriteFailed(h, dup, contains: "The record already exists")
    }

    func testLinesWithServerAssignedReferenceAndExactDecimals() async throws {
        let h = try D365Harness()
        let token = try await h.token()
        let ref = try await h.createHeader(token: token)
        let a = await h.send(
            "POST", "/data/VendorInvoiceLines",
            body: h.lineBody(ref, #""InvoiceLineNumber":1,"LineDescription":"Taxi","ReceiveNow":1,"UnitPrice":0.1,"NetAmount":0.1"#),
            token: token)
        XCTAssertEqual(a.status, 201, String(decoding: a.body, as: UTF8.self))
        XCTAssertEqual(
            h.header(a, "Location"),
            "\(D365Harness.base)/data/VendorInvoiceLines(dataAreaId='usmf',HeaderReference='\(ref)',InvoiceLineNumber=1)")
        let b = await h.send("POST", "/data/VendorInvoiceLines", body: h.lineBody(ref, #""LineDescription":"Bus","NetAmount":0.2"#), token: token)
        XCTAssertEqual(b.status, 201)
        XCTAssertEqual(try h.exact(b)["InvoiceLineNumber"], .number("2"))
        XCTAssertEqual(try h.exact(b)["UnitPrice"], .number("0.2"))
        let c = await h.send("POST", "/data/VendorInvoiceLines", body: h.lineBody(ref, #""ReceiveNow":3,"UnitPrice":33.333"#), token: token)
        XCTAssertEqual(try h.exact(c)["NetAmount"], .number("100"), "ReceiveNow × UnitPrice rounded to the currency's 0.01")
        let inv = await h.control("GET", "/_sandbox/d365/invoices")
        let invoice = try XCTUnwrap(try h.exact(inv)["invoices"]?.arrayValue?.first)
        XCTAssertEqual(invoice["posted"], .bool(false))
        XCTAssertEqual(invoice["lines"]?.arrayValue?.count, 3)
        let total = try XCTUnwrap(invoice["lines"]?.arrayValue?.prefix(2).compactMap { $0["NetAmount"]?.decimalValue }.reduce(0, +))
        XCTAssertEqual(total, Decimal(string: "0.3"))
        XCTAssertEqual(invoice["lineTotal"], .number("100.3"))
        XCTAssertEqual(invoice["ImportedAmount"], .number("657.14"))
    }

    func testJSONNumbersKeepManyDigitsExactly() async throws {
        let h = try D365Harness()
        let token = try await h.token()
        let ref = try await h.createHeader(header(["657.14": "12345678901234567890.12"]), token: token)
        let r = await h.send("GET", "/data/VendorInvoiceHeaders(dataAreaId='usmf',HeaderReference='\(ref)')", token: token)
        XCTAssertEqual(try h.exact(r)["ImportedAmount"], .number("12345678901234567890.12"))
        let ieee = await h.send(
            "GET", "/data/VendorInvoiceHeaders(dataAreaId='usmf',HeaderReference='\(ref)')",
            headers: ["accept": "application/json;IEEE754Compatible=true"], token: token)
        XCTAssertEqual(try h.exact(ieee)["ImportedAmount"], .string("12345678901234567890.12"))
    }

    func testUnknownPropertyAndWrongTypesAre400() async throws {
        let h = try D365Harness()
        let token = try await h.token()
        let unknown = await h.send(
            "POST", "/data/VendorInvoiceHeaders", body: header(["\"Currency\"": "\"ImportSource\":\"x\",\"Currency\""]), token: token)
        XCTAssertEqual(unknown.status, 400)
        XCTAssertTrue(
            h.innerMessage(unknown).contains(
                "The property 'ImportSource' does not exist on type 'Microsoft.Dynamics.DataEntities.VendorInvoiceHeader'"))
        let wrongCase = await h.send("POST", "/data/VendorInvoiceHeaders", body: header(["\"Currency\"": "\"currency\""]), token: token)
        XCTAssertEqual(wrongCase.status, 400)
        let cases = [
            header(["657.14": "\"657.14\""]),  // string for Edm.Decimal
            header(["\"2026-11-05T12:00:00Z\",\"Date\"": "\"2026-11-05\",\"Date\""]),  // date-only literal
            header(["\"Currency\":\"USD\"": "\"Currency\":5"]),
            header(["\"Currency\":\"USD\"": "\"Currency\":\"USD\",\"IsOnHold\":\"Maybe\""]),
            header(["\"Currency\":\"USD\"": "\"Currency\":\"USD\",\"ImportedSalesTax\":null"]),
            "{\"InvoiceNumber\": }",
        ]
        for body in cases {
            let r = await h.send("POST", "/data/VendorInvoiceHeaders", body: body, token: token)
            XCTAssertEqual(r.status, 400, body)
            XCTAssertEqual((h.json(r)["error"] as? [String: Any])?["code"] as? String, "", body)
        }
        let ieee = await h.send(
            "POST", "/data/VendorInvoiceHeaders", body: header(["657.14": "\"657.14\""]),
            headers: ["content-type": "application/json;IEEE754Compatible=true"], token: token)
        XCTAssertEqual(ieee.status, 201, "IEEE754Compatible=true allows decimals as strings")
    }

    func testHeaderValidationRules() async throws {
        let h = try D365Harness()
        let token = try await h.token()
        func post(_ changes: [String: String]) async -> SimResponse {
            await h.send("POST", "/data/VendorInvoiceHeaders", body: header(changes), token: token)
        }
        assertWriteFailed(
            h, await post(["EMP-0001": "EMP-9999"]),
            contains: "The value 'EMP-9999' in field 'Vendor account' is not found in the relating table 'Vendors'")
        assertWriteFailed(h, await post(["EMP-0001": "EMP-0003"]), contains: "Vendor 'EMP-0003' is on hold (Invoice) and cannot be invoiced")
        assertWriteFailed(
            h, await post(["\"USD\"": "\"XYZ\""]),
            contains: "The value 'XYZ' in field 'Currency' is not found in the relating table 'Currencies'")
        assertWriteFailed(h, await post(["\"InvoiceNumber\":\"EXP-90000001\",": ""]), contains: "Field 'Invoice number' must be filled in")
        assertWriteFailed(
            h, await post(["\"usmf\"": "\"gbsi\""]),
            contains: "The value 'EMP-0001' in field 'Vendor account' is not found in the relating table 'Vendors'")
        assertWriteFailed(h, await post(["\"usmf\"": "\"zzzz\""]), contains: "Company 'zzzz' does not exist")
        // Duplicate invoice number for the same vendor in the company (case-insensitive).
        _ = try await h.createHeader(token: token)
        assertWriteFailed(
            h, await post(["EXP-90000001": "exp-90000001"]),
            contains: "Invoice number 'exp-90000001' is already used for vendor account 'EMP-0001'")
        let otherVendor = await post(["EMP-0001": "EMP-0002"])
        XCTAssertEqual(otherVendor.status, 201, "the same number for another vendor is fine")
        // Several problems are all reported.
        let many = assertWriteFailed(h, await post(["EMP-0001": "EMP-0003", "\"USD\"": "\"XYZ\""]), contains: "on hold")
        XCTAssertTrue(many.contains("Error: The value 'XYZ' in field 'Currency'"), many)
    }

    func testDuplicateInvoiceCheckCanBeSwitchedOff() async throws {
        let h = try D365Harness()
        let token = try await h.token()
        let s = await h.control("POST", "/_sandbox/d365/settings", body: #"{"duplicateInvoiceCheck":false}"#)
        XCTAssertEqual(s.status, 200)
        _ = try await h.createHeader(token: token)
        let again = await h.send("POST", "/data/VendorInvoiceHeaders", body: D365Harness.headerBody, token: token)
        XCTAssertEqual(again.status, 201)
    }

    func testWritesToACompanyTheUserMayNotAccessAreRejected() async throws {
        let h = try D365Harness { root in
            var users = root["users"] as? [[String: Any]] ?? []
            users[0]["companies"] = ["usmf"]
            root["users"] = users
        }
        let token = try await h.token()
        let r = await h.send(
            "POST", "/data/VendorInvoiceHeaders", body: header(["\"usmf\"": "\"gbsi\"", "EMP-0001": "EMP-1001", "USD": "GBP"]),
            token: token)
        assertWriteFailed(h, r, contains: "User 'svc-expensify' is not authorized to access company 'gbsi'")
    }

    func testDimensionDisplayValuesAreParsedValidatedAndNormalised() async throws {
        let h = try D365Harness()
        let token = try await h.token()
        let cases: [(String, String)] = [
            ("010-W01", "010-W01-"), ("020-PL\\\\-01-", "020-PL\\-01-"), ("030--", "030--"),
            ("-LG1-001", "-LG1-001"), ("--", ""), ("", ""), ("010-w01-", "010-W01-"),
        ]
        for (n, (input, expected)) in cases.enumerated() {
            let r = await h.send(
                "POST", "/data/VendorInvoiceHeaders",
                body: header(["\"010-W01-\"": "\"\(input)\"", "EXP-90000001": "EXP-D\(n)"]), token: token)
            XCTAssertEqual(r.status, 201, input)
            XCTAssertEqual(h.json(r)["DimensionDisplayValue"] as? String, expected, input)
        }
        func post(_ dims: String) async -> SimResponse {
            await h.send(
                "POST", "/data/VendorInvoiceHeaders", body: header(["\"010-W01-\"": "\"\(dims)\"", "EXP-90000001": "EXP-BAD"]), token: token)
        }
        assertWriteFailed(h, await post("020-OLD1-"), contains: "Value 'OLD1' for dimension 'CostCenter' is suspended")
        assertWriteFailed(h, await post("099--"), contains: "Value '099' for dimension 'Department' was not found")
        assertWriteFailed(h, await post("020-PL-01-"), contains: "has 4 segments but the active default dimension format")
        assertWriteFailed(h, await post("010-W01-001-X"), contains: "has 4 segments")
        // Dimension values are active from 2020-01-01 in the seed.
        let early = await h.send(
            "POST", "/data/VendorInvoiceHeaders",
            body: header(["2026-11-05T12:00:00Z": "2019-06-01T12:00:00Z", "EXP-90000001": "EXP-EARLY"]), token: token)
        assertWriteFailed(h, early, contains: "Value '010' for dimension 'Department' is not active on 2019-06-01")
    }

    func testExtraSegmentsCanBeDroppedInstead() async throws {
        let h = try D365Harness()
        let token = try await h.token()
        _ = await h.control("POST", "/_sandbox/d365/settings", body: #"{"extraDimensionSegments":"drop"}"#)
        let r = await h.send("POST", "/data/VendorInvoiceHeaders", body: header(["\"010-W01-\"": "\"010-W01-001-X\""]), token: token)
        XCTAssertEqual(h.json(r)["DimensionDisplayValue"] as? String, "010-W01-001")
    }

    func testBlockedDimensionValueAndOtherDelimiter() async throws {
        let h = try D365Harness { root in
            var entities = root["entities"] as? [String: Any] ?? [:]
            var values = entities["FinancialDimensionValues"] as? [[String: Any]] ?? []
            values.append(["FinancialDimension": "CostCenter", "LegalEntityId": "usmf", "DimensionValue": "BLK1", "IsBlockedForManualEntry": "Yes"])
            values.append([
                "FinancialDimension": "CostCenter", "LegalEntityId": "usmf", "DimensionValue": "EXP1",
                "ActiveTo": "2025-12-31T12:00:00Z",
            ])
            entities["FinancialDimensionValues"] = values
            entities["DimensionParameters"] = [["Key": 0, "DimensionSegmentDelimiter": "Period"]]
            var formats = entities["DimensionIntegrationFormats"] as? [[String: Any]] ?? []
            for i in formats.indices {
                formats[i]["FinancialDimensionFormat"] = (formats[i]["FinancialDimensionFormat"] as? String ?? "")
                    .replacingOccurrences(of: "-", with: ".")
            }
            entities["DimensionIntegrationFormats"] = formats
            root["entities"] = entities
        }
        let token = try await h.token()
        func post(_ dims: String, _ n: Int) async -> SimResponse {
            await h.send(
                "POST", "/data/VendorInvoiceHeaders", body: header(["\"010-W01-\"": "\"\(dims)\"", "EXP-90000001": "EXP-\(n)"]), token: token)
        }
        assertWriteFailed(h, await post("010.BLK1", 1), contains: "Value 'BLK1' for dimension 'CostCenter' is blocked for manual entry")
        assertWriteFailed(h, await post("010.EXP1", 2), contains: "Value 'EXP1' for dimension 'CostCenter' is not active on 2026-11-05")
        let ok = await post("020.PL-01", 3)
        XCTAssertEqual(h.json(ok)["DimensionDisplayValue"] as? String, "020.PL-01.")
    }

    func testLineValidationRules() async throws {
        let h = try D365Harness()
        let token = try await h.token()
        let ref = try await h.createHeader(token: token)
        func post(_ body: String) async -> SimResponse { await h.send("POST", "/data/VendorInvoiceLines", body: body, token: token) }
        assertWriteFailed(
            h, await post(h.lineBody("99999999", #""NetAmount":1"#)), line: true,
            contains: "The value '99999999' in field 'Header reference' is not found in the relating table 'Pending vendor invoices'")
        assertWriteFailed(
            h, await post(h.lineBody(ref, #""NetAmount":1"#).replacingOccurrences(of: "600120", with: "600199")), line: true,
            contains: "Main account '600199' is suspended")
        assertWriteFailed(
            h, await post(h.lineBody(ref, #""NetAmount":1"#).replacingOccurrences(of: "600120", with: "999999")), line: true,
            contains: "Main account '999999' does not exist in chart of accounts 'Shared'")
        assertWriteFailed(
            h, await post(h.lineBody(ref, #""NetAmount":1"#).replacingOccurrences(of: "600120", with: "200100")), line: true,
            contains: "Main account '200100' does not allow manual entry")
        assertWriteFailed(
            h, await post(h.lineBody(ref, #""NetAmount":1,"DimensionDisplayValue":"020-OLD1-""#)), line: true,
            contains: "Value 'OLD1' for dimension 'CostCenter' is suspended")
        assertWriteFailed(
            h, await post(h.lineBody(ref, #""NetAmount":1"#).replacingOccurrences(of: "\"USD\"", with: "\"EUR\"")), line: true,
            contains: "Currency 'EUR' on the line must be the same as the invoice currency 'USD'")
        assertWriteFailed(
            h, await post(h.lineBody(ref, #""ReceiveNow":2,"UnitPrice":4,"NetAmount":10"#)), line: true,
            contains: "Net amount 10 does not equal quantity 2 multiplied by unit price 4")
        assertWriteFailed(
            h, await post(h.lineBody(ref, #""NetAmount":1"#).replacingOccurrences(of: "\"usmf\"", with: "\"gbsi\"")), line: true,
            contains: "in field 'Header reference' is not found")
        let ok = await post(h.lineBody(ref, #""ReceiveNow":2,"UnitPrice":4,"NetAmount":8.00,"MainAccountDisplayValue":"600120-010-W01""#))
        XCTAssertEqual(ok.status, 201)
        XCTAssertEqual(h.json(ok)["MainAccountDisplayValue"] as? String, "600120-010-W01-")
        XCTAssertEqual(h.json(ok)["DimensionDisplayValue"] as? String, "010-W01-", "defaults from the header")
        let dup = await post(h.lineBody(ref, #""InvoiceLineNumber":1,"NetAmount":1"#))
        assertWriteFailed(h, dup, line: true, contains: "The record already exists")
    }

    func testPatchAndDelete() async throws {
        let h = try D365Harness()
        let token = try await h.token()
        let ref = try await h.createHeader(token: token)
        let key = "/data/VendorInvoiceHeaders(dataAreaId='usmf',HeaderReference='\(ref)')"
        let before = await h.send("GET", key, token: token)
        let etag = try XCTUnwrap(h.header(before, "ETag"))
        let patch = await h.send("PATCH", key, body: #"{"InvoiceDescription":"Changed","ImportedAmount":1.10}"#, token: token)
        XCTAssertEqual(patch.status, 204)
        XCTAssertTrue(patch.body.isEmpty)
        let after = await h.send("GET", key, token: token)
        XCTAssertEqual(h.json(after)["InvoiceDescription"] as? String, "Changed")
        XCTAssertEqual(try h.exact(after)["ImportedAmount"], .number("1.1"))
        let stale = await h.send("PATCH", key, body: #"{"InvoiceDescription":"Again"}"#, headers: ["if-match": etag], token: token)
        XCTAssertEqual(stale.status, 412)
        let badPatch = await h.send("PATCH", key, body: #"{"VendorAccount":"EMP-0003","InvoiceAccount":"EMP-0003"}"#, token: token)
        assertWriteFailed(h, badPatch, contains: "on hold")
        let keyChange = await h.send("PATCH", key, body: #"{"HeaderReference":"OTHER"}"#, token: token)
        XCTAssertEqual(keyChange.status, 400)
        let line = await h.send("POST", "/data/VendorInvoiceLines", body: h.lineBody(ref, #""NetAmount":5"#), token: token)
        XCTAssertEqual(line.status, 201)
        let lineKey = "/data/VendorInvoiceLines(dataAreaId='usmf',HeaderReference='\(ref)',InvoiceLineNumber=1)"
        let linePatch = await h.send("PATCH", lineKey, body: #"{"ReceiveNow":3,"UnitPrice":2.5}"#, token: token)
        XCTAssertEqual(linePatch.status, 204)
        let lineAfter = await h.send("GET", lineKey, token: token)
        XCTAssertEqual(try h.exact(lineAfter)["NetAmount"], .number("7.5"))
        let delete = await h.send("DELETE", key, token: token)
        XCTAssertEqual(delete.status, 204)
        let gone = await h.send("GET", lineKey, token: token)
        XCTAssertEqual(gone.status, 404, "lines go with their header")
        let again = await h.send("DELETE", key, token: token)
        XCTAssertEqual(again.status, 404)
    }

    func testPostedInvoiceIsLocked() async throws {
        let h = try D365Harness()
        let token = try await h.token()
        let ref = try await h.createHeader(token: token)
        _ = await h.send("POST", "/data/VendorInvoiceLines", body: h.lineBody(ref, #""NetAmount":657.14"#), token: token)
        let posted = await h.control("POST", "/_sandbox/d365/post", query: [("dataAreaId", "usmf"), ("HeaderReference", ref)])
        XCTAssertEqual(posted.status, 200)
        XCTAssertEqual(h.json(posted)["voucher"] as? String, "APIN000001")
        let read = await h.send("GET", "/data/VendorInvoiceHeaders(dataAreaId='usmf',HeaderReference='\(ref)')", token: token)
        XCTAssertEqual(read.status, 404, "posted invoices leave the pending tables")
        let lines = await h.send("GET", "/data/VendorInvoiceLines", token: token)
        XCTAssertEqual(h.values(lines).count, 0)
        let key = "/data/VendorInvoiceHeaders(dataAreaId='usmf',HeaderReference='\(ref)')"
        for r in [
            await h.send("PATCH", key, body: #"{"InvoiceDescription":"x"}"#, token: token),
            await h.send("DELETE", key, token: token),
            await h.send(
                "POST", "/data/VendorInvoiceHeaders",
                body: header([
                    "\"dataAreaId\":\"usmf\"": "\"dataAreaId\":\"usmf\",\"HeaderReference\":\"\(ref)\"",
                    "EXP-90000001": "EXP-NEW",
                ]), token: token),
        ] {
            assertWriteFailed(h, r, contains: "has been posted (voucher APIN000001) and cannot be changed")
        }
        assertWriteFailed(
            h, await h.send("POST", "/data/VendorInvoiceLines", body: h.lineBody(ref, #""NetAmount":1"#), token: token),
            line: true, contains: "has been posted")
        assertWriteFailed(
            h, await h.send("POST", "\(key)/VendorInvoiceLine", body: #"{"NetAmount":1}"#, token: token),
            line: true, contains: "cannot be changed")
        assertWriteFailed(
            h,
            await h.send(
                "DELETE", "/data/VendorInvoiceLines(dataAreaId='usmf',HeaderReference='\(ref)',InvoiceLineNumber=1)",
                token: token), line: true, contains: "has been posted")
        // The posted invoice still counts for the duplicate check, and its number is never reused.
        assertWriteFailed(
            h, await h.send("POST", "/data/VendorInvoiceHeaders", body: D365Harness.headerBody, token: token),
            contains: "is already used")
        let next = try await h.createHeader(header(["EXP-90000001": "EXP-NEXT"]), token: token)
        XCTAssertEqual(next, "00000002")
        let all = try h.exact(await h.control("GET", "/_sandbox/d365/invoices"))
        let invoices = try XCTUnwrap(all["invoices"]?.arrayValue)
        XCTAssertEqual(invoices.map { $0["posted"] }, [.bool(true), .bool(false)])
        XCTAssertEqual(invoices.first?["lineTotal"], .number("657.14"))
        let twice = await h.control("POST", "/_sandbox/d365/post", query: [("dataAreaId", "usmf"), ("HeaderReference", ref)])
        XCTAssertEqual(twice.status, 409)
    }
}
