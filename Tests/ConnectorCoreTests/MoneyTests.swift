import ConnectorCore
import XCTest

final class MoneyTests: XCTestCase {
    func testExpensifyHundredthsFollowTheCurrencyExponent() throws {
        let usd = try XCTUnwrap(Currency(code: "USD"))
        let jpy = try XCTUnwrap(Currency(code: "jpy"))
        let bhd = try XCTUnwrap(Currency(code: "BHD"))
        XCTAssertEqual(Money.fromExpensifyHundredths(45230, currency: usd).money.amountText, "452.30")
        XCTAssertEqual(Money.fromExpensifyHundredths(-1250, currency: usd).money.amountText, "-12.50")
        XCTAssertEqual(Money.fromExpensifyHundredths(5, currency: usd).money.amountText, "0.05")
        // JPY 1,500 arrives as 150000.
        XCTAssertEqual(Money.fromExpensifyHundredths(150000, currency: jpy).money.amountText, "1500")
        XCTAssertEqual(Money.fromExpensifyHundredths(150000, currency: jpy).money.minorUnits, 1500)
        // Sub-yen hundredths round half away from zero and the remainder is reported.
        let r = Money.fromExpensifyHundredths(150050, currency: jpy)
        XCTAssertEqual(r.money.minorUnits, 1501)
        XCTAssertEqual(r.remainder, -50)
        XCTAssertEqual(Money.fromExpensifyHundredths(-150050, currency: jpy).money.minorUnits, -1501)
        XCTAssertEqual(Money.fromExpensifyHundredths(150049, currency: jpy).money.minorUnits, 1500)
        // Three-decimal currencies gain a digit, exactly.
        XCTAssertEqual(Money.fromExpensifyHundredths(1234, currency: bhd).money.amountText, "12.340")
    }

    func testParseAcceptsOnlyTheCurrencyDigits() throws {
        let usd = try XCTUnwrap(Currency(code: "USD"))
        let jpy = try XCTUnwrap(Currency(code: "JPY"))
        XCTAssertEqual(Money.parse("12.5", currency: usd)?.minorUnits, 1250)
        XCTAssertEqual(Money.parse("-0.01", currency: usd)?.minorUnits, -1)
        XCTAssertNil(Money.parse("12.345", currency: usd))
        XCTAssertNil(Money.parse("1,234.00", currency: usd))
        XCTAssertNil(Money.parse("12.", currency: usd))
        XCTAssertEqual(Money.parse("1500", currency: jpy)?.minorUnits, 1500)
        XCTAssertNil(Money.parse("1500.5", currency: jpy))
        XCTAssertNil(Currency(code: ""))
        XCTAssertNil(Currency(code: "US"))
        XCTAssertNil(Currency(code: "U$D"))
    }

    func testSumsStayExact() throws {
        let usd = try XCTUnwrap(Currency(code: "USD"))
        var total = Money.zero(usd)
        for _ in 0..<10 { total = total + Money(minorUnits: 10, currency: usd) }  // ten times 0.10
        XCTAssertEqual(total.amountText, "1.00")
        XCTAssertEqual(total.decimalValue, Decimal(string: "1.00"))
    }
}

final class JSONValueTests: XCTestCase {
    func testNumbersKeepTheirLiteralAndOutputIsCanonical() throws {
        let v = try JSONValue.parse(#"{"b": 0.1, "a": [1e2, -0.30, 12345678901234567890], "s": "Hotel \"Adlon\"\n\u00e9 \ud83d\ude00"}"#)
        XCTAssertEqual(v["b"]?.decimalValue, Decimal(string: "0.1"))
        XCTAssertEqual(v["a"]?.arrayValue?[2], .number("12345678901234567890"))
        XCTAssertEqual(v.serializedString(), #"{"a":[1e2,-0.30,12345678901234567890],"b":0.1,"s":"Hotel \"Adlon\"\né 😀"}"#)
        XCTAssertEqual(try JSONValue.parse(v.serialized()), v)
        XCTAssertEqual(JSONValue.decimal(Decimal(string: "657.14")!).serializedString(), "657.14")
    }

    func testMalformedJSONNamesLineAndColumn() {
        XCTAssertThrowsError(try JSONValue.parse("[\n {\"a\": 12x}\n]")) { e in
            let err = e as? ConnectorError
            XCTAssertEqual(err?.code, "json.malformed")
            XCTAssertTrue(err?.message.contains("line 2") ?? false, err?.message ?? "")
        }
        XCTAssertThrowsError(try JSONValue.parse("{\"a\": 1,}"))
        XCTAssertThrowsError(try JSONValue.parse("\"unterminated"))
    }
}
