import Foundation

/// A run that starts afresh in a folder holding another run's logs (after `--overwrite`, or after an
/// attempt that stopped before its first checkpoint) moves them to `logs/earlier/<time>/`, named by
/// when they were last written. TensorBoard then shows that run beside the new one instead of
/// drawing both on the same curves, and train.log and validation.jsonl describe the new run alone.
/// Nothing is deleted.
enum EarlierRunLogs {
    static let folderName = "earlier"

    static func setAside(in folder: RunFolder) throws {
        let files = FileManager.default
        let logs = folder.logs
        let names = ((try? files.contentsOfDirectory(atPath: logs.path)) ?? []).filter { $0 != folderName }
        guard !names.isEmpty else { return }
        let urls = names.map { logs.appendingPathComponent($0) }
        let written = urls.compactMap { try? $0.resourceValues(forKeys: [.contentModificationDateKey]).contentModificationDate }.max()
        let target = unusedFolder(in: logs.appendingPathComponent(folderName), named: stamp(written ?? Date()))
        do {
            try files.createDirectory(at: target, withIntermediateDirectories: true)
            for url in urls { try files.moveItem(at: url, to: target.appendingPathComponent(url.lastPathComponent)) }
        } catch {
            throw UsageError("cannot move the earlier run's logs from \(logs.path) to \(target.path) (\(error.localizedDescription)); move or delete them yourself and start again")
        }
    }

    /// 2026-12-03T11-12-30Z: a time that sorts and needs no quoting in a shell.
    private static func stamp(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd'T'HH-mm-ss'Z'"
        return formatter.string(from: date)
    }

    private static func unusedFolder(in parent: URL, named name: String) -> URL {
        var candidate = parent.appendingPathComponent(name)
        var n = 2
        while FileManager.default.fileExists(atPath: candidate.path) {
            candidate = parent.appendingPathComponent("\(name)-\(n)")
            n += 1
        }
        return candidate
    }
}
