import Datasets
import Foundation
import ModelCard
import Torch
import Training

/// What the evaluation modes (`--mode eval`, `--mode eval_many`, `segmadiff sample`) are told.
///
/// The model describes itself (unet/config.json and segmadiff.json); the flags that describe a model
/// (`--num_segmentation_classes`, `--segmentation_guided`) matter only for checkpoints without
/// segmadiff.json, which are read as the Python seed's (k/255 masks, `single` channel mode).
public struct EvaluationOptions: Sendable {
    /// The run folder holding `unet/` (`--checkpoint_dir`, default `--output_dir`).
    public var checkpointDirectory: String
    /// Where the outputs go (`--output_dir`).
    public var outputDirectory: String
    /// `--img_dir`: optional; test images are shown beside the samples when present.
    public var imageDirectory: String?
    /// `--seg_dir`: the masks, MASK/<seg type>/test/NAME.
    public var maskDirectory: String?
    /// `segmadiff sample --masks DIR`: a flat folder of mask files used instead of the test split.
    public var maskFolder: String?
    /// The flags that describe a model, as given (nil where not): checked against the checkpoint,
    /// which they may only complete (the class count of a checkpoint without segmadiff.json).
    public var request = RunSpecRequest()
    /// `--img_size`, used only when config.json has no sample_size.
    public var imageSize: Int
    public var evalBatchSize: Int
    /// `--eval_sample_size`: how many images eval_many writes.
    public var sampleCount: Int
    /// `--sampler`; nil takes the scheduler the model was saved with (scheduler/), else `--model_type`'s.
    public var sampler: SamplerChoice?
    /// The sampler when neither `--sampler` nor scheduler/ says (from `--model_type`).
    public var fallbackSampler: SamplerChoice
    public var inferenceSteps: Int?
    public var seed: UInt64
    public var device: Device
    /// `--use_ablated_segmentations`: each sample's mask is ablated once (per sample), and saved.
    public var ablation: Bool
    /// `--eval_blank_mask`.
    public var blankMask: Bool
    /// `--eval_mask_removal`.
    public var maskRemoval: Bool
    /// `--guidance_scale` w (`MaskGuidance`); 0 is plain conditioning.
    public var guidanceScale: Double
    /// `--guidance_detail_scale` d: the guidance of the finest octave; w gives the standard formula.
    public var guidanceDetailScale: Double
    /// `--guidance_rescale` φ: pulls the guided prediction's spread back to the guided-only one's.
    public var guidanceRescale: Double
    /// `--use_clipped_model_output` (DDIM): nil lets guidance decide (on with w > 0, else the
    /// reference's step).
    public var useClippedModelOutput: Bool?
    /// `--translate` (eval) and `segmadiff translate`: the strength S in [0, 1]; nil samples from noise.
    public var translationStrength: Double?
    /// `segmadiff translate --images DIR`: the images to translate, paired with `--masks` by name.
    public var translationImages: String?
    /// Recorded in manifest.json.
    public var commandLine: [String]

    public init(checkpointDirectory: String, outputDirectory: String, imageDirectory: String? = nil,
                maskDirectory: String? = nil, maskFolder: String? = nil,
                request: RunSpecRequest = RunSpecRequest(), imageSize: Int = 256, evalBatchSize: Int = 8, sampleCount: Int = 1000,
                sampler: SamplerChoice? = nil, fallbackSampler: SamplerChoice = .ddpm, inferenceSteps: Int? = nil,
                seed: UInt64 = 0, device: Device = .cpu, ablation: Bool = false, blankMask: Bool = false,
                maskRemoval: Bool = false, guidanceScale: Double = 0, guidanceDetailScale: Double = 0, guidanceRescale: Double = 0,
                useClippedModelOutput: Bool? = nil, translationStrength: Double? = nil,
                translationImages: String? = nil, commandLine: [String] = []) {
        self.checkpointDirectory = checkpointDirectory
        self.outputDirectory = outputDirectory
        self.imageDirectory = imageDirectory
        self.maskDirectory = maskDirectory
        self.maskFolder = maskFolder
        self.request = request
        self.imageSize = imageSize
        self.evalBatchSize = evalBatchSize
        self.sampleCount = sampleCount
        self.sampler = sampler
        self.fallbackSampler = fallbackSampler
        self.inferenceSteps = inferenceSteps
        self.seed = seed
        self.device = device
        self.ablation = ablation
        self.blankMask = blankMask
        self.maskRemoval = maskRemoval
        self.guidanceScale = guidanceScale
        self.guidanceDetailScale = guidanceDetailScale
        self.guidanceRescale = guidanceRescale
        self.useClippedModelOutput = useClippedModelOutput
        self.translationStrength = translationStrength
        self.translationImages = translationImages
        self.commandLine = commandLine
    }

    public var output: RunFolder { RunFolder(outputDirectory) }

    /// Whether DDIM re-derives its noise from the clipped x̂0: as asked, else whenever guidance is on.
    public var clipsModelOutput: Bool { useClippedModelOutput ?? (guidanceScale != 0) }
}
