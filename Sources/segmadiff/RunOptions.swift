import Foundation
import ArgumentParser
import Diffusion
import ModelCard
import Torch
import Training

/// The Python seed's flags, with its names and meanings (`python3 main.py --mode train ...` becomes
/// `segmadiff --mode train ...`), plus segmadiff's own. Values are checked at parse time.
struct RunOptions: ParsableArguments {
    // MARK: the seed's flags

    @Option(name: .customLong("mode"), help: "train, eval or eval_many.")
    var mode: Mode = .train

    @Option(name: .customLong("img_size"), help: "Image side in pixels; a multiple of 2^(levels-1) of --block_out_channels (default: 256; a saved model's own).")
    var givenImgSize: Int?

    @Option(name: .customLong("num_img_channels"), help: "Image channels: 1 (grey) or 3 (RGB) from PNG/JPEG; other counts from .npy (default: 1; a saved model's own).")
    var givenNumImgChannels: Int?

    @Option(name: .customLong("dataset"), help: "Dataset name, used in the default output folder name.")
    var dataset = "breast_mri"

    @Option(name: .customLong("img_dir"), help: "Image folder with train/, val/, test/ (needed to train).")
    var imgDir: String?

    @Option(name: .customLong("seg_dir"), help: "Mask folder with <seg type>/{train,val,test}/, same file names as the images.")
    var segDir: String?

    @Option(name: .customLong("model_type"), help: "DDPM or DDIM (any case): the scheduler saved with the model and used by default for sampling (default: DDPM; a saved model's own).")
    var givenModelType: ModelType?

    @Flag(name: .customLong("segmentation_guided"), help: "Condition the model on the masks.")
    var segmentationGuided = false

    @Option(name: .customLong("segmentation_channel_mode"), help: "single: all seg types merged into one label map; multi: one channel per seg type (default: single; a saved model's own).")
    var givenSegmentationChannelMode: SegmentationChannelMode?

    @Option(name: .customLong("num_segmentation_classes"), help: "Classes including background (labels 0..K-1).")
    var numSegmentationClasses: Int?

    @Option(name: .customLong("train_batch_size"))
    var trainBatchSize = 32

    @Option(name: .customLong("eval_batch_size"))
    var evalBatchSize = 8

    @Option(name: .customLong("num_epochs"), help: "Total epochs of the whole run (a resumed run trains the remaining ones).")
    var numEpochs = 200

    @Option(name: .customLong("resume_epoch"), help: "Resume training at epoch N from the output folder's training state.")
    var resumeEpoch: Int?

    @Flag(name: .customLong("use_ablated_segmentations"), help: "Mask ablation: each non-background class is removed with p = 0.5, per sample.")
    var useAblatedSegmentations = false

    @Option(name: .customLong("cfg_p_uncond"), help: ArgumentHelp("Classifier-free mask guidance training: the probability that a sample's mask is replaced by the blank (all-background) one, so the model also learns the unguided prediction that --guidance_scale needs; 0.1-0.2 is usual (default: 0; a saved model's own).", discussion: "Mask ablation (--use_ablated_segmentations) already blanks a whole mask with probability 2^-(K-1) (1/4 for K = 3, 1/64 for K = 7); --cfg_p_uncond adds this fraction on top, drawn per sample after the ablation."))
    var givenCfgPUncond: Double?

    @Option(name: .customLong("context_slices"), help: ArgumentHelp("2.5-D conditioning: also condition each slice on the masks of the k slices on each side, as extra mask channels (default: 0; a saved model's own).", discussion: "Needs the slices.csv that import-nifti and import-dicom write beside images/ and masks/. A neighbour outside the volume, left out of the import or in another split is replaced by the nearest slice towards the centre that is in the split (edge replication). Mask ablation and --cfg_p_uncond act on a slice's mask and its context alike. sample-volume takes the neighbours from the label volume; eval modes from slices.csv beside --seg_dir, else each mask stands for its neighbours too (docs/sample-volume.md)."))
    var givenContextSlices: Int?

    @Flag(name: .customLong("condition_on_previous_slice"), help: ArgumentHelp("Also condition each slice on the image of the slice before it (with a channel saying whether there is one); sample-volume then generates the slices in order, each from the one it generated before (a saved model's own).", discussion: "Needs the import's slices.csv, as --context_slices does. Eval modes other than sample-volume generate every slice as a volume's first (no previous slice)."))
    var conditionOnPreviousSlice = false

