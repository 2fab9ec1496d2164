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
