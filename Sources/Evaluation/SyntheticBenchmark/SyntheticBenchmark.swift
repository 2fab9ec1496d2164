import Datasets
import Foundation
import Torch
import Training

/// Trains the built-in segmenter once per arm and seed, on the real train split, synthetic pairs or
/// both (`BenchmarkArm`), each with its epoch chosen on the real val split and scored on the real
/// test split; then summarises: Dice per class with 95% t-intervals over seeds, a verdict per arm
/// on the paired differences, results.json, results.md and a plot.
///
/// Each run's result.json is its commit: a stopped benchmark, run again, skips the finished runs.
public enum SyntheticBenchmark {
    public static func run(_ options: SyntheticBenchmarkOptions, log: (String) -> Void = { print($0) }) throws -> BenchmarkReport {
        let output = URL(fileURLWithPath: options.output)
        let inputs = try BenchmarkInputs.open(options)
        // The pair counts too: a folder whose contents changed under the same path is another experiment.
        var settings = options.fingerprint
        settings["real_train_pairs"] = "\(inputs.realTrain.count)"
        settings["synthetic_pairs"] = "\(inputs.synthetic?.pairs.count ?? 0)"
        settings["synthetic_low_pairs"] = "\(inputs.lowData?.pairs.count ?? 0)"
        try BenchmarkSettings.claim(output, fingerprint: settings)
        for line in inputs.summaryLines { log(line) }

        let plan = options.arms.flatMap { arm in options.seeds.map { (arm, $0) } }
        var results: [ArmRunResult] = []
        var skipped = 0
        for (index, (arm, seed)) in plan.enumerated() {
            let folder = ArmRunResult.folder(output, arm: arm, seed: seed)
            let file = folder.appendingPathComponent(ArmRunResult.fileName)
            let label = "[\(index + 1)/\(plan.count)] \(arm.rawValue) seed \(seed)"
            if FileManager.default.fileExists(atPath: file.path) {
                results.append(try ArmRunResult.read(file))
                skipped += 1
                log("\(label): finished before, skipped (\(file.path))")
                continue
            }
            let set = try ArmTrainingSet.make(arm, seed: seed, real: inputs.realTrain, synthetic: inputs.synthetic, lowData: inputs.lowData)
            let result = try train(arm, seed: seed, set: set, into: folder, options.segmenter)
            try result.write(to: file)
            results.append(result)
            let dice = result.testDice.map { String(format: "%.3f", $0) } ?? "n/a"
            log("\(label): \(set.realCount) real + \(set.syntheticCount) synthetic pairs, test Dice \(dice) (epoch \(result.bestEpoch)), \(String(format: "%.1f", result.seconds)) s"
                + (set.note.map { "; \($0)" } ?? ""))
        }
        if skipped > 0 { log("\(skipped) of \(plan.count) runs were finished before and skipped") }

        let report = BenchmarkReport(results: results, arms: options.arms, seeds: options.seeds, classes: options.segmenter.classes,
                                     inputs: inputs, settings: settings)
        try report.write(to: output)
        return report
    }

    private static func train(_ arm: BenchmarkArm, seed: UInt64, set: ArmTrainingSet, into folder: URL,
                              _ template: SegmenterTrainingOptions) throws -> ArmRunResult {
        var options = template
        options.outputDirectory = folder.path
        options.seed = seed
        options.trainingSamples = set.samples
        options.overwrite = true     // a run without result.json did not finish: its segmenter is redone
        options.verbose = false
        let start = Date()
        let summary = try SegmenterTrainer.train(options)
        return ArmRunResult(arm: arm, seed: seed, testDice: summary.testDice, testDicePerClass: summary.testDicePerClass,
                            testImages: summary.testCount, validationDice: summary.validationDice, bestEpoch: summary.bestEpoch,
                            realPairs: set.realCount, syntheticPairs: set.syntheticCount, syntheticAvailable: set.syntheticAvailable,
                            note: set.note, seconds: Date().timeIntervalSince(start),
                            trainingPairs: set.samples.map { .init(image: $0.image ?? "", masks: $0.masks) })
    }
}

/// OUT/benchmark.json: the settings OUT's runs were made with.
enum BenchmarkSettings {
    static let fileName = "benchmark.json"

    static func claim(_ output: URL, fingerprint: [String: String]) throws {
        let url = output.appendingPathComponent(fileName)
        if FileManager.default.fileExists(atPath: url.path) {
            guard let saved = try? JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: String] else {
                throw UsageError("\(url.path) cannot be read; give --output_dir a new folder, or delete it to start again")
            }
            for key in fingerprint.keys.sorted() where saved[key] != fingerprint[key] {
                throw UsageError("\(output.path) holds runs made with \(key) \(saved[key] ?? "unset"), not \(fingerprint[key]!); give --output_dir a new folder to compare them, or delete it to start again")
            }
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
