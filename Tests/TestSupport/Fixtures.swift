import Foundation

/// Where the parity tests find reference outputs of the Python stack. They check every fixture root:
/// - the project's own, `Tests/Fixtures/parity` (made by scripts/fixtures/make_parity_fixtures.py, committed);
/// - each folder of `SEGMADIFF_FIXTURES` (a colon-separated list);
/// - `../shared/fixtures` beside the package, when it exists.
/// A parity test with nothing to check fails, never skips, and a failing one names its fixture folder.
public enum Fixtures {
    public static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The fixtures the repository carries.
    public static var own: URL { packageRoot.appendingPathComponent("Tests/Fixtures/parity") }

    /// Every fixture root, the project's own first, each once. A folder named in `SEGMADIFF_FIXTURES`
    /// that does not exist is an error: the user asked for it to be checked.
    public static func roots() throws -> [URL] {
        var candidates = [own]
        let listed = ProcessInfo.processInfo.environment["SEGMADIFF_FIXTURES"] ?? ""
        for path in listed.split(separator: ":") where !path.isEmpty {
            let url = URL(fileURLWithPath: String(path))
            guard isDirectory(url) else {
                throw FixturesMissing(message: "SEGMADIFF_FIXTURES names \(url.path), which is not a folder")
            }
            candidates.append(url)
        }
        let sibling = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/fixtures")
        if isDirectory(sibling) { candidates.append(sibling) }
        var seen = Set<String>()
        let roots = candidates.filter { isDirectory($0) && seen.insert($0.resolvingSymlinksInPath().path).inserted }
        guard !roots.isEmpty else {
            throw FixturesMissing(message: "no parity fixtures: \(own.path) is missing and SEGMADIFF_FIXTURES names none")
        }
        return roots
    }

    /// Every model folder (one holding `unet/config.json`) of every root, sorted by name within a root.
    public static func modelFolders() throws -> [URL] {
        let folders = try roots().flatMap { root in
            try FileManager.default.contentsOfDirectory(at: root, includingPropertiesForKeys: nil).filter {
                FileManager.default.fileExists(atPath: $0.appendingPathComponent("unet/config.json").path)
            }.sorted { $0.lastPathComponent < $1.lastPathComponent }
        }
        guard !folders.isEmpty else {
            throw FixturesMissing(message: "no model folders in \(try roots().map(\.path).joined(separator: ", "))")
        }
        return folders
    }

    /// The file `name` (schedulers.safetensors, lr_schedule.json, ...) of every root that has one.
    public static func files(named name: String) throws -> [URL] {
        let files = try roots().map { $0.appendingPathComponent(name) }
            .filter { FileManager.default.fileExists(atPath: $0.path) }
        guard !files.isEmpty else {
            throw FixturesMissing(message: "no \(name) in \(try roots().map(\.path).joined(separator: ", "))")
        }
        return files
    }

    /// One of the project's own model folders' `unet/`, for tests that need a particular checkpoint.
    public static func ownUNet(_ model: String) -> URL {
        own.appendingPathComponent(model).appendingPathComponent("unet")
    }

    /// How a failing test names a fixture folder or file: relative to the package when inside it.
    public static func describe(_ url: URL) -> String {
        let path = url.standardizedFileURL.path, base = packageRoot.standardizedFileURL.path + "/"
        return path.hasPrefix(base) ? String(path.dropFirst(base.count)) : path
    }

    private static func isDirectory(_ url: URL) -> Bool {
        var directory: ObjCBool = false
        return FileManager.default.fileExists(atPath: url.path, isDirectory: &directory) && directory.boolValue
    }
}

/// No fixtures where some were required.
public struct FixturesMissing: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

/// A fresh temporary folder, removed when the returned object goes away.
public final class TemporaryFolder {
    public let url: URL
    public var path: String { url.path }

    public init() {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("segmadiff-test-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }
}
