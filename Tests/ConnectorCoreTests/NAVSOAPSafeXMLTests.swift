import ConnectorCore
import Foundation
import XCTest

@testable import NAVSOAP

/// SafeXML on the attacks a SOAP answer could carry (entity bombs, external entities, DOCTYPE in disguise, broken
/// or absurdly deep or large documents): each is refused with a stable code, nothing expands, nothing crashes.
final class NAVSOAPSafeXMLTests: XCTestCase {
    private func assertRefused(
        _ text: String, code: String = NAVSOAPErrorCode.xmlRefused, limits: SafeXMLLimits = .standard,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        assertRefused(Data(text.utf8), code: code, limits: limits, file: file, line: line)
    }

    private func assertRefused(
        _ data: Data, code: String = NAVSOAPErrorCode.xmlRefused, limits: SafeXMLLimits = .standard,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        do {
            let root = try SafeXML.parse(data, limits: limits, what: "The test document")
            XCTFail(
                "parsed \(String(decoding: data.prefix(80), as: UTF8.self).debugDescription) instead of refusing: \(NAVSOAPTestSupport.shape(root).prefix(200))",
                file: file, line: line)
        } catch let error as ConnectorError {
            XCTAssertEqual(error.code, code, error.message, file: file, line: line)
            XCTAssertTrue(error.message.hasPrefix("The test document"), error.message, file: file, line: line)
        } catch {
            XCTFail("not a ConnectorError: \(error)", file: file, line: line)
        }
    }

    func testParsesNamespacesByURINotPrefix() throws {
        let soap = SOAPEnvelope.envelopeNamespace
        let a = try SafeXML.parse(
            Data("<Soap:Envelope xmlns:Soap=\"\(soap)\"><Soap:Body><X xmlns=\"urn:x\"><Y a=\"1\">t &amp; u</Y></X></Soap:Body></Soap:Envelope>".utf8))
        let b = try SafeXML.parse(
            Data("<s:Envelope xmlns:s=\"\(soap)\"><s:Body><p:X xmlns:p=\"urn:x\"><p:Y a=\"1\">t &amp; u</p:Y></p:X></s:Body></s:Envelope>".utf8))
        XCTAssertEqual(NAVSOAPTestSupport.shape(a), NAVSOAPTestSupport.shape(b))
        XCTAssertTrue(a.is("Envelope", in: soap))
        let y = a.child("Body", in: soap)?.child("X", in: "urn:x")?.child("Y", in: "urn:x")
        XCTAssertEqual(y?.text, "t & u")
        XCTAssertEqual(y?.attributes["a"], "1")
        XCTAssertNil(a.child("Body", in: "urn:other"), "a name in another namespace does not match")
    }

    /// FoundationXML keeps per-thread parser state; parses running at once on many tasks must not disturb each other.
    func testConcurrentParsesGiveTheSameTrees() async throws {
        let samples = try ["5.3-fault.xml", "5.4-generaljournal-create-response.xml", "5.5-purchaseinvoice-create-response.xml"]
            .map { try NAVSOAPTestSupport.reference($0) }
        let expected = try samples.map { NAVSOAPTestSupport.shape(try SafeXML.parse($0)) }
        let shapes = try await withThrowingTaskGroup(of: (Int, String).self) { group in
            for n in 0..<48 {
                let sample = samples[n % samples.count]
                group.addTask { (n % samples.count, NAVSOAPTestSupport.shape(try SafeXML.parse(sample))) }
            }
            var out: [(Int, String)] = []
            for try await result in group { out.append(result) }
            return out
        }
        XCTAssertEqual(shapes.count, 48)
        for (index, shape) in shapes { XCTAssertEqual(shape, expected[index]) }
    }

    func testBillionLaughsIsRefusedBeforeAnyExpansion() {
        var bomb = "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n <!ENTITY lol \"lol\">\n"
        for i in 1...9 { bomb += " <!ENTITY lol\(i) \"" + String(repeating: "&lol\(i == 1 ? "" : String(i - 1));", count: 10) + "\">\n" }
        bomb += "]>\n<lolz>&lol9;</lolz>"
        assertRefused(bomb)
        // Refused by the raw scan, before the parser could declare (let alone expand) an entity.
        XCTAssertThrowsError(try SafeXML.parse(Data(bomb.utf8))) {
            XCTAssertTrue(($0 as? ConnectorError)?.message.contains("declares a document type") == true, "\($0)")
        }
    }

    func testExternalEntityToEtcPasswdIsRefused() {
        assertRefused("<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]><r>&xxe;</r>")
        assertRefused("<!DOCTYPE r SYSTEM \"file:///etc/passwd\"><r/>")
        assertRefused("<!DOCTYPE r PUBLIC \"-//X//Y\" \"http://127.0.0.1:9/evil.dtd\"><r/>")
    }

    func testDoctypeAfterBOMWhitespaceCommentsOrDeclarationIsRefused() {
        assertRefused(Data([0xEF, 0xBB, 0xBF]) + Data("<!DOCTYPE r><r/>".utf8))
        assertRefused(Data([0xEF, 0xBB, 0xBF]) + Data(" \r\n\t<?xml version=\"1.0\"?>\n<!-- hi -->\n<?pi x?>\n<!DOCTYPE r []><r/>".utf8))
        assertRefused("\n\n   <!doctype r><r/>")
        assertRefused("<r/><!DOCTYPE r>")
        assertRefused("<r><!ENTITY x \"y\"></r>")
        XCTAssertNoThrow(try SafeXML.parse(Data("<r><!-- <!DOCTYPE r> --><![CDATA[<!ENTITY x>]]></r>".utf8)))
    }

