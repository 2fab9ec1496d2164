import Datasets
import Diffusion
import Foundation
import ModelCard
import Models
import Torch
import Training

/// A trained model ready to sample from, with what it expects of its conditioning masks.
///
/// `unet/` holds the published weights (the EMA ones when training kept an EMA). A checkpoint with
/// segmadiff.json describes itself; one without it (the Python fork, segmentation-guided-diffusion)
/// is read as the seed made it: k/255 masks in one channel, the flags' class count.
public struct EvaluationModel {
    public let model: UNet2DModel
    /// The model's card: segmadiff.json, or the seed's settings for a checkpoint without one.
    public let card: ModelCard
    /// Whether segmadiff.json was found.
    public let hasCard: Bool
    /// Whether the network takes mask channels.
    public let guided: Bool
    /// The run's description as saved (the scheduler from scheduler/scheduler_config.json, or the
    /// Python original's defaults where a checkpoint has none).
    public let spec: RunSpec
    public let folder: RunFolder

    public var imageChannels: Int { model.config.outChannels }
    public var imageSize: Int { model.config.sampleSize ?? 0 }

    /// Loads `checkpointDirectory/unet/` onto `options.device`.
    public static func load(_ options: EvaluationOptions) throws -> EvaluationModel {
        let folder = RunFolder(options.checkpointDirectory)
        let configURL = folder.unet.appendingPathComponent(UNetConfig.fileName)
        let weightsURL = folder.unet.appendingPathComponent(UNetCheckpoint.weightsFileName)
        for url in [configURL, weightsURL] where !FileManager.default.fileExists(atPath: url.path) {
            throw UsageError("\(url.path) not found; train a model there first, or pass --checkpoint_dir (or --output_dir) with the run folder that holds unet/")
        }
        let checkpoint: UNetCheckpoint
        do {
            checkpoint = try UNetCheckpoint.load(from: folder.unet, device: .cpu)
        } catch let error as ModelFileError {
            throw UsageError("\(error)")
        }
        // The model's meaning comes from its checkpoint; flags may only fill in what a checkpoint
        // of the Python original does not say (its class count), never change what it does.
        let spec = try RunSpec.saved(in: folder, request: options.request)
        try spec.requireAgreement(options.request, segTypes: nil, source: folder, resuming: false)
        var card = spec.card
        if checkpoint.card == nil { card.mdformer = checkpoint.model.mdformerConfig }
        let guided = spec.guided || (checkpoint.card == nil && spec.unet.inChannels > spec.unet.outChannels)
        let model = EvaluationModel(model: checkpoint.model, card: card, hasCard: checkpoint.card != nil, guided: guided,
                                    spec: spec, folder: folder)
        try model.checkChannels(segTypeCount: max(1, card.segTypes.count))
        checkpoint.model.move(to: options.device)
        return model
    }

    /// The mask encoder for `segTypeCount` seg types; K = 256 when the seed's checkpoint gives no
    /// class count (its k/255 encoding does not depend on K).
    public func maskEncoder(segTypeCount: Int) -> MaskEncoder {
        MaskEncoder(encoding: card.maskEncoding, channelMode: card.segmentationChannelMode,
                    classes: classCount ?? 256, segTypeCount: segTypeCount)
    }

    /// The neighbouring slices the model was trained to see (its card's context slices and
    /// previous slice).
    public var sliceConditioning: SliceConditioning { SliceConditioning(card: card) }

    /// The conditioner of this model's masks for `segTypeCount` seg types.
    public func conditioner(segTypeCount: Int, ablation: Bool = false, blank: Bool = false) -> Conditioner {
        Conditioner(encoder: maskEncoder(segTypeCount: segTypeCount), ablation: ablation ? classCount.map { MaskAblation(classes: $0) } : nil,
                    blank: blank, conditioning: sliceConditioning, imageChannels: imageChannels)
    }

    /// K, background included; nil for a seed checkpoint run without --num_segmentation_classes.
    public var classCount: Int? { card.numSegmentationClasses > 1 ? card.numSegmentationClasses : nil }

    /// The model's in/out channels must equal the image channels plus the mask channels the card's
    /// encoding makes from the data's seg types.
    public func checkChannels(segTypeCount: Int) throws {
        let config = model.config
        let maskChannels = guided ? sliceConditioning.channels(encoder: maskEncoder(segTypeCount: segTypeCount), imageChannels: card.numImageChannels) : 0
        let neighbours = (card.contextSliceCount > 0 ? ", \(card.contextSliceCount) context slices each side" : "") + (card.seesPreviousSlice ? ", the previous slice" : "")
        let described = hasCard ? "\(ModelCard.fileName) (\(card.maskEncoding.rawValue) masks, \(card.segmentationChannelMode.rawValue) mode, K = \(card.numSegmentationClasses), \(segTypeCount) seg types\(neighbours))"
                                : "the seed's layout (no \(ModelCard.fileName): one k/255 mask channel)"
        guard config.outChannels == card.numImageChannels, config.inChannels == config.outChannels + maskChannels else {
            let file = folder.unet.appendingPathComponent(UNetConfig.fileName).path
            let fix = hasCard ? "check that \(ModelCard.fileName) belongs to this model and --seg_dir has its seg types"
                              : "add a \(ModelCard.fileName) that describes the model's mask encoding (see a segmadiff run's unet/)"
            throw UsageError("\(file): the model takes \(config.inChannels) input and \(config.outChannels) output channels, but \(described) gives \(card.numImageChannels) image + \(maskChannels) mask channels; \(fix)")
        }
    }

    /// A sampler for this model: `--sampler`, else the saved scheduler's class (`--model_type`'s for a
    /// checkpoint saved without one), on the saved noise schedule (`RunSpec.makeScheduler`).
    public func sampler(_ options: EvaluationOptions) throws -> (choice: SamplerChoice, steps: Int, run: GuidedSampler) {
        let hasSavedScheduler = FileManager.default.fileExists(atPath: schedulerFile)
        let choice = options.sampler ?? (hasSavedScheduler ? spec.defaultSampler : options.fallbackSampler)
        let scheduler: any Scheduler
        do {
            scheduler = try spec.makeScheduler(choice)
        } catch {
            throw UsageError("\(schedulerFile): \(error); pass --sampler dpmpp or fix the file")
        }
        (scheduler as? DDIMScheduler)?.useClippedModelOutput = options.clipsModelOutput
        let model = self.model
        // What the model predicts was fixed by its training, whichever sampler runs it now.
        let run = GuidedSampler(scheduler: scheduler, prediction: spec.prediction) { input, t in model(input, timesteps: t) }
        return (choice, options.inferenceSteps ?? choice.defaultSteps, run)
    }

    private var schedulerFile: String { folder.scheduler.appendingPathComponent(SchedulerConfig.fileName).path }
}
