import ConnectorCore
import ConnectorHTTP
import Foundation
import Logging
import OData
import XCTest

@testable import Dynamics365

/// Building `$batch` request bodies and reading multipart answers (no network).
final class D365BatchMultipartTests: XCTestCase {
    private func document(_ key: String, amounts: [String]) -> InvoiceDocument {
        let lines = amounts.enumerated().map { i, amount in
            InvoiceLine(
                lineNumber: i + 1, transactionID: "T\(i + 1)", description: "Line \(i + 1)", amount: amount, mainAccount: "600120",
                dimensionDisplayValue: "010-W01-", category: "Meals", merchant: "m", expenseDate: "2026-11-02")
        }
        return InvoiceDocument(
            key: key, kind: .employee, reportID: key, reportName: "r", policyID: "P", company: "USMF",
            vendorAccount: "EMP-0001", employeeEmail: "e@x.example", currency: "USD", invoiceDate: "2026-11-12",
            postingDate: "2026-11-13", description: "Expensify \(key)", dimensionDisplayValue: "010-W01-",
            total: "0.00", lines: lines)
    }

    private func text(_ data: Data) -> String { String(decoding: data, as: UTF8.self) }

    // MARK: - Request body

    private func request(_ entries: [D365BatchEntry]) -> D365BatchRequest { D365BatchRequest(entries, root: "https://erp.example/data") }

    private func newJob(_ key: String, amounts: [String]) throws -> D365NewJob {
        D365NewJob(prepared: try D365PreparedDocument(document(key, amounts: amounts)))
    }

