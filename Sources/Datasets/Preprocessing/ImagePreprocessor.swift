import ModelCard
import Torch

/// Turns a decoded image into the network's input: [C, S, S] float32 in [-1, 1] (docs/python-reference.md §2.2).
///
/// Resizing is antialiased bilinear, PIL's BILINEAR (what torchvision 0.16's `Resize` does to the
/// reference's PIL images). For 8-bit data under `.none` the stored values are resized and rounded as
/// PIL does, then divided by 255, which matches the reference to within 1/255. Other data are first
/// mapped to [0, 1] (16-bit by 65535, min-max, or a window) and resized in floating point.
public struct ImagePreprocessor: Sendable {
    public var size: Int
    public var normalization: IntensityNormalization

    public init(size: Int, normalization: IntensityNormalization = .none) {
        self.size = size
        self.normalization = normalization
    }

    /// `planes` as returned by `RawImage.intensityPlanes()`.
    public func callAsFunction(_ planes: RawImage) -> Tensor {
        if normalization.resizesStoredValues(planes) {
            let maximum = planes.integerMaximum ?? 255
            return planes.samples.to(.uint8).resizedUInt8(height: size, width: size, scale: 2 / maximum, offset: -1)
        }
        let values = planes.samples.to(.float32).unsqueezed(0)
        let unit = resized(normalization.unitRange(values, of: planes))
        return (unit * 2 - 1).squeezed(0)
    }

    private func resized(_ values: Tensor) -> Tensor {
        let shape = values.shape
        if shape[2] == size && shape[3] == size { return values }
        return values.interpolated(height: size, width: size, mode: .bilinearAntialias)
    }
}
