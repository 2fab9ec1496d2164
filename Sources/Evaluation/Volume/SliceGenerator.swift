import Datasets
import Diffusion
import Foundation
import Torch
import Training

/// Generates the slices of a volume from their label maps, a batch at a time: each slice's labels
/// (and its context slices' for a model trained with them) resized to the model's side (nearest,
/// as training resized its masks), encoded as the model's masks are, and sampled from that slice's
/// own (or slice-correlated) noise; a model of the previous slice is given the one generated before.
struct SliceGenerator {
    let model: EvaluationModel
    let choice: SamplerChoice
    let steps: Int
    let noise: SliceNoise
    let device: Device
    /// The model's image side (config.json's sample_size, else --img_size).
    let side: Int
    private let base: GuidedSampler
    private let guidance: MaskGuidance?
    private let encoder: MaskEncoder
    let conditioning: SliceConditioning

    init(model: EvaluationModel, options: EvaluationOptions, correlation: Double) throws {
        self.model = model
        (choice, steps, base) = try model.sampler(options)
        noise = SliceNoise(correlation: correlation, seeds: SampleSeeds(options.seed))
        device = options.device
        let conditioner = model.conditioner(segTypeCount: 1)
        encoder = conditioner.encoder
        conditioning = conditioner.conditioning
        side = model.imageSize > 0 ? model.imageSize : options.imageSize
        let blank = conditioner.blankCondition(size: side)
        guidance = options.guidanceScale != 0
            ? MaskGuidance(scale: options.guidanceScale, blank: blank, detailScale: options.guidanceDetailScale,
                           rescale: options.guidanceRescale) : nil
        if guidance != nil, (model.card.cfgPUncond ?? 0) == 0 {
            FileHandle.standardError.write(Data("segmadiff: note: \(model.folder.path) was not trained with --cfg_p_uncond, so its prediction for the blank mask (the other half of --guidance_scale) is learnt only from mask ablation, if at all\n".utf8))
        }
    }

    /// `labels` [B, R, C] (int64 classes) of the slices `indices` -> images [B, 1, S, S] in [-1, 1],
    /// float32 on the CPU. `context` [B, 2k, R, C]: their context slices' labels, for a model that
    /// takes them; `previous`: each slice's previous slice as generated ([1, S, S] in [-1, 1]), nil
    /// where it has none, for a model that takes it.
    func generate(_ labels: Tensor, context: Tensor? = nil, previous: [Tensor?] = [], indices: [Int]) throws -> Tensor {
        let resized = labels.unsqueezed(1).resizedLabels(height: side, width: side)
        let neighbours = context.map { $0.resizedLabels(height: side, width: side).unsqueezed(2) }
        var before = conditioning.previousSlice
            ? Tensor.stack(indices.indices.map { row in
                SliceConditioning.previousChannels(row < previous.count ? previous[row] : nil, imageChannels: model.imageChannels, size: side)
            }) : nil
        if let spoilt = before, conditioning.previousSliceNoise > 0 {
            // The noise training added to the previous slice, drawn from each slice's own stream.
            let draws = indices.map { Tensor.randn([1, model.imageChannels, side, side], generator: noise.previousSliceNoise($0)) }
            before = conditioning.spoiled(spoilt, noise: Tensor.cat(draws))
        }
        let masks = conditioning.encoded(conditioning.labels(centre: resized, context: neighbours, encoder: encoder), previous: before,
                                         imageChannels: model.imageChannels, encoder: encoder)
        // A fresh wrapper per batch: its step-noise streams start again, so every batch's slices
        // share the same shared part.
        let scheduler = SliceCorrelatedScheduler(base.scheduler, noise: noise, slices: indices)
        let sampler = GuidedSampler(scheduler: scheduler, prediction: base.prediction, denoiser: base.denoiser)
        let start = noise.initial(indices, shape: [model.imageChannels, side, side]).to(device)
        let result = try sampler.sample(conditioning: .fixed(masks.to(device)), imageChannels: model.imageChannels,
                                        steps: steps, guidance: guidance, initialNoise: start, device: device)
        return result.images.to(.float32).to(.cpu)
    }
}
