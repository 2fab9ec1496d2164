import Datasets
import Foundation
import Torch

/// `--val_every_epochs`: the diffusion loss over the whole val split, with noise and timesteps that
/// are the same at every evaluation, so that its changes are the model's and nothing else's.
///
/// Each val sample draws its ε and t from its own generator, seeded from the run's seed and the
/// sample's position in the split: the draws do not depend on the batch size, the epoch or the
/// training generator (which it leaves untouched, so resumed runs stay exact). Full masks (no
/// ablation, no blank-mask dropout) and the published weights (the EMA's when on), as a sampler
/// would use them.
extension TrainingSession {
    /// The mean loss per sample over the val split.
    func validationLoss() throws -> Double {
        let loader = Loader(data, split: .val, options: LoaderOptions(batchSize: options.evalBatchSize, shuffle: false, seed: options.seed))
        guard loader.sampleCount > 0 else {
            throw UsageError("--val_every_epochs needs a val split; put images (and masks) in val/")
        }
        let imageShape = [options.data.imageChannels, data.options.imageSize, data.options.imageSize]
        var sum = 0.0
        var seen = 0
        try withPublishedWeights {
            try withNoGrad {
                while let batch = try loader.next() {
                    guard let images = batch.images else { continue }
                    var epsilons: [Tensor] = [], timesteps: [Tensor] = []
                    for row in 0..<batch.count {
                        let draws = Generator(seed: Self.validationSeed(options.seed, sample: seen + row))
                        epsilons.append(Tensor.randn([1] + imageShape, generator: draws))
                        timesteps.append(Tensor.randint(0, noise.trainTimesteps, [1], generator: draws))
                    }
                    let loss = forward(images.to(options.device), epsilon: Tensor.cat(epsilons, dim: 0).to(options.device),
                                       t: Tensor.cat(timesteps, dim: 0).to(options.device), masks: batch.masks)
                    sum += loss.item * Double(batch.count)
                    seen += batch.count
                }
            }
        }
        if options.bf16 { Engine.clearAutocastCache() }
        return sum / Double(max(seen, 1))
    }

    /// A stream apart from the training generator's (seeded with the run's seed itself).
    static func validationSeed(_ seed: UInt64, sample: Int) -> UInt64 {
        (seed ^ 0x5641_4C5F_4C4F_5353) &+ UInt64(sample) &* 0x9E37_79B9_7F4A_7C15
    }
}
