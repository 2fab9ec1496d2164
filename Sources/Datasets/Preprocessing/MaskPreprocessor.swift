import Torch

/// Resizes integer label maps with PIL's NEAREST (torch's nearest-exact: src = floor((dst + 0.5)·in/out)),
/// so labels stay labels (SPEC 2.3).
public struct MaskPreprocessor: Sendable {
    public var size: Int

    public init(size: Int) { self.size = size }

    /// [1, H, W] integer labels -> [1, S, S] int64.
    public func callAsFunction(_ labels: Tensor) -> Tensor {
        let shape = labels.shape
        if shape[1] == size && shape[2] == size { return labels.to(.int64) }
        // uint8 resizes as it is (the cheapest); other types through float32, exact below 2^24,
        // because the CPU nearest kernels take only uint8 and floating point.
        let values = (labels.dtype == .uint8 ? labels : labels.to(.float32)).unsqueezed(0)
        return values.interpolated(height: size, width: size, mode: .nearestExact).squeezed(0).to(.int64)
    }
}
