import Torch

/// A reverse-diffusion sampler over a discrete timestep grid: set the number of steps, then call
/// `step` once for each timestep of `timesteps`, in order, feeding the model's noise prediction.
///
/// Schedulers are reference types because some keep state between steps (DPM-Solver++'s history)
/// and all keep the grid chosen by `setTimesteps`.
public protocol Scheduler: AnyObject {
    /// The forward process the model was trained with.
    var schedule: NoiseSchedule { get }

    /// The grid of the last `setTimesteps`, from the noisiest timestep down to the cleanest.
    var timesteps: [Int] { get }

    /// Chooses a grid of `count` steps and forgets any state of an earlier run.
    func setTimesteps(_ count: Int) throws

    /// x_{t_prev} from x_t and the model's noise prediction at `timestep`. `generator` draws the
    /// noise of stochastic steps (the default libtorch generator when nil); deterministic schedulers
    /// ignore it.
    func step(modelOutput: Tensor, timestep: Int, sample: Tensor, generator: Generator?) -> Tensor
}

extension Scheduler {
    public func step(modelOutput: Tensor, timestep: Int, sample: Tensor) -> Tensor {
        step(modelOutput: modelOutput, timestep: timestep, sample: sample, generator: nil)
    }

    /// Forward noising with the scheduler's schedule (training; docs/python-reference.md §5.3).
    public func addNoise(to x0: Tensor, noise: Tensor, timesteps: Tensor) -> Tensor {
        schedule.addNoise(to: x0, noise: noise, timesteps: timesteps)
    }
}

/// A scheduler set up with values it cannot honour, or a configuration file it cannot use.
public struct SchedulerError: Error, CustomStringConvertible, Equatable {
    public let message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }

    static func stepCount(_ count: Int, max: Int) -> SchedulerError {
        SchedulerError("the number of inference steps must be between 1 and \(max) (the train timesteps), got \(count)")
    }
}

/// Standard-normal noise shaped like `reference`, on its device and in its dtype. A seeded generator
/// is a CPU one, so its draws are made on the CPU and moved, as diffusers' `randn_tensor` does:
/// the same seed then gives the same noise on every device.
func standardNoise(like reference: Tensor, generator: Generator?) -> Tensor {
    guard let generator else { return Tensor.randn(like: reference) }
    let draw = Tensor.randn(reference.shape, generator: generator, TensorOptions(reference.dtype, on: .cpu))
    return reference.device == .cpu ? draw : draw.to(reference.device)
}
