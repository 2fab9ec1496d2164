import Datasets
import Diffusion
import Torch

/// `--val_segmenter`: images sampled on the first val masks with the sampler of the sample grids
/// (`--model_type`, `--num_inference_steps`), scored by the caller's segmenter.
///
/// Each sample's x_T comes from its own generator, seeded from the run's seed and the sample's
/// position in the split, so the same weights draw the same images at every validation (a
/// stochastic sampler's step noise is seeded per batch, from its first sample's position). The
/// training generator is left untouched, so resumed runs stay exact.
extension TrainingSession {
    func validationDice(_ scorer: ValidationScorer) throws -> Double? {
        let loader = Loader(data, split: .val, options: LoaderOptions(batchSize: options.evalBatchSize, shuffle: false, seed: options.seed))
        let channels = data.options.imageChannels, side = data.options.imageSize
        let sampler = options.sampler
        var images: [Tensor] = [], labels: [Tensor] = []
        var drawn = 0
        try withPublishedWeights {
            let run = GuidedSampler(scheduler: try options.spec.makeScheduler(sampler), prediction: options.prediction) { [model] input, t in
                model(input, timesteps: t)
            }
            while drawn < scorer.sampleCount, let batch = try loader.next() {
                guard let masks = batch.masks, let batchLabels = batch.labels else { continue }
                let take = min(batch.count, scorer.sampleCount - drawn)
                let noise = Tensor.cat((drawn..<drawn + take).map { sample in
                    Tensor.randn([1, channels, side, side], generator: Generator(seed: Self.samplingSeed(options.seed, sample: sample)))
                }, dim: 0)
                let sampled = try run.sample(conditioning: .fixed(masks.narrowed(dim: 0, start: 0, length: take).to(options.device)),
                                             imageChannels: channels, steps: options.inferenceSteps ?? sampler.defaultSteps,
                                             generator: Generator(seed: Self.samplingSeed(options.seed, sample: drawn) ^ 0x5354_4550),
                                             initialNoise: noise.to(options.device), device: options.device)
                images.append(sampled.images.to(.cpu))
                labels.append(batchLabels.narrowed(dim: 0, start: 0, length: take))
                drawn += take
            }
        }
        if options.bf16 { Engine.clearAutocastCache() }
        guard drawn > 0 else {
            throw UsageError("--val_segmenter needs masks in the val split; put images and masks in val/")
        }
        return try scorer.dice(Tensor.cat(images, dim: 0), Tensor.cat(labels, dim: 0))
    }

    /// A stream apart from the validation loss's and the training generator's.
    static func samplingSeed(_ seed: UInt64, sample: Int) -> UInt64 {
        validationSeed(seed ^ 0x4449_4345, sample: sample)
    }
}
