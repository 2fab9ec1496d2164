import Foundation

/// What `segmadiff benchmark-synthetic` asks for.
public struct SyntheticBenchmarkOptions: Sendable {
    /// The segmenter's settings, and the real data: IMG/{train,val,test}, MASK/<seg type>/{...}.
    /// Its output folder, seed and training pairs are set per arm and seed.
    public var segmenter: SegmenterTrainingOptions
    /// `synthesize`'s output folder, for the full-data arms and the control.
    public var synthetic: String?
    /// Another synthetic folder for the low-data arms (default: `synthetic`).
    public var syntheticLowData: String?
    /// OUT: runs/<arm>/seed-<s>/, results.json, results.md, results.png and .pdf.
    public var output: String
    public var arms: [BenchmarkArm]
    public var seeds: [UInt64]

    public init(segmenter: SegmenterTrainingOptions, synthetic: String?, syntheticLowData: String?, output: String,
                arms: [BenchmarkArm], seeds: [UInt64]) {
        self.segmenter = segmenter
        self.synthetic = synthetic
        self.syntheticLowData = syntheticLowData
        self.output = output
        self.arms = arms
        self.seeds = seeds
    }

    /// The settings every finished run of OUT was made with; a rerun with other values would mix
    /// two experiments in one table, so it is refused. Arms and seeds may change between runs.
    var fingerprint: [String: String] {
        let s = segmenter
        func absolute(_ path: String?) -> String { path.map { URL(fileURLWithPath: $0).standardizedFileURL.path } ?? "none" }
        return ["img_dir": absolute(s.imageDirectory), "seg_dir": absolute(s.maskDirectory),
                "synthetic": absolute(synthetic), "synthetic_low": absolute(syntheticLowData ?? synthetic),
                "num_segmentation_classes": "\(s.classes)", "img_size": "\(s.imageSize)", "num_img_channels": "\(s.imageChannels)",
                "normalization": "\(s.normalization)", "widths": s.widths.map(String.init).joined(separator: ","),
                "num_epochs": "\(s.epochs)", "train_batch_size": "\(s.batchSize)", "learning_rate": "\(s.learningRate)",
                "dice_loss_weight": "\(s.diceWeight)", "flips": "\(s.flips)", "intensity_jitter": "\(s.intensityJitter)"]
    }
}
