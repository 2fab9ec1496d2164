import Torch

/// DDIM sampling as diffusers 0.21.4's `DDIMScheduler` does it with the reference's settings:
/// epsilon prediction, x̂0 clipped, the direction term built from the unclipped ε̂ (docs/python-reference.md §5.6).
/// With `eta` > 0 the step adds σ_t·z; the reference always samples with eta 0.
///
/// `useClippedModelOutput` builds the direction term from the noise the clipped x̂0 implies instead,
/// as GLIDE does (diffusers' `use_clipped_model_output`). Whenever x̂0 is clipped, the reference's
/// step pairs a clipped image with an unclipped noise that no longer add up to x_t, and DDIM, which
/// never re-injects noise, carries that mismatch to the end as speckle. Mask guidance over-shoots
/// x̂0 routinely, so it needs this; a well-trained model rarely leaves [-1, 1] without guidance.
public final class DDIMScheduler: Scheduler {
    public let config: SchedulerConfig
    public let schedule: NoiseSchedule
    public private(set) var timesteps: [Int]
    /// Stochasticity: 0 is deterministic DDIM, 1 has DDPM's posterior variance.
    public var eta: Double
    /// Re-derive ε̂ from the clipped x̂0 for the direction term (off: the reference's step).
    public var useClippedModelOutput = false
    private var inferenceSteps: Int
    /// ᾱ after the last step: 1 (a clean image) with set_alpha_to_one, else ᾱ_0.
    private let finalAlphaBar: Float

    public init(config: SchedulerConfig, eta: Double = 0) throws {
        guard config.kind == .ddim else { throw SchedulerError("a \(config.kind.rawValue) configuration cannot make a DDIMScheduler") }
        self.config = try config.validated()
        self.eta = eta
        schedule = config.schedule
        finalAlphaBar = config.setAlphaToOne ? 1 : schedule.alphaBar(0)
        inferenceSteps = config.trainTimesteps
        timesteps = []
        // diffusers starts with no grid and refuses to step; the full grid is a harmless default.
        try setTimesteps(config.trainTimesteps)
    }

    /// diffusers' defaults for 1000 train timesteps, as the reference builds it.
    public convenience init(eta: Double = 0) {
        try! self.init(config: SchedulerConfig(kind: .ddim), eta: eta)
    }

    public func setTimesteps(_ count: Int) throws {
        timesteps = try TimestepGrid.leading(steps: count, trainTimesteps: config.trainTimesteps, offset: config.stepsOffset)
        inferenceSteps = count
    }

    /// The timestep a step from `t` lands on (negative after the last one).
    public func previousTimestep(_ t: Int) -> Int { t - config.trainTimesteps / inferenceSteps }

    /// Draws σ_t·z's noise from `generator` only when eta > 0.
    public func step(modelOutput: Tensor, timestep: Int, sample: Tensor, generator: Generator?) -> Tensor {
        let noise = eta > 0 ? standardNoise(like: modelOutput, generator: generator) : nil
        return step(modelOutput: modelOutput, timestep: timestep, sample: sample, varianceNoise: noise)
    }

    /// One step with the noise z of the eta term given; z is needed (and used) only when eta > 0.
    public func step(modelOutput predicted: Tensor, timestep t: Int, sample x: Tensor, varianceNoise z: Tensor?) -> Tensor {
        let c = coefficients(at: t)
        let clip = config.clipSample ? config.clipSampleRange : nil
        let original = predictedOriginal(sample: x, noise: predicted, alphaBar: c.alphaBar, clipRange: clip)
        let noise = useClippedModelOutput && clip != nil ? impliedNoise(sample: x, original: original, alphaBar: c.alphaBar) : predicted
        let direction = noise * Double(c.directionWeight)
        let deterministic = original * Double(c.originalWeight) + direction
        guard eta > 0 else { return deterministic }
        guard let z else { preconditionFailure("DDIMScheduler.step: eta > 0 needs variance noise") }
        return deterministic + z * Double(c.noiseScale)
    }

    struct Coefficients {
        var alphaBar: Float
        /// sqrt(ᾱ_prev)
        var originalWeight: Float
        /// sqrt(1 − ᾱ_prev − σ_t²)
        var directionWeight: Float
        /// σ_t = η·sqrt((1 − ᾱ_prev)/(1 − ᾱ_t)·(1 − ᾱ_t/ᾱ_prev))
        var noiseScale: Float
    }

    func coefficients(at t: Int) -> Coefficients {
        let prev = previousTimestep(t)
        let alphaBar = schedule.alphaBar(t)
        let alphaBarPrev = prev >= 0 ? schedule.alphaBar(prev) : finalAlphaBar
        let betaBar = 1 - alphaBar
        let betaBarPrev = 1 - alphaBarPrev
        let variance = (betaBarPrev / betaBar) * (1 - alphaBar / alphaBarPrev)
        let sigma = Float(eta) * Float32Math.sqrt(variance)
        let directionWeight = Float32Math.sqrt(betaBarPrev - sigma * sigma)
        return Coefficients(alphaBar: alphaBar, originalWeight: Float32Math.sqrt(alphaBarPrev),
                            directionWeight: directionWeight, noiseScale: sigma)
    }
}
