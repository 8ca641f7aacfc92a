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
    public func stageDirectory(_ stage: Stage) -> URL { batchDirectory.appendingPathComponent(stage.rawValue, isDirectory: true) }

    // extract
    public var exportFile: URL { stageDirectory(.extract).appendingPathComponent("export.json") }
    /// The export's reports normalised by extract (JSON Lines of `ExtractedReport`), what transform reads.
    public var recordsFile: URL { stageDirectory(.extract).appendingPathComponent("records.jsonl") }
    /// The policies' categories and tags normalised by extract (`PolicyCatalog`).
    public var catalogFile: URL { stageDirectory(.extract).appendingPathComponent("catalog.json") }
    public var policiesFile: URL { stageDirectory(.extract).appendingPathComponent("policies.json") }
    public var referenceFile: URL { stageDirectory(.extract).appendingPathComponent("reference.json") }
    public var extractManifest: URL { stageDirectory(.extract).appendingPathComponent("manifest.json") }
    // transform
    public var invoicesFile: URL { stageDirectory(.transform).appendingPathComponent("invoices.json") }
    public var linesCSV: URL { stageDirectory(.transform).appendingPathComponent("invoice-lines.csv") }
    public var exceptionsCSV: URL { stageDirectory(.transform).appendingPathComponent("exceptions.csv") }
    public var controlTotalsCSV: URL { stageDirectory(.transform).appendingPathComponent("control-totals.csv") }
    public var reportsCSV: URL { stageDirectory(.transform).appendingPathComponent("reports.csv") }
    // load
    public var resultsCSV: URL { stageDirectory(.load).appendingPathComponent("results.csv") }
    // commit
    public var labelledCSV: URL { stageDirectory(.commit).appendingPathComponent("labelled.csv") }

    /// Creates the stage's folder (owner-only, like every folder of the batch).
    public func ensure(_ stage: Stage) throws {
        try OwnerOnly.directory(stageDirectory(stage))
    }

    public func require(_ file: URL, producedBy stage: Stage) throws {
        guard FileManager.default.fileExists(atPath: file.path) else {
            throw ConnectorError("staging.missing", "\(file.lastPathComponent) is missing for batch \(batchID); run '\(stage.rawValue)' for this batch first.",
                                 context: ["batch": batchID, "file": file.path])
        }
    }
}

/// Atomic writes and content hashes for staged files.
public enum StagedFile {
    /// Writes `data` atomically (temporary file, then rename) and returns its SHA-256 (hex).
    @discardableResult
    public static func write(_ data: Data, to url: URL) throws -> String {
        try OwnerOnly.directory(url.deletingLastPathComponent())
        do {
            try data.write(to: url, options: .atomic)
        } catch {
            throw OwnerOnly.failure("write", url, error)
        }
        try OwnerOnly.restrict(url)
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

/// Staged files hold personal data (names, e-mails, amounts): folders are created 0700 and files 0600, whatever the
/// umask, and a file system error becomes a coded error naming the path.
public enum OwnerOnly {
    /// Creates `url` and missing parents, owner-only.
    public static func directory(_ url: URL) throws {
        let fm = FileManager.default
        var missing: [URL] = []
        var cursor = url.standardizedFileURL
        while !fm.fileExists(atPath: cursor.path) && cursor.path != "/" {
            missing.append(cursor)
            cursor = cursor.deletingLastPathComponent()
        }
        for dir in missing.reversed() {
            do {
                try fm.createDirectory(at: dir, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
            } catch {
                if fm.fileExists(atPath: dir.path) { continue }  // created meanwhile
                throw failure("create the folder", dir, error)
            }
        }
    }

    /// Makes a file readable and writable by its owner only.
    public static func restrict(_ url: URL) throws {
        do { try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: url.path) } catch {
            throw failure("restrict the permissions of", url, error)
        }
    }

    /// `staging.io_failed` naming the path and the system's reason (not Foundation's error domain).
    public static func failure(_ action: String, _ url: URL, _ error: any Error) -> ConnectorError {
        let reason: String
        if let e = error as? CocoaError, let underlying = e.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            reason = String(cString: strerror(Int32(underlying.code)))
        } else if let e = error as? CocoaError {
            switch e.code {
            case .fileWriteNoPermission, .fileReadNoPermission: reason = "permission denied"
            case .fileWriteOutOfSpace: reason = "no space left on the device"
            case .fileWriteVolumeReadOnly: reason = "the file system is read-only"
            case .fileNoSuchFile, .fileReadNoSuchFile: reason = "no such file or folder"
            default: reason = "error \(e.code.rawValue)"
            }
        } else {
            reason = "\(error)"
        }
        return ConnectorError("staging.io_failed", "Cannot \(action) \(url.path): \(reason).", context: ["file": url.path])
    }
}
