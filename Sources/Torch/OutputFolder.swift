import Foundation

/// Creating the folders results go into, with one-line errors: FileManager's own error prints as
/// `Error Domain=NSCocoaErrorDomain Code=512 "(null)" UserInfo={...}`, which names neither the
/// cause plainly nor the fix.
public enum OutputFolder {
    public struct CreationError: Error, CustomStringConvertible {
        public let path: String
        public let reason: String
        public var description: String {
            "cannot create the folder \(path): \(reason); choose another output folder or make this one writable"
        }
    }

    /// Creates `url` and its parents (nothing happens when it exists).
    public static func create(_ url: URL) throws {
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        } catch {
            throw CreationError(path: url.path, reason: reason(error))
        }
    }

    public static func create(atPath path: String) throws { try create(URL(fileURLWithPath: path)) }

    /// The operating system's words for a Foundation file error ("Not a directory", "Permission
    /// denied"), with the fix for a full disk or a file-size limit.
    public static func reason(_ error: Error) -> String {
        let nsError = error as NSError
        var code: Int32?
        if nsError.domain == NSPOSIXErrorDomain { code = Int32(nsError.code) }
        // On Linux the underlying error may be a Swift Error rather than an NSError: bridge it by hand.
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? Error {
            let posix = underlying as NSError
            if posix.domain == NSPOSIXErrorDomain { code = Int32(posix.code) }
        }
        guard let code else { return nsError.localizedDescription }
        return String(cString: strerror(code)) + (hint(errno: code).map { " (\($0))" } ?? "")
    }

    /// What to do about a write that failed with `errno`, for the errors that have a plain fix.
    public static func hint(errno code: Int32) -> String? {
        switch code {
        case ENOSPC, EFBIG, EDQUOT: "file too large / disk full: free space or raise the limit (ulimit -f)"
        default: nil
        }
    }
}
