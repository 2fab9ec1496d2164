import Training
import Foundation
import Torch

/// The demo's output folder. The demo deletes its data/ and retrains with --overwrite, so it must
/// only ever work in a folder it made: a new or empty one, which it marks with a file, or one that
/// already carries that mark. Anything else (a real run, a data set, a home folder) is refused
/// before a single file is touched.
enum DemoFolder {
    static let markerName = ".segmadiff-demo"

    /// Checks `root` and marks it as the demo's; throws when it holds files the demo did not make.
    static func claim(_ root: URL) throws {
        let files = FileManager.default
        var isDirectory: ObjCBool = false
        if files.fileExists(atPath: root.path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw UsageError("--output_dir \(root.path) is a file; give the demo a new or empty folder")
            }
            let marker = root.appendingPathComponent(markerName).path
            let entries = (try? files.contentsOfDirectory(atPath: root.path)) ?? []
            if !entries.isEmpty && !files.fileExists(atPath: marker) {
                throw UsageError("--output_dir \(root.path) already holds files the demo did not create (\(entries.sorted().prefix(3).joined(separator: ", "))\(entries.count > 3 ? ", ..." : "")); the demo replaces what is in its folder, so give it a new or empty folder")
            }
        }
        try OutputFolder.create(root)
        let note = "This folder was made by `segmadiff demo`, which may delete and rewrite everything in it.\n"
        try Data(note.utf8).write(to: root.appendingPathComponent(markerName))
    }
}
