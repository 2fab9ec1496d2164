import Evaluation
import Foundation
import Training
import Torch

/// The demo's numbers, one row per seed, summarised as mean ± spread and written to results.json.
struct DemoResults {
    /// What one seed gave.
    struct SeedRow {
        var seed: UInt64
        /// The scoring segmenter's Dice on real test slices (its epoch chosen on val).
        var segmenterTestDice: Double?
        /// The segmenter's Dice of generated images against the masks they were conditioned on.
        var generatedDice: Double?
        var kid: Double?
        var fid: Double?
        var fidNote: String?
        var histogramWasserstein: Double?
    }

    /// The metrics reported, in the order shown: name in results.json, label, number format.
    static var metrics: [(key: String, label: String, format: String, value: (SeedRow) -> Double?)] {
        [
            ("segmenter_test_dice", "segmenter Dice on real test slices", "%.3f", { $0.segmenterTestDice }),
            ("generated_dice", "Dice of generated images vs their masks", "%.3f", { $0.generatedDice }),
            ("kid", "KID to real test slices (segmenter features)", "%.5f", { $0.kid }),
            ("fid", "FID to real test slices", "%.3f", { $0.fid }),
            ("histogram_wasserstein", "intensity-histogram W1 to real test slices", "%.4f", { $0.histogramWasserstein }),
        ]
    }

    var rows: [SeedRow] = []

    /// Reads what train-segmenter and metrics wrote for one seed.
    static func row(seed: UInt64, segmenter: URL, metrics: URL) throws -> SeedRow {
        let config = try Segmenter.load(from: segmenter).config
        let report = try readJSON(metrics)
        let dice = report["dice"] as? [String: Any]
        return SeedRow(seed: seed, segmenterTestDice: config.testDice, generatedDice: dice?["mean"] as? Double,
                       kid: report["kid"] as? Double, fid: report["fid"] as? Double, fidNote: report["fid_note"] as? String,
                       histogramWasserstein: (report["histogram"] as? [String: Any])?["wasserstein"] as? Double)
    }

    private static func readJSON(_ url: URL) throws -> [String: Any] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any] else {
            throw UsageError("\(url.path) cannot be read as the metrics JSON; run the demo again")
        }
        return object
    }

    /// The table printed at the end.
    func table() -> String {
        var lines = ["metric".padding(toLength: 48, withPad: " ", startingAt: 0) + "mean ± std over seeds \(rows.map { String($0.seed) }.joined(separator: ", "))"]
        for metric in Self.metrics {
            let spread = SeedSpread(rows.map(metric.value))
            lines.append("  " + metric.label.padding(toLength: 46, withPad: " ", startingAt: 0) + spread.formatted(metric.format))
        }
        if let note = rows.compactMap(\.fidNote).first { lines.append("  FID n/a: \(note)") }
        return lines.joined(separator: "\n")
    }

    /// results.json: the data and split, what varies with the seed, each seed's numbers and their summary.
    func json(data: DemoData, varies: String) -> [String: Any] {
        func value(_ x: Double?) -> Any { x.map { $0 as Any } ?? NSNull() }
        var summary: [String: Any] = [:]
        for metric in Self.metrics { summary[metric.key] = SeedSpread(rows.map(metric.value)).json }
        let perSeed: [[String: Any]] = rows.map { row in
            var entry: [String: Any] = ["seed": NSNumber(value: row.seed), "fid_note": row.fidNote.map { $0 as Any } ?? NSNull()]
            for metric in Self.metrics { entry[metric.key] = value(metric.value(row)) }
            return entry
        }
        return ["data": data.description, "split": data.splitJSON, "seeds": rows.map { NSNumber(value: $0.seed) }, "varies_with_seed": varies,
                "evaluated_on": "test split (the segmenter's epoch was chosen on val)",
                "summary": summary, "per_seed": perSeed]
    }
}
