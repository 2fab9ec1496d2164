import Foundation
import Torch
import Training

/// OUT/benchmark.json: the settings OUT's runs were made with. A rerun with other settings would
/// put runs of two experiments in one table, so it is refused naming the setting; one exception:
/// a benchmark begun without synthetic data (real-only arms) may be continued with it, since the
/// real-only runs do not depend on it.
enum BenchmarkSettings {
    static let fileName = "benchmark.json"
    /// Settings that may go from unset to set.
    static let addable = ["synthetic", "synthetic_low", "synthetic_pairs", "synthetic_low_pairs"]
    static let unset = ["none", "0"]

    static func claim(_ output: URL, fingerprint: [String: String]) throws {
        let url = output.appendingPathComponent(fileName)
        if FileManager.default.fileExists(atPath: url.path) {
            guard let saved = try? JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: String] else {
                throw UsageError("\(url.path) cannot be read; give --output_dir a new folder, or delete it to start again")
            }
            var added = false
            for key in fingerprint.keys.sorted() where saved[key] != fingerprint[key] {
                if addable.contains(key), unset.contains(saved[key] ?? "none") {
                    added = true
                    continue
                }
                throw UsageError("\(output.path) holds runs made with \(key) \(saved[key] ?? "unset"), not \(fingerprint[key]!); give --output_dir a new folder to compare them, or delete it to start again")
            }
            if added { try writeJSON(fingerprint, to: url) }
            return
        }
        let entries = ((try? FileManager.default.contentsOfDirectory(atPath: output.path)) ?? []).filter { !$0.hasPrefix(".") }
        guard entries.isEmpty else {
            throw UsageError("--output_dir \(output.path) already holds other files (\(entries.sorted().prefix(3).joined(separator: ", "))); give a new or empty folder")
        }
        try OutputFolder.create(output)
        try writeJSON(fingerprint, to: url)
    }
}
