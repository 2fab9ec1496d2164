import Datasets
import Diffusion
import ModelCard
import Torch

/// The map from a generated slice's [-1, 1] to the intensity units of the volume written: the
/// volumes' own units when the import recorded them (HU for CT cut with `--window=-1000,1000`,
/// the MRI's scale for a single volume cut min-max), else [0, 1].
///
/// Two steps, each linear: the model's [0, 1] to the imported PNGs' [0, 1] (the identity, unless the
/// model was trained with `--normalization window:LOW,HIGH` on those PNGs' stored values), then
/// that to the volume's units, undoing import-nifti's window or min-max.
public struct VolumeUnits: Sendable {
    /// value = scale · u + offset, u = clamp(x/2 + 0.5, 0, 1).
    public let scale: Double
    public let offset: Double
    /// What the values are, for messages and the docs ("HU window -1000 to 1000", "[0, 1]").
    public let description: String
    /// Whether the values are in the volume's own units (false: [0, 1] of the training images).
    public let inVolumeUnits: Bool

    /// - Parameters:
    ///   - normalization: the model's (`segmadiff.json`).
    ///   - record: the import record of the model's data, when known.
    ///   - window: `--window LOW,HIGH`: the import's window, given by hand (replaces the record's map).
    public init(normalization: IntensityNormalization, record: NiftiImportRecord?, window: (low: Double, high: Double)?) {
        // The model's [0, 1] -> the imported PNGs' [0, 1].
        var (scale, offset) = (1.0, 0.0)
        if case .window(let low, let high) = normalization {
            let maximum = Double((1 << (record?.bitDepth ?? 16)) - 1)
            (scale, offset) = ((high - low) / maximum, low / maximum)
        }
        let toVolume = window.map { (scale: $0.high - $0.low, offset: $0.low) } ?? record?.unitsMap
        if let toVolume {
            (scale, offset) = (scale * toVolume.scale, offset * toVolume.scale + toVolume.offset)
            let low = offset, high = scale + offset
            switch (window, record?.intensity) {
            case (nil, .minMax?): description = "the image volume's units (its min-max range \(low) to \(high))"
            default: description = "the volume's units (window \(low) to \(high), e.g. HU for CT)"
            }
            inVolumeUnits = true
        } else {
            description = "[0, 1] (no intensity window recorded; pass --window LOW,HIGH to write the volume's units)"
            inVolumeUnits = false
        }
        self.scale = scale
        self.offset = offset
    }

    /// Images in the model's [-1, 1] -> float32 values in these units.
    public func values(_ images: Tensor) -> Tensor {
        ImageOutput.unitRange(images.to(.float32)) * scale + offset
    }

    /// Values in these units -> the model's [-1, 1] (clamped): a real image as the model's data
    /// showed it.
    public func modelRange(_ values: Tensor) -> Tensor {
        (((values.to(.float32) - offset) / scale).clamped(min: 0, max: 1)) * 2 - 1
    }

    /// The value of black (u = 0): what slices left unsampled hold.
    public var background: Double { offset }

    /// The range the model's [0, 1] covers, for viewers (cal_min, cal_max) and figures.
    public var range: (low: Double, high: Double) { (offset, scale + offset) }
}
