import ConnectorCore
import Foundation

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
