import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One folder the studio was given (`--runs`, `--data`), and the one way a path from a client becomes
/// a file in it: relative, without `..`, and still inside the folder once every symlink is resolved.
/// Runs link `unet/` into `checkpoints/`, so links are followed, but never out of the folder.
struct ServedFolder: Sendable {
    /// The folder with every symlink resolved.
    let root: String

    init(_ path: String) throws {
        guard let resolved = Self.realPath(path) else {
            throw StudioError(.notFound, "\(path): folder not found")
        }
        var directory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: resolved, isDirectory: &directory), directory.boolValue else {
            throw StudioError(.notFound, "\(path): not a folder")
        }
        root = resolved
    }

    /// The longest path a client may name.
    static let maximumPathLength = 1024

    /// The file or folder `relative` names inside the folder.
    func resolve(_ relative: String) throws -> String {
        let components = try Self.components(of: relative)
        let joined = components.isEmpty ? root : root + "/" + components.joined(separator: "/")
        guard let resolved = Self.realPath(joined) else {
            throw StudioError.notFound("\(relative): not found")
        }
        guard contains(resolved) else {
            throw StudioError.forbidden("\(relative): leads outside the served folders")
        }
        return resolved
    }

    /// Whether a resolved path lies in the folder.
    func contains(_ resolved: String) -> Bool {
        resolved == root || resolved.hasPrefix(root == "/" ? "/" : root + "/")
    }

    /// The path of `resolved` inside the folder, for links the page sends back.
    func relative(_ resolved: String) -> String? {
        guard contains(resolved) else { return nil }
        return resolved == root ? "" : String(resolved.dropFirst(root.count + 1))
    }

    /// A client's path split into its names; absolute paths, `..` and odd characters are refused
    /// before anything touches the file system.
    static func components(of relative: String) throws -> [String] {
        guard relative.utf8.count <= maximumPathLength else {
            throw StudioError.badRequest("path longer than \(maximumPathLength) bytes")
        }
        guard !relative.contains("\0"), !relative.contains("\\") else {
            throw StudioError.badRequest("path with a NUL or backslash")
        }
        guard !relative.hasPrefix("/"), !relative.hasPrefix("~") else {
            throw StudioError.forbidden("\(relative): absolute paths are refused; name files relative to a served folder")
        }
        let names = relative.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        guard !names.contains("..") else {
            throw StudioError.forbidden("\(relative): `..` is refused; name files inside a served folder")
        }
        return names.filter { $0 != "." }
    }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