    @Option(name: .customLong("previous_slice_noise"), help: "With --condition_on_previous_slice: the standard deviation of Gaussian noise added to the previous slice's image (in [-1, 1]) in training and sampling alike, so the model cannot copy it (default: 0; a saved model's own).")
    var givenPreviousSliceNoise: Double?

    @Option(name: .customLong("guidance_scale"), help: ArgumentHelp("Sampling: mask guidance strength w; 0 is plain conditioning. Needs a model trained with --cfg_p_uncond; helps models that follow their masks loosely (best near 1); on models that already follow them it only costs a little realism.", discussion: "eps = eps(x, mask) + w low(D) + d high(D), D = eps(x, mask) - eps(x, blank), where high(D) is D's finest octave and d is --guidance_detail_scale; d = w is the standard (1 + w) eps(x, mask) - w eps(x, blank)."))
    var guidanceScale = 0.0

    @Option(name: .customLong("guidance_detail_scale"), help: "With --guidance_scale: the guidance of the finest detail (1-2 pixel features). 0 guides the anatomy and leaves fine texture to the conditional prediction, which keeps strong guidance from turning into speckle; set it to the --guidance_scale value for the standard classifier-free formula.")
    var guidanceDetailScale = 0.0

    @Option(name: .customLong("use_clipped_model_output"), help: "DDIM: build each step's direction from the noise the clipped x0 implies (true) or from the network's (false, the original's step). Default: true with --guidance_scale, false without.")
    var useClippedModelOutput: Bool?

    @Option(name: .customLong("guidance_rescale"), help: "With --guidance_scale: phi in [0, 1] pulls each guided prediction back to the spread of the plain conditional one (0.7 is usual), against over-exposed images at large scales.")
    var guidanceRescale = 0.0

    @Flag(name: .customLong("translate"), help: "eval: translate the test images under their masks instead of sampling from noise (strength --trans_noise_level).")
    var translate = false

    @Option(name: [.customLong("trans_noise_level"), .customLong("strength")], help: "Translation strength S in [0, 1]: images are noised to timestep S x 1000 and denoised from there; 0 keeps them, 1 samples from noise.")
    var transNoiseLevel = 0.5

    @Flag(name: .customLong("eval_noshuffle_dataloader"), help: "Accepted for compatibility: evaluation order is always deterministic.")
    var evalNoshuffleDataloader = false

    @Flag(name: .customLong("eval_mask_removal"), help: "eval: also draw the mask-removal figure (one row per class removed).")
    var evalMaskRemoval = false

    @Flag(name: .customLong("eval_blank_mask"), help: "eval: condition on blank (all-background) masks.")
    var evalBlankMask = false

    @Option(name: .customLong("eval_sample_size"), help: "eval_many: how many images to generate.")
    var evalSampleSize = 1000

    // MARK: segmadiff's own

    @Option(name: .customLong("output_dir"), help: "Run folder (default: the seed's name, e.g. ddim-breast_mri-256-segguided).")
    var outputDir: String?

    @Option(name: .customLong("checkpoint_dir"), help: "Evaluation: the run folder to load the model from (default --output_dir).")
    var checkpointDir: String?

    @Option(name: .customLong("block_out_channels"), help: "U-Net width and depth; attention sits at the second-to-last level and its mirror (default: 128,128,256,256,512,512; a saved model's own).")
    var givenBlockOutChannels: ChannelList?

    @Option(name: .customLong("layers_per_block"), help: "ResNet blocks per U-Net level (default: 2; a saved model's own).")
    var givenLayersPerBlock: Int?

    @Option(name: .customLong("mdformer"), help: "segmadiff (the block as described), reference (bit-compatible with the Python fork) or none (default: segmadiff; a saved model's own).")
    var givenMDFormer: MDFormerChoice?

    @Option(name: .customLong("prediction_type"), help: "What the network learns to predict: epsilon (the noise, the seed's) or v_prediction (the velocity; much faster to train for small models and few steps). Saved in scheduler/scheduler_config.json, which sampling reads (default: epsilon; a saved model's own).")
    var givenPredictionType: PredictionType?

    @Option(name: .customLong("mask_encoding"), help: "seed (k/255, the reference's), scaled (2k/(K-1)-1) or onehot (default: scaled; a saved model's own).")
    var givenMaskEncoding: MaskEncoding?

