import Datasets
import Diffusion
import ModelCard
import Models
import Torch

/// Everything a training run is told, from the command line or a caller.
public struct TrainingOptions: Sendable {
    public var outputDirectory: String
    public var data: DatasetOptions
    /// What the model is and means (resolved from the flags, the data and a resumed checkpoint).
    public var spec: RunSpec
    /// Mask ablation (`--use_ablated_segmentations`), drawn per sample.
    public var ablation: Bool
    /// The sampler of the training-time grids.
    public var sampler: SamplerChoice
    public var inferenceSteps: Int?
    public var trainBatchSize: Int
    public var evalBatchSize: Int
    /// Total epochs of the whole run.
    public var epochs: Int
    public var learningRate: Double
    public var warmupSteps: Int
    public var saveImageEpochs: Int
    public var saveModelEpochs: Int
    /// 0 turns the EMA off.
    public var emaDecay: Double
    public var bf16: Bool
    public var device: Device
    public var seed: UInt64
    public var resume: Resume
    /// Start again in a folder that already holds a checkpoint.
    public var overwrite: Bool
    /// Recorded in run.json: the flags as given.
    public var commandLine: [String]
    /// Data-parallel training: the size of the gradient buckets all-reduced during backward.
    public var gradientBucketBytes: Int = 25 << 20
    /// `--keep_checkpoints`: committed checkpoints kept under checkpoints/, the newest included.
    public var keepCheckpoints: Int = 1
    /// `--val_every_epochs`: a validation loss every this many epochs (and after the last), kept
    /// with the best checkpoint in OUTPUT/best; 0 turns it off.
    public var validateEveryEpochs: Int = 0
    /// `--val_segmenter`: also the Dice of images sampled on val masks at each validation.
    public var validationScorer: ValidationScorer?
    /// `--best_metric`: what OUTPUT/best keeps the best checkpoint by.
    public var bestMetric: ValidationMetric = .loss

    /// The model to build when starting fresh.
    public var unet: UNetConfig { spec.unet }
    public var card: ModelCard { spec.card }
    public var guided: Bool { spec.guided }
    /// `--cfg_p_uncond`: the probability that a sample's mask is replaced by the blank one.
    public var cfgPUncond: Double {
        get { spec.card.cfgPUncond ?? 0 }
        set { spec.card.cfgPUncond = guided && newValue > 0 ? newValue : nil }
    }
    /// The scheduler class saved with the model (`--model_type`).
    public var modelType: SchedulerKind { spec.scheduler.kind }
    /// What the network learns to predict (`--prediction_type`), saved in scheduler_config.json.
    public var prediction: PredictionType {
        get { spec.prediction }
        set { spec.scheduler.predictionType = newValue.rawValue }
    }

    public enum Resume: Sendable, Equatable {
        case no
        /// Continue from the latest training state.
        case latest
        /// The seed's `--resume_epoch N`: continue at epoch N from the training state.
        case epoch(Int)
    }

    public init(outputDirectory: String, data: DatasetOptions, unet: UNetConfig, card: ModelCard, guided: Bool,
                ablation: Bool = false, cfgPUncond: Double = 0, modelType: SchedulerKind = .ddpm, prediction: PredictionType = .epsilon, sampler: SamplerChoice = .ddim,
                inferenceSteps: Int? = nil, trainBatchSize: Int = 32, evalBatchSize: Int = 8, epochs: Int = 200,
                learningRate: Double = 1e-4, warmupSteps: Int = 500, saveImageEpochs: Int = 10,
                saveModelEpochs: Int = 10, emaDecay: Double = 0, bf16: Bool = false, device: Device = .cpu,
                seed: UInt64 = 0, resume: Resume = .no, overwrite: Bool = false, commandLine: [String] = []) {
        self.outputDirectory = outputDirectory
        self.data = data
        var card = card
        card.numSegmentationClasses = guided ? card.numSegmentationClasses : 0
        card.cfgPUncond = guided && cfgPUncond > 0 ? cfgPUncond : nil
        var scheduler = SchedulerConfig(kind: modelType)
        scheduler.predictionType = prediction.rawValue
        self.spec = RunSpec(unet: unet, card: card, scheduler: scheduler)
        self.ablation = ablation
        self.sampler = sampler
        self.inferenceSteps = inferenceSteps
        self.trainBatchSize = trainBatchSize
        self.evalBatchSize = evalBatchSize
        self.epochs = epochs
        self.learningRate = learningRate
        self.warmupSteps = warmupSteps
        self.saveImageEpochs = saveImageEpochs
        self.saveModelEpochs = saveModelEpochs
        self.emaDecay = emaDecay
        self.bf16 = bf16
        self.device = device
        self.seed = seed
        self.resume = resume
        self.overwrite = overwrite
        self.commandLine = commandLine
    }

    /// A run described by `spec` (the command line's way in).
    public init(outputDirectory: String, data: DatasetOptions, spec: RunSpec, commandLine: [String]) {
        self.init(outputDirectory: outputDirectory, data: data, unet: spec.unet, card: spec.card, guided: spec.guided,
                  commandLine: commandLine)
        self.spec = spec
    }
}

/// The reverse-process sampler: the seed's two plus DPM-Solver++ (good images in 20-25 steps).
public enum SamplerChoice: String, Sendable, CaseIterable, Codable {
    case ddpm, ddim, dpmpp

    /// The seed's step counts: 1000 for DDPM, 50 for DDIM; 25 for DPM-Solver++.
    public var defaultSteps: Int {
        switch self {
        case .ddpm: 1000
        case .ddim: 50
        case .dpmpp: 25
        }
    }

    /// The seed's pairing of `--model_type` with its sampler.
    public init(_ kind: SchedulerKind) { self = kind == .ddpm ? .ddpm : .ddim }
}

/// A mistake in what the user asked for, found before work starts: one line naming the file and
/// the fix (the CLI exits with status 2).
public struct UsageError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