    func testReferencesRequestBodyIsOneChangesetPerDocumentWithCRLFAndContentIDReferences() throws {
        let jobA = try newJob("EXP-A", amounts: ["10.00", "-2.50"])
        let jobB = try newJob("EXP-B", amounts: ["7"])
        let (a, b) = (jobA.prepared, jobB.prepared)
        let plan = request([.withReferences(jobA), .withReferences(jobB)])
        XCTAssertEqual(plan.changesets.map { $0.operations.map(\.contentID) }, [["1", "2", "3"], ["4", "5"]])
        XCTAssertEqual(
            plan.changesets.map { $0.operations.map(\.url) },
            [
                ["https://erp.example/data/VendorInvoiceHeaders", "$1/VendorInvoiceLine", "$1/VendorInvoiceLine"],
                ["https://erp.example/data/VendorInvoiceHeaders", "$4/VendorInvoiceLine"],
            ])

        let body = ODataBatch.requestBody(plan.changesets, boundary: "batch_B", changesetBoundary: { "changeset_\($0)" })
        let headerJSON = text(JSONValue.object(a.header).serialized())
        let line1 = text(JSONValue.object(a.lines[0]).serialized())
        let line2 = text(JSONValue.object(a.lines[1]).serialized())
        let headerB = text(JSONValue.object(b.header).serialized())
        let lineB = text(JSONValue.object(b.lines[0]).serialized())
        func op(_ cs: String, _ id: String, _ url: String, _ json: String) -> String {
            "--\(cs)\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\nContent-ID: \(id)\r\n\r\n"
                + "POST \(url) HTTP/1.1\r\nContent-Type: application/json;odata.metadata=minimal\r\n\r\n\(json)\r\n"
        }
        let expected =
            "--batch_B\r\nContent-Type: multipart/mixed; boundary=changeset_0\r\n\r\n"
            + op("changeset_0", "1", "https://erp.example/data/VendorInvoiceHeaders", headerJSON)
            + op("changeset_0", "2", "$1/VendorInvoiceLine", line1)
            + op("changeset_0", "3", "$1/VendorInvoiceLine", line2)
            + "--changeset_0--\r\n"
            + "--batch_B\r\nContent-Type: multipart/mixed; boundary=changeset_1\r\n\r\n"
            + op("changeset_1", "4", "https://erp.example/data/VendorInvoiceHeaders", headerB)
            + op("changeset_1", "5", "$4/VendorInvoiceLine", lineB)
            + "--changeset_1--\r\n--batch_B--\r\n"
        XCTAssertEqual(text(body), expected)
        XCTAssertFalse(text(body).replacingOccurrences(of: "\r\n", with: "").contains("\n"), "every line ends with CRLF")
        // Exact decimals, in line order; the header reference comes from the $1 reference, not the body.
        XCTAssertTrue(line1.contains(#""UnitPrice":10.00"#), line1)
        XCTAssertTrue(line2.contains(#""NetAmount":-2.50"#), line2)
        XCTAssertFalse(line1.contains("HeaderReference"))
        XCTAssertTrue(headerJSON.contains(#""InvoiceNumber":"EXP-A""#))
    }

    func testTwoPhaseAndClientKeyRequestsCarryExplicitReferencesAndDeletesAreBodiless() throws {
        let jobA = try newJob("EXP-A", amounts: ["10.00", "-2.50"])
        let jobC = try newJob("EXP-C", amounts: ["3.00"])
        let doc = document("EXP-L", amounts: ["1.00", "2.00", "3.00"])
        let lines = D365LinesJob(document: doc, reference: "00000042", lines: Array(doc.lines.dropFirst()), status: .completed, headerIsEmpty: false)
        let remove = D365RemoveJob(
            document: document("EXP-R", amounts: ["1.00"]), reference: "0000'7", cause: ConnectorError("d365.validation", "no"))
        let plan = request([.header(jobA), .lines(lines, bodies: try lines.bodies()), .withClientKey(jobC, reference: "EXP-C"), .remove(remove)])
        XCTAssertEqual(plan.changesets.map { $0.operations.map(\.contentID) }, [["1"], ["2", "3"], ["4", "5"], ["6"]])
        XCTAssertEqual(plan.changesets.map { $0.operations.map(\.method) }, [["POST"], ["POST", "POST"], ["POST", "POST"], ["DELETE"]])
        XCTAssertEqual(
            plan.changesets.map { $0.operations.map(\.url) },
            [
                ["https://erp.example/data/VendorInvoiceHeaders"],
                ["https://erp.example/data/VendorInvoiceLines", "https://erp.example/data/VendorInvoiceLines"],
                ["https://erp.example/data/VendorInvoiceHeaders", "https://erp.example/data/VendorInvoiceLines"],
                ["https://erp.example/data/VendorInvoiceHeaders(dataAreaId=%27usmf%27,HeaderReference=%270000%27%277%27)"],
            ])
        let ops = plan.changesets.flatMap(\.operations)
        XCTAssertNil(ops[0].body["HeaderReference"], "a server-keyed header carries no reference")
        XCTAssertEqual(ops[1].body["HeaderReference"], .string("00000042"))
        XCTAssertEqual(
            [ops[1].body["InvoiceLineNumber"], ops[2].body["InvoiceLineNumber"]], [.number("2"), .number("3")], "only the missing lines, in order")
        XCTAssertEqual(ops[3].body["HeaderReference"], .string("EXP-C"))
        XCTAssertEqual(ops[4].body["HeaderReference"], .string("EXP-C"))

        let body = text(ODataBatch.requestBody(plan.changesets, boundary: "b", changesetBoundary: { "c\($0)" }))
        XCTAssertTrue(
            body.contains(
                "DELETE https://erp.example/data/VendorInvoiceHeaders(dataAreaId=%27usmf%27,HeaderReference=%270000%27%277%27) HTTP/1.1\r\nAccept: application/json;odata.metadata=minimal\r\n\r\n--c3--"
            ), body)
    }

    func testReadsTravelAsSinglePartsWithoutBodies() {
        let get = ODataBatchOperation(contentID: "1", method: "get", url: "https://erp.example/data/VendorInvoiceHeaders?$filter=x", body: [:])
        let body = text(ODataBatch.requestBody(items: [.single(get), .single(get)], boundary: "b"))
        let part =
            "--b\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\nContent-ID: 1\r\n\r\n"
            + "GET https://erp.example/data/VendorInvoiceHeaders?$filter=x HTTP/1.1\r\nAccept: application/json;odata.metadata=minimal\r\n\r\n"
        XCTAssertEqual(body, part + part + "--b--\r\n")
    }

    func testClientHeaderReferencesAreTheKeyOrAStableDigest() {
        XCTAssertEqual(VendorInvoicePayload.clientHeaderReference(for: "EXP90000001"), "EXP90000001")
        XCTAssertEqual(VendorInvoicePayload.clientHeaderReference(for: "EXP90000001-CC"), "EXP90000001-CC")
        let long = VendorInvoicePayload.clientHeaderReference(for: "EXPENSES-12345678901234567-CC")
        XCTAssertEqual(long.count, 20)
        XCTAssertTrue(long.hasPrefix("EXP~"), long)
        XCTAssertEqual(long, VendorInvoicePayload.clientHeaderReference(for: "EXPENSES-12345678901234567-CC"), "stable")
        XCTAssertNotEqual(long, VendorInvoicePayload.clientHeaderReference(for: "EXPENSES-12345678901234568-CC"))
        XCTAssertEqual(VendorInvoicePayload.clientHeaderReference(for: "EXP-O'B").count, 20, "a quote is never sent in a key")
    }

    func testAHeaderReferenceIsReadFromTheBodyElseFromTheLocation() {
        func part(_ body: String, location: String? = nil) -> ODataBatchPart {
            ODataBatchPart(contentID: "1", status: 201, headers: location.map { ["Location": $0] } ?? [:], body: Data(body.utf8))
        }
        XCTAssertEqual(D365BatchRequest.headerReference(in: part(#"{"HeaderReference":"00000009"}"#)), "00000009")
        XCTAssertEqual(
            D365BatchRequest.headerReference(
                in: part("", location: "https://erp.example/data/VendorInvoiceHeaders(dataAreaId='usmf',HeaderReference='00''12')")), "00'12")
        XCTAssertEqual(
            D365BatchRequest.headerReference(
                in: part("", location: "https://erp.example/data/VendorInvoiceHeaders(dataAreaId=%27usmf%27,HeaderReference=%27A7%27)")), "A7")
        XCTAssertNil(D365BatchRequest.headerReference(in: part("{}")))
    }

    func testBatchLineIsTheLinePayloadWithoutHeaderReference() throws {
        let doc = document("EXP-L", amounts: ["12.34"])
        var single = try VendorInvoicePayload.line(doc.lines[0], of: doc, headerReference: "00000042")
        let batched = try VendorInvoicePayload.batchLine(doc.lines[0], of: doc)
        XCTAssertEqual(single.removeValue(forKey: "HeaderReference"), .string("00000042"))
        XCTAssertEqual(batched, single)
        XCTAssertEqual(batched["dataAreaId"], .string("usmf"))
        XCTAssertEqual(batched["InvoiceLineNumber"], .number("1"))
        XCTAssertThrowsError(try D365PreparedDocument(document("EXP-BAD", amounts: ["1,000.00"])))
    }

    func testSettingsDefaultToTwoPhaseBatchesOfFiftyWithServerKeys() {
        let url = URL(string: "https://erp.example")!
        let plain = D365Settings(
            environmentURL: url, authorityURL: url, tenant: "t", clientID: "c", clientSecret: Secret("s"), scope: nil,
            lookupChunkSize: 5)
        XCTAssertEqual(plain.batchSize, 50)
        XCTAssertEqual(plain.keyAssignment, .server)
        XCTAssertEqual(plain.batchStrategy, .twoPhase)
        XCTAssertEqual(
            D365Settings(
                environmentURL: url, authorityURL: url, tenant: "t", clientID: "c", clientSecret: Secret("s"),
                batchSize: 0
            ).batchSize, 0)
        XCTAssertEqual(
            D365Settings(
                environmentURL: url, authorityURL: url, tenant: "t", clientID: "c", clientSecret: Secret("s"),
                batchSize: -3
            ).batchSize, 0)
    }

    func testQueuedWorkIsPackedLinesFirstThenNewHeadersUpToTheBatchSize() throws {
        func describe(_ unit: D365LoadUnit?) -> String {
            switch unit {
            case .single(.document(let d)): return "single \(d.key)"
            case .single(.lines(let j)): return "single lines \(j.document.key)"
            case .single(.remove(let j)): return "single remove \(j.document.key)"
            case .batch(let r):
                return r.entries.map { entry -> String in
                    switch entry {
                    case .header(let j): return "H \(j.document.key)"
                    case .withReferences(let j): return "R \(j.document.key)"
                    case .withClientKey(let j, let ref): return "C \(j.document.key)=\(ref)"
                    case .lines(let j, let bodies): return "L \(j.document.key)x\(bodies.count)"
                    case .remove(let j): return "D \(j.document.key)"
                    }
                }.joined(separator: ",")
            case nil: return "-"
            }
        }
        func lines(_ key: String) -> D365LinesJob {
            let doc = document(key, amounts: ["1.00", "2.00"])
            return D365LinesJob(document: doc, reference: "R-" + key, lines: doc.lines, status: .created, headerIsEmpty: true)
        }
        var queue = D365WorkQueue()
        queue.news = try (1...5).map { try newJob("N\($0)", amounts: ["1.00"]) }
        queue.lines = [lines("L1"), lines("L2"), lines("L3")]
        queue.removes = [D365RemoveJob(document: document("X", amounts: ["1.00"]), reference: "9", cause: ConnectorError("d365.validation", "no"))]
        XCTAssertEqual(describe(queue.next(mode: .twoPhase, batchSize: 2, maxOperations: 1000, root: "b/data")), "D X,L L1x2,L L2x2,H N1,H N2")
        XCTAssertEqual(describe(queue.next(mode: .references, batchSize: 2, maxOperations: 1000, root: "b/data")), "L L3x2,R N3,R N4")
        XCTAssertEqual(describe(queue.next(mode: .clientKeys, batchSize: 2, maxOperations: 1000, root: "b/data")), "C N5=N5")
        XCTAssertEqual(describe(queue.next(mode: .twoPhase, batchSize: 2, maxOperations: 1000, root: "b/data")), "-")
        XCTAssertTrue(queue.isEmpty)

        // Operations per request are capped too: 400 lines a document → two documents a request at most.
        queue.news = try (1...3).map { try newJob("BIG-\($0)", amounts: Array(repeating: "1.00", count: 400)) }
        XCTAssertEqual(describe(queue.next(mode: .references, batchSize: 10, maxOperations: 1000, root: "b/data")), "R BIG-1,R BIG-2")
        XCTAssertEqual(describe(queue.next(mode: .references, batchSize: 10, maxOperations: 1000, root: "b/data")), "R BIG-3")

        // Per document, one unit per document, lines and deletions first.
        queue.news = [try newJob("N9", amounts: ["1.00"])]
        queue.lines = [lines("L9")]
        XCTAssertEqual(describe(queue.next(mode: .perDocument, batchSize: 10, maxOperations: 1000, root: "b/data")), "single lines L9")
        XCTAssertEqual(describe(queue.next(mode: .perDocument, batchSize: 10, maxOperations: 1000, root: "b/data")), "single N9")
    }

    // MARK: - Response parsing

    /// A `$batch` answer shaped like OData v4 services write it.
    private func answer(
        _ items: [String], boundary: String = "batchresponse_9f1", eol: String = "\r\n",
        preamble: String = "", epilogue: String = ""
    ) -> Data {
        var s = preamble
        for item in items { s += "--\(boundary)\(eol)" + item.replacingOccurrences(of: "\r\n", with: eol) }
        s += "--\(boundary)--\(eol)" + epilogue
        return Data(s.utf8)
    }

    private func part(_ status: String, id: String?, headers: [String] = [], body: String?) -> String {
        var s = "Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n"
        if let id { s += "Content-ID: \(id)\r\n" }
        s += "\r\nHTTP/1.1 \(status)\r\n"
        for h in headers { s += h + "\r\n" }
        s += "\r\n"
        if let body { s += body + "\r\n" }
        return s
    }

    private func changeset(_ boundary: String, _ parts: [String], quoted: Bool = false) -> String {
        "Content-Type: multipart/mixed; boundary=\(quoted ? "\"\(boundary)\"" : boundary)\r\n\r\n"
            + parts.map { "--\(boundary)\r\n" + $0 }.joined() + "--\(boundary)--\r\n"
    }

    private let odataError =
        #"{"error":{"code":"","message":"An error has occurred.","innererror":{"message":"Write failed for table row of type 'VendorInvoiceLineEntity'. Infolog: Error: Main account '699999' does not exist.; Warning: validateWrite failed on data source 'VendInvoiceInfoLine (VendInvoiceInfoLine)'.","type":"Microsoft.Dynamics.Platform.Integration.Services.OData.AxODataWriteException","stacktrace":""}}}"#

    func testParsesASuccessfulChangesetResponseExactly() throws {
        let header = #"{"@odata.etag":"W/\"JzEn\"","dataAreaId":"usmf","HeaderReference":"00000007","InvoiceNumber":"EXP-A"}"#
        let data = answer([
            changeset(
                "changesetresponse_c1",
                [
                    part(
                        "201 Created", id: "1",
                        headers: [
                            "Location: https://erp.example/data/VendorInvoiceHeaders(dataAreaId='usmf',HeaderReference='00000007')",
                            "Content-Type: application/json; odata.metadata=minimal", "ETag: W/\"JzEn\"",
                        ], body: header),
                    part("201 Created", id: "2", headers: ["Content-Type: application/json"], body: #"{"InvoiceLineNumber":1}"#),
                ])
        ])
        let items = try ODataBatch.parseResponse(data, contentType: "multipart/mixed; boundary=batchresponse_9f1")
        XCTAssertEqual(items.count, 1)
        guard case .changeset(let parts) = items[0] else { return XCTFail("expected a changeset response") }
        XCTAssertEqual(parts.map(\.status), [201, 201])
        XCTAssertEqual(parts.map(\.contentID), ["1", "2"])
        XCTAssertEqual(text(parts[0].body), header, "the body is kept byte for byte, without the delimiter's line break")
        XCTAssertEqual(parts[0].headers["etag"], "W/\"JzEn\"")
        XCTAssertEqual(parts[0].headers["location"], "https://erp.example/data/VendorInvoiceHeaders(dataAreaId='usmf',HeaderReference='00000007')")
        XCTAssertEqual(try JSONValue.parse(parts[1].body)["InvoiceLineNumber"], .number("1"))
    }

    func testParsesAFailedChangesetAsOneErrorPartWithTheODataMessage() throws {
        let data = answer([part("400 Bad Request", id: "2", headers: ["Content-Type: application/json"], body: odataError)])
        let items = try ODataBatch.parseResponse(data, contentType: "multipart/mixed; boundary=batchresponse_9f1")
        guard case .single(let error) = try XCTUnwrap(items.first) else { return XCTFail("expected a single part") }
        XCTAssertEqual(error.status, 400)
        XCTAssertEqual(error.contentID, "2")
        let mapped = D365Errors.error(for: error.response, entitySet: "VendorInvoiceLines", method: "POST")
        XCTAssertEqual(mapped.code, "d365.validation")
        XCTAssertEqual(mapped.message, "Main account '699999' does not exist.")
    }

    func testParsesAMixedAnswerInOrder() throws {
        let data = answer([
            changeset("changesetresponse_a", [part("201 Created", id: "1", body: #"{"HeaderReference":"1"}"#)]),
            part("400 Bad Request", id: nil, body: odataError),
            changeset(
                "changesetresponse_c",
                [
                    part("201 Created", id: "3", body: #"{"HeaderReference":"2"}"#),
                    part("204 No Content", id: "4", body: nil),
                ]),
        ])
        let items = try ODataBatch.parseResponse(data, contentType: "multipart/mixed; boundary=batchresponse_9f1")
        XCTAssertEqual(items.map { $0.parts.map(\.status) }, [[201], [400], [201, 204]])
        XCTAssertEqual(items.map { $0.parts.map(\.contentID) }, [["1"], [nil], ["3", "4"]])
        XCTAssertTrue(items[2].parts[1].body.isEmpty, "a 204 has no body")
        if case .single = items[1] {} else { XCTFail("the failed changeset is one part, not a changeset response") }
    }

    func testToleratesLFLineEndsPreambleEpiloguePaddingAndQuotedBoundaries() throws {
        let items = [
            changeset("cs x'(1)", [part("201 Created", id: "1", body: #"{"HeaderReference":"00000001"}"#)], quoted: true),
            part("400", id: "2", body: odataError),
        ]
        for eol in ["\r\n", "\n"] {
            var data = answer(items, boundary: "b", eol: eol, preamble: "This is a preamble\(eol)\(eol)", epilogue: "epilogue\(eol)")
            // Transport padding after a delimiter.
            data = Data(text(data).replacingOccurrences(of: "--b\(eol)", with: "--b \t\(eol)").utf8)
            let parsed = try ODataBatch.parseResponse(data, contentType: "multipart/mixed;boundary=\"b\"")
            XCTAssertEqual(parsed.map { $0.parts.map(\.status) }, [[201], [400]], "eol \(eol.debugDescription)")
            XCTAssertEqual(text(parsed[0].parts[0].body), #"{"HeaderReference":"00000001"}"#)
            XCTAssertEqual(D365ErrorMessage.parse(parsed[1].parts[0].body), "Main account '699999' does not exist.")
        }
    }

    func testNestedBoundariesAreTheirOwnAndLookAlikeLinesStayInTheBody() throws {
        // The changeset boundary starts with the batch boundary; a body line starts with a delimiter but is longer.
        let tricky = "{\"note\":\"x\"}\r\n--b-not-a-delimiter\r\n--bx"
        let data = answer([changeset("b_1", [part("201 Created", id: "1", body: tricky), part("201 Created", id: "2", body: "{}")])], boundary: "b")
        let items = try ODataBatch.parseResponse(data, contentType: "Multipart/Mixed; Boundary=b; charset=utf-8")
        XCTAssertEqual(items.count, 1)
        XCTAssertEqual(items[0].parts.map(\.contentID), ["1", "2"])
        XCTAssertEqual(text(items[0].parts[0].body), tricky)
    }

    func testRefusesAnswersThatAreNotMultipartBatches() {
        XCTAssertThrowsError(try ODataBatch.parseResponse(Data("{}".utf8), contentType: "application/json"))
        XCTAssertThrowsError(try ODataBatch.parseResponse(Data("--a\r\n\r\n--a--\r\n".utf8), contentType: "multipart/mixed"))
        XCTAssertThrowsError(try ODataBatch.parseResponse(Data("nothing here".utf8), contentType: "multipart/mixed; boundary=z"))
        let notHTTP = answer(["Content-Type: application/json\r\n\r\n{}\r\n"], boundary: "z")
        XCTAssertThrowsError(try ODataBatch.parseResponse(notHTTP, contentType: "multipart/mixed; boundary=z"))
        let badStatus = answer(["Content-Type: application/http\r\n\r\nHTTP/1.1 abc\r\n\r\n"], boundary: "z")
        XCTAssertThrowsError(try ODataBatch.parseResponse(badStatus, contentType: "multipart/mixed; boundary=z"))
        XCTAssertEqual(ODataBatch.boundary(ofContentType: "multipart/mixed; boundary=\"q r\""), "q r")
        XCTAssertNil(ODataBatch.boundary(ofContentType: "multipart/related; boundary=x"))
    }

    // MARK: - Matching answers to documents

    private func plan(_ lineCounts: [Int]) throws -> D365BatchRequest {
        let jobs = try lineCounts.enumerated().map { i, n in try newJob("EXP-\(i)", amounts: Array(repeating: "1.00", count: n)) }
        return request(jobs.map { .withReferences($0) })
    }

    private func ok(_ id: String?, reference: String? = nil) -> ODataBatchPart {
        ODataBatchPart(contentID: id, status: 201, headers: [:], body: Data((reference.map { #"{"HeaderReference":"\#($0)"}"# } ?? "{}").utf8))
    }

    private func failure(_ id: String?, _ status: Int) -> ODataBatchPart {
        ODataBatchPart(contentID: id, status: status, headers: [:], body: Data(odataError.utf8))
    }

    private func describe(_ outcomes: [D365ChangesetOutcome]?) -> [String] {
        (outcomes ?? []).map {
            switch $0 {
            case .succeeded(let parts):
                return "ok " + parts.map { D365BatchRequest.headerReference(in: $0) ?? $0.contentID ?? "-" }.joined(separator: ",")
            case .failed(let p, let op): return "failed \(p.status) op \(op.map(String.init) ?? "?")"
            case .uncertain: return "uncertain"
            case .notProcessed: return "not processed"
            }
        }
    }

    func testAnswersAreMatchedByContentIDThenByOrder() throws {
        let p = try plan([2, 1, 0, 1])  // Content-IDs: 1-3, 4-5, 6, 7-8
        let outcomes = p.interpret([
            .changeset([ok("3"), ok("1", reference: "A"), ok("2")]),  // parts put back in operation order
            .single(failure("5", 400)),  // doc 1's line
            .single(failure(nil, 400)),  // no Content-ID: third item → doc 2
            .changeset([ok(nil, reference: "D"), ok(nil)]),  // by order → doc 3
        ])
        XCTAssertEqual(describe(outcomes), ["ok A,2,3", "failed 400 op 1", "failed 400 op ?", "ok D,-"])

        // Answers out of order are put right by their Content-IDs; a changeset without an answer was not processed.
        let reordered = p.interpret([.changeset([ok("7", reference: "D"), ok("8")]), .single(failure("1", 400))])
        XCTAssertEqual(describe(reordered), ["failed 400 op 0", "not processed", "not processed", "ok D,8"])
    }

    func testUnclearAnswersAreUncertainOrRefused() throws {
        let p = try plan([1, 1])
        XCTAssertEqual(
            describe(
                p.interpret([
                    .changeset([ok("1")]),  // a part missing
                    .changeset([ok("3", reference: "B"), failure("4", 400)]),  // success beside an error
                ])), ["uncertain", "uncertain"])
        XCTAssertNil(p.interpret([.single(failure("1", 400)), .single(failure("2", 400))]), "one document answered twice")
        XCTAssertNil(p.interpret([.changeset([ok("1", reference: "A"), ok("4")])]), "one item naming two documents")
        XCTAssertNil(p.interpret([.single(failure(nil, 400)), .single(failure(nil, 400)), .single(failure(nil, 400))]), "more items than changesets")
    }
}

/// `D365Target.loadAll` with `$batch` against scripted answers, for server behaviours the simulator does not
/// show: a server that stops at the first failed changeset, error parts nested in a changeset response, LF-only
/// answers, `$batch` refused outright.
final class D365BatchPolicyTests: XCTestCase {
    private actor FixedTokens: TokenProvider {
        var refreshes = 0
        func token(forceRefresh: Bool) async throws -> Secret {
            if forceRefresh { refreshes += 1 }
            return Secret(forceRefresh ? "fresh-token" : "cached-token")
        }
    }

    private actor Results {
        var all: [DocumentLoadResult] = []
        func add(_ r: DocumentLoadResult) { all.append(r) }
    }

    private func target(
        _ transport: ScriptedTransport, batchSize: Int, strategy: D365BatchStrategy = .twoPhase,
        capture: LogCapture = LogCapture()
    ) -> D365Target {
        let url = URL(string: "https://erp.example")!
        let settings = D365Settings(
            environmentURL: url, authorityURL: url, tenant: "t", clientID: "c", clientSecret: Secret("s"),
            batchSize: batchSize, batchStrategy: strategy)
        let http = HTTPClient(transport: transport, retry: noRetryDelays, logger: capture.logger, system: "d365")
        return D365Target(settings: settings, http: http, tokens: FixedTokens(), logger: capture.logger)
    }

    private func document(_ key: String, lines: Int = 1) -> InvoiceDocument {
        InvoiceDocument(
            key: key, kind: .employee, reportID: key, reportName: "r", policyID: "P", company: "usmf", vendorAccount: "EMP-0001",
            employeeEmail: "e@x.example", currency: "USD", invoiceDate: "2026-11-12", postingDate: "2026-11-13",
            description: key, dimensionDisplayValue: "", total: "1.00",
            lines: (1...lines).map {
                InvoiceLine(
                    lineNumber: $0, transactionID: "T", description: "d", amount: "1.00",
                    mainAccount: "600120", dimensionDisplayValue: "", category: "c",
                    merchant: "m", expenseDate: "2026-11-02")
            })
    }

    private func multipart(_ body: String, boundary: String = "batchresponse_1") -> HTTPResponse {
        HTTPResponse(status: 200, headers: ["Content-Type": "multipart/mixed; boundary=\(boundary)"], body: Data(body.utf8))
    }

    private func run(_ d365: D365Target, _ docs: [InvoiceDocument], concurrency: Int = 1) async -> [String: DocumentLoadResult] {
        let results = Results()
        await d365.loadAll(docs, existing: [:], concurrency: concurrency) { await results.add($0) }
        let all = await results.all
        XCTAssertEqual(all.count, docs.count, "one result per document")
        return Dictionary(all.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
    }

    func testAHeaderCreatedWithoutItsKeyInTheAnswerIsFoundAndCompleted() async throws {
        // Per-document path: 201 with an empty body (a server honouring return=minimal by default).
        let transport = ScriptedTransport([
            .respond(.json(201, "{}")),
            .respond(.json(200, #"{"value":[{"dataAreaId":"usmf","HeaderReference":"H9","InvoiceNumber":"EXP1"}]}"#)),
            .respond(.json(200, #"{"value":[]}"#)),
            .respond(.json(201, #"{"HeaderReference":"H9","InvoiceLineNumber":1}"#)),
        ])
        let results = await run(target(transport, batchSize: 0), [document("EXP1")])
        XCTAssertEqual(results["EXP1"]?.erpReference, "H9")
        XCTAssertEqual(results["EXP1"]?.linesWritten, 1)
        XCTAssertTrue(results["EXP1"]?.isConfirmed ?? false)
        let methods = transport.requests.map { "\($0.method) \($0.url.path)" }
        XCTAssertEqual(
            methods,
            [
                "POST /data/VendorInvoiceHeaders", "GET /data/VendorInvoiceHeaders", "GET /data/VendorInvoiceLines",
                "POST /data/VendorInvoiceLines",
            ], "exactly one header POST")
    }

    private func changesetAnswer(_ boundary: String, _ changesets: [[(id: String, status: String, headers: [String], body: String)]]) -> HTTPResponse
    {
        var s = ""
        for (i, parts) in changesets.enumerated() {
            s += "--\(boundary)\r\nContent-Type: multipart/mixed; boundary=cs\(i)\r\n\r\n"
            for part in parts {
                s +=
                    "--cs\(i)\r\nContent-Type: application/http\r\nContent-ID: \(part.id)\r\n\r\nHTTP/1.1 \(part.status)\r\n"
                    + part.headers.map { $0 + "\r\n" }.joined() + "\r\n" + part.body + "\r\n"
            }
            s += "--cs\(i)--\r\n"
        }
        return multipart(s + "--\(boundary)--\r\n", boundary: boundary)
    }

    func testTwoPhaseSendsHeadersThenLinesWithTheReturnedReferencesAndMixesThePhases() async throws {
        let transport = ScriptedTransport([
            // Headers A and B; B's reference only in its Location.
            .respond(
                changesetAnswer(
                    "r1",
                    [
                        [("1", "201 Created", [], #"{"HeaderReference":"HA"}"#)],
                        [
                            (
                                "2", "201 Created",
                                ["Location: https://erp.example/data/VendorInvoiceHeaders(dataAreaId='usmf',HeaderReference='HB')"], ""
                            )
                        ],
                    ])),
            // A's line, B's two lines, C's header.
            .respond(
                changesetAnswer(
                    "r2",
                    [
                        [("1", "201 Created", [], "{}")],
                        [("2", "201 Created", [], "{}"), ("3", "201 Created", [], "{}")],
                        [("4", "201 Created", [], #"{"HeaderReference":"HC"}"#)],
                    ])),
            // C's line.
            .respond(changesetAnswer("r3", [[("1", "201 Created", [], "{}")]])),
        ])
        let d365 = target(transport, batchSize: 2)
        let results = await run(d365, [document("A"), document("B", lines: 2), document("C")])
        XCTAssertEqual(results.mapValues(\.status), ["A": .created, "B": .created, "C": .created])
        XCTAssertEqual(results.mapValues { $0.erpReference ?? "-" }, ["A": "HA", "B": "HB", "C": "HC"])
        XCTAssertEqual(results["B"]?.linesWritten, 2)

        XCTAssertEqual(transport.requests.map(\.url.lastPathComponent), ["$batch", "$batch", "$batch"])
        let bodies = transport.requests.map { String(decoding: $0.body ?? Data(), as: UTF8.self) }
        XCTAssertTrue(bodies[0].contains(#""InvoiceNumber":"A""#) && bodies[0].contains(#""InvoiceNumber":"B""#))
        XCTAssertFalse(bodies[0].contains("VendorInvoiceLines") || bodies[0].contains("$1"), "the first request holds headers only")
        XCTAssertTrue(bodies[1].contains(#""HeaderReference":"HA""#) && bodies[1].contains(#""HeaderReference":"HB""#))
        XCTAssertTrue(bodies[1].contains(#""InvoiceNumber":"C""#), "the second phase of A and B travels with the first phase of C")
        XCTAssertEqual(bodies[1].components(separatedBy: "POST https://erp.example/data/VendorInvoiceLines").count - 1, 3)
        XCTAssertTrue(bodies[2].contains(#""HeaderReference":"HC""#))
    }

    func testRefusedLinesDeleteTheHeaderAgainAndTheDocumentFailsWithTheServersMessage() async throws {
        let refusal =
            #"{"error":{"code":"","message":"An error has occurred.","innererror":{"message":"Write failed for table row of type 'VendorInvoiceLineEntity'. Infolog: Error: Main account '699999' does not exist.","type":"x","stacktrace":""}}}"#
        let transport = ScriptedTransport([
            .respond(changesetAnswer("r1", [[("1", "201 Created", [], #"{"HeaderReference":"HA"}"#)]])),
            .respond(
                multipart(
                    "--r2\r\nContent-Type: application/http\r\nContent-ID: 1\r\n\r\nHTTP/1.1 400 Bad Request\r\n\r\n\(refusal)\r\n--r2--\r\n",
                    boundary: "r2")),
            .respond(changesetAnswer("r3", [[("1", "204 No Content", [], "")]])),
        ])
        let results = await run(target(transport, batchSize: 5), [document("A", lines: 2)])
        let a = try XCTUnwrap(results["A"])
        XCTAssertEqual(a.status, .failed)
        XCTAssertEqual(a.errorCode, "d365.validation")
        XCTAssertTrue(a.errorMessage?.hasPrefix("Main account '699999' does not exist.") ?? false, a.errorMessage ?? "")
        XCTAssertTrue(a.errorMessage?.contains("deleted again") ?? false, a.errorMessage ?? "")
        XCTAssertNil(a.erpReference, "no header is left to point at")
        let third = String(decoding: transport.requests[2].body ?? Data(), as: UTF8.self)
        XCTAssertTrue(
            third.contains("DELETE https://erp.example/data/VendorInvoiceHeaders(dataAreaId=%27usmf%27,HeaderReference=%27HA%27) HTTP/1.1"), third)
        XCTAssertEqual(transport.requests.count, 3)
    }

    func testLookupsTravelInOneBatchAndFallBackToPlainReadsWhenBatchIsAbsent() async throws {
        func doc(_ key: String, _ company: String) -> InvoiceDocument {
            var d = document(key)
            d.company = company
            return d
        }
        let header = #"{"value":[{"dataAreaId":"usmf","HeaderReference":"H1","InvoiceNumber":"A"}]}"#
        let lines = #"{"value":[{"HeaderReference":"H1","InvoiceLineNumber":1}]}"#
        // Companies in order: gbsi's read is part 1, usmf's part 2 (answered out of order).
        let reads =
            "--r\r\nContent-Type: application/http\r\nContent-ID: 2\r\n\r\nHTTP/1.1 200 OK\r\n\r\n\(header)\r\n"
            + "--r\r\nContent-Type: application/http\r\nContent-ID: 1\r\n\r\nHTTP/1.1 200 OK\r\n\r\n{\"value\":[]}\r\n--r--\r\n"
        let batched = ScriptedTransport([.respond(multipart(reads, boundary: "r")), .respond(.json(200, lines))])
        let d365 = target(batched, batchSize: 50)
        let found = try await d365.findExisting([doc("A", "usmf"), doc("B", "gbsi")])
        XCTAssertEqual(found["A"]?.erpReference, "H1")
        XCTAssertEqual(found["A"]?.lineNumbers, [1])
        XCTAssertNil(found["B"])
        XCTAssertEqual(
            batched.requests.map { "\($0.method) \($0.url.lastPathComponent)" }, ["POST $batch", "GET VendorInvoiceLines"],
            "two companies' header reads in one $batch; one read alone goes plain")
        let body = String(decoding: batched.requests[0].body ?? Data(), as: UTF8.self)
        XCTAssertEqual(body.components(separatedBy: "GET https://erp.example/data/VendorInvoiceHeaders?cross-company=true").count - 1, 2)

        let absent = ScriptedTransport([
            .respond(.json(404, #"{"Message":"No HTTP resource was found that matches the request URI."}"#)),
            .respond(.json(200, #"{"value":[]}"#)), .respond(.json(200, #"{"value":[]}"#)),
        ])
        let plain = target(absent, batchSize: 50)
        let none = try await plain.findExisting([doc("A", "usmf"), doc("B", "gbsi")])
        XCTAssertTrue(none.isEmpty)
        XCTAssertEqual(
            absent.requests.map { "\($0.method) \($0.url.lastPathComponent)" },
            ["POST $batch", "GET VendorInvoiceHeaders", "GET VendorInvoiceHeaders"])
        let learned = await plain.learnedCapabilities()
        XCTAssertEqual(learned, [D365Capability.batch: D365Capability.unsupported])
    }

    func testChangesetsLeftUnprocessedAfterAFailureGoInTheNextBatch() async throws {
        // The server ignores odata.continue-on-error: it stops after document B's failed changeset.
        let first =
            "--batchresponse_1\r\nContent-Type: multipart/mixed; boundary=cs1\r\n\r\n"
            + "--cs1\r\nContent-Type: application/http\r\nContent-ID: 1\r\n\r\nHTTP/1.1 201 Created\r\n\r\n{\"HeaderReference\":\"H1\"}\r\n"
            + "--cs1\r\nContent-Type: application/http\r\nContent-ID: 2\r\n\r\nHTTP/1.1 201 Created\r\n\r\n{}\r\n--cs1--\r\n"
            + "--batchresponse_1\r\nContent-Type: application/http\r\nContent-ID: 4\r\n\r\nHTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\n\r\n"
            + #"{"error":{"code":"","message":"An error has occurred.","innererror":{"message":"Write failed for table row of type 'VendorInvoiceLineEntity'. Infolog: Error: Main account '699999' does not exist.","type":"x","stacktrace":""}}}"#
            + "\r\n--batchresponse_1--\r\n"
        // LF-only second answer, the error nested inside a changeset response this time.
        let second =
            "--batchresponse_2\nContent-Type: multipart/mixed; boundary=cs2\n\n"
            + "--cs2\nContent-Type: application/http\nContent-ID: 1\n\nHTTP/1.1 201 Created\n\n{\"HeaderReference\":\"H3\"}\n"
            + "--cs2\nContent-Type: application/http\nContent-ID: 2\n\nHTTP/1.1 201 Created\n\n{}\n--cs2--\n"
            + "--batchresponse_2\nContent-Type: multipart/mixed; boundary=cs3\n\n"
            + "--cs3\nContent-Type: application/http\nContent-ID: 3\n\nHTTP/1.1 400 Bad Request\n\n{\"error\":{\"code\":\"\",\"message\":\"Vendor 'X' is on hold.\"}}\n--cs3--\n"
            + "--batchresponse_2--\n"
        let transport = ScriptedTransport([.respond(multipart(first)), .respond(multipart(second, boundary: "batchresponse_2"))])
        let d365 = target(transport, batchSize: 10, strategy: .references)
        let results = await run(d365, [document("A"), document("B"), document("C"), document("D")])

        XCTAssertEqual(results["A"]?.status, .created)
        XCTAssertEqual(results["A"]?.erpReference, "H1")
        XCTAssertEqual(results["B"]?.status, .failed)
        XCTAssertEqual(results["B"]?.errorCode, "d365.validation")
        XCTAssertEqual(results["B"]?.errorMessage, "Main account '699999' does not exist.")
        XCTAssertEqual(results["C"]?.status, .created)
        XCTAssertEqual(results["C"]?.erpReference, "H3")
        XCTAssertEqual(results["D"]?.status, .failed)
        XCTAssertEqual(results["D"]?.errorMessage, "Vendor 'X' is on hold.")

        XCTAssertEqual(transport.requests.count, 2)
        let resent = String(decoding: transport.requests[1].body ?? Data(), as: UTF8.self)
        XCTAssertTrue(resent.contains(#""InvoiceNumber":"C""#) && resent.contains(#""InvoiceNumber":"D""#))
        XCTAssertFalse(resent.contains(#""InvoiceNumber":"A""#) || resent.contains(#""InvoiceNumber":"B""#), "only the unprocessed are sent again")
        let request = transport.requests[0]
        XCTAssertEqual(request.method, "POST")
        XCTAssertEqual(request.url.absoluteString, "https://erp.example/data/$batch")
        XCTAssertTrue(request.headers["Content-Type"]?.hasPrefix("multipart/mixed; boundary=batch_") ?? false)
        XCTAssertEqual(request.headers["Accept"], "multipart/mixed")
        XCTAssertEqual(request.headers["OData-Version"], "4.0")
        XCTAssertEqual(request.headers["OData-MaxVersion"], "4.0")
        XCTAssertEqual(request.headers["Prefer"], "odata.continue-on-error")
        XCTAssertEqual(request.headers["Authorization"], "Bearer cached-token")
        let boundary = String(request.headers["Content-Type"]!.dropFirst("multipart/mixed; boundary=".count))
        XCTAssertTrue(String(decoding: request.body ?? Data(), as: UTF8.self).hasPrefix("--\(boundary)\r\n"))
    }

    func testA405OnBatchFallsBackToPerDocumentLoadingOnceWithOneWarning() async throws {
        let capture = LogCapture()
        let transport = ScriptedTransport([
            .respond(.json(405, #"{"Message":"The requested resource does not support http method 'POST'."}"#)),
            .respond(.json(201, #"{"HeaderReference":"H1"}"#)), .respond(.json(201, "{}")),
            .respond(.json(201, #"{"HeaderReference":"H2"}"#)), .respond(.json(201, "{}")), .respond(.json(201, "{}")),
        ])
        let d365 = target(transport, batchSize: 1, capture: capture)
        let results = await run(d365, [document("A"), document("B", lines: 2)])
        XCTAssertEqual(results["A"]?.status, .created)
        XCTAssertEqual(results["B"]?.status, .created)
        XCTAssertEqual(results["B"]?.linesWritten, 2)
        XCTAssertEqual(
            transport.requests.map(\.url.lastPathComponent),
            ["$batch", "VendorInvoiceHeaders", "VendorInvoiceLines", "VendorInvoiceHeaders", "VendorInvoiceLines", "VendorInvoiceLines"],
            "the second batch is never tried")
        let warnings = capture.entries.filter { $0.level == .warning }
        XCTAssertEqual(warnings.count, 1)
        XCTAssertEqual(warnings.first?.metadata["http.status"], "405")
        let requests = await d365.requestCount()
        XCTAssertEqual(requests, 6)
    }

    func testA401OnBatchRefreshesTheTokenOnceAndTokensStayOutOfTheLogs() async throws {
        let capture = LogCapture()
        let ok =
            "--r\r\nContent-Type: multipart/mixed; boundary=c\r\n\r\n--c\r\nContent-Type: application/http\r\nContent-ID: 1\r\n\r\n"
            + "HTTP/1.1 201 Created\r\n\r\n{\"HeaderReference\":\"H9\"}\r\n--c\r\nContent-Type: application/http\r\nContent-ID: 2\r\n\r\n"
            + "HTTP/1.1 201 Created\r\n\r\n{}\r\n--c--\r\n--r--\r\n"
        let transport = ScriptedTransport([.respond(.json(401, "")), .respond(multipart(ok, boundary: "r"))])
        let results = await run(target(transport, batchSize: 5, strategy: .references, capture: capture), [document("A")])
        XCTAssertEqual(results["A"]?.status, .created)
        XCTAssertEqual(results["A"]?.erpReference, "H9")
        XCTAssertEqual(transport.requests.map { $0.headers["Authorization"] }, ["Bearer cached-token", "Bearer fresh-token"])
        XCTAssertEqual(transport.requests[0].body, transport.requests[1].body, "the same batch is repeated after the refresh")
        XCTAssertFalse(capture.allText.contains("cached-token") || capture.allText.contains("fresh-token"), capture.allText)
        XCTAssertFalse(capture.allText.contains("InvoiceNumber"), "no bodies in the logs")
    }
}
