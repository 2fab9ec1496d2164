import Torch

/// The forward (noising) process shared by every scheduler: a linear β schedule and its cumulative
/// product ᾱ_t = Π(1 − β_s), as diffusers 0.21.4 builds them (docs/python-reference.md §5.1).
///
/// The tables are made by the same libtorch float32 ops diffusers uses (`linspace`, `1 − β`,
/// `cumprod`), so they match its values bit for bit rather than merely to rounding.
public struct NoiseSchedule: @unchecked Sendable {
    public let trainTimesteps: Int
    public let betaStart: Double
    public let betaEnd: Double
    /// β_t, float32 [T], on the CPU.
    public let betas: Tensor
    /// ᾱ_t, float32 [T], on the CPU.
    public let alphasCumprod: Tensor
    /// ᾱ_t on the host, for the per-step scalar coefficients.
    public let alphaBars: [Float]

    public init(trainTimesteps: Int = 1000, betaStart: Double = 1e-4, betaEnd: Double = 0.02) {
        precondition(trainTimesteps > 1, "NoiseSchedule: need at least 2 train timesteps, got \(trainTimesteps)")
        self.trainTimesteps = trainTimesteps
        self.betaStart = betaStart
        self.betaEnd = betaEnd
        betas = Tensor.linspace(betaStart, betaEnd, count: trainTimesteps, TensorOptions(.float32))
        let alphas = 1 - betas
        alphasCumprod = alphas.cumprod(dim: 0)
        alphaBars = alphasCumprod.scalars(as: Float.self)
    }

    /// ᾱ_t for a timestep of the training grid.
    public func alphaBar(_ t: Int) -> Float { alphaBars[t] }

    /// x_t = sqrt(ᾱ_t)·x0 + sqrt(1 − ᾱ_t)·ε with one t per sample (docs/python-reference.md §5.3).
    ///
    /// `timesteps` is an int64 tensor of B values (or a single one for the whole batch). As in
    /// diffusers, ᾱ is cast to x0's dtype before the square roots, so bf16 training sees bf16 maths.
    public func addNoise(to x0: Tensor, noise: Tensor, timesteps: Tensor) -> Tensor {
        let (signalScale, noiseScale) = scales(timesteps, like: x0)
        return signalScale * x0 + noiseScale * noise
    }

    /// sqrt(ᾱ_t) and sqrt(1 − ᾱ_t) per sample, shaped [B, 1, ...] to broadcast over `like`, in its
    /// dtype and on its device.
    func scales(_ timesteps: Tensor, like x0: Tensor) -> (signal: Tensor, noise: Tensor) {
        let table = alphasCumprod.to(TensorOptions(x0.dtype, on: x0.device))
        let alphaBar = table.indexSelect(dim: 0, index: timesteps.reshaped(-1).to(x0.device))
        let perSample = [alphaBar.shape[0]] + Array(repeating: 1, count: x0.rank - 1)
        return (alphaBar.sqrt().reshaped(perSample), (1 - alphaBar).sqrt().reshaped(perSample))
    }
}
