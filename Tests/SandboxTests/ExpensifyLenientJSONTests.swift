import Foundation
import XCTest

@testable import Sandbox

/// The job JSON is read like Java's org.json does (reference §1.2).
final class ExpensifyLenientJSONTests: XCTestCase {
    func testAcceptsSingleQuotesUnquotedKeysAndTrailingCommas() throws {
        let o = try ExpensifyJSONParser.parseObject("{'type':'file', inputSettings:{type:combinedReportData, limit:'10',}, list:[1,2,],}")
        XCTAssertEqual(o.string("type"), "file")
        XCTAssertEqual(o.object("inputSettings")?.string("type"), "combinedReportData")
        XCTAssertEqual(o.object("inputSettings")?["limit"]?.intValue, 10)
        XCTAssertEqual(o.array("list"), [.int(1), .int(2)])
    }

    func testBooleansAndNullAreCaseInsensitiveLikePythonStrDict() throws {
        let o = try ExpensifyJSONParser.parseObject("{'test': True, 'dry': FALSE, 'x': Null, 'y': 'true'}")
        XCTAssertEqual(o["test"], .bool(true))
        XCTAssertEqual(o["dry"], .bool(false))
        XCTAssertEqual(o["x"], .null)
        XCTAssertEqual(o["y"]?.boolValue, true, "a string \"true\" counts as true, as optBoolean does")
        XCTAssertNil(o.string("x"), "null is absent for optString")
    }

    func testNumbersAndNumericStringsBothWork() throws {
        let o = try ExpensifyJSONParser.parseObject(#"{"a": 10, "b": "10", "c": -12.50, "d": 1e3, "e": "x1"}"#)
        XCTAssertEqual(o["a"]?.intValue, 10)
        XCTAssertEqual(o["b"]?.intValue, 10)
        XCTAssertEqual(o["c"], .number(Decimal(string: "-12.5")!))
        XCTAssertEqual(o["d"]?.intValue, 1000)
        XCTAssertNil(o["e"]?.intValue)
        XCTAssertEqual(o.string("a"), "10", "optString of a number is its text")
    }

    func testEscapesAndSeparators() throws {
        let o = try ExpensifyJSONParser.parseObject(#"{"a":"line\nnext \"q\" \u00e9 \/ \\", 'b':'it\'s'; "c" => 1}"#)
        XCTAssertEqual(o.string("a"), "line\nnext \"q\" é / \\")
        XCTAssertEqual(o.string("b"), "it's")
        XCTAssertEqual(o["c"]?.intValue, 1, "org.json accepts ';' between pairs and '=>' after a key")
    }

    func testEmptyArrayElementsBecomeNull() throws {
        let v = try ExpensifyJSONParser.parse("[1,,2]")
        XCTAssertEqual(v, .array([.int(1), .null, .int(2)]))
    }

    func testMalformedJobsAreRejectedWithOrgJsonMessages() {
        XCTAssertThrowsError(try ExpensifyJSONParser.parseObject("[1]")) { error in
            XCTAssertTrue("\(error)".hasPrefix("A JSONObject text must begin with '{'"), "\(error)")
        }
        XCTAssertThrowsError(try ExpensifyJSONParser.parseObject(#"{"a":"open"#)) { error in
            XCTAssertTrue("\(error)".hasPrefix("Unterminated string"), "\(error)")
        }
        XCTAssertThrowsError(try ExpensifyJSONParser.parseObject(#"{"a" 1}"#)) { error in
            XCTAssertTrue("\(error)".hasPrefix("Expected a ':' after a key"), "\(error)")
        }
        XCTAssertThrowsError(try ExpensifyJSONParser.parseObject(#"{"a":1 "b":2}"#)) { error in
            XCTAssertTrue("\(error)".hasPrefix("Expected a ',' or '}'"), "\(error)")
        }
        XCTAssertThrowsError(try ExpensifyJSONParser.parseObject(#"{"a":"\q"}"#)) { error in
            XCTAssertTrue("\(error)".hasPrefix("Illegal escape."), "\(error)")
        }
    }

    func testSerializationKeepsOrderAndEscapesControlCharacters() {
        let v = ExpensifyJSON.object(ExpensifyJSONObject([("z", .string("a\"b\\c\n\u{1}/é")), ("a", .array([.bool(true), .null]))]))
        XCTAssertEqual(v.serialized(), #"{"z":"a\"b\\c\n\u0001/é","a":[true,null]}"#)
    }

    func testTheSimulatorAcceptsALenientJobEndToEnd() async throws {
        let h = try await ExpensifyHarness.make()
        let job =
            "{type:'get', credentials:{partnerUserID:'\(ExpensifyHarness.partnerUserID)', partnerUserSecret:'\(ExpensifyHarness.partnerUserSecret)',}, inputSettings:{'type':'policyList', adminOnly:TRUE,},}"
        let r = await h.job(job)
        XCTAssertEqual(r.status, 200)
        let list = try XCTUnwrap(ExpensifyHarness.json(r)["policyList"] as? [[String: Any]])
        XCTAssertEqual(list.count, 5)
    }
}
