import Foundation

/// Directory listings the way the data layout needs them: sorted, dot-files skipped (docs/python-reference.md §9, defect 12).
enum FolderListing {
    static func isDirectory(_ path: String) -> Bool {
        var directory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &directory) && directory.boolValue
    }

    /// Visible sub-folders of `path`, sorted.
    static func folders(in path: String) -> [String] {
        visibleEntries(in: path).filter { isDirectory(join(path, $0)) }
    }

    /// Visible files of `path`, sorted (sub-folders skipped).
    static func files(in path: String) -> [String] {
        visibleEntries(in: path).filter { !isDirectory(join(path, $0)) }
    }

    static func join(_ folder: String, _ name: String) -> String {
        folder.hasSuffix("/") ? folder + name : folder + "/" + name
    }

    private static func visibleEntries(in path: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return names.filter { !$0.hasPrefix(".") }.sorted()
    }
}