    @Option(name: .customLong("normalization"), help: "Intensity scaling of 16-bit PNG and NPY images: none (integers over their type maximum, floats as given), minmax (per image) or window:LOW,HIGH (e.g. window:-1000,1000 for CT in HU) (default: none; a saved model's own).")
    var givenNormalization: NormalizationChoice?

    @Option(name: .customLong("class_names"), help: "Names of the classes 0..K-1, comma-separated (saved with the model, shown in figures).")
    var classNames: String?

    @Option(name: .customLong("seed"), help: "Seeds weights, noise, data order and sampling.")
    var seed: UInt64 = 0

    @Option(name: .customLong("learning_rate"))
    var learningRate = 1e-4

    @Option(name: .customLong("lr_warmup_steps"))
    var lrWarmupSteps = 500

    @Option(name: .customLong("save_image_epochs"))
    var saveImageEpochs = 10

    @Option(name: .customLong("save_model_epochs"))
    var saveModelEpochs = 10

    @Option(name: .customLong("keep_checkpoints"), help: "Committed checkpoints kept in OUTPUT/checkpoints/, the newest (which OUTPUT/latest names) included.")
    var keepCheckpoints = 1

    @Option(name: .customLong("val_every_epochs"), help: "Every K epochs (and after the last), the loss on the val split with fixed noise and timesteps, logged as val_loss; OUTPUT/best keeps the checkpoint where --best_metric was best. 0: off.")
    var valEveryEpochs = 0

    @Option(name: .customLong("val_segmenter"), help: "A segmenter (segmadiff train-segmenter's output): at each validation, also the Dice of images sampled on the first val masks (--model_type, --num_inference_steps), logged as val_dice.")
    var valSegmenter: String?

    @Option(name: .customLong("val_samples"), help: "Val masks sampled for val_dice at each validation.")
    var valSamples = 16

    @Option(name: .customLong("best_metric"), help: "What OUTPUT/best keeps: val_loss (lowest) or val_dice (highest; needs --val_segmenter). Default: val_dice with --val_segmenter, else val_loss.")
    var bestMetric: ValidationMetric?

    @Option(name: .customLong("mixed_precision"), help: "no or bf16 (autocast).")
    var mixedPrecision: MixedPrecision = .no

    @Option(name: .customLong("ema_decay"), help: "EMA of the weights (e.g. 0.9999); 0 turns it off.")
    var emaDecay = 0.0

    @Option(name: .customLong("device"), help: "auto, cpu or cuda.")
    var device: DeviceChoice = .auto

    @Option(name: .customLong("threads"), help: "CPU threads (default: all cores).")
    var threads: Int?

    @Option(name: .customLong("num_inference_steps"), help: "Sampling steps (default 1000 for DDPM, 50 for DDIM, 25 for DPM-Solver++).")
    var numInferenceSteps: Int?

    @Option(name: .customLong("sampler"), help: "ddpm, ddim or dpmpp (default: from --model_type).")
    var sampler: SamplerChoice?

    @Option(name: .customLong("dist_timeout"), help: "Several processes (torchrun, segmadiff launch): seconds to wait for the others at the start and at each step before stopping with an error.")
    var distTimeout = 300.0

    @Option(name: .customLong("dist_bucket_mb"), help: "Several processes: size of the gradient buckets all-reduced while backward runs, in MiB.")
    var distBucketMB = 25.0

    @Flag(name: .customLong("resume"), help: "Continue from the latest training state in the output folder.")
    var resume = false

    @Flag(name: .customLong("overwrite"), help: "Start again in an output folder that already holds a checkpoint.")
    var overwrite = false

