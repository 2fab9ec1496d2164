import Foundation
import Torch

/// The links that keep a run folder in the seed's layout, and the repairs at the start of a run.
///
/// `OUTPUT/unet`, `scheduler`, `training_state` and `model_index.json` are fixed relative links
/// into `latest/` (so `from_pretrained(OUTPUT)` and every segmadiff reader keep working, and all
/// parts switch together when `latest` does). Folders of older segmadiff versions hold real
/// directories there: they are read as before and turned into links at their first new checkpoint.
enum CheckpointLayout {
    static let fixedNames = ["unet", "scheduler", "training_state", "model_index.json"]
    /// Where real directories of the old layout are moved before their name becomes a link.
    static let oldLayoutName = "old-layout"

    /// Locks the folder for the caller, then removes what a crashed write left behind and
    /// finishes an interrupted migration. Called once at the start of training (rank 0), which
    /// keeps the lock for the session.
    static func takeOver(_ folder: RunFolder) throws -> RunLock {
        let lock = try RunLock.acquire(folder)
        try removeLeftovers(folder)
        if exists(folder.latest) { try linkFixedNames(folder) }
        return lock
    }

    /// `checkpoints/*.partial`, the link temporaries, and AtomicFile's `*.partial-<pid>` files.
    /// Only the lock holder runs this, so none of them can belong to a live writer.
    static func removeLeftovers(_ folder: RunFolder) throws {
        let manager = FileManager.default
        for entry in (try? manager.contentsOfDirectory(atPath: folder.checkpoints.path)) ?? [] where entry.hasSuffix(".partial") {
            try manager.removeItem(at: folder.checkpoints.appendingPathComponent(entry))
        }
        for name in ["latest", "best"] + fixedNames {
            let temporary = folder.root.appendingPathComponent(name + ".new")
            if isLink(temporary) { try manager.removeItem(at: temporary) }
        }
        try removeTemporaryFiles(under: folder.root)
    }

    /// Walks the folder without following links (they lead back into it).
    private static func removeTemporaryFiles(under directory: URL) throws {
        let manager = FileManager.default
        for entry in (try? manager.contentsOfDirectory(atPath: directory.path)) ?? [] {
            let url = directory.appendingPathComponent(entry)
            let type = (try? manager.attributesOfItem(atPath: url.path))?[.type] as? FileAttributeType
            if type == .typeDirectory {
                try removeTemporaryFiles(under: url)
            } else if type == .typeRegular, isAtomicFileTemporary(entry) {
                try manager.removeItem(at: url)
            }
        }
    }

    /// `<name>.partial-<digits>`, as AtomicFile names its temporaries.
    static func isAtomicFileTemporary(_ name: String) -> Bool {
        guard let range = name.range(of: AtomicFile.temporaryMarker, options: .backwards) else { return false }
        let pid = name[range.upperBound...]
        return !pid.isEmpty && pid.allSatisfy(\.isASCII) && pid.allSatisfy(\.isNumber)
    }

    /// Makes each fixed name the link `latest/<name>`. A real directory or file there (the old
    /// layout) is first moved into `checkpoints/old-layout/`, removed once all links stand: the
    /// committed checkpoint supersedes it, and a crash half-way leaves `latest` complete, from
    /// which the next start finishes the job.
    static func linkFixedNames(_ folder: RunFolder) throws {
        let manager = FileManager.default
        let aside = folder.checkpoints.appendingPathComponent(oldLayoutName)
        for name in fixedNames {
            let url = folder.root.appendingPathComponent(name)
            let target = "latest/" + name
            if isLink(url), (try? manager.destinationOfSymbolicLink(atPath: url.path)) == target { continue }
            if !isLink(url), directoryExists(url) {
                try manager.createDirectory(at: aside, withIntermediateDirectories: true)
                let moved = aside.appendingPathComponent(name)
                if exists(moved) || isLink(moved) { try manager.removeItem(at: moved) }
                try check(rename(url.path, moved.path), "move \(url.path) aside to \(moved.path)")
            }
            // A link made beside and renamed over the name: readers see the old file or the link.
            try replaceLink(url, pointingTo: target)
        }
        try AtomicFile.syncDirectory(folder.root.path)
        if exists(aside) { try manager.removeItem(at: aside) }
    }

    /// Atomically makes `url` a symbolic link to `target` (relative), through `<url>.new`.
    static func replaceLink(_ url: URL, pointingTo target: String) throws {
        let temporary = url.path + ".new"
        unlink(temporary)
        try check(symlink(target, temporary), "link \(temporary) to \(target)")
        try check(rename(temporary, url.path), "rename \(temporary) to \(url.path)")
    }

    /// A failed rename or link of the checkpoint protocol.
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static func check(_ result: Int32, _ what: String) throws {
        guard result == 0 else { throw Failure(description: "cannot \(what): \(AtomicFile.describe(errno))") }
    }

    static func isLink(_ url: URL) -> Bool {
        var info = stat()
        return lstat(url.path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFLNK
    }

    /// Whether the path leads somewhere (links followed).
    static func exists(_ url: URL) -> Bool { FileManager.default.fileExists(atPath: url.path) }

    private static func directoryExists(_ url: URL) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) && isDirectory.boolValue
    }
}
