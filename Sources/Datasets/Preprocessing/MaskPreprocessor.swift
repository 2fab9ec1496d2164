import Torch

/// Resizes integer label maps with PIL's NEAREST (source pixel ⌊(i + ½)·in/out⌋), so labels stay
/// labels (docs/python-reference.md §2.3).
public struct MaskPreprocessor: Sendable {
    public var size: Int

    public init(size: Int) { self.size = size }

    /// [1, H, W] integer labels -> [1, S, S] int64.
    public func callAsFunction(_ labels: Tensor) -> Tensor {
        // Floating-point maps (NPY) hold whole numbers (the data set's validation checks).
        let integers = labels.dtype.isFloatingPoint ? labels.rounded().to(.int64) : labels
        return integers.resizedLabels(height: size, width: size)
    }
}
