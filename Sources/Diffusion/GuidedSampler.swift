import Torch

/// The denoising network as the sampler sees it: the input is the noisy image with the condition
/// channels concatenated last, `concat(x, mask)` along dim 1; the timestep is an int64 tensor of B
/// values; the output is the predicted noise with the image's channels.
public typealias Denoiser = (_ input: Tensor, _ timestep: Tensor) -> Tensor

/// What the network is conditioned on during sampling.
public enum Conditioning {
    /// No condition channels: an unconditional model.
    case none(batchSize: Int, height: Int, width: Int)
    /// One condition [B, Cm, H, W] for the whole run, so the masks returned are the masks used
    /// (SPEC 9 #14's fix: an ablated mask is drawn once per sample).
    case fixed(Tensor)
    /// A condition recomputed before every step: the reference's behaviour, which redraws the
    /// mask ablation at each denoising step (SPEC 7.1). `draw` is called once per step.
    case redrawnEveryStep(batchSize: Int, height: Int, width: Int, draw: () -> Tensor)

    var batchSize: Int {
        switch self {
        case .none(let b, _, _), .redrawnEveryStep(let b, _, _, _): b
        case .fixed(let mask): mask.shape[0]
        }
    }

    var spatialSize: (height: Int, width: Int) {
        switch self {
        case .none(_, let h, let w), .redrawnEveryStep(_, let h, let w, _): (h, w)
        case .fixed(let mask): (mask.shape[2], mask.shape[3])
        }
    }
}

/// The images of a sampling run, in [-1, 1], with the condition the network saw.
public struct SampledBatch {
    /// [B, C, H, W], in the dtype and on the device of the run.
    public let images: Tensor
    /// The condition of the last step (for `.fixed`, the condition of every step); nil when
    /// unconditional.
    public let condition: Tensor?
    /// How many times the denoiser ran.
    public let steps: Int
}

/// A sampler that was given inputs that do not fit together.
public struct SamplingError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public var description: String { message }
}

/// The segmentation-guided sampling loop of SPEC 7.1-7.2 (and the unconditional one of 7.3), for
/// any scheduler: noise → for each t { ε̂ = denoiser(concat(x, mask), t); x = step(ε̂, t, x) }.
///
/// It knows nothing of the model: the denoiser is a closure, so the loop is tested with toy ones.
public struct GuidedSampler {
    public let scheduler: any Scheduler
    public let denoiser: Denoiser

    public init(scheduler: any Scheduler, denoiser: @escaping Denoiser) {
        self.scheduler = scheduler
        self.denoiser = denoiser
    }

    /// Runs the whole reverse process without recording gradients.
    ///
    /// - Parameters:
    ///   - initialNoise: x_T [B, C, H, W]; when nil it is drawn from `generator` (on the CPU, then
    ///     moved, so a seed gives the same images on every device) in `dtype` on `device`.
    ///   - generator: also draws the noise of stochastic steps (DDPM), making the run reproducible.
    public func sample(conditioning: Conditioning, imageChannels: Int, steps: Int,
                       generator: Generator? = nil, initialNoise: Tensor? = nil,
                       device: Device = .cpu, dtype: DType = .float32) throws -> SampledBatch {
        let batch = conditioning.batchSize
        let (height, width) = conditioning.spatialSize
        let shape = [batch, imageChannels, height, width]
        if let initialNoise, initialNoise.shape != shape {
            throw SamplingError(message: "initial noise has shape \(initialNoise.shape), expected \(shape)")
        }
        try scheduler.setTimesteps(steps)

        return try withNoGrad {
            var x = initialNoise ?? drawNoise(shape, generator: generator, device: device, dtype: dtype)
            var condition: Tensor?
            for t in scheduler.timesteps {
                condition = try conditionForStep(conditioning, shape: shape)
                let input = condition.map { Tensor.cat([x, $0.to(TensorOptions(x.dtype, on: x.device))], dim: 1) } ?? x
                let timestep = Tensor.full([batch], Double(t), TensorOptions(.int64, on: x.device))
                let predicted = denoiser(input, timestep)
                guard predicted.shape == shape else {
                    throw SamplingError(message: "the denoiser returned shape \(predicted.shape), expected \(shape)")
                }
                x = scheduler.step(modelOutput: predicted, timestep: t, sample: x, generator: generator)
            }
            return SampledBatch(images: x, condition: condition, steps: scheduler.timesteps.count)
        }
    }

    private func drawNoise(_ shape: [Int], generator: Generator?, device: Device, dtype: DType) -> Tensor {
        let noise = Tensor.randn(shape, generator: generator, TensorOptions(dtype, on: generator == nil ? device : .cpu))
        return noise.device == device ? noise : noise.to(device)
    }

    private func conditionForStep(_ conditioning: Conditioning, shape: [Int]) throws -> Tensor? {
        let condition: Tensor
        switch conditioning {
        case .none: return nil
        case .fixed(let mask): condition = mask
        case .redrawnEveryStep(_, _, _, let draw): condition = draw()
        }
        let dims = condition.shape
        guard dims.count == 4, dims[0] == shape[0], dims[2] == shape[2], dims[3] == shape[3] else {
            throw SamplingError(message: "the condition has shape \(dims), expected [\(shape[0]), channels, \(shape[2]), \(shape[3])]")
        }
        return condition
    }
}
