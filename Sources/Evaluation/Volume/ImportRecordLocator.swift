import Datasets
import Foundation
import Training

/// Finds the import record (`nifti_import.json`) of the data a model was trained on: in or above
/// the `--img_dir`/`--seg_dir` that run.json's command line names, else in the one folder beside
/// the run folder that holds one (the demo's layout: OUT/data beside OUT/model).
public enum ImportRecordLocator {
    public static func find(for run: RunFolder) -> String? {
        for folder in dataFolders(run) {
            let url = URL(fileURLWithPath: folder).standardizedFileURL
            for candidate in [url, url.deletingLastPathComponent()] {
                let path = candidate.appendingPathComponent(NiftiImportRecord.fileName).path
                if FileManager.default.fileExists(atPath: path) { return path }
            }
        }
        let parent = run.root.deletingLastPathComponent()
        let siblings = (try? FileManager.default.contentsOfDirectory(atPath: parent.path)) ?? []
        let found = siblings.sorted().map { parent.appendingPathComponent($0).appendingPathComponent(NiftiImportRecord.fileName).path }
            .filter { FileManager.default.fileExists(atPath: $0) }
        return found.count == 1 ? found[0] : nil
    }

    /// The values of --img_dir and --seg_dir in run.json's command line.
    private static func dataFolders(_ run: RunFolder) -> [String] {
        guard let data = try? Data(contentsOf: run.runRecord),
              let record = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let arguments = record["command_line"] as? [String] else { return [] }
        var folders: [String] = []
        for (i, argument) in arguments.enumerated() {
            for flag in ["--img_dir", "--seg_dir"] {
                if argument == flag, i + 1 < arguments.count { folders.append(arguments[i + 1]) }
                if argument.hasPrefix(flag + "=") { folders.append(String(argument.dropFirst(flag.count + 1))) }
            }
        }
        return folders
    }
}
