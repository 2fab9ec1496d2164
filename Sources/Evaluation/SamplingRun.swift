import Diffusion
import Torch
import Training

/// One configured way of sampling from a model: its sampler, step count, seeds and device.
public struct SamplingRun {
    public let model: EvaluationModel
    public let choice: SamplerChoice
    public let steps: Int
    public let seeds: SampleSeeds
    public let device: Device
    public let imageSize: Int
    private let sampler: GuidedSampler

    public init(model: EvaluationModel, options: EvaluationOptions, imageSize: Int) throws {
        self.model = model
        (choice, steps, sampler) = try model.sampler(options)
        seeds = SampleSeeds(options.seed)
        device = options.device
        self.imageSize = imageSize
    }

    /// Images [B, C, S, S] in [-1, 1] (float32, on the CPU) for the images `indices` of the run:
    /// each starts from its own noise; `masks` [B, Cm, S, S] conditions them (nil: unconditional).
    public func sample(indices: [Int], masks: Tensor?, batch: Int) throws -> Tensor {
        let shape = [1, model.imageChannels, imageSize, imageSize]
        let noise = Tensor.cat(indices.map { Tensor.randn(shape, generator: Generator(seed: seeds.noise($0))) })
        let conditioning: Conditioning = masks.map { .fixed($0.to(device)) }
            ?? .none(batchSize: indices.count, height: imageSize, width: imageSize)
        let result = try sampler.sample(conditioning: conditioning, imageChannels: model.imageChannels, steps: steps,
                                        generator: Generator(seed: seeds.steps(batch: batch)),
                                        initialNoise: noise.to(device), device: device)
        return result.images.to(.float32).to(.cpu)
    }
}
