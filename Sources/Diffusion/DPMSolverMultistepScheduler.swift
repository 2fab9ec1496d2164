import Torch

/// DPM-Solver++ (Lu et al. 2022), multistep, second order, for an epsilon-predicting model: a fast
/// deterministic sampler (good images in 15-25 steps) for models trained with DDPM's schedule.
///
/// It integrates the diffusion ODE in λ = log(α/σ), the half log-SNR, where α_t = sqrt(ᾱ_t) and
/// σ_t = sqrt(1 − ᾱ_t), using the data prediction x̂0 = (x − σ ε̂)/α. Settings follow diffusers
/// 0.21.4's `DPMSolverMultistepScheduler` defaults: midpoint second-order update, "linspace"
/// timesteps, a final step to timestep 0, first-order steps at the start and, for grids shorter than
/// 15, at the end (lower_order_final).
public final class DPMSolverMultistepScheduler: Scheduler {
    public let schedule: NoiseSchedule
    public private(set) var timesteps: [Int] = []

    /// α_t, σ_t and λ_t, computed by the same float32 tensor ops as diffusers.
    private let alpha: [Float]
    private let sigma: [Float]
    private let lambda: [Float]

    /// The previous step's data prediction and timestep, for the second-order correction.
    private var previous: (original: Tensor, timestep: Int)?
    /// Grids shorter than this end with first-order steps, which are more stable with few steps.
    private static let lowerOrderFinalLimit = 15

    public init(schedule: NoiseSchedule = NoiseSchedule()) {
        self.schedule = schedule
        let alphaTable = schedule.alphasCumprod.sqrt()
        let sigmaTable = (1 - schedule.alphasCumprod).sqrt()
        let lambdaTable = alphaTable.log() - sigmaTable.log()
        alpha = alphaTable.scalars(as: Float.self)
        sigma = sigmaTable.scalars(as: Float.self)
        lambda = lambdaTable.scalars(as: Float.self)
        try! setTimesteps(schedule.trainTimesteps)
    }

    /// The half log-SNR λ_t at a train timestep.
    public func halfLogSNR(_ t: Int) -> Float { lambda[t] }

    public func setTimesteps(_ count: Int) throws {
        timesteps = try TimestepGrid.linspaceWithoutZero(steps: count, trainTimesteps: schedule.trainTimesteps)
        previous = nil
    }

    /// Deterministic: `generator` is not used.
    public func step(modelOutput: Tensor, timestep: Int, sample: Tensor, generator: Generator?) -> Tensor {
        // A timestep off the grid counts as the last one, as in diffusers.
        let index = timesteps.firstIndex(of: timestep) ?? timesteps.count - 1
        let isLast = index == timesteps.count - 1
        let target = isLast ? 0 : timesteps[index + 1]
        let original = dataPrediction(noise: modelOutput, sample: sample, timestep: timestep)
        let endsFirstOrder = isLast && timesteps.count < Self.lowerOrderFinalLimit

        let next: Tensor
        if let previous, !endsFirstOrder {
            next = secondOrderUpdate(original: original, timestep: timestep, previous: previous, to: target, sample: sample)
        } else {
            next = firstOrderUpdate(original: original, timestep: timestep, to: target, sample: sample)
        }
        previous = (original, timestep)
        return next
    }

    /// x̂0 = (x − σ_s ε̂) / α_s.
    private func dataPrediction(noise predicted: Tensor, sample x: Tensor, timestep s: Int) -> Tensor {
        let noisePart = predicted * Double(sigma[s])
        return (x - noisePart) / Double(alpha[s])
    }

    /// x_t = (σ_t/σ_s) x_s − α_t (e^{−h} − 1) x̂0, with h = λ_t − λ_s: DDIM in λ.
    private func firstOrderUpdate(original: Tensor, timestep s: Int, to t: Int, sample x: Tensor) -> Tensor {
        let h = lambda[t] - lambda[s]
        let sampleWeight = sigma[t] / sigma[s]
        let originalWeight = alpha[t] * (Float32Math.exp(-h) - 1)
        return x * Double(sampleWeight) - original * Double(originalWeight)
    }

    /// The midpoint multistep update: the first-order step plus half of it applied to
    /// D1 = (x̂0_s − x̂0_{s1}) / r, the divided difference of the last two data predictions
    /// scaled by r = h_prev / h.
    private func secondOrderUpdate(original: Tensor, timestep s: Int, previous: (original: Tensor, timestep: Int),
                                   to t: Int, sample x: Tensor) -> Tensor {
        let h = lambda[t] - lambda[s]
        let previousH = lambda[s] - lambda[previous.timestep]
        let r = previousH / h
        let difference = (original - previous.original) * Double(1 / r)
        let sampleWeight = sigma[t] / sigma[s]
        let originalWeight = alpha[t] * (Float32Math.exp(-h) - 1)
        let differenceWeight = 0.5 * originalWeight
        let firstOrder = x * Double(sampleWeight) - original * Double(originalWeight)
        return firstOrder - difference * Double(differenceWeight)
    }
}
