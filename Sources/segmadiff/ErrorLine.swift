import Foundation
import Torch

/// The one line an error ends the process with, for errors whose own text is not fit to show:
/// Foundation's file errors (`Error Domain=NSCocoaErrorDomain Code=512 "(null)" UserInfo={...}`)
/// and writes that failed on a full disk or a file-size limit without saying what to do.
enum ErrorLine {
    static func text(for error: Error, message: String) -> String {
        let nsError = error as NSError
        if nsError.domain == NSCocoaErrorDomain {
            let path = (nsError.userInfo[NSFilePathErrorKey] as? String) ?? (nsError.userInfo[NSURLErrorKey] as? URL)?.path
            let subject = path.map { "cannot write \($0)" } ?? "a file operation failed"
            return "\(subject): \(OutputFolder.reason(error)); choose another output folder or make this one writable"
        }
        // AtomicFile and others report strerror's words; the fix for these two is the same.
        for code in [EFBIG, ENOSPC] where message.contains(String(cString: strerror(code))) && !message.contains("free space") {
            return "\(message); \(OutputFolder.hint(errno: code)!)"
        }
        return message
    }
}
