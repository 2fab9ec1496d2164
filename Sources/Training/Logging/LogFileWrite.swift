import Foundation
import Torch

extension FileHandle {
    /// Appends log bytes without risking the process: `write(_:)` traps on any error, and logs
    /// meet the errors of a full disk or a file-size limit (EFBIG under `ulimit -f`) first. The first
    /// failure is reported once on stderr (the run goes on; a checkpoint that cannot be written
    /// then stops it with its own error); later records are dropped. Returns whether it wrote.
    @discardableResult
    func appendLog(_ data: Data, path: String, warned: inout Bool) -> Bool {
        do {
            try write(contentsOf: data)
            return true
        } catch {
            if !warned {
                warned = true
                let line = "segmadiff: warning: cannot write the log \(path): \(OutputFolder.reason(error)); later log records are dropped\n"
                try? FileHandle.standardError.write(contentsOf: Data(line.utf8))
            }
            return false
        }
    }
}
