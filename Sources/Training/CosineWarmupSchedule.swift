import Foundation

/// The learning-rate schedule of the reference (docs/python-reference.md §6.1): diffusers' `get_cosine_schedule_with_warmup`
/// driven by PyTorch's LambdaLR. A linear warm-up from 0, then half a cosine down to 0 at `totalSteps`.
///
/// `learningRate(atStep: s)` is the rate of the optimizer update at 0-based step s. LambdaLR applies
/// λ(0) to the first update, so the reference's first update uses lr = 0 (docs/python-reference.md §9 #22); this
/// reproduces that, for parity.
public struct CosineWarmupSchedule: Equatable, Sendable {
    public let baseLearningRate: Double
    public let warmupSteps: Int
    public let totalSteps: Int
    /// Cosine periods over the decay; the reference uses half of one (down from 1 to 0, no rise).
    public let cycles: Double

    public init(baseLearningRate: Double, warmupSteps: Int, totalSteps: Int, cycles: Double = 0.5) {
        self.baseLearningRate = baseLearningRate
        self.warmupSteps = warmupSteps
        self.totalSteps = totalSteps
        self.cycles = cycles
    }

    /// λ(s), the multiplier of the base rate.
    public func factor(atStep s: Int) -> Double {
        if s < warmupSteps {
            return Double(s) / Double(max(1, warmupSteps))
        }
        let decaySteps = Double(max(1, totalSteps - warmupSteps))
        let progress = Double(s - warmupSteps) / decaySteps
        // Written as diffusers writes it (π·cycles·2·progress, left to right) so the rounding agrees.
        let angle = Double.pi * cycles * 2.0 * progress
        return max(0, 0.5 * (1 + cos(angle)))
    }

    public func learningRate(atStep s: Int) -> Double {
        baseLearningRate * factor(atStep: s)
    }
}
