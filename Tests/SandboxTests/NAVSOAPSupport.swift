import Foundation
import XCTest

@testable import Sandbox

/// A whole sandbox on a free loopback port, spoken to over TCP like a SOAP client would (RawHTTP, one connection
/// per request), with helpers for envelopes and for reading answers by namespace.
final class NAVSOAPServer: @unchecked Sendable {
    static let seeds = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("samples/sandbox")
    static let us = "Northwind Traders & Sons Ltd."
    static let uk = "Northwind UK Ltd."
    static let basic = "Basic " + Data("EXPENSEAPI:c2FuZGJveC1vbmx5LW5hdi1hY2Nlc3Mta2V5LTAwMDE=".utf8).base64EncodedString()

    let sandbox: Sandbox
    let port: Int
    private let task: Task<Void, any Error>

    private init(sandbox: Sandbox, port: Int, task: Task<Void, any Error>) {
        self.sandbox = sandbox
        self.port = port
        self.task = task
    }

    static func start() async throws -> NAVSOAPServer {
        let sandbox = try Sandbox(options: SandboxOptions(port: 0, seedDirectory: seeds))
        let ready = AsyncStream<URL>.makeStream()
        let task = Task { try await sandbox.run(handleSignals: false) { url in ready.continuation.yield(url) } }
        var iterator = ready.stream.makeAsyncIterator()
        guard let url = await iterator.next(), let port = url.port else { throw XCTSkip("sandbox did not start") }
        return NAVSOAPServer(sandbox: sandbox, port: port, task: task)
    }

    func stop() { task.cancel() }

    struct Answer {
        var status: Int
        var head: String
        var body: Data
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    static func encode(_ segment: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "/&?#%")
        return segment.addingPercentEncoding(withAllowedCharacters: allowed) ?? segment
    }

    static func path(_ company: String, _ kind: String, _ service: String) -> String {
        "/DynamicsNAV110/WS/\(encode(company))/\(kind)/\(service)"
    }

    func exchange(_ method: String, _ path: String, body: String = "", headers: [String: String] = [:], auth: String? = basic) throws
        -> Answer
    {
        var h = headers
        if let auth { h["Authorization"] = auth }
        let raw = try RawHTTP.exchange(
            port: port, method, path, contentType: body.isEmpty ? nil : "text/xml; charset=utf-8", body: body, headers: h)
        let head = String(decoding: raw.bytes.prefix(while: { $0 != 0x0D }), as: UTF8.self)
        let status = Int(head.split(separator: " ").dropFirst().first ?? "") ?? 0
        return Answer(status: status, head: head, body: RawHTTP.body(raw.bytes))
    }

    /// POSTs `<{op} xmlns="urn:…/page/{svc}">inner</{op}>` in an envelope, with the colon-form SOAPAction.
    func page(
        _ service: String, _ op: String, _ inner: String = "", company: String = us, action: String? = nil
    ) throws -> Answer {
        let ns = "urn:microsoft-dynamics-schemas/page/\(service.lowercased())"
        let body =
            "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body><\(op) xmlns=\"\(ns)\">\(inner)</\(op)></soap:Body></soap:Envelope>"
        return try exchange(
            "POST", NAVSOAPServer.path(company, "Page", service), body: body, headers: ["SOAPAction": action ?? "\"\(ns):\(op)\""])
    }

    func codeunit(_ method: String, _ inner: String, company: String = us) throws -> Answer {
        let ns = "urn:microsoft-dynamics-schemas/codeunit/ExpensePosting"
        let body =
            "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body><\(method) xmlns=\"\(ns)\">\(inner)</\(method)></s:Body></s:Envelope>"
        return try exchange(
            "POST", NAVSOAPServer.path(company, "Codeunit", "ExpensePosting"), body: body, headers: ["SOAPAction": "\"\(ns):\(method)\""])
    }

    /// What the shared NAV database holds for a company (`GET /_sandbox/nav/documents`).
    func documents(_ company: String) async throws -> [String: Any] {
        var allowed = CharacterSet.urlQueryAllowed
        allowed.remove(charactersIn: "&+=?#")
        return try control("GET", "/_sandbox/nav/documents?company=" + (company.addingPercentEncoding(withAllowedCharacters: allowed) ?? company))
    }

    /// A JSON control route (`/_sandbox/nav/...`).
    func control(_ method: String, _ path: String, json: String = "") throws -> [String: Any] {
        let raw = try RawHTTP.exchange(port: port, method, path, contentType: json.isEmpty ? nil : "application/json", body: json)
        return (try? JSONSerialization.jsonObject(with: RawHTTP.body(raw.bytes)) as? [String: Any]) ?? [:]
    }
}

/// Reading SOAP answers by namespace.
enum SOAPAnswer {
    static let envelopeNS = "http://schemas.xmlsoap.org/soap/envelope/"

    /// The one element inside `Body` (a `{Op}_Result` or `Fault`).
    static func result(_ a: NAVSOAPServer.Answer, file: StaticString = #filePath, line: UInt = #line) throws -> SOAPNode {
        let root = try SOAPXMLReader.parse(a.body).get()
        XCTAssertEqual(root.namespace, envelopeNS, file: file, line: line)
        let body = try XCTUnwrap(root.child("Body", namespace: envelopeNS), file: file, line: line)
        return try XCTUnwrap(body.children.first, a.text, file: file, line: line)
    }

    /// (faultcode, faultstring) of a fault answer.
    static func fault(_ a: NAVSOAPServer.Answer, file: StaticString = #filePath, line: UInt = #line) throws -> (String, String) {
        let f = try result(a, file: file, line: line)
        XCTAssertEqual(f.name, "Fault", a.text, file: file, line: line)
        return (f.child("faultcode")?.text ?? "", f.child("faultstring")?.text ?? "")
    }

    /// Records (`<{Svc}>` elements) of a ReadMultiple / Multiple answer, as field dictionaries (with "Key").
    static func records(_ node: SOAPNode, _ service: String) -> [[String: String]] {
        var out: [[String: String]] = []
        func walk(_ n: SOAPNode) {
            if n.name == service {
                out.append(fields(n))
                return
            }
            n.children.forEach(walk)
        }
        node.children.forEach(walk)
        return out
    }

    static func fields(_ n: SOAPNode) -> [String: String] {
        var d: [String: String] = [:]
        for c in n.children where c.children.isEmpty { d[c.name] = c.text }
        return d
    }
}
