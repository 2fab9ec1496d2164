import Diffusion
import Torch

/// A scheduler whose stochastic steps (DDPM's, DDIM's with eta > 0) draw their noise as
/// `SliceNoise` says, so the noise added at each step is correlated along the slice axis as x_T is.
/// Deterministic samplers (DDIM, DPM-Solver++) pass through unchanged.
final class SliceCorrelatedScheduler: Scheduler {
    let inner: any Scheduler
    let noise: SliceNoise
    /// The slice index of each row of the batch.
    let slices: [Int]
    private var shared: Generator
    private var own: [Generator]

    init(_ inner: any Scheduler, noise: SliceNoise, slices: [Int]) {
        self.inner = inner
        self.noise = noise
        self.slices = slices
        shared = noise.sharedSteps()
        own = slices.map(noise.ownSteps)
    }

    var schedule: NoiseSchedule { inner.schedule }
    var timesteps: [Int] { inner.timesteps }

    /// Starts every stream again: a run is one call of `setTimesteps`, then its steps.
    func setTimesteps(_ count: Int) throws {
        try inner.setTimesteps(count)
        shared = noise.sharedSteps()
        own = slices.map(noise.ownSteps)
    }

    func step(modelOutput: Tensor, timestep: Int, sample: Tensor, generator: Generator?) -> Tensor {
        if let ddpm = inner as? DDPMScheduler {
            // diffusers draws the variance noise only for t > 0; so do these streams.
            let z = timestep > 0 ? draw(like: modelOutput) : nil
            return ddpm.step(modelOutput: modelOutput, timestep: timestep, sample: sample, varianceNoise: z)
        }
        if let ddim = inner as? DDIMScheduler, ddim.eta > 0 {
            return ddim.step(modelOutput: modelOutput, timestep: timestep, sample: sample, varianceNoise: draw(like: modelOutput))
        }
        return inner.step(modelOutput: modelOutput, timestep: timestep, sample: sample, generator: generator)
    }

    /// One step's noise for the batch, drawn on the CPU (as seeded draws are) and moved.
    private func draw(like reference: Tensor) -> Tensor {
        let shape = [1] + Array(reference.shape.dropFirst())
        let options = TensorOptions(reference.dtype, on: .cpu)
        let sharedDraw = Tensor.randn(shape, generator: shared, options)
        let ownDraws = Tensor.cat(own.map { Tensor.randn(shape, generator: $0, options) })
        let z = noise.mixed(shared: sharedDraw, own: ownDraws)
        return reference.device == .cpu ? z : z.to(reference.device)
    }
}
