import ArgumentParser
import Evaluation
import Foundation
import Torch

/// `segmadiff benchmark-synthetic --img_dir IMG --seg_dir MASK --synthetic SYN ...`: is a synthetic
/// data set worth training on? Trains the built-in segmenter several ways and compares test Dice.
struct BenchmarkSyntheticCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "benchmark-synthetic",
        abstract: "Measure whether synthetic image + mask pairs help a segmentation model (test Dice per training set).",
        discussion: """
            Trains the segmenter of train-segmenter once per arm and seed, each run with its epoch \
            chosen by Dice on the real val split and scored on the real test split. Arms:
              real_only: the real train split
              mixed_0.5x, mixed_1x, mixed_2x: real + 0.5, 1 or 2 synthetic per real
              synthetic_only: synthetic pairs only
              low10_real, low25_real: 10% / 25% of the real training pairs (seeded draw)
              low10_mixed, low25_mixed: the same + synthetic from the other masks
              shuffled_control: synthetic images, each with another pair's mask
            Reports Dice per class as mean ± 95% t-interval over seeds, and a verdict per arm from \
            the paired differences against real_only, in OUT/results.json, results.md, results.png \
            and results.pdf. Each run writes OUT/runs/<arm>/seed-<s>/result.json; run the same \
            command again to continue a stopped benchmark (finished runs are skipped). See \
            docs/synthetic-benchmark.md.
            """)

    @Option(name: .customLong("img_dir"), help: "Real images: train/, val/ (chooses the epoch) and test/ (every score).")
    var imgDir: String

    @Option(name: .customLong("seg_dir"), help: "Real masks: <seg type>/{train,val,test}/, same names as the images.")
    var segDir: String

    @Option(name: .customLong("synthetic"), help: "A `segmadiff synthesize` output folder (images/, masks/, manifest.json), made from the train masks.")
    var synthetic: String?

    @Option(name: .customLong("synthetic_low"), help: "Another synthesize folder for low10_mixed and low25_mixed (default: --synthetic).")
    var syntheticLow: String?

    @Option(name: .customLong("arms"), help: "Arms to run, comma-separated, or all.")
    var arms = "all"

    @Option(name: .customLong("seeds"), help: "Seeds per arm (--seed, --seed+1, ...); 3 or more give an interval.")
    var seeds = 3

    @Option(name: .customLong("seed"), help: "The first seed.")
    var seed: UInt64 = 0

    @Option(name: .customLong("output_dir"), help: "Folder for the runs and the results (new, empty, or an earlier benchmark's to continue it).")
    var outputDir: String

    @OptionGroup var training: SegmenterTrainingFlags

    func validate() throws { try FlagChecks.check(self) }

    func run() throws {
        let segmenter = try training.options(images: imgDir, masks: segDir, output: outputDir)
        let options = SyntheticBenchmarkOptions(
            segmenter: segmenter, synthetic: synthetic, syntheticLowData: syntheticLow, output: outputDir,
            arms: try BenchmarkArm.parseList(arms), seeds: (0..<seeds).map { seed &+ UInt64($0) })
        let report = try SyntheticBenchmark.run(options)
        print("")
        print(report.markdown)
        print("written to \(outputDir)/results.json, results.md, results.png and results.pdf")
    }
}
