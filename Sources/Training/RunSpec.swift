import Datasets
import Diffusion
import Foundation
import ModelCard
import Models

/// Everything that gives a checkpoint its meaning: the U-Net (with the MDFormer variant in the
/// card), what its input channels carry (image channels, normalisation, mask encoding, channel
/// mode, classes and seg types), what it predicts and under which noise schedule, and the blank-mask
/// dropout it was trained with. Resolved once (`RunSpec.resolve`) from the flags the user gave, the
/// data's layout and, when resuming or evaluating, the saved checkpoint; it is what gets saved
/// (unet/config.json, unet/segmadiff.json, scheduler/scheduler_config.json).
public struct RunSpec: Equatable, Sendable {
    public var unet: UNetConfig
    public var card: ModelCard
    public var scheduler: SchedulerConfig

    public init(unet: UNetConfig, card: ModelCard, scheduler: SchedulerConfig) {
        self.unet = unet
        self.card = card
        self.scheduler = scheduler
    }

    /// Whether the network takes mask channels.
    public var guided: Bool { card.numSegmentationClasses > 0 }

    /// What the network learns to predict; `resolve` admits only the values segmadiff implements.
    public var prediction: PredictionType { PredictionType(rawValue: scheduler.predictionType) ?? .epsilon }

    /// The forward process the model was trained under.
    public var noise: NoiseSchedule { scheduler.schedule }

    /// The mask encoder this run's masks go through.
    public var maskEncoder: MaskEncoder? {
        guard guided else { return nil }
        return MaskEncoder(encoding: card.maskEncoding, channelMode: card.segmentationChannelMode,
                           classes: card.numSegmentationClasses, segTypeCount: max(1, card.segTypes.count))
    }

    /// The neighbouring slices the model sees besides its own mask.
    public var sliceConditioning: SliceConditioning { SliceConditioning(card: card) }
}

/// The meaning-bearing flags as the user gave them: nil where a flag was not given, so that a
/// resumed or evaluated run takes the saved value and a new one takes the default.
public struct RunSpecRequest: Sendable {
    public enum MDFormer: Equatable, Sendable {
        case none
        case variant(MDFormerConfig.Variant)
    }

    public var imageSize: Int?
    public var imageChannels: Int?
    public var blockOutChannels: [Int]?
    public var layersPerBlock: Int?
    public var mdformer: MDFormer?
    public var prediction: PredictionType?
    public var maskEncoding: MaskEncoding?
    public var normalization: IntensityNormalization?
    public var channelMode: SegmentationChannelMode?
    /// `--segmentation_guided` (only ever given as true).
    public var guided: Bool?
    public var classes: Int?
    public var schedulerKind: SchedulerKind?
    public var cfgPUncond: Double?
    public var classNames: [String]?
    /// `--context_slices` (k).
    public var contextSlices: Int?
    /// `--condition_on_previous_slice` (only ever given as true).
    public var previousSlice: Bool?
    /// `--previous_slice_noise`.
    public var previousSliceNoise: Double?

    public init() {}

    /// segmadiff's defaults for a new model.
    public static let defaultImageSize = 256
    public static let defaultBlockOutChannels = [128, 128, 256, 256, 512, 512]
    public static let defaultLayersPerBlock = 2
}

extension RunSpec {
    /// A new run's description: the flags given, segmadiff's defaults for the rest, and the seg
    /// types found in the data.
    public static func fresh(_ request: RunSpecRequest, segTypes: [String]) -> RunSpec {
        let guided = request.guided ?? false
        let imageChannels = request.imageChannels ?? 1
        let classes = guided ? (request.classes ?? 2) : 0
        let encoding = request.maskEncoding ?? .scaled
        let mode = request.channelMode ?? .single
        let slices = SliceConditioning(contextSlices: guided ? (request.contextSlices ?? 0) : 0,
                                       previousSlice: guided && request.previousSlice == true,
                                       previousSliceNoise: request.previousSliceNoise ?? 0)
        let maskChannels = guided ? slices.channels(encoder: MaskEncoder(encoding: encoding, channelMode: mode, classes: classes,
                                                                         segTypeCount: max(1, segTypes.count)),
                                                    imageChannels: imageChannels) : 0
        let mdformer: MDFormerConfig? = switch request.mdformer ?? .variant(.segmadiff) {
        case .none: nil
        case .variant(let variant): MDFormerConfig(variant: variant)
        }
        let unet = UNetConfig.segmadiff(sampleSize: request.imageSize ?? RunSpecRequest.defaultImageSize,
                                        inChannels: imageChannels + maskChannels, outChannels: imageChannels,
                                        layersPerBlock: request.layersPerBlock ?? RunSpecRequest.defaultLayersPerBlock,
                                        blockOutChannels: request.blockOutChannels ?? RunSpecRequest.defaultBlockOutChannels)
        let cfg = guided ? (request.cfgPUncond ?? 0) : 0
        var card = ModelCard(mdformer: mdformer, maskEncoding: encoding, segmentationChannelMode: mode,
                             segTypes: segTypes, numSegmentationClasses: classes, numImageChannels: imageChannels,
                             normalization: request.normalization ?? .none, classNames: request.classNames,
                             cfgPUncond: cfg > 0 ? cfg : nil,
                             contextSlices: slices.contextSlices > 0 ? slices.contextSlices : nil,
                             conditionOnPreviousSlice: slices.previousSlice ? true : nil, segmadiffVersion: SegMaDiffVersion.current)
        card.previousSliceNoise = slices.previousSliceNoise > 0 ? slices.previousSliceNoise : nil
        var scheduler = SchedulerConfig(kind: request.schedulerKind ?? .ddpm)
        scheduler.predictionType = (request.prediction ?? .epsilon).rawValue
        return RunSpec(unet: unet, card: card, scheduler: scheduler)
    }