    func testAnUndeclaredEntityIsMalformedNotResolved() throws {
        assertRefused("<r>&xxe;</r>")
        // Predefined entities and character references are fine.
        let root = try SafeXML.parse(Data("<r>&lt;&gt;&amp;&apos;&quot;&#65;&#x42;</r>".utf8))
        XCTAssertEqual(root.text, "<>&'\"AB")
    }

    func testNonUTF8EncodingsAreRefused() {
        var utf16 = Data([0xFF, 0xFE])
        utf16.append("<!DOCTYPE r><r/>".data(using: .utf16LittleEndian)!)
        assertRefused(utf16)
        assertRefused("<r/>".data(using: .utf16BigEndian)!)
        assertRefused("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><r/>")
        XCTAssertNoThrow(try SafeXML.parse(Data("<?xml version='1.0' encoding='UTF-8'?><r/>".utf8)))
    }

    func testMalformedDocumentsAreMalformed() {
        for text in [
            "", "   ", "<r>", "<r></s>", "<a><b></a></b>", "text", "<r a=\"1\" a=\"2\"/>", "<r/><s/>", "<r/>junk", "<r/><!-- c -->junk<?p?>",
            "<r>\u{1}</r>", "<", "<?xml", "<!--",
        ] {
            assertRefused(text, code: NAVSOAPErrorCode.xmlMalformed)
        }
        assertRefused(Data([0x3C, 0x72, 0x3E, 0xC3, 0x28, 0x3C, 0x2F, 0x72, 0x3E]), code: NAVSOAPErrorCode.xmlMalformed)  // invalid UTF-8
    }

    func testTenThousandDeepNestingIsRefused() {
        let depth = 10_000
        let text = String(repeating: "<a>", count: depth) + String(repeating: "</a>", count: depth)
        assertRefused(text)
        assertRefused(String(repeating: "<a>", count: depth), code: NAVSOAPErrorCode.xmlRefused)
        XCTAssertNoThrow(try SafeXML.parse(Data((String(repeating: "<a>", count: 150) + String(repeating: "</a>", count: 150)).utf8)))
    }

    func testOversizeDocumentsAreRefusedBeforeParsing() {
        let big = "<r>" + String(repeating: "x", count: 2_000) + "</r>"
        assertRefused(big, limits: SafeXMLLimits(maxBytes: 1_000))
        XCTAssertNoThrow(try SafeXML.parse(Data(big.utf8), limits: SafeXMLLimits(maxBytes: 10_000)))
        XCTAssertEqual(SafeXMLLimits.standard.maxBytes, 64 * 1024 * 1024)
    }

    /// Cuts and mutates the reference's answers (bytes replaced, nasty pieces inserted: prefixes, stray colons, empty
    /// namespace declarations, invalid UTF-8, entities, markup), so every outcome is a tree or a `nav.soap.xml_*`
    /// error, never a crash. Seeded: `ML_PROPERTY_SEED` replays, `ML_PROPERTY_COUNT` sets the number of documents.
    func testTruncatedAndGarbledAnswersNeverCrash() throws {
        let samples = try ["5.3-fault.xml", "5.5-purchaseinvoice-create-response.xml", "5.6-chartofaccounts-readmultiple-response.xml"]
            .map { [UInt8](try NAVSOAPTestSupport.reference($0)) }
        for sample in samples {
            for cut in stride(from: 0, to: sample.count, by: 5) { _ = try? SafeXML.parse(Data(sample.prefix(cut))) }
        }
        let nasty: [[UInt8]] =
            [
                "<", ">", "&", ";", ":", "::", "\"", "'", "=", "/", "<a:", "xmlns:p=\"\"", " xmlns=\"\"", " p:x=\"1\"", "<p:q>", "</p:q>",
                "&#0;", "&#xD800;", "&#x10FFFF;", "&bogus;", "<![CDATA[", "]]>", "<!--", "-->", "<?pi", "?>", "<!DOCTYPE", "<!ENTITY",
                "é", "\u{FFFF}", "\u{FEFF}", " xml:lang=\"\"", " xmlns:xml=\"x\"", " xmlns:xmlns=\"y\"",
            ].map { Array($0.utf8) } + [[0xC0], [0x80], [0xFF, 0xFE], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80]]
        let seed = BadInputPropertyTests.seed
        var rng = BadInputPropertyTests.rng(seed)
        let count = BadInputPropertyTests.count
        var parsed = 0
        for n in 0..<count {
            var bytes = samples[Int.random(in: 0..<samples.count, using: &rng)]
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                let at = Int.random(in: 0..<bytes.count, using: &rng)
                switch Int.random(in: 0..<3, using: &rng) {
                case 0: bytes[at] = UInt8.random(in: 0...255, using: &rng)
                case 1: bytes.insert(contentsOf: nasty[Int.random(in: 0..<nasty.count, using: &rng)], at: at)
                default: bytes.removeSubrange(at..<min(bytes.count, at + Int.random(in: 1...8, using: &rng)))
                }
                if bytes.isEmpty { bytes = [0x3C] }
            }
            do {
                _ = try SafeXML.parse(Data(bytes))
                parsed += 1
            } catch let error as ConnectorError {
                XCTAssertTrue(error.code.hasPrefix("nav.soap.xml_"), "seed \(seed) (ML_PROPERTY_SEED=\(seed)) #\(n): \(error.code)")
            }
        }
        XCTAssertLessThan(parsed, count, "the mutations produce refusals too")
    }
}
