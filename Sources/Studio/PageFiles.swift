import Foundation

/// The page (plain HTML, CSS and JS from Sources/Studio/Page, copied into the
/// `segmadiff_Studio.resources` folder SwiftPM puts beside the binary), read once at start.
/// Looked up beside the executable first, so a binary copied with that folder works anywhere,
/// then in the source tree it was built from.
struct PageFiles: Sendable {
    let files: [String: Data]

    static let bundleName = "segmadiff_Studio.resources"

    init() {
        var loaded: [String: Data] = [:]
        for folder in Self.candidates() {
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { continue }
            for name in names where !name.hasPrefix(".") {
                loaded[name] = FileManager.default.contents(atPath: folder + "/" + name)
            }
            if !loaded.isEmpty { break }
        }
        files = loaded
    }

    private static func candidates() -> [String] {
        // The running binary's own folder (also when started through PATH or a link).
        let binary = ServedFolder.realPath("/proc/self/exe") ?? URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().path
        let executable = (binary as NSString).deletingLastPathComponent
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Page").path
        return [executable + "/" + bundleName + "/Page", executable + "/" + bundleName, source]
    }

    func file(_ name: String) throws -> Data {
        guard let data = files[name] else {
            if files.isEmpty {
                throw StudioError(.internalServerError, "the page's files were not found; keep \(Self.bundleName) beside the segmadiff binary")
            }
            throw StudioError.notFound("/page/\(name.prefix(80)): no such page file")
        }
        return data
    }
}
