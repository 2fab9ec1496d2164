import Foundation
import Torch

/// The fixed sinusoidal code of a timestep (docs/python-reference.md §3.7): with half = dim/2 and
/// f_i = exp(-ln(10000) i / (half - shift)), e(t) = [cos(t f), sin(t f)] (or sin first without the flip).
/// Computed in float32 in the same order as diffusers, so the codes match it bit for bit.
struct SinusoidalTimesteps {
    let dim: Int
    let flipSinToCos: Bool
    let freqShift: Int

    /// timesteps: [B] of any numeric dtype; result [B, dim] float32.
    func callAsFunction(_ timesteps: Tensor) -> Tensor {
        let half = dim / 2
        let options = TensorOptions(.float32, on: timesteps.device)
        let exponent = Tensor.arange(0, Double(half), options) * -Foundation.log(10000.0) / Double(half - freqShift)
        let angles = timesteps.to(.float32).unsqueezed(1) * exponent.exp().unsqueezed(0)
        let (sin, cos) = (angles.sin(), angles.cos())
        let code = Tensor.cat(flipSinToCos ? [cos, sin] : [sin, cos], dim: 1)
        guard dim % 2 == 1 else { return code }
        return Tensor.cat([code, Tensor.zeros([code.shape[0], 1], options)], dim: 1)
    }
}
