import Torch

/// Ancestral DDPM sampling as diffusers 0.21.4's `DDPMScheduler` does it with the reference's
/// settings: epsilon prediction, x̂0 clipped, the "fixed_small" posterior variance (docs/python-reference.md §5.5).
///
/// Scalars are float32 (square roots through libtorch, see `Float32Math`), combined in diffusers'
/// order, so steps match diffusers bit for bit.
public final class DDPMScheduler: Scheduler {
    public let config: SchedulerConfig
    public let schedule: NoiseSchedule
    public private(set) var timesteps: [Int]
    private var inferenceSteps: Int

    public init(config: SchedulerConfig) throws {
        guard config.kind == .ddpm else { throw SchedulerError("a \(config.kind.rawValue) configuration cannot make a DDPMScheduler") }
        self.config = try config.validated()
        schedule = config.schedule
        inferenceSteps = config.trainTimesteps
        timesteps = []
        try setTimesteps(config.trainTimesteps)
    }

    /// diffusers' defaults for 1000 train timesteps, as the reference builds it.
    public convenience init() {
        try! self.init(config: SchedulerConfig(kind: .ddpm))
    }

    public func setTimesteps(_ count: Int) throws {
        timesteps = try TimestepGrid.leading(steps: count, trainTimesteps: config.trainTimesteps, offset: config.stepsOffset)
        inferenceSteps = count
    }

    /// The timestep a step from `t` lands on (negative after the last one).
    public func previousTimestep(_ t: Int) -> Int { t - config.trainTimesteps / inferenceSteps }

    /// Draws the variance noise from `generator` only when t > 0, as diffusers does, so a seeded
    /// run consumes the same random numbers.
    public func step(modelOutput: Tensor, timestep: Int, sample: Tensor, generator: Generator?) -> Tensor {
        let noise = timestep > 0 ? standardNoise(like: modelOutput, generator: generator) : nil
        return step(modelOutput: modelOutput, timestep: timestep, sample: sample, varianceNoise: noise)
    }

    /// One step with the variance noise z given; z is needed (and used) only when t > 0.
    public func step(modelOutput predicted: Tensor, timestep t: Int, sample x: Tensor, varianceNoise z: Tensor?) -> Tensor {
        let c = coefficients(at: t)
        let clip = config.clipSample ? config.clipSampleRange : nil
        let original = predictedOriginal(sample: x, noise: predicted, alphaBar: c.alphaBar, clipRange: clip)
        let mean = original * Double(c.originalWeight) + x * Double(c.sampleWeight)
        guard t > 0 else { return mean }
        guard let z else { preconditionFailure("DDPMScheduler.step: timestep \(t) > 0 needs variance noise") }
        return mean + z * Double(c.noiseScale)
    }

    /// The scalars of the posterior q(x_prev | x_t, x̂0).
    struct Coefficients {
        var alphaBar: Float
        var originalWeight: Float
        var sampleWeight: Float
        /// The fixed_small posterior variance, floored at 1e-20.
        var variance: Float
        var noiseScale: Float { Float32Math.sqrt(variance) }
    }

    func coefficients(at t: Int) -> Coefficients {
        let prev = previousTimestep(t)
        let alphaBar = schedule.alphaBar(t)
        let alphaBarPrev: Float = prev >= 0 ? schedule.alphaBar(prev) : 1
        let betaBar = 1 - alphaBar
        let betaBarPrev = 1 - alphaBarPrev
        let stepAlpha = alphaBar / alphaBarPrev
        let stepBeta = 1 - stepAlpha
        let originalWeight = Float32Math.sqrt(alphaBarPrev) * stepBeta / betaBar
        let sampleWeight = Float32Math.sqrt(stepAlpha) * betaBarPrev / betaBar
        // The 1e-20 floor keeps the log-variance variants finite; it also floors this one.
        let variance = max(betaBarPrev / betaBar * stepBeta, Float(1e-20))
        return Coefficients(alphaBar: alphaBar, originalWeight: originalWeight, sampleWeight: sampleWeight,
                            variance: variance)
    }

    /// The fixed_small posterior variance of the step from t (docs/python-reference.md §5.5's examples).
    public func variance(at t: Int) -> Float { coefficients(at: t).variance }
}
