import Foundation
import Torch

/// Writes checkpoints that commit as one: weights, scheduler, model index and training state of
/// one step appear together or not at all, whatever stops the process (SIGKILL, a full disk).
///
/// 1. everything is written into `checkpoints/step-NNNNNNNN.partial/`, each file and folder fsynced;
/// 2. the folder is renamed to `checkpoints/step-NNNNNNNN` and `checkpoints/` fsynced;
/// 3. the commit: a link `latest.new` -> `checkpoints/step-NNNNNNNN` is renamed over `latest`
///    (atomic) and OUTPUT fsynced;
/// 4. the fixed names (`unet`, ...) are made links into `latest/` if they are not yet;
/// 5. older step folders beyond the newest `keep` are removed.
/// A crash before 3 leaves the previous checkpoint in force (the next start removes the
/// `.partial`); after 3 the new one.
struct CheckpointWriter {
    let folder: RunFolder
    /// Committed checkpoints kept, the newest included (at least 1).
    let keep: Int

    /// Writes the checkpoint of `step`: `parts` fills the staging folder, given as a RunFolder (its
    /// unet, scheduler, modelIndex and trainingState), and calls the closure it is given after
    /// each file it writes.
    func write(step: Int, parts: (RunFolder, () -> Void) throws -> Void) throws {
        let manager = FileManager.default
        try manager.createDirectory(at: folder.checkpoints, withIntermediateDirectories: true)
        let name = freeName(step)
        let staging = folder.checkpoints.appendingPathComponent(name + ".partial")
        if CheckpointLayout.exists(staging) { try manager.removeItem(at: staging) }
        try manager.createDirectory(at: staging, withIntermediateDirectories: false)
        let pause = Self.testPause
        do {
            try parts(RunFolder(staging.path), pause)
            // AtomicFile flushed each file and the folder holding it; the subfolders' own entries are in staging.
            try AtomicFile.syncDirectory(staging.path)
        } catch {
            // A full disk most often: give its space back now; the committed checkpoint is untouched.
            try? manager.removeItem(at: staging)
            throw error
        }

        let committed = folder.checkpoints.appendingPathComponent(name)
        if CheckpointLayout.exists(committed) { try manager.removeItem(at: committed) }
        try CheckpointLayout.check(rename(staging.path, committed.path), "rename \(staging.path) to \(committed.path)")
        try AtomicFile.syncDirectory(folder.checkpoints.path)
        pause()

        try CheckpointLayout.replaceLink(folder.latest, pointingTo: "checkpoints/" + name)
        try AtomicFile.syncDirectory(folder.root.path)
        pause()

        try CheckpointLayout.linkFixedNames(folder)
        try prune(keeping: name)
    }

    /// `step-NNNNNNNN`, or with `-K` added when the folder of that step is the one `latest` names
    /// (the same step saved again, e.g. after `--resume_epoch`): a committed checkpoint is never
    /// written over.
    private func freeName(_ step: Int) -> String {
        let base = String(format: "step-%08d", step)
        let current = (try? FileManager.default.destinationOfSymbolicLink(atPath: folder.latest.path))
            .map { ($0 as NSString).lastPathComponent }
        var name = base
        var suffix = 1
        while name == current {
            name = "\(base)-\(suffix)"
            suffix += 1
        }
        return name
    }

    /// Step folders by (step, repeat), parsed from `step-NNNNNNNN[-K]`.
    static func order(_ name: String) -> (Int, Int)? {
        guard name.hasPrefix("step-") else { return nil }
        let fields = name.dropFirst(5).split(separator: "-", omittingEmptySubsequences: false)
        guard let step = fields.first.flatMap({ Int($0) }), fields.count <= 2 else { return nil }
        guard fields.count == 2 else { return (step, 0) }
        return Int(fields[1]).map { (step, $0) }
    }

    /// Removes step folders beyond the newest `keep`, except the one `best` names. Folders of later
    /// steps than the committed one come from a run this one overwrote (`--overwrite`) and go too.
    private func prune(keeping current: String) throws {
        guard let mine = Self.order(current) else { return }
        let manager = FileManager.default
        let best = BestCheckpoint.target(of: folder.best)
        let older = ((try? manager.contentsOfDirectory(atPath: folder.checkpoints.path)) ?? [])
            .compactMap { name in Self.order(name).map { (name: name, order: $0) } }
            .filter { $0.name != current && $0.name != best }
        let kept = older.filter { $0.order < mine }.sorted { $0.order > $1.order }.prefix(max(0, keep - 1)).map(\.name)
        for entry in older where !kept.contains(entry.name) {
            try manager.removeItem(at: folder.checkpoints.appendingPathComponent(entry.name))
        }
        try AtomicFile.syncDirectory(folder.checkpoints.path)
    }

    /// Test hook, for the kill test only (Tests/CLITests/CheckpointKillTests.swift): with
    /// SEGMADIFF_TEST_WRITE_DELAY_MS set, sleeps that long after each file and each commit step of
    /// a checkpoint, so that a SIGKILL can land in the middle of one.
    static let testDelayMilliseconds: Int? = ProcessInfo.processInfo.environment["SEGMADIFF_TEST_WRITE_DELAY_MS"].flatMap { Int($0) }

    static func testPause() {
        if let milliseconds = testDelayMilliseconds, milliseconds > 0 { usleep(useconds_t(milliseconds * 1000)) }
    }
}
