import Torch

/// The MDFormer's fixed high-pass filter (docs/python-reference.md §4.4): HP = delta at the centre minus a normalised
/// k x k Gaussian of width sigma, computed in float64 and cast to float32 as the fork does.
enum HighPassKernel {
    /// The grid the Gaussian is sampled on. The fork's `linspace(-k//2, k//2, k)` floors -15/2 to -8,
    /// so its grid runs -8..7 (spacing 15/14, blur centred 0.44 px off); `centred` gives -7..7.
    static func grid(size: Int, centred: Bool) -> (low: Double, high: Double) {
        let high = Double(size / 2)
        return (centred ? -high : -Double((size + 1) / 2), high)
    }

    /// [size, size] float32.
    static func make(size: Int, sigma: Double, centred: Bool) -> Tensor {
        let (low, high) = grid(size: size, centred: centred)
        let x = Tensor.linspace(low, high, count: size, TensorOptions(.float64)).squared()
        let gaussian = ((x.unsqueezed(1) + x.unsqueezed(0)) / (-2 * sigma * sigma)).exp()
        let lowPass = gaussian / gaussian.sum()
        let centre = Tensor.zeros([size, size], TensorOptions(.float64))
        centre.selected(dim: 0, index: size / 2).selected(dim: 0, index: size / 2).fill(1)
        return (centre - lowPass).to(.float32)
    }

    /// The kernel repeated for a depthwise convolution over `channels`: [channels, 1, size, size].
    static func depthwise(channels: Int, size: Int, sigma: Double, centred: Bool) -> Tensor {
        make(size: size, sigma: sigma, centred: centred).reshaped(1, 1, size, size).repeated([channels, 1, 1, 1])
    }
}