    mutating func validate() throws {
        try FlagChecks.check(self)
        guard imgSize > 0 else { throw ValidationError("--img_size must be positive (got \(imgSize))") }
        guard numImgChannels >= 1 else { throw ValidationError("--num_img_channels must be at least 1") }
        if segmentationGuided {
            guard let k = numSegmentationClasses, k > 1 else {
                throw ValidationError("--segmentation_guided needs --num_segmentation_classes K > 1 (classes including background)")
            }
            guard segDir != nil else { throw ValidationError("--segmentation_guided needs --seg_dir (the mask folder)") }
        }
        for (name, value) in [("--train_batch_size", trainBatchSize), ("--eval_batch_size", evalBatchSize),
                              ("--num_epochs", numEpochs), ("--save_image_epochs", saveImageEpochs),
                              ("--save_model_epochs", saveModelEpochs), ("--keep_checkpoints", keepCheckpoints), ("--layers_per_block", layersPerBlock),
                              ("--eval_sample_size", evalSampleSize)] where value < 1 {
            throw ValidationError("\(name) must be at least 1 (got \(value))")
        }
        guard valEveryEpochs >= 0 else { throw ValidationError("--val_every_epochs must be 0 (off) or more (got \(valEveryEpochs))") }
        if valSegmenter != nil, valEveryEpochs == 0 {
            throw ValidationError("--val_segmenter scores at each validation; add --val_every_epochs K")
        }
        if bestMetric == .dice, valSegmenter == nil {
            throw ValidationError("--best_metric val_dice needs --val_segmenter (a segmenter trained on this data with segmadiff train-segmenter)")
        }
        guard valSamples >= 1 else { throw ValidationError("--val_samples must be at least 1 (got \(valSamples))") }
        guard (0..<1).contains(emaDecay) else { throw ValidationError("--ema_decay must be in [0, 1) (got \(emaDecay))") }
        if let steps = numInferenceSteps, !(1...1000).contains(steps) {
            throw ValidationError("--num_inference_steps must be in 1...1000 (got \(steps))")
        }
        if let names = classNames, let k = numSegmentationClasses, names.split(separator: ",").count != k {
            throw ValidationError("--class_names has \(names.split(separator: ",").count) names, but --num_segmentation_classes is \(k); name every class, background first")
        }
        guard (0..<1).contains(cfgPUncond) else { throw ValidationError("--cfg_p_uncond must be in [0, 1) (got \(cfgPUncond))") }
        guard guidanceScale.isFinite, guidanceScale >= 0 else {
            throw ValidationError("--guidance_scale must be 0 or more (got \(guidanceScale)); 0 is plain mask conditioning")
        }
        guard guidanceDetailScale.isFinite, guidanceDetailScale >= 0 else {
            throw ValidationError("--guidance_detail_scale must be 0 or more (got \(guidanceDetailScale)); 0 leaves fine detail unguided")
        }
        guard (0...1).contains(guidanceRescale) else {
            throw ValidationError("--guidance_rescale must be in [0, 1] (got \(guidanceRescale))")
        }
        guard (0...1).contains(transNoiseLevel) else {
            throw ValidationError("--trans_noise_level (--strength) must be in [0, 1] (got \(transNoiseLevel))")
        }
        guard distTimeout > 0 else { throw ValidationError("--dist_timeout must be positive (got \(distTimeout))") }
        guard distBucketMB > 0 else { throw ValidationError("--dist_bucket_mb must be positive (got \(distBucketMB))") }
        if resume && overwrite { throw ValidationError("--resume and --overwrite contradict each other; choose one") }
        if let norm = blockOutChannels.values.first(where: { $0 % 32 != 0 }) {
            throw ValidationError("--block_out_channels values must be multiples of 32 (the GroupNorm groups); \(norm) is not")
        }
    }

    /// Training builds a U-Net that halves the image once per level below the first; evaluation
    /// takes its sizes from the checkpoint instead.
    func checkImageSizeFitsLevels() throws {
        let levels = blockOutChannels.values.count
        let factor = 1 << (levels - 1)
        guard imgSize % factor == 0 else {
            throw ValidationError("--img_size \(imgSize) must be a multiple of \(factor) (2^\(levels - 1) for \(levels) levels of --block_out_channels)")
        }
    }

    /// The seed's output folder name (without `-ablated` for evaluation flags).
    var defaultOutputDir: String {
        var name = "\(modelType.rawValue.lowercased())-\(dataset)-\(imgSize)"
        if segmentationGuided { name += "-segguided" }
        if useAblatedSegmentations { name += "-ablated" }
        return name
    }

    var resolvedOutputDir: String { outputDir ?? defaultOutputDir }

    // MARK: what gives a model its meaning

    // The flags below are nil when not given: a resumed or evaluated run then takes the saved
    // value (RunSpec), a new one the default.
    var imgSize: Int { givenImgSize ?? RunSpecRequest.defaultImageSize }
    var numImgChannels: Int { givenNumImgChannels ?? 1 }
    var modelType: ModelType { givenModelType ?? .ddpm }
    var segmentationChannelMode: SegmentationChannelMode { givenSegmentationChannelMode ?? .single }
    var cfgPUncond: Double { givenCfgPUncond ?? 0 }
    var blockOutChannels: ChannelList { givenBlockOutChannels ?? ChannelList(RunSpecRequest.defaultBlockOutChannels) }
    var layersPerBlock: Int { givenLayersPerBlock ?? RunSpecRequest.defaultLayersPerBlock }

