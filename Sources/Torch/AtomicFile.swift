import Foundation

/// Whole-file writes that either complete or leave the previous file untouched: the data go to a
/// temporary file beside the target (`<name>.partial-<pid>`), are flushed to disk, then renamed over
/// it, and the folder is flushed so that the rename itself survives a power cut.
public enum AtomicFile {
    public struct WriteError: Error, CustomStringConvertible {
        public let path: String
        public let reason: String
        public var description: String { "cannot write \(path): \(reason)" }
    }

    /// The open temporary file handed to a streaming writer.
    public struct Sink {
        let fd: Int32

        /// Writes all of `bytes`, retrying short writes and interruptions.
        public func write(_ bytes: UnsafeRawBufferPointer) throws {
            guard let base = bytes.baseAddress else { return }
            var done = 0
            while done < bytes.count {
                let n = Foundation.write(fd, base + done, bytes.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw SystemFailure(code: errno)
                }
                done += n
            }
        }

        public func write(_ data: Data) throws {
            try data.withUnsafeBytes { try write($0) }
        }
    }

    /// An errno from a system call, turned into a `WriteError` naming the file by `write(to:)`.
    struct SystemFailure: Error {
        let code: Int32
    }

    /// The marker AtomicFile puts in its temporary names; a run folder's cleanup removes leftovers.
    public static let temporaryMarker = ".partial-"

    /// Streams a file: `body` writes through the sink (straight to the descriptor, no whole-file
    /// buffer); the file is then flushed, renamed over `path` and the folder flushed.
    public static func write(to path: String, _ body: (Sink) throws -> Void) throws {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        let temporary = path + temporaryMarker + "\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw WriteError(path: path, reason: String(cString: strerror(errno))) }
        var failure: Int32 = 0
        do {
            try body(Sink(fd: fd))
        } catch let system as SystemFailure {
            failure = system.code
        } catch {
            close(fd)
            unlink(temporary)
            throw error
        }
        if failure == 0, fsync(fd) != 0 { failure = errno }
        close(fd)
        if failure == 0, rename(temporary, path) != 0 { failure = errno }
        if failure != 0 {
            unlink(temporary)
            throw WriteError(path: path, reason: describe(failure))
        }
        try syncDirectory(directory.isEmpty ? "." : directory)
    }

    public static func write(_ data: Data, to path: String) throws {
        try write(to: path) { try $0.write(data) }
    }

    public static func write(_ text: String, to path: String) throws {
        try write(Data(text.utf8), to: path)
    }

    /// Flushes a folder's entries (new names, renames) to disk: without it a rename can be lost in
    /// a power cut even though the file's data were flushed.
    public static func syncDirectory(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw WriteError(path: path, reason: describe(errno)) }
        defer { close(fd) }
        // Some file systems cannot flush a folder (EINVAL): nothing more can be done there.
        if fsync(fd) != 0, errno != EINVAL { throw WriteError(path: path, reason: describe(errno)) }
    }

    /// strerror, with what to do about the failures a user can fix.
    public static func describe(_ code: Int32) -> String {
        let text = String(cString: strerror(code))
        switch code {
        case ENOSPC, EDQUOT: return text + " (the disk is full; free space and run again)"
        case EFBIG: return text + " (over the file size limit, see ulimit -f; raise it and run again)"
        default: return text
        }
    }
}
