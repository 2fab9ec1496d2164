import Foundation

/// One writer per run folder: a process that trains or samples into OUTPUT holds
/// `flock(OUTPUT/.lock, LOCK_EX)` until it ends. Two trainings into one folder would interleave
/// checkpoints and remove each other's files; a sampler beside a training would read a model that
/// switches under it. The kernel drops the lock when the process dies, SIGKILL included, so a crash
/// never leaves a stale lock; the pid written into the file only names the holder in the error.
/// The CLI holds it until it exits; a caller of the library from the end of the training or
/// sampling (`release`), so that the same process may then hand the folder to another.
public enum RunLock {
    /// Folders this process holds, by path, with how many holders inside it (a lock is per open
    /// file, so taking it again in the same process must reuse the first descriptor).
    nonisolated(unsafe) private static var held: [String: (fd: Int32, holders: Int)] = [:]
    private static let guardHeld = NSLock()

    /// Locks `folder` (creating it) for this process, or throws a one-line `UsageError` naming the
    /// process that holds it.
    public static func acquire(_ folder: RunFolder) throws {
        guardHeld.lock()
        defer { guardHeld.unlock() }
        if let entry = held[folder.path] {
            held[folder.path] = (entry.fd, entry.holders + 1)
            return
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
    }

    /// Undoes one `acquire`; the last one unlocks the folder.
    public static func release(_ folder: RunFolder) {
        guardHeld.lock()
        defer { guardHeld.unlock() }
        guard let entry = held[folder.path] else { return }
        if entry.holders > 1 {
            held[folder.path] = (entry.fd, entry.holders - 1)
        } else {
            held[folder.path] = nil
            close(entry.fd)
        }
    }
}
