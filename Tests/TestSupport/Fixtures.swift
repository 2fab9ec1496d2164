import Foundation

/// Where the reference outputs of the Python stack live: `$SEGMADIFF_FIXTURES`, else
/// `../shared/fixtures` beside the package. Parity tests fail (never skip) when neither exists.
public enum Fixtures {
    public static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    public static var root: URL {
        if let path = ProcessInfo.processInfo.environment["SEGMADIFF_FIXTURES"], !path.isEmpty {
            return URL(fileURLWithPath: path)
        }
        return packageRoot.deletingLastPathComponent().appendingPathComponent("shared/fixtures")
    }

    /// Every model folder (one holding `unet/`), sorted by name.
    public static func modelFolders() throws -> [URL] {
        let entries = try FileManager.default.contentsOfDirectory(at: root, includingPropertiesForKeys: nil)
        return entries.filter {
            FileManager.default.fileExists(atPath: $0.appendingPathComponent("unet/config.json").path)
        }.sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    public static func file(_ name: String) -> String { root.appendingPathComponent(name).path }
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
