import Foundation
import XCTest

@testable import ConnectorCore
@testable import Dynamics365

/// `check`'s clock findings from the evidence the sandbox cannot fake: a `Date` header far from this machine's clock
/// (the in-process server always sends the real time), and the token claims on both sides of the tolerance.
final class ClockEvidenceTests: XCTestCase {
    let local = Date(timeIntervalSince1970: 1_900_000_000)  // 2030-03-17T17:46:40Z

    func testADateHeaderMoreThanFiveMinutesOffIsClockSkew() throws {
        var behind = D365ClockEvidence()
        behind.date("Sun, 17 Mar 2030 18:48:40 GMT", receivedAt: local)  // the server is 62 minutes ahead
        let finding = try XCTUnwrap(behind.finding())
        XCTAssertEqual(finding.problem, .clockSkew)
        XCTAssertTrue(finding.detail.contains("1 h 2 min behind D365's"), finding.detail)

        var ahead = D365ClockEvidence()
        ahead.date("Sun, 17 Mar 2030 17:36:40 GMT", receivedAt: local)
        XCTAssertTrue(try XCTUnwrap(ahead.finding()).detail.contains("10 min ahead of"))

        var fine = D365ClockEvidence()
        fine.date("Sun, 17 Mar 2030 17:49:00 GMT", receivedAt: local)
        fine.date("not a date", receivedAt: local)
        XCTAssertNil(fine.finding(), "2 min 20 s is within the tolerance")
        XCTAssertTrue(fine.passed(host: "env").ok)
    }

    func testTokenClaimsShowSkewOnlyBeyondTheTolerance() throws {
        func token(nbf: Double, exp: Double) -> Secret {
            let payload = Data(#"{"nbf":\#(Int(nbf)),"exp":\#(Int(exp))}"#.utf8).base64EncodedString()
                .replacingOccurrences(of: "=", with: "").replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            return Secret("eyJhbGciOiJSUzI1NiJ9.\(payload).c2ln")
        }
        let now = local.timeIntervalSince1970
        var notYetValid = D365ClockEvidence()
        notYetValid.token(token(nbf: now + 3600, exp: now + 7200), receivedAt: local)
        XCTAssertTrue(try XCTUnwrap(notYetValid.finding()).detail.contains("at least 1 h 0 min behind"))

        var expired = D365ClockEvidence()
        expired.token(token(nbf: now - 9000, exp: now - 5400), receivedAt: local)
        XCTAssertTrue(try XCTUnwrap(expired.finding()).detail.contains("ahead of Entra ID's"))

        var usual = D365ClockEvidence()
        usual.token(token(nbf: now - 300, exp: now + 3599), receivedAt: local)  // Entra back-dates nbf by five minutes
        usual.token(Secret("opaque-token"), receivedAt: local)
        XCTAssertNil(usual.finding())
    }

    func testATargetWithoutACheckFailsItsCheck() async throws {
        struct Bare: TargetSystem {
            var name: String { "bare" }
            func fetchReferenceData(companies: [String], vendorGroup: String?) async throws -> ReferenceData {
                ReferenceData(target: "bare", companies: [], mainAccounts: [], dimensionFormat: [], dimensionDelimiter: "-")
            }
            func findExisting(_ documents: [InvoiceDocument]) async throws -> [String: ExistingDocument] { [:] }
            func load(_ document: InvoiceDocument, existing: ExistingDocument?) async -> DocumentLoadResult {
                DocumentLoadResult(key: document.key, status: .failed, erpReference: nil, linesWritten: 0)
            }
            func requestCount() async -> Int { 0 }
        }
        let results = await Bare().check(companies: ["usmf"])
        XCTAssertEqual(results.map(\.ok), [false])
        XCTAssertEqual(results.first?.system, "bare")
    }
}
