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
    /// (docs/python-reference.md §9 #14's fix: an ablated mask is drawn once per sample).
    case fixed(Tensor)
    /// A condition recomputed before every step: the reference's behaviour, which redraws the
    /// mask ablation at each denoising step (docs/python-reference.md §7.1). `draw` is called once per step.
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

/// One denoising step as it finishes, for callers that show progress or stop a run between steps.
public struct SamplingStep {
    /// Steps done so far (1 after the first) and the steps of the whole run.
    public let index: Int
    public let total: Int
    public let timestep: Int
    /// x_t as the step received it and the noise the network predicted for it.
    public let sample: Tensor
    public let noise: Tensor
    let alphaBar: Float

    /// x̂0, the clean image the step's prediction implies, clipped to [-1, 1].
    public var predictedImage: Tensor { predictedOriginal(sample: sample, noise: noise, alphaBar: alphaBar, clipRange: 1) }
}

/// A sampler that was given inputs that do not fit together.
public struct SamplingError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public var description: String { message }
}

/// The segmentation-guided sampling loop of docs/python-reference.md §7.1-7.2 (and the unconditional one of 7.3), for
/// any scheduler: noise → for each t { ε̂ = denoiser(concat(x, mask), t); x = step(ε̂, t, x) }.
///
/// It knows nothing of the model: the denoiser is a closure, so the loop is tested with toy ones.
public struct GuidedSampler {
    public let scheduler: any Scheduler
    public let denoiser: Denoiser
    /// What the denoiser's output is; the schedulers step with the equivalent noise prediction.
    public let prediction: PredictionType
    /// Called after every denoising step; an error it throws ends the run there (a cancelled job).
    public var onStep: ((SamplingStep) throws -> Void)?

    public init(scheduler: any Scheduler, prediction: PredictionType = .epsilon, denoiser: @escaping Denoiser) {
        self.scheduler = scheduler
        self.prediction = prediction
        self.denoiser = denoiser
    }

    /// Runs the whole reverse process without recording gradients.
    ///
    /// - Parameters:
    ///   - guidance: classifier-free mask guidance; ignored when unconditional or its scale is 0.
    ///   - initialNoise: x_T [B, C, H, W]; when nil it is drawn from `generator` (on the CPU, then
    ///     moved, so a seed gives the same images on every device) in `dtype` on `device`.
    ///   - generator: also draws the noise of stochastic steps (DDPM), making the run reproducible.
    public func sample(conditioning: Conditioning, imageChannels: Int, steps: Int, guidance: MaskGuidance? = nil,
                       generator: Generator? = nil, initialNoise: Tensor? = nil,
                       device: Device = .cpu, dtype: DType = .float32) throws -> SampledBatch {
        let shape = imageShape(conditioning, channels: imageChannels)
        if let initialNoise, initialNoise.shape != shape {
            throw SamplingError(message: "initial noise has shape \(initialNoise.shape), expected \(shape)")
        }
        try scheduler.setTimesteps(steps)
        return try withNoGrad {
            let x = initialNoise ?? drawNoise(shape, generator: generator, device: device, dtype: dtype)
            return try denoise(x, over: scheduler.timesteps, conditioning: conditioning, guidance: guidance, generator: generator)
        }
    }

    /// Image-to-image translation (SDEdit): each image x0 is noised to the level of timestep
    /// t0 = strength · T with `noise`, then denoised from exactly that step under `conditioning`, so
    /// the new mask reshapes the anatomy while the rest of the image survives.
    ///
    /// The first denoising step is the grid's timestep at or below t0, and the images are noised to
    /// that timestep (the reference noises to t0 and starts one grid step later). Strength 0 (or a t0
    /// below the whole grid) returns the images as they are; strength 1 starts from `noise` itself,
    /// i.e. equals `sample` with that initial noise.
    ///
    /// - Parameters:
    ///   - images: x0 [B, C, H, W] in [-1, 1].
    ///   - noise: ε, shaped like `images`.
    public func translate(_ images: Tensor, strength: Double, conditioning: Conditioning, steps: Int,
                          guidance: MaskGuidance? = nil, noise: Tensor, generator: Generator? = nil) throws -> SampledBatch {
        guard strength >= 0, strength <= 1 else {
            throw SamplingError(message: "the translation strength must be between 0 and 1, got \(strength)")
        }
        let shape = imageShape(conditioning, channels: images.rank == 4 ? images.shape[1] : 0)
        guard images.shape == shape, noise.shape == shape else {
            throw SamplingError(message: "images \(images.shape) and noise \(noise.shape) must both have shape \(shape)")
        }
        try scheduler.setTimesteps(steps)
        let t0 = strength * Double(scheduler.schedule.trainTimesteps)
        let remaining = Array(scheduler.timesteps.drop { Double($0) > t0 })
        return try withNoGrad {
            guard strength > 0, let start = remaining.first else {
                let condition = try conditionForStep(conditioning, shape: shape)
                return SampledBatch(images: images, condition: condition, steps: 0)
            }
            let x: Tensor
            if strength == 1 {
                x = noise
            } else {
                let t = Tensor.full([shape[0]], Double(start), TensorOptions(.int64, on: images.device))
                x = scheduler.addNoise(to: images, noise: noise, timesteps: t)
            }
            return try denoise(x, over: remaining, conditioning: conditioning, guidance: guidance, generator: generator)
        }
    }

    /// The loop shared by sampling and translation: x_t → x_{t_prev} for each timestep of `timesteps`.
    private func denoise(_ start: Tensor, over timesteps: [Int], conditioning: Conditioning, guidance: MaskGuidance?,
                         generator: Generator?) throws -> SampledBatch {
        var x = start
        var condition: Tensor?
        for (index, t) in timesteps.enumerated() {
            condition = try conditionForStep(conditioning, shape: x.shape)
            let timestep = Tensor.full([x.shape[0]], Double(t), TensorOptions(.int64, on: x.device))
            let output: Tensor
            if let guidance, guidance.isActive, let condition {
                output = guidance.predict(denoiser, image: x, condition: condition.to(TensorOptions(x.dtype, on: x.device)),
                                          timestep: timestep)
            } else {
                let input = condition.map { Tensor.cat([x, $0.to(TensorOptions(x.dtype, on: x.device))], dim: 1) } ?? x
                output = denoiser(input, timestep)
            }
            guard output.shape == x.shape else {
                throw SamplingError(message: "the denoiser returned shape \(output.shape), expected \(x.shape)")
            }
            let noise = prediction.noise(from: output, sample: x, timestep: t, schedule: scheduler.schedule)
            let report = onStep.map { _ in
                SamplingStep(index: index + 1, total: timesteps.count, timestep: t, sample: x, noise: noise,
                             alphaBar: scheduler.schedule.alphaBar(t))
            }
            x = scheduler.step(modelOutput: noise, timestep: t, sample: x, generator: generator)
            if let report { try onStep?(report) }
        }
        return SampledBatch(images: x, condition: condition, steps: timesteps.count)
    }

    /// [B, C, H, W] from the conditioning's batch and size.
    private func imageShape(_ conditioning: Conditioning, channels: Int) -> [Int] {
        let (height, width) = conditioning.spatialSize
        return [conditioning.batchSize, channels, height, width]
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
