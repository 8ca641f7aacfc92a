import ConnectorCore
import Crypto
import Foundation
import XCTest

@testable import ConnectorSecrets

final class CredentialStoreTests: XCTestCase {
    var dir: URL!

    override func setUp() {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("mlc-cred-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(at: dir) }

    var storePath: String { dir.appendingPathComponent("credentials.sealed").path }

    func testRoundTripListsNamesOnlyAndNeverWritesPlaintext() throws {
        let key = KeyFile.generate()
        var store = try CredentialStore(path: storePath, key: key)
        try store.set("D365_CLIENT_SECRET", Secret("very-secret-value-42"))
        try store.set("EXPENSIFY_PARTNER_USER_ID", Secret("aa_finance"))
        try store.save()
        let bytes = try Data(contentsOf: URL(fileURLWithPath: storePath))
        XCTAssertNil(String(decoding: bytes, as: UTF8.self).range(of: "very-secret-value-42"))
        XCTAssertNil(String(decoding: bytes, as: UTF8.self).range(of: "D365_CLIENT_SECRET"), "names are sealed too")
        let mode = (try FileManager.default.attributesOfItem(atPath: storePath)[.posixPermissions] as? NSNumber)?.intValue
        XCTAssertEqual(mode, 0o600)
        let reopened = try CredentialStore(path: storePath, key: key)
        XCTAssertEqual(reopened.entries.map(\.name), ["D365_CLIENT_SECRET", "EXPENSIFY_PARTNER_USER_ID"])
        XCTAssertEqual(try reopened.secret("D365_CLIENT_SECRET").reveal(), "very-secret-value-42")
        XCTAssertFalse("\(reopened.entries)".contains("very-secret"))
    }

    func testWrongKeyCorruptionAndMissingEntriesAreTold() throws {
        var store = try CredentialStore(path: storePath, key: KeyFile.generate())
        try store.set("X", Secret("v"))
        try store.save()
        XCTAssertThrowsError(try CredentialStore(path: storePath, key: KeyFile.generate())) {
            XCTAssertEqual(($0 as? ConnectorError)?.code, "credentials.wrong_key")
        }
        let key = KeyFile.generate()
        var good = try CredentialStore(path: storePath + "2", key: key)
        try good.set("X", Secret("v"))
        try good.save()
        var text = try String(contentsOfFile: storePath + "2", encoding: .utf8)
        let sealed = try XCTUnwrap(text.range(of: #""sealed" : ""#))
        let at = text.index(sealed.upperBound, offsetBy: 20)
        text.replaceSubrange(at...at, with: text[at] == "A" ? "B" : "A")
        try text.write(toFile: storePath + "2", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try CredentialStore(path: storePath + "2", key: key)) {
            XCTAssertEqual(($0 as? ConnectorError)?.code, "credentials.corrupted")
        }
        try "not a store".write(toFile: storePath + "3", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try CredentialStore(path: storePath + "3", key: key)) {
            XCTAssertEqual(($0 as? ConnectorError)?.code, "credentials.corrupted")
        }
        XCTAssertThrowsError(try store.secret("NOPE")) { XCTAssertEqual(($0 as? ConnectorError)?.code, "credentials.missing") }
        XCTAssertThrowsError(try store.set("Y", Secret("   "))) { XCTAssertEqual(($0 as? ConnectorError)?.code, "credentials.empty_value") }
    }

    func testKeyFilesMustBeOwnerOnlyAndEnvironmentWins() throws {
        let keyPath = dir.appendingPathComponent("k").path
        let key = KeyFile.generate()
        try KeyFile.write(key, to: keyPath)
        XCTAssertNotNil(try KeyFile.read(keyPath))
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: keyPath)
        XCTAssertThrowsError(try KeyFile.read(keyPath)) { XCTAssertEqual(($0 as? ConnectorError)?.code, "credentials.key_exposed") }
        XCTAssertThrowsError(try KeyFile.parse("short", source: "test")) { XCTAssertEqual(($0 as? ConnectorError)?.code, "credentials.bad_key") }

        var store = try CredentialStore(path: storePath, key: key)
        try store.set("D365_CLIENT_SECRET", Secret("from-store"))
        try store.save()
        let secrets = StoredSecrets(environment: ["D365_CLIENT_SECRET": "from-env"], store: store)
        XCTAssertEqual(try secrets.secret("D365_CLIENT_SECRET").reveal(), "from-env", "environment variables override the store")
        XCTAssertEqual(
            try StoredSecrets(environment: ["D365_CLIENT_SECRET": "  "], store: store).secret("D365_CLIENT_SECRET").reveal(), "from-store",
            "a blank variable does not hide the stored value")
        XCTAssertThrowsError(try StoredSecrets(environment: [:], store: nil).secret("X")) {
            XCTAssertEqual(($0 as? ConnectorError)?.code, "config.secret_missing")
        }
        let location = StoredSecrets.Location(storePath: storePath, keyFilePath: dir.appendingPathComponent("absent").path)
        XCTAssertThrowsError(try location.open(environment: [:])) { XCTAssertEqual(($0 as? ConnectorError)?.code, "credentials.no_key") }
        XCTAssertEqual(try location.open(environment: [KeyFile.environmentVariable: KeyFile.text(key)])?.entries.count, 1)
    }
}
