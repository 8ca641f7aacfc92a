import Foundation
import NAVSOAP
import XCTest

/// Shared helpers of the NAV SOAP tests: the golden folder, byte-for-byte comparison with `UPDATE_GOLDEN=1`, the
/// reference's sample documents, and a structural view of parsed XML (whitespace between elements ignored).
enum NAVSOAPTestSupport {
    static let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden/NAVSOAP")

    static func reference(_ name: String) throws -> Data {
        try Data(contentsOf: golden.appendingPathComponent("reference/" + name))
    }

    /// Compares `produced` with `Golden/NAVSOAP/<name>` byte for byte; `UPDATE_GOLDEN=1` rewrites the file instead.
    static func assertGolden(_ produced: Data, _ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let url = golden.appendingPathComponent(name)
        if ProcessInfo.processInfo.environment["UPDATE_GOLDEN"] == "1" {
            try produced.write(to: url)
            return
        }
        guard let expected = try? Data(contentsOf: url) else {
            XCTFail("missing golden file \(name); run with UPDATE_GOLDEN=1 and review it", file: file, line: line)
            return
        }
        if produced != expected {
            let p = String(decoding: produced, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
            let e = String(decoding: expected, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
            let first = zip(p, e).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(p.count, e.count)
            XCTFail(
                """
                \(name) differs from its golden copy at line \(first + 1):
                  produced: \(first < p.count ? String(p[first]) : "<end>")
                  golden:   \(first < e.count ? String(e[first]) : "<end>")
                """, file: file, line: line)
        }
    }

    /// `{ns}name[attr]{children}` or `{ns}name="text"`, whitespace-only text of elements with children dropped, so
    /// two documents that differ only in indentation or prefixes compare equal.
    static func shape(_ e: SafeXMLElement) -> String {
        let attributes =
            e.attributes.isEmpty ? "" : "[" + e.attributes.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",") + "]"
        if e.children.isEmpty { return "{\(e.namespace)}\(e.name)\(attributes)=\"\(e.text)\"" }
        return "{\(e.namespace)}\(e.name)\(attributes)(" + e.children.map(shape).joined(separator: ",") + ")"
    }
}
