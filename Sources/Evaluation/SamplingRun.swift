import Diffusion
import Foundation
import Torch
import Training

/// One configured way of sampling from a model: its sampler, step count, seeds, device and mask
/// guidance.
public struct SamplingRun {
    public let model: EvaluationModel
    public let choice: SamplerChoice
    public let steps: Int
    public let seeds: SampleSeeds
    public let device: Device
    public let imageSize: Int
    /// `--guidance_scale` with the model's blank mask; nil for plain conditioning.
    public let guidance: MaskGuidance?
    /// Whether the sampler is DDIM stepping with the noise of the clipped x̂0.
    public var usesClippedModelOutput: Bool { (sampler.scheduler as? DDIMScheduler)?.useClippedModelOutput ?? false }
    private let sampler: GuidedSampler

    public init(model: EvaluationModel, options: EvaluationOptions, data: EvaluationData) throws {
        self.model = model
        (choice, steps, sampler) = try model.sampler(options)
        seeds = SampleSeeds(options.seed)
        device = options.device
        imageSize = data.imageSize
        guidance = model.guided && options.guidanceScale != 0
            ? MaskGuidance(scale: options.guidanceScale, blank: Self.blankMask(model, data: data),
                           detailScale: options.guidanceDetailScale, rescale: options.guidanceRescale) : nil
        if guidance != nil, (model.card.cfgPUncond ?? 0) == 0 {
            FileHandle.standardError.write(Data("segmadiff: note: \(model.folder.path) was not trained with --cfg_p_uncond, so its prediction for the blank mask (the other half of --guidance_scale) is learnt only from mask ablation, if at all\n".utf8))
        }
    }

    /// The encoded all-background condition [1, Cm, S, S].
    private static func blankMask(_ model: EvaluationModel, data: EvaluationData) -> Tensor {
        model.conditioner(segTypeCount: max(1, data.segTypes.count)).blankCondition(size: data.imageSize)
    }

    /// Images [B, C, S, S] in [-1, 1] (float32, on the CPU) for the images `indices` of the run:
    /// each starts from its own noise; `masks` [B, Cm, S, S] conditions them (nil: unconditional).
    public func sample(indices: [Int], masks: Tensor?, batch: Int) throws -> Tensor {
        let result = try sampler.sample(conditioning: conditioning(indices.count, masks), imageChannels: model.imageChannels,
                                        steps: steps, guidance: guidance, generator: Generator(seed: seeds.steps(batch: batch)),
                                        initialNoise: noise(indices), device: device)
        return result.images.to(.float32).to(.cpu)
    }

    /// `images` [B, C, S, S] in [-1, 1] translated under `masks` at `strength` (0 keeps them, 1 is
    /// plain sampling): image `indices[i]` is noised with the noise it would start from in `sample`.
    public func translate(_ images: Tensor, indices: [Int], masks: Tensor?, strength: Double, batch: Int) throws -> Tensor {
        let result = try sampler.translate(images.to(device), strength: strength, conditioning: conditioning(indices.count, masks),
                                           steps: steps, guidance: guidance, noise: noise(indices),
                                           generator: Generator(seed: seeds.steps(batch: batch)))
        return result.images.to(.float32).to(.cpu)
    }

    /// Each image's own x_T, from its seed.
    private func noise(_ indices: [Int]) -> Tensor {
        let shape = [1, model.imageChannels, imageSize, imageSize]
        return Tensor.cat(indices.map { Tensor.randn(shape, generator: Generator(seed: seeds.noise($0))) }).to(device)
    }

    private func conditioning(_ count: Int, _ masks: Tensor?) -> Conditioning {
        masks.map { .fixed($0.to(device)) } ?? .none(batchSize: count, height: imageSize, width: imageSize)
    }
}