    /// The meaning-bearing flags as given, for `RunSpec`.
    var specRequest: RunSpecRequest {
        var request = RunSpecRequest()
        request.imageSize = givenImgSize
        request.imageChannels = givenNumImgChannels
        request.blockOutChannels = givenBlockOutChannels?.values
        request.layersPerBlock = givenLayersPerBlock
        request.mdformer = givenMDFormer.map { choice in
            switch choice {
            case .none: .none
            case .reference: .variant(.reference)
            case .segmadiff: .variant(.segmadiff)
            }
        }
        request.prediction = givenPredictionType
        request.maskEncoding = givenMaskEncoding
        request.normalization = givenNormalization?.value
        request.channelMode = givenSegmentationChannelMode
        request.guided = segmentationGuided ? true : nil
        request.classes = numSegmentationClasses
        request.schedulerKind = givenModelType.map { $0 == .ddim ? .ddim : .ddpm }
        request.cfgPUncond = givenCfgPUncond
        request.classNames = classNames?.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        request.contextSlices = givenContextSlices
        request.previousSlice = conditionOnPreviousSlice ? true : nil
        request.previousSliceNoise = givenPreviousSliceNoise
        return request
    }
}

enum Mode: String, ExpressibleByArgument, CaseIterable {
    case train, eval
    case evalMany = "eval_many"
}

enum ModelType: String, ExpressibleByArgument, CaseIterable {
    case ddpm = "DDPM", ddim = "DDIM"

    init?(argument: String) { self.init(rawValue: argument.uppercased()) }
}

enum MDFormerChoice: String, ExpressibleByArgument, CaseIterable {
    case segmadiff, reference, none
}

enum MixedPrecision: String, ExpressibleByArgument, CaseIterable {
    case no, bf16
}

enum DeviceChoice: String, ExpressibleByArgument, CaseIterable {
    case auto, cpu, cuda

    /// The device to run on: the GPU when asked for (an error without one) or available (auto).
    func resolved() throws -> Device {
        switch self {
        case .cpu: return .cpu
        case .auto: return Engine.cudaAvailable ? .cuda(0) : .cpu
        case .cuda:
            guard Engine.cudaAvailable else {
                throw ValidationError("--device cuda: this segmadiff's libtorch has no CUDA or sees no GPU; rebuild with LIBTORCH and SEGMADIFF_CUDA=1, or use --device cpu")
            }
            return .cuda(0)
        }
    }
}

extension SamplerChoice: ExpressibleByArgument {
    public init?(argument: String) { self.init(rawValue: argument.lowercased()) }
}

extension SegmentationChannelMode: ExpressibleByArgument {}
extension ValidationMetric: ExpressibleByArgument {}
extension PredictionType: ExpressibleByArgument {}
extension MaskEncoding: ExpressibleByArgument {}

/// A comma-separated list of channel counts, e.g. 128,128,256,256,512,512.
struct ChannelList: ExpressibleByArgument, CustomStringConvertible {
    var values: [Int]

    init(_ values: [Int]) { self.values = values }

    init?(argument: String) {
        let parts = argument.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !parts.isEmpty, parts.allSatisfy({ ($0 ?? 0) > 0 }) else { return nil }
        values = parts.map { $0! }
    }

    var description: String { values.map(String.init).joined(separator: ",") }
    var defaultValueDescription: String { description }
}

/// `--normalization none|minmax|window:LOW,HIGH`.
struct NormalizationChoice: ExpressibleByArgument, CustomStringConvertible {
    var value: IntensityNormalization

    init(_ value: IntensityNormalization) { self.value = value }

    init?(argument: String) {
        switch argument.lowercased() {
        case "none": value = .none
        case "minmax": value = .minMax
        default:
            guard argument.lowercased().hasPrefix("window:") else { return nil }
            let bounds = argument.dropFirst(7).split(separator: ",").compactMap { Double($0) }
            guard bounds.count == 2, bounds[0] < bounds[1] else { return nil }
            value = .window(low: bounds[0], high: bounds[1])
        }
    }

    var description: String {
        switch value {
        case .none: "none"
        case .minMax: "minmax"
        case .window(let low, let high): "window:\(low),\(high)"
        }
    }

    var defaultValueDescription: String { description }
}
