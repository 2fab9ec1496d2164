import Torch

/// What the network predicts (diffusers' `prediction_type`): the noise ε (the seed's), or the
/// velocity v = sqrt(ᾱ_t)·ε − sqrt(1 − ᾱ_t)·x0 (Salimans & Ho 2022).
///
/// With ε, the clean image implied at high noise, x̂0 = (x_t − sqrt(1 − ᾱ)·ε̂)/sqrt(ᾱ), multiplies
/// the network's error by 1/sqrt(ᾱ) (50x at t = 900), so a briefly trained model's early steps are
/// mostly noise; v keeps that error in proportion, which makes small models learn much faster.
public enum PredictionType: String, Sendable, CaseIterable, Codable {
    case epsilon
    case vPrediction = "v_prediction"

    /// The training target for x_t = sqrt(ᾱ_t)·x0 + sqrt(1 − ᾱ_t)·ε (one t per sample).
    public func target(x0: Tensor, noise: Tensor, timesteps: Tensor, schedule: NoiseSchedule) -> Tensor {
        switch self {
        case .epsilon: return noise
        case .vPrediction:
            let (signal, noiseScale) = schedule.scales(timesteps, like: x0)
            return signal * noise - noiseScale * x0
        }
    }

    /// The noise prediction ε̂ equivalent to the network's output at timestep `t` for sample x_t:
    /// for v, ε̂ = sqrt(ᾱ_t)·v̂ + sqrt(1 − ᾱ_t)·x_t. Every scheduler then steps with ε̂.
    public func noise(from output: Tensor, sample x: Tensor, timestep t: Int, schedule: NoiseSchedule) -> Tensor {
        switch self {
        case .epsilon: return output
        case .vPrediction:
            let alphaBar = schedule.alphaBar(t)
            let fromOutput = output * Double(Float32Math.sqrt(alphaBar))
            return fromOutput + x * Double(Float32Math.sqrt(1 - alphaBar))
        }
    }
}
