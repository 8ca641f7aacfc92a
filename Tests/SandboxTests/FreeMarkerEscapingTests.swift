import Foundation
import XCTest

@testable import Sandbox

/// `?json_string` and `?js_string` exactly as FreeMarker 2.3.31's StringUtil.jsStringEnc.
final class FreeMarkerEscapingTests: XCTestCase {
    private func json(_ s: String) -> String { FMFormat.jsStringEncode(s, json: true) }
    private func js(_ s: String) -> String { FMFormat.jsStringEncode(s, json: false) }

    func testJSONStringEscapesQuotesBackslashAndControlCharacters() {
        XCTAssertEqual(json("Hotel \"Adlon\""), #"Hotel \"Adlon\""#)
        XCTAssertEqual(json(#"C:\path"#), #"C:\\path"#)
        XCTAssertEqual(json("a\nb\rc\td"), #"a\nb\rc\td"#)
        XCTAssertEqual(json("\u{08}\u{0C}"), #"\b\f"#)
        XCTAssertEqual(json("\u{01}\u{1F}"), #"\u0001\u001F"#)
        XCTAssertEqual(json("\u{7F}\u{9F}"), #"\u007F\u009F"#)
        XCTAssertEqual(json("a\u{2028}b\u{2029}"), #"a\u2028b\u2029"#)
        XCTAssertEqual(json("it's"), "it's", "JSON does not escape the apostrophe")
    }

    func testJSONStringGuardsAgainstClosingTagsAndCDATA() {
        XCTAssertEqual(json("</script>"), #"<\/script>"#)
        XCTAssertEqual(json("a/b"), "a/b")
        XCTAssertEqual(json("/x"), #"\/x"#)
        XCTAssertEqual(json("]]>"), #"]]\u003E"#)
        XCTAssertEqual(json("-->"), #"--\u003E"#)
        XCTAssertEqual(json("a>b"), "a>b")
        XCTAssertEqual(json(">"), #"\u003E"#)
        XCTAssertEqual(json("<!--"), #"\u003C!--"#)
        XCTAssertEqual(json("<?xml"), #"\u003C?xml"#)
        XCTAssertEqual(json("a<"), #"a\u003C"#)
        XCTAssertEqual(json("a<b"), "a<b")
    }

    func testJSONStringLeavesNonASCIIAlone() {
        XCTAssertEqual(json("寿司 Ginza"), "寿司 Ginza")
        XCTAssertEqual(json("Müller & Söhne"), "Müller & Söhne")
        XCTAssertEqual(json("😀"), "😀")
    }

    func testJSStringDiffersOnlyWhereJavaScriptNeedsIt() {
        XCTAssertEqual(js("it's"), #"it\'s"#)
        XCTAssertEqual(js("\u{01}"), #"\x01"#)
        XCTAssertEqual(js("\u{2028}"), #"\u2028"#)
        XCTAssertEqual(js(">"), #"\>"#)
        XCTAssertEqual(js("</a>"), #"<\/a>"#)
        XCTAssertEqual(js("a\"b"), #"a\"b"#)
    }

    func testBuiltInsApplyTheEscapingInTemplates() throws {
        XCTAssertEqual(
            try FMKit.render(#"${"a\"b\\c</d"?json_string}|${'x\'y'?js_string}|${'<a&b>'?html}|${"a b&c"?url}"#),
            #"a\"b\\c<\/d|x\'y|&lt;a&amp;b&gt;|a%20b%26c"#)
        // A number is formatted first, so ?json_string on a number shows the grouping.
        XCTAssertEqual(try FMKit.render("${1234?json_string}"), "1,234")
    }
}
