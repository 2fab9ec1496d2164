import Foundation

/// One writer per run folder: a run that trains or samples into OUTPUT holds
/// `flock(OUTPUT/.lock, LOCK_EX)` while it works. Two trainings into one folder would interleave
/// checkpoints and remove each other's files; a sampler beside a training would read a model that
/// switches under it. The kernel drops the lock when the process dies, SIGKILL included, so a crash
/// never leaves a stale lock; the pid written into the file only names the holder in the error.
///
/// The lock is held as long as the returned value lives: keep it for the length of the work
/// (`withExtendedLifetime`, or a stored property), so that a library caller that trains and then
/// samples into the same folder in one process is not locked out by itself.
public final class RunLock: @unchecked Sendable {
    /// Folders this process holds, by path, with how many holders share each descriptor (a lock is
    /// per open file: taking it again in the same process must reuse the first).
    nonisolated(unsafe) private static var held: [String: (descriptor: Int32, holders: Int)] = [:]
    private static let guardHeld = NSLock()

    private let path: String

    private init(path: String) { self.path = path }

    deinit {
        Self.guardHeld.lock()
        defer { Self.guardHeld.unlock() }
        guard var entry = Self.held[path] else { return }
        entry.holders -= 1
        if entry.holders > 0 {
            Self.held[path] = entry
        } else {
            close(entry.descriptor)  // releases the flock
            Self.held[path] = nil
        }
    }

    /// Locks `folder` (creating it), or throws a one-line `UsageError` naming the process that
    /// holds it.
    public static func acquire(_ folder: RunFolder) throws -> RunLock {
        guardHeld.lock()
        defer { guardHeld.unlock() }
        if var entry = held[folder.path] {
            entry.holders += 1
            held[folder.path] = entry
            return RunLock(path: folder.path)
        }
        try FileManager.default.createDirectory(at: folder.root, withIntermediateDirectories: true)
        let path = folder.lockFile.path
        // O_CLOEXEC: processes this one starts must not inherit (and so keep) the lock.
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw UsageError("cannot lock \(folder.path): \(path): \(String(cString: strerror(errno)))")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            let holder = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
            close(fd)
            guard code == EWOULDBLOCK else {
                throw UsageError("cannot lock \(folder.path): \(path): \(String(cString: strerror(code)))")
            }
            let who = holder.flatMap(Int.init).map { "segmadiff process \($0)" } ?? "another segmadiff process"
            throw UsageError("\(folder.path) is in use by \(who), which trains or samples into it; wait for it to end or choose another --output_dir")
        }
        let pid = Data("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pid.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        held[folder.path] = (fd, 1)
        return RunLock(path: folder.path)
    }
}