    /// The description saved in `folder` (weights' config, card and scheduler). A checkpoint without
    /// segmadiff.json is the Python original's: its card says what that tool does (k/255 masks in
    /// one channel), with the class count and names the flags give, since it saved none.
    public static func saved(in folder: RunFolder, request: RunSpecRequest) throws -> RunSpec {
        let configURL = folder.unet.appendingPathComponent(UNetConfig.fileName)
        let unet: UNetConfig
        do {
            unet = try UNetConfig.read(from: configURL)
        } catch {
            throw UsageError("\(configURL.path) cannot be read (\(error)); point --checkpoint_dir (or --output_dir) at a run folder holding unet/")
        }
        let cardURL = folder.unet.appendingPathComponent(ModelCard.fileName)
        var card: ModelCard
        if FileManager.default.fileExists(atPath: cardURL.path) {
            do {
                card = try ModelCard.read(from: cardURL)
            } catch {
                throw UsageError("\(cardURL.path) cannot be read (\(error)); restore it from a copy of the run, or remove it to read the model as the Python original's")
            }
        } else {
            // The Python original's checkpoint: its MDFormer is what its weights hold, so that a
            // resumed run saves the model it loaded and `--mdformer` is checked against it.
            let guided = request.guided ?? (unet.inChannels > unet.outChannels)
            let mdformer = unet.blockOutChannels.last.flatMap { UNetCheckpoint.mdformerOfWeights(in: folder.unet, midChannels: $0) }
            card = ModelCard(mdformer: mdformer, maskEncoding: request.maskEncoding ?? .seed,
                             segmentationChannelMode: request.channelMode ?? .single,
                             numSegmentationClasses: guided ? (request.classes ?? 0) : 0, numImageChannels: unet.outChannels,
                             normalization: request.normalization ?? .none, classNames: request.classNames)
        }
        let schedulerURL = folder.scheduler.appendingPathComponent(SchedulerConfig.fileName)
        var scheduler: SchedulerConfig
        if FileManager.default.fileExists(atPath: schedulerURL.path) {
            do {
                scheduler = try SchedulerConfig.load(fromDirectory: folder.scheduler.path)
            } catch {
                throw UsageError("\(error); restore the file from a copy of the run")
            }
        } else {
            // The Python original always saves one; without it, its defaults (DDPM, noise prediction).
            scheduler = SchedulerConfig(kind: request.schedulerKind ?? .ddpm)
            scheduler.predictionType = (request.prediction ?? .epsilon).rawValue
        }
        guard PredictionType(rawValue: scheduler.predictionType) != nil else {
            throw UsageError("\(schedulerURL.path): prediction_type is \(scheduler.predictionType), but segmadiff trains and samples only epsilon and v_prediction models")
        }
        return RunSpec(unet: unet, card: card, scheduler: scheduler)
    }

