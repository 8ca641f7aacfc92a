import ConnectorCore
import Crypto
import Foundation

/// Where a batch's staged files live: `<root>/<batch>/{extract,transform,load,commit}/`.
public struct BatchLayout: Sendable {
    public let root: URL
    public let batchID: String

    public init(root: URL, batchID: String) {
        self.root = root
        self.batchID = batchID
    }

    public var batchDirectory: URL { root.appendingPathComponent(batchID, isDirectory: true) }
    public func stageDirectory(_ stage: String) -> URL { batchDirectory.appendingPathComponent(stage, isDirectory: true) }

    // extract
    public var exportFile: URL { stageDirectory("extract").appendingPathComponent("export.json") }
    public var policiesFile: URL { stageDirectory("extract").appendingPathComponent("policies.json") }
    public var referenceFile: URL { stageDirectory("extract").appendingPathComponent("reference.json") }
    public var extractManifest: URL { stageDirectory("extract").appendingPathComponent("manifest.json") }
    // transform
    public var invoicesFile: URL { stageDirectory("transform").appendingPathComponent("invoices.json") }
    public var linesCSV: URL { stageDirectory("transform").appendingPathComponent("invoice-lines.csv") }
    public var exceptionsCSV: URL { stageDirectory("transform").appendingPathComponent("exceptions.csv") }
    public var controlTotalsCSV: URL { stageDirectory("transform").appendingPathComponent("control-totals.csv") }
    public var reportsCSV: URL { stageDirectory("transform").appendingPathComponent("reports.csv") }
    // load
    public var resultsCSV: URL { stageDirectory("load").appendingPathComponent("results.csv") }
    // commit
    public var labelledCSV: URL { stageDirectory("commit").appendingPathComponent("labelled.csv") }

    public func ensure(_ stage: String) throws {
        try FileManager.default.createDirectory(at: stageDirectory(stage), withIntermediateDirectories: true)
    }

    public func require(_ file: URL, producedBy stage: String) throws {
        guard FileManager.default.fileExists(atPath: file.path) else {
            throw ConnectorError("staging.missing", "\(file.lastPathComponent) is missing for batch \(batchID); run '\(stage)' for this batch first.",
                                 context: ["batch": batchID, "file": file.path])
        }
    }
}

/// Atomic writes and content hashes for staged files.
public enum StagedFile {
    /// Writes `data` atomically (temporary file, then rename) and returns its SHA-256 (hex).
    @discardableResult
    public static func write(_ data: Data, to url: URL) throws -> String {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        do {
            try data.write(to: url, options: .atomic)
        } catch {
            throw ConnectorError("staging.write_failed", "Could not write \(url.path): \(error.localizedDescription)", context: ["file": url.path])
        }
        return sha256(data)
    }

    public static func sha256(_ data: Data) -> String {
        SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }

    /// SHA-256 of a file, read in chunks (flat memory).
    public static func sha256(of url: URL) throws -> String {
        guard let h = FileHandle(forReadingAtPath: url.path) else {
            throw ConnectorError("staging.missing", "Cannot read \(url.path).", context: ["file": url.path])
        }
        defer { try? h.close() }
        var hasher = SHA256()
        while true {
            let chunk = h.readData(ofLength: 1 << 20)
            if chunk.isEmpty { break }
            hasher.update(data: chunk)
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}
