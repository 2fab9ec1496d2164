import Torch

/// Conversions of sampled images from the model's [-1, 1] range, as the reference pipelines make
/// them (docs/python-reference.md §7.1, Appendix A.10).
public enum ImageOutput {
    /// clamp(x/2 + 0.5, 0, 1), in x's dtype.
    public static func unitRange(_ x: Tensor) -> Tensor {
        (x / 2 + 0.5).clamped(min: 0, max: 1)
    }

    /// round(255 · clamp(x/2 + 0.5, 0, 1)) as uint8, NCHW. The arithmetic is float32, as the
    /// reference's numpy conversion is, and rounds half to even.
    public static func eightBit(_ x: Tensor) -> Tensor {
        let unit = unitRange(x.to(.float32))
        return (unit * 255).rounded().to(.uint8)
    }
}