    /// Every flag given that contradicts this saved description, as one line each (empty when
    /// none): a resumed or evaluated model keeps the meaning it was trained with.
    public func contradictions(_ request: RunSpecRequest, segTypes: [String]?, source: RunFolder) -> [String] {
        let cardFile = source.unet.appendingPathComponent(ModelCard.fileName).path
        let configFile = source.unet.appendingPathComponent(UNetConfig.fileName).path
        let schedulerFile = source.scheduler.appendingPathComponent(SchedulerConfig.fileName).path
        var found: [String] = []
        func check<T: Equatable>(_ flag: String, _ given: T?, _ saved: T, _ file: String, _ show: (T) -> String) {
            guard let given, given != saved else { return }
            found.append("\(flag) \(show(given)) contradicts the saved \(show(saved)) (\(file))")
        }
        func text<T>(_ value: T) -> String { "\(value)" }
        func list(_ values: [Int]) -> String { values.map(String.init).joined(separator: ",") }
        check("--img_size", request.imageSize, unet.sampleSize ?? 0, configFile, text)
        check("--num_img_channels", request.imageChannels, card.numImageChannels, cardFile, text)
        check("--block_out_channels", request.blockOutChannels, unet.blockOutChannels, configFile, list)
        check("--layers_per_block", request.layersPerBlock, unet.layersPerBlock, configFile, text)
        let savedMDFormer: RunSpecRequest.MDFormer = card.mdformer.map { .variant($0.variant) } ?? .none
        check("--mdformer", request.mdformer, savedMDFormer, cardFile) { choice in
            switch choice {
            case .none: "none"
            case .variant(let variant): variant.rawValue
            }
        }
        check("--prediction_type", request.prediction?.rawValue, scheduler.predictionType, schedulerFile, text)
        check("--model_type", request.schedulerKind.map(Self.modelTypeName), Self.modelTypeName(scheduler.kind), schedulerFile, text)
        check("--mask_encoding", request.maskEncoding, card.maskEncoding, cardFile) { $0.rawValue }
        check("--normalization", request.normalization, card.normalization, cardFile, text)
        check("--segmentation_channel_mode", request.channelMode, card.segmentationChannelMode, cardFile) { $0.rawValue }
        if request.guided == true, !guided {
            found.append("--segmentation_guided contradicts the saved model, which takes no masks (\(configFile))")
        }
        if guided {
            check("--num_segmentation_classes", request.classes, card.numSegmentationClasses, cardFile, text)
            check("--cfg_p_uncond", request.cfgPUncond, card.cfgPUncond ?? 0, cardFile, text)
            check("--context_slices", request.contextSlices, card.contextSliceCount, cardFile, text)
            if request.previousSlice == true, !card.seesPreviousSlice {
                found.append("--condition_on_previous_slice contradicts the saved model, which does not take the previous slice (\(cardFile))")
            }
            check("--previous_slice_noise", request.previousSliceNoise, card.previousSliceNoise ?? 0, cardFile, text)
            if let segTypes, !card.segTypes.isEmpty, segTypes != card.segTypes {
                found.append("the mask folders \(segTypes.joined(separator: ",")) contradict the saved seg types \(card.segTypes.joined(separator: ",")) (\(cardFile))")
            }
        }
        if let names = request.classNames, let saved = card.classNames, names != saved {
            found.append("--class_names \(names.joined(separator: ",")) contradicts the saved \(saved.joined(separator: ",")) (\(cardFile))")
        }
        return found
    }

    /// Throws the first contradiction as a one-line user error that says how to go on.
    public func requireAgreement(_ request: RunSpecRequest, segTypes: [String]?, source: RunFolder, resuming: Bool) throws {
        guard let first = contradictions(request, segTypes: segTypes, source: source).first else { return }
        let fix = resuming
            ? "a resumed run keeps the meaning it was trained with; drop the flag, or start a new run with --overwrite or another --output_dir"
            : "a trained model keeps the meaning it was trained with; drop the flag"
        throw UsageError("\(first): \(fix)")
    }

    /// `--model_type`'s spelling of a scheduler class.
    static func modelTypeName(_ kind: SchedulerKind) -> String { kind == .ddim ? "DDIM" : "DDPM" }
}

extension RunSpec {
    /// The sampler class the model was saved with (`--model_type`).
    public var defaultSampler: SamplerChoice { SamplerChoice(scheduler.kind) }

    /// The one way a model of this run is sampled, for the training-time grids and every evaluation
    /// mode: `choice` on the model's own noise schedule; DDPM and DDIM take the saved settings
    /// (clipping, offsets, ...) too. Throws, naming the key, for a saved setting segmadiff does not
    /// implement.
    public func makeScheduler(_ choice: SamplerChoice) throws -> any Scheduler {
        switch choice {
        case .dpmpp:
            return DPMSolverMultistepScheduler(schedule: scheduler.schedule)
        case .ddpm, .ddim:
            var config = scheduler
            config.kind = choice == .ddpm ? .ddpm : .ddim
            return try config.validated().makeScheduler()
        }
    }
}
