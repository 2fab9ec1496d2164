import ModelCard
import Torch

/// Maps stored intensities to [0, 1] as `IntensityNormalization` says.
extension IntensityNormalization {
    /// True when 8-bit (or fewer) data are resized in their stored units and rounded, as PIL does,
    /// before scaling: the reference's path, kept exact for parity (docs/architecture.md §11).
    func resizesStoredValues(_ image: RawImage) -> Bool {
        if case .none = self, let bitDepth = image.bitDepth, bitDepth <= 8 { return true }
        return false
    }

    /// `values` (float, in the file's units) mapped to [0, 1]. `image` supplies the type's range.
    func unitRange(_ values: Tensor, of image: RawImage) -> Tensor {
        switch self {
        case .none:
            // Integer data by their type's maximum; floating-point data are taken as already in [0, 1].
            guard let maximum = image.integerMaximum else { return values }
            return values / maximum
        case .minMax:
            let low = values.min(), high = values.max()
            let span = (high - low).clamped(min: 1e-12)
            return (values - low) / span
        case .window(let low, let high):
            return ((values - low) / Swift.max(high - low, 1e-12)).clamped(min: 0, max: 1)
        }
    }
}
