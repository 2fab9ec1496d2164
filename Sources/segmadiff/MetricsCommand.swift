import ArgumentParser
import Evaluation
import Foundation
import Torch

/// `segmadiff metrics --segmenter OUT/segmenter --generated DIR [--real IMG/test]`: Dice of generated
/// images against their conditioning masks, and distances to real images.
struct MetricsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metrics",
        abstract: "Score generated images: Dice against their masks, KID/FID and histogram distances to real images.",
        discussion: """
            Each image in DIR is segmented by the segmenter (see train-segmenter) and compared with the
            mask of the same name in DIR/masks/ (what eval_many writes): Dice per class, background
            excluded, and its mean; a class found in neither the masks nor the segmentations has no Dice
            (null). With --real, KID on the segmenter's bottleneck features (unbiased at any set size) and
            pixel-histogram distances (Wasserstein-1 and Jensen-Shannon over 256 bins) compare DIR with
            real images; FID too when both sets have more images than feature dimensions (else it is
            null, with fid_note saying why).
            Writes DIR/metrics.json (or --json) and prints a table.
            """)

    @Option(name: .customLong("segmenter"), help: "A train-segmenter output: OUT/segmenter (or OUT).")
    var segmenter: String

    @Option(name: .customLong("generated"), help: "Folder of generated images (for example OUTPUT/samples_many_100).")
    var generated: String

    @Option(name: .customLong("masks"), help: "Folder of the conditioning masks, same names as the images (default: GENERATED/masks).")
    var masks: String?

    @Option(name: .customLong("real"), help: "Folder of real images to compare with (for example IMG/test).")
    var real: String?

    @Option(name: .customLong("json"), help: "Where to write the metrics (default: GENERATED/metrics.json).")
    var json: String?

    @Option(name: .customLong("generated_normalization"), help: "Intensity scaling of the generated images: none, minmax or window:LOW,HIGH (default: the segmenter's, as for the real images).")
    var generatedNormalization: NormalizationChoice?

    @Option(name: .customLong("batch_size"))
    var batchSize = 16

    @Option(name: .customLong("device"), help: "auto, cpu or cuda.")
    var device: DeviceChoice = .auto

    @Option(name: .customLong("threads"), help: "CPU threads (default: all cores).")
    var threads: Int?

    func validate() throws { try FlagChecks.check(self) }

    func run() throws {
        Engine.threads = threads ?? ProcessInfo.processInfo.activeProcessorCount
        let options = MetricsOptions(segmenter: segmenter, generated: generated, masks: masks, real: real, json: json,
                                     generatedNormalization: generatedNormalization?.value, batchSize: batchSize,
                                     device: try device.resolved())
        let report = try GenerationMetrics.compute(options)
        print(report.table)
        print("written to \(options.json ?? (generated as NSString).appendingPathComponent("metrics.json"))")
    }
}
