import Datasets

/// What `segmadiff synthesize` is told: the sampling settings of eval_many (model, sampler, steps,
/// seed, guidance, batch size, `--seg_dir` or `--masks`, `--output_dir`) and the data set to write.
public struct SynthesisOptions: Sendable {
    public var sampling: EvaluationOptions
    /// The split of `--seg_dir` whose masks are used (`--split`; not used with `--masks`).
    public var split: Split
    /// How many image + mask pairs to make (`--count`); nil: one per source mask.
    public var count: Int?
    public var edits: [MaskEdit]
    /// The share of source masks whose samples go to the `val` split (`--val_fraction`).
    public var valFraction: Double
    /// `--nnunet .../DatasetNNN_Name`: also write an nnU-Net v2 raw data set there.
    public var nnunetFolder: String?
    /// nnU-Net's channel_names (`--modality`), one per image channel; nil: "image" (or R, G, B).
    public var channelNames: [String]?
    /// The classes' names for nnU-Net's labels, background first; nil: the model's, else class_K.
    public var classNames: [String]?

    public init(sampling: EvaluationOptions, split: Split = .train, count: Int? = nil, edits: [MaskEdit] = [],
                valFraction: Double = 0, nnunetFolder: String? = nil, channelNames: [String]? = nil, classNames: [String]? = nil) {
        self.sampling = sampling
        self.split = split
        self.count = count
        self.edits = edits
        self.valFraction = valFraction
        self.nnunetFolder = nnunetFolder
        self.channelNames = channelNames
        self.classNames = classNames
    }
}
